namespace UringScheduler.Bench.Methods;

/// <summary>
/// One block-sized buffer per loop, carved from a single pinned array and aligned to 4 KiB, so the same buffers are
/// valid for <c>O_DIRECT</c>, never move under the kernel, and are allocated once before the clock starts.
/// </summary>
internal sealed class AlignedBuffers
{
    public const int Alignment = 4096;

    private readonly byte[] _array;
    private readonly int _start;
    private readonly int _stride;

    public unsafe AlignedBuffers(int count, int blockSize)
    {
        BlockSize = blockSize;
        _stride = (blockSize + Alignment - 1) / Alignment * Alignment;
        _array = GC.AllocateArray<byte>(checked((count * _stride) + Alignment), pinned: true);
        fixed (byte* p = _array)
        {
            // The array is on the pinned object heap, so this address (and the alignment computed from it) holds.
            nint address = (nint)p;
            _start = (int)((Alignment - (address % Alignment)) % Alignment);
        }
    }

    public int BlockSize { get; }

    public Memory<byte> Get(int index) => _array.AsMemory(_start + (index * _stride), BlockSize);
}
