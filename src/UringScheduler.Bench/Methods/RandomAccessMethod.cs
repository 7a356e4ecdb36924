using Microsoft.Win32.SafeHandles;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// <c>randomaccess_N</c>: N concurrent loops awaiting <see cref="RandomAccess.ReadAsync(SafeFileHandle, Memory{byte}, long, CancellationToken)"/>
/// on the .NET ThreadPool: what a .NET program does today, and what UringRandomAccess is a drop-in for.
/// </summary>
internal sealed class RandomAccessMethod : IBenchMethod
{
    private readonly CaseContext _context;
    private readonly SafeFileHandle[] _handles;
    private readonly AlignedBuffers _buffers;
    private Task[] _loops = [];

    public RandomAccessMethod(CaseContext context)
    {
        _context = context;
        _handles = FileOpener.OpenAll(context.DataSet, context.Direct);
        _buffers = new AlignedBuffers(context.Concurrency, context.DataSet.Spec.BlockSize);
    }

    public int Workers => 0;

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        _loops = ReadLoop.CreateAll(_context, _buffers.Get, recorders, clock).Select(loop => Task.Run(() => RunAsync(loop))).ToArray();
    }

    public bool Join(TimeSpan timeout) => Task.WaitAll(_loops, timeout);

    public void Dispose()
    {
        foreach (SafeFileHandle handle in _handles)
        {
            handle.Dispose();
        }
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
                int read = await RandomAccess.ReadAsync(handles[loop.FileIndex], loop.Buffer, loop.Offset).ConfigureAwait(false);
                more = loop.Complete(start, read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                more = loop.Fail();
            }
        }
    }
}
