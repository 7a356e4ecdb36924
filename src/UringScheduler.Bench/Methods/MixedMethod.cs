using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// <c>mixed_N</c>: the N foreground reads of <c>uring_N</c> (same data, verification and latency recording) while a
/// <see cref="BackgroundWriter"/> streams 1 MiB <c>O_DIRECT</c> writes in the background class to a file on the same
/// device, on the same runtime. The latencies are the reads'; the writer's rate is reported beside them.
/// </summary>
internal sealed class MixedMethod : IBenchMethod
{
    private readonly UringMethod _reads;
    private readonly BackgroundWriter _writer;
    private MeasurementClock? _clock;

    public MixedMethod(CaseContext context)
    {
        _reads = new UringMethod(context);
        try
        {
            _writer = new BackgroundWriter(context.DataSet.Spec.Directory);
        }
        catch
        {
            _reads.Dispose();
            throw;
        }
    }

    public int Workers => _reads.Workers;

    public string? Backend => _reads.Backend;

    public bool? IoScheduler => _reads.IoScheduler;

    public double? BackgroundMegabytesPerSecond => _writer.MegabytesPerSecond;

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        _clock = clock;
        _reads.Start(clock, recorders);

        // The last worker: with several workers the first ones carry the first (and with few loops, the only) reads.
        IReadOnlyList<UringWorker> workers = _reads.Runtime.Workers;
        _writer.Start(workers[^1], clock);
    }

    public bool Join(TimeSpan timeout)
    {
        // Both must end; a failure of either is rethrown by its Join.
        bool reads = _reads.Join(timeout);
        bool writes = _writer.Join(timeout, _clock!);
        return reads && writes;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reads.Dispose();
    }
}
