using System.Diagnostics;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// <c>nop_N</c>: N loops spread over the workers, each awaiting <see cref="UringWorker.NopAsync"/>. No data is touched,
/// so what it measures is the scheduler's own cost per operation: submit, complete, resume.
/// </summary>
internal sealed class NopMethod : IBenchMethod
{
    private readonly UringRuntime _runtime;
    private Task[] _loops = [];

    public NopMethod(CaseContext context)
    {
        Workers = context.Workers;
        _runtime = new UringRuntime(context.RuntimeOptions());
    }

    public int Workers { get; }

    public string? Backend => _runtime.ActiveBackend.ToString();

    public bool? IoScheduler => _runtime.Options.IoScheduler.Enabled;

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        IReadOnlyList<UringWorker> workers = _runtime.Workers;
        _loops = new Task[recorders.Count];
        for (int i = 0; i < recorders.Count; i++)
        {
            UringWorker worker = workers[i % workers.Count];
            LoopRecorder recorder = recorders[i];
            _loops[i] = worker.RunAsync(() => RunAsync(worker, recorder, clock));
        }
    }

    public bool Join(TimeSpan timeout) => Task.WaitAll(_loops, timeout);

    public void Dispose() => _runtime.Dispose();

    private static async Task RunAsync(UringWorker worker, LoopRecorder recorder, MeasurementClock clock)
    {
        // Each NOP starts at the previous one's end: one clock read per operation instead of two (a clock read costs
        // about 20 ns here, against about 180 ns for the whole NOP), at the price of counting the recording in the latency.
        long start = Stopwatch.GetTimestamp();
        long end;
        do
        {
            await worker.NopAsync();
            end = Stopwatch.GetTimestamp();
            recorder.Record(start, end);
            start = end;
        }
        while (!clock.IsOver(end));
    }
}
