using Microsoft.Win32.SafeHandles;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// <c>uring_N</c>: a <see cref="UringRuntime"/>; N async loops spread round-robin over its workers, each awaiting
/// <see cref="UringRandomAccess.ReadAsync(SafeFileHandle, Memory{byte}, long, CancellationToken)"/> into its own buffer.
/// </summary>
internal sealed class UringMethod : IBenchMethod
{
    private readonly CaseContext _context;
    private readonly SafeFileHandle[] _handles;
    private readonly AlignedBuffers _buffers;
    private readonly UringRuntime _runtime;
    private Task[] _loops = [];

    public UringMethod(CaseContext context)
    {
        _context = context;
        _handles = FileOpener.OpenAll(context.DataSet, context.Direct);
        _buffers = new AlignedBuffers(context.Concurrency, context.DataSet.Spec.BlockSize);
        try
        {
            _runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = context.Workers });
        }
        catch
        {
            CloseHandles();
            throw;
        }
    }

    public int Workers => _context.Workers;

    public string? Backend => _runtime.ActiveBackend.ToString();

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        IReadOnlyList<UringWorker> workers = _runtime.Workers;
        _loops = new Task[recorders.Count];
        for (int i = 0; i < recorders.Count; i++)
        {
            ReadLoop loop = new(i, _context, _buffers.Get(i), recorders[i], clock);
            _loops[i] = workers[i % workers.Count].RunAsync(() => RunAsync(loop));
        }
    }

    public bool Join(TimeSpan timeout) => Task.WaitAll(_loops, timeout);

    public void Dispose()
    {
        _runtime.Dispose();
        CloseHandles();
    }

    private async Task RunAsync(ReadLoop loop)
    {
        SafeFileHandle[] handles = _handles;
        bool more = true;
        while (more)
        {
            long start = loop.Next();
            try
            {
                int read = await UringRandomAccess.ReadAsync(handles[loop.FileIndex], loop.Buffer, loop.Offset);
                more = loop.Complete(start, read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                more = loop.Fail();
            }
        }
    }

    private void CloseHandles()
    {
        foreach (SafeFileHandle handle in _handles)
        {
            handle.Dispose();
        }
    }
}
