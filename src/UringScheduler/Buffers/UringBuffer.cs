using System.Buffers;
using System.Runtime.InteropServices;

namespace UringScheduler;

/// <summary>
/// A buffer rented from a <see cref="UringBufferPool"/>: native, 4096-aligned memory (suitable for <c>O_DIRECT</c>)
/// that, when <see cref="IsRegistered"/>, the rings know by <see cref="Index"/> and read into with <c>READ_FIXED</c>.
/// Pass <see cref="MemoryManager{T}.Memory"/> (or a slice of it) to any read or write; dispose the buffer to return it.
/// </summary>
/// <remarks>
/// Disposing while an operation on the buffer is in flight is safe: the buffer goes back to the pool only when the
/// kernel has released it. As with any pool, <see cref="Memory{T}"/> values taken from it must not be used after
/// disposal.
/// </remarks>
public sealed unsafe class UringBuffer : MemoryManager<byte>
{
    private readonly UringBufferPool? _pool;
    private readonly byte* _pointer;
    private readonly int _length;

    // 1 for the renter, +1 per operation in flight; the buffer is returned when it drops to 0. Written twice per
    // operation by the worker that runs it. A pool's buffers are allocated together and are often used by different
    // workers, so the count sits in a padded slot: two workers using adjacent buffers must not write one cache line.
    private PaddedCount _references;

    // 1 while rented: makes a second Dispose harmless instead of stealing an operation's reference.
    private int _rented;

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCount
    {
        [FieldOffset(64)]
        public int Value;
    }

    internal UringBuffer(UringBufferPool? pool, byte* pointer, int length, int index)
    {
        _pool = pool;
        _pointer = pointer;
        _length = length;
        Index = index;
    }

    /// <summary>The buffer's index in the rings' registered-buffer table, or -1 for a plain (overflow) buffer.</summary>
    public int Index { get; }

    /// <summary>
    /// Whether the buffer belongs to the pool's registered set: operations on it use the fixed-buffer opcodes on every
    /// ring that accepted the pool's registration (a ring that refused it serves the buffer with the plain opcodes).
    /// </summary>
    public bool IsRegistered => Index >= 0;

    /// <summary>Size in bytes.</summary>
    public int Length => _length;

    internal UringBufferPool? Pool => _pool;

    internal byte* Pointer => _pointer;

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => new(_pointer, _length);

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle(_pointer + elementIndex); // native memory never moves
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    internal void OnRented()
    {
        Volatile.Write(ref _references.Value, 1);
        Volatile.Write(ref _rented, 1);
    }

    /// <summary>Called by an operation that will hand this buffer to the kernel.</summary>
    internal void AddOperationReference() => Interlocked.Increment(ref _references.Value);

    /// <summary>Called when that operation's completion has arrived.</summary>
    internal void ReleaseOperationReference()
    {
        if (Interlocked.Decrement(ref _references.Value) == 0)
        {
            GiveBack();
        }
    }

    /// <summary>Returns the buffer to its pool (once no operation on it is in flight). A second call does nothing.</summary>
    public void Dispose() => ((IDisposable)this).Dispose();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _rented, 0) == 1)
        {
            ReleaseOperationReference();
        }
    }

    private void GiveBack()
    {
        if (_pool is not null)
        {
            _pool.Return(this);
        }
        else
        {
            NativeMemory.AlignedFree(_pointer);
        }
    }
}
