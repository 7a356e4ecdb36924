using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// <c>mmap_N</c>: the seed's baseline. Every file mapped read-only with <c>MADV_RANDOM</c> (no read-ahead), and N
/// dedicated threads each copying a random block out of the mapping. <c>--direct</c> does not apply to a mapping.
/// </summary>
internal sealed unsafe partial class MmapMethod : IBenchMethod
{
    private const int MadvRandom = 1;

    private readonly CaseContext _context;
    private readonly List<MemoryMappedFile> _files = [];
    private readonly List<MemoryMappedViewAccessor> _views = [];
    private readonly nint[] _bases;
    private readonly AlignedBuffers _buffers;
    private readonly LoopThreads _threads = new();

    public MmapMethod(CaseContext context)
    {
        _context = context;
        long size = context.DataSet.Spec.FileSize;
        _bases = new nint[context.DataSet.Paths.Count];
        try
        {
            for (int i = 0; i < _bases.Length; i++)
            {
                MemoryMappedFile file = MemoryMappedFile.CreateFromFile(context.DataSet.Paths[i], FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                _files.Add(file);
                MemoryMappedViewAccessor view = file.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
                _views.Add(view);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                pointer += view.PointerOffset;
                _bases[i] = (nint)pointer;

                // Random access: without this the kernel reads ahead around every fault and the page cache churns.
                _ = Madvise((nint)pointer, (nuint)size, MadvRandom);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        _buffers = new AlignedBuffers(context.Concurrency, context.DataSet.Spec.BlockSize);
    }

    public int Workers => 0;

    public void Start(MeasurementClock clock, IReadOnlyList<LoopRecorder> recorders)
    {
        ReadLoop[] loops = ReadLoop.CreateAll(_context, _buffers.Get, recorders, clock);
        _threads.Start(loops.Length, "mmap", i => Run(loops[i]));
    }

    public void Release() => _threads.Release();

    public bool Join(TimeSpan timeout) => _threads.Join(timeout);

    public void Dispose()
    {
        foreach (MemoryMappedViewAccessor view in _views)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }

        foreach (MemoryMappedFile file in _files)
        {
            file.Dispose();
        }

        _views.Clear();
        _files.Clear();
    }

    private void Run(ReadLoop loop)
    {
        nint[] bases = _bases;
        Span<byte> buffer = loop.Buffer.Span;
        int blockSize = buffer.Length;
        bool more = true;
        while (more)
        {
            long start = loop.Next();
            new ReadOnlySpan<byte>((byte*)bases[loop.FileIndex] + loop.Offset, blockSize).CopyTo(buffer);
            more = loop.Complete(start, blockSize);
        }
    }

    // Mono.Posix has no madvise; the advice is a hint, so a failure is ignored.
    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
