using Microsoft.Win32.SafeHandles;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary><c>pread_N</c>: N dedicated threads, each a closed loop of blocking <c>pread</c> (<see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>).</summary>
internal sealed class PreadMethod : IBenchMethod
{
    private readonly CaseContext _context;
    private readonly SafeFileHandle[] _handles;
    private readonly AlignedBuffers _buffers;
    private readonly LoopThreads _threads = new();

    public PreadMethod(CaseContext context)
    {
        _context = context;
        _handles = FileOpener.OpenAll(context.DataSet, context.Direct);
        _buffers = new AlignedBuffers(context.Concurrency, context.DataSet.Spec.BlockSize);
    }

    public int Workers => 0;

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        ReadLoop[] loops = ReadLoop.CreateAll(_context, _buffers.Get, recorders, clock);
        _threads.Start(loops.Length, "pread", i => Run(loops[i]));
    }

    public void Release() => _threads.Release();

    public bool Join(TimeSpan timeout) => _threads.Join(timeout);

    public void Dispose()
    {
        foreach (SafeFileHandle handle in _handles)
        {
            handle.Dispose();
        }
    }

    private void Run(ReadLoop loop)
    {
        SafeFileHandle[] handles = _handles;
        Span<byte> buffer = loop.Buffer.Span;
        bool more = true;
        while (more)
        {
            long start = loop.Next();
            try
            {
                int read = RandomAccess.Read(handles[loop.FileIndex], buffer, loop.Offset);
                more = loop.Complete(start, read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                more = loop.Fail();
            }
        }
    }
}
