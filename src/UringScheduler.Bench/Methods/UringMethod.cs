using Microsoft.Win32.SafeHandles;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// <c>uring_N</c>: a <see cref="UringRuntime"/>; N async loops spread round-robin over its workers. With the fast path
/// (the default) each loop reads through <see cref="UringFile"/> (registered fixed-file slots) into its own
/// <see cref="UringBuffer"/> from the runtime's registered pool (READ_FIXED); with <c>--no-fast-path</c> it awaits
/// <see cref="UringRandomAccess.ReadAsync(SafeFileHandle, Memory{byte}, long, CancellationToken)"/> into a pinned array.
/// </summary>
internal sealed class UringMethod : IBenchMethod
{
    private readonly CaseContext _context;
    private readonly SafeFileHandle[] _handles;
    private readonly AlignedBuffers _buffers;
    private readonly UringRuntime _runtime;
    private readonly UringFile[] _files;
    private readonly UringBuffer[] _leases;
    private Task[] _loops = [];

    public UringMethod(CaseContext context)
    {
        _context = context;
        _handles = FileOpener.OpenAll(context.DataSet, context.Direct);
        _buffers = new AlignedBuffers(context.FastPath ? 0 : context.Concurrency, context.DataSet.Spec.BlockSize);
        try
        {
            int bufferSize = (context.DataSet.Spec.BlockSize + 4095) / 4096 * 4096;
            UringRuntimeOptions options = context.RuntimeOptions();
            options.RegisteredBufferCount = context.FastPath ? Math.Min(context.Concurrency, 16384) : 0;
            options.RegisteredBufferSize = bufferSize;
            _runtime = new UringRuntime(options);
        }
        catch
        {
            CloseHandles();
            throw;
        }

        _files = context.FastPath ? _handles.Select(h => UringFile.FromHandle(h, ownsHandle: false, direct: context.Direct, runtime: _runtime)).ToArray() : [];
        _leases = context.FastPath ? Enumerable.Range(0, context.Concurrency).Select(_ => _runtime.Buffers!.Rent()).ToArray() : [];
    }

    public int Workers => _context.Workers;

    public string? Backend => _runtime.ActiveBackend.ToString();

    public bool? IoScheduler => _runtime.Options.IoScheduler.Enabled;

    /// <summary>The runtime the loops run on (a mixed case runs its background writer there too).</summary>
    public UringRuntime Runtime => _runtime;

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        IReadOnlyList<UringWorker> workers = _runtime.Workers;
        int blockSize = _context.DataSet.Spec.BlockSize;
        ReadLoop[] loops = ReadLoop.CreateAll(_context, i => _context.FastPath ? _leases[i].Memory[..blockSize] : _buffers.Get(i), recorders, clock);
        _loops = new Task[loops.Length];
        for (int i = 0; i < loops.Length; i++)
        {
            ReadLoop loop = loops[i];
            _loops[i] = workers[i % workers.Count].RunAsync(() => _context.FastPath ? RunFastAsync(loop) : RunAsync(loop));
        }
    }

    public bool Join(TimeSpan timeout) => Task.WaitAll(_loops, timeout);

    public void Dispose()
    {
        foreach (UringFile file in _files)
        {
            file.Dispose();
        }

        foreach (UringBuffer lease in _leases)
        {
            lease.Dispose();
        }

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

    private async Task RunFastAsync(ReadLoop loop)
    {
        UringFile[] files = _files;
        bool more = true;
        while (more)
        {
            long start = loop.Next();
            try
            {
                int read = await files[loop.FileIndex].ReadAsync(loop.Buffer, loop.Offset);
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
