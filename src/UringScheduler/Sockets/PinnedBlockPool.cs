using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace UringScheduler;

/// <summary>
/// Fixed-size blocks on the pinned object heap for the pipes over sockets. A ring request pins its buffer for as long
/// as the kernel may use it; a block made with <see cref="MemoryMarshal.CreateFromPinnedArray{T}"/> pins for free,
/// where an array from <see cref="ArrayPool{T}"/> takes a <see cref="GCHandle"/> per receive and per send. One pool
/// per block size for the process, thread-safe (a pipe returns blocks on whichever thread completes it); it keeps
/// at most <see cref="RetainedBytes"/> of free blocks and lets the rest go to the GC.
/// </summary>
internal sealed class PinnedBlockPool : MemoryPool<byte>
{
    internal const long RetainedBytes = 16L << 20;

    private static readonly Dictionary<int, PinnedBlockPool> s_pools = [];

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly int _blockSize;
    private readonly int _maxRetained;
    private int _retained;

    private PinnedBlockPool(int blockSize)
    {
        _blockSize = blockSize;
        _maxRetained = (int)Math.Max(1, RetainedBytes / blockSize);
    }

    public override int MaxBufferSize => _blockSize;

    /// <summary>The process's pool of <paramref name="blockSize"/>-byte blocks.</summary>
    public static PinnedBlockPool For(int blockSize)
    {
        lock (s_pools)
        {
            if (!s_pools.TryGetValue(blockSize, out PinnedBlockPool? pool))
            {
                pool = new PinnedBlockPool(blockSize);
                s_pools.Add(blockSize, pool);
            }

            return pool;
        }
    }

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, _blockSize);
        if (_free.TryDequeue(out Block? block))
        {
            Interlocked.Decrement(ref _retained);
            return block;
        }

        return new Block(this, GC.AllocateUninitializedArray<byte>(_blockSize, pinned: true));
    }

    // The pools live as long as the process: there is nothing to release.
    protected override void Dispose(bool disposing)
    {
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _retained) > _maxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;
        }

        _free.Enqueue(block);
    }

    private sealed class Block(PinnedBlockPool pool, byte[] array) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(array, 0, array.Length);

        public void Dispose() => pool.Return(this);
    }
}
