using System.Runtime.InteropServices;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler;

/// <summary>
/// A pool of page-aligned native buffers registered in every ring of a runtime
/// (<c>IORING_REGISTER_BUFFERS</c>), so reads and writes into them go out as <c>READ_FIXED</c>/<c>WRITE_FIXED</c>:
/// the kernel skips pinning and mapping the pages on every operation. Rent a <see cref="UringBuffer"/>, use its
/// <see cref="System.Buffers.MemoryManager{T}.Memory"/> with <see cref="UringRandomAccess"/> or <see cref="UringFile"/>,
/// and dispose it to give it back. Thread-safe.
/// </summary>
/// <remarks>
/// When every registered buffer is rented, <see cref="Rent"/> hands out a plain aligned buffer instead (counted in
/// <see cref="OverflowRentals"/>): it works everywhere, only without the fixed-buffer opcodes. The pool's memory lives
/// until the runtime has stopped and no ring can touch it.
/// </remarks>
public sealed unsafe class UringBufferPool
{
    private const nuint Alignment = 4096;

    private readonly Lock _lock = new();
    private readonly UringBuffer[] _buffers;
    private readonly Stack<UringBuffer> _free;
    private readonly IoVec[] _ioVecs;
    private byte* _memory;
    private long _overflowRentals;
    private UringUnavailableException? _registrationError;

    internal UringBufferPool(int count, int bufferSize)
    {
        BufferSize = bufferSize;
        Count = count;
        nuint total = (nuint)count * (nuint)bufferSize;
        _memory = (byte*)NativeMemory.AlignedAlloc(total == 0 ? Alignment : total, Alignment);
        NativeMemory.Clear(_memory, total);
        _buffers = new UringBuffer[count];
        _free = new Stack<UringBuffer>(count);
        _ioVecs = new IoVec[count];
        for (int i = count - 1; i >= 0; i--)
        {
            byte* p = _memory + ((nuint)i * (nuint)bufferSize);
            _ioVecs[i] = new IoVec { Base = p, Length = (nuint)bufferSize };
            _buffers[i] = new UringBuffer(this, p, bufferSize, i);
            _free.Push(_buffers[i]);
        }
    }

    /// <summary>
    /// Why the pool could not be registered in a ring (the first such error: most often RLIMIT_MEMLOCK; the message
    /// names the limit and how to raise it), or null when every ring registered it. The runtime serves I/O either way;
    /// operations on a worker whose ring lacks the pool use its buffers as plain memory.
    /// </summary>
    public UringUnavailableException? RegistrationError => Volatile.Read(ref _registrationError);

    /// <summary>Size of each buffer, in bytes.</summary>
    public int BufferSize { get; }

    /// <summary>Registered buffers in the pool.</summary>
    public int Count { get; }

    /// <summary>Registered buffers not rented right now.</summary>
    public int Available
    {
        get
        {
            lock (_lock)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>Rentals served with a plain (unregistered) aligned buffer because the pool was empty.</summary>
    public long OverflowRentals => Volatile.Read(ref _overflowRentals);

    /// <summary>The registration table for the rings: one iovec per buffer, index = <see cref="UringBuffer.Index"/>.</summary>
    internal ReadOnlySpan<IoVec> IoVecs => _ioVecs;

    /// <summary>Records why a ring could not register the pool; the first error is kept.</summary>
    internal void OnRegistrationFailed(UringUnavailableException error) => Interlocked.CompareExchange(ref _registrationError, error, null);

    /// <summary>
    /// Rents a buffer of <see cref="BufferSize"/> bytes, aligned to 4096: a registered one while any is free, else a
    /// plain aligned one. Dispose it to return it.
    /// </summary>
    public UringBuffer Rent()
    {
        lock (_lock)
        {
            if (_free.TryPop(out UringBuffer? buffer))
            {
                buffer.OnRented();
                return buffer;
            }
        }

        Interlocked.Increment(ref _overflowRentals);
        byte* p = (byte*)NativeMemory.AlignedAlloc((nuint)BufferSize, Alignment);
        NativeMemory.Clear(p, (nuint)BufferSize);
        var overflow = new UringBuffer(null, p, BufferSize, -1);
        overflow.OnRented();
        return overflow;
    }

    internal void Return(UringBuffer buffer)
    {
        lock (_lock)
        {
            _free.Push(buffer);
        }
    }

    /// <summary>Frees the pool's memory. Only once every ring that registered it is closed.</summary>
    internal void Free()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
