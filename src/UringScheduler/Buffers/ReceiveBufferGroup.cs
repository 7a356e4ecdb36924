using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using UringScheduler.Operations;
using UringScheduler.Rings;

namespace UringScheduler;

/// <summary>
/// One worker's receive buffers, lent to sockets' leased receives: a block of native memory cut into equal buffers,
/// each lent to one receive at a time and given back by its lease. On a kernel with provided buffer rings the free
/// buffers sit in the ring (<see cref="ProvidedBufferRing"/>) and the kernel picks one whenever data arrives on a
/// multishot receive; otherwise they sit in a free list here and each receive takes one before it is submitted.
/// </summary>
/// <remarks>
/// Touched only by the owner's thread; a lease returned from another thread is handed over to it. When the group runs
/// out, receivers wait (<see cref="IReceiveBufferWaiter"/>) and are woken one per returned buffer. Closing the group
/// (the worker stops) frees the memory once the last lease is back, so a lease kept past the runtime stays readable.
/// </remarks>
internal sealed unsafe class ReceiveBufferGroup
{
    private static readonly Action<object?> s_returnPosted = static s =>
    {
        var request = (ReturnRequest)s!;
        request.Group.Return(request.BufferId, request.Generation);
    };

    private readonly IOperationOwner _owner;
    private readonly byte* _memory;
    private readonly ProvidedBufferRing? _ring;
    private readonly ushort[] _generations;
    private readonly bool[] _lent;
    private readonly Slice[] _slices;
    private readonly Stack<ushort> _free;
    private readonly Queue<IReceiveBufferWaiter> _waiters = new();
    private int _lentCount;
    private bool _closed;

    private ReceiveBufferGroup(IOperationOwner owner, byte* memory, int count, int size, ProvidedBufferRing? ring)
    {
        _owner = owner;
        _memory = memory;
        _ring = ring;
        Count = count;
        BufferSize = size;
        _generations = new ushort[count];
        _lent = new bool[count];
        _slices = new Slice[count];
        _free = new Stack<ushort>(ring is null ? count : 0);
        for (int i = count - 1; i >= 0; i--)
        {
            _slices[i] = new Slice(memory + (long)i * size, size);
            if (ring is null)
            {
                _free.Push((ushort)i);
            }
            else
            {
                ring.Add(_slices[i].Pointer, (uint)size, (ushort)i, count - 1 - i);
            }
        }

        ring?.Publish(count);
    }

    /// <summary>Buffers in the group.</summary>
    public int Count { get; }

    /// <summary>Bytes per buffer: the most one receive returns.</summary>
    public int BufferSize { get; }

    /// <summary>Whether the kernel picks buffers from a provided buffer ring (multishot receives), else receives take them from here.</summary>
    public bool IsKernelRing => _ring is not null;

    /// <summary>The buffer group id requests name, in kernel-ring mode.</summary>
    public ushort GroupId => _ring?.GroupId ?? 0;

    /// <summary>Buffers lent out (held by receives in flight, queued data, or callers' leases).</summary>
    public int LentCount => _lentCount;

    /// <summary>Times a receive found no free buffer and had to wait for one.</summary>
    public long Exhaustions { get; private set; }

    /// <summary>
    /// Makes a group of <paramref name="count"/> buffers of <paramref name="size"/> bytes; in kernel-ring mode when
    /// <paramref name="createRing"/> makes a ring (its entries are filled here), else with a free list.
    /// </summary>
    public static ReceiveBufferGroup Create(IOperationOwner owner, int count, int size, Func<int, ProvidedBufferRing?>? createRing)
    {
        var memory = (byte*)NativeMemory.AlignedAlloc((nuint)((long)count * size), (nuint)Environment.SystemPageSize);
        ProvidedBufferRing? ring = null;
        try
        {
            ring = createRing?.Invoke(count);
        }
        catch
        {
            NativeMemory.AlignedFree(memory);
            throw;
        }

        return new ReceiveBufferGroup(owner, memory, count, size, ring);
    }

    /// <summary>Takes a free buffer for a single-shot receive (free-list mode); false when none is free.</summary>
    public bool TryTake(out ushort bufferId)
    {
        Debug.Assert(_ring is null, "In kernel-ring mode the kernel picks the buffers.");
        if (_free.TryPop(out bufferId))
        {
            MarkLent(bufferId);
            return true;
        }

        return false;
    }

    /// <summary>Records that the kernel filled <paramref name="bufferId"/> from the ring: it is lent until returned.</summary>
    public void OnKernelPicked(ushort bufferId) => MarkLent(bufferId);

    /// <summary>The memory of buffer <paramref name="bufferId"/>, for a single-shot receive into it.</summary>
    public Memory<byte> MemoryOf(ushort bufferId) => _slices[bufferId].Memory;

    /// <summary>The generation a lease of <paramref name="bufferId"/> must present to return it.</summary>
    public ushort GenerationOf(ushort bufferId) => _generations[bufferId];

    /// <summary>The first <paramref name="length"/> bytes of buffer <paramref name="bufferId"/>, for a lease.</summary>
    public Memory<byte> Received(ushort bufferId, int length) => _slices[bufferId].Memory[..length];

    /// <summary>
    /// Gives buffer <paramref name="bufferId"/> back, once: a lease that presents an old
    /// <paramref name="generation"/> (returned already) changes nothing. Any thread.
    /// </summary>
    public void Return(ushort bufferId, ushort generation)
    {
        if (!_owner.IsOwnerThread || Volatile.Read(ref _closed))
        {
            ReturnElsewhere(bufferId, generation);
            return;
        }

        if (!TryMarkReturned(bufferId, generation))
        {
            return;
        }

        if (_ring is not null)
        {
            _ring.Add(_slices[bufferId].Pointer, (uint)BufferSize, bufferId, 0);
            _ring.Publish(1);
        }
        else
        {
            _free.Push(bufferId);
        }

        // One receiver per returned buffer: waking them all would have all but one run out again at once.
        while (_waiters.TryDequeue(out IReceiveBufferWaiter? waiter) && !waiter.OnBufferAvailable())
        {
        }
    }

    // Off the owner's thread the buffer goes back through the owner; once the group is closed (the worker has stopped,
    // or is stopping and will not run what is posted) it is only counted back, and the last one frees the memory.
    private void ReturnElsewhere(ushort bufferId, ushort generation)
    {
        if (!Volatile.Read(ref _closed) && _owner.PostToOwner(s_returnPosted, new ReturnRequest(this, bufferId, generation)))
        {
            return;
        }

        lock (_slices)
        {
            if (_closed && TryMarkReturned(bufferId, generation))
            {
                FreeIfIdle();
            }
        }
    }

    private bool TryMarkReturned(ushort bufferId, ushort generation)
    {
        if (!_lent[bufferId] || _generations[bufferId] != generation)
        {
            return false; // returned already: a copy of the lease, disposed twice
        }

        _lent[bufferId] = false;
        _generations[bufferId]++;
        _lentCount--;
        return true;
    }

    /// <summary>Queues <paramref name="waiter"/> until a buffer comes back. Owner thread.</summary>
    public void WaitForBuffer(IReceiveBufferWaiter waiter) => _waiters.Enqueue(waiter);

    /// <summary>Counts a receive that found no buffer (the kernel's ring ran dry, or the free list was empty). Owner thread.</summary>
    public void CountExhaustion() => Exhaustions++;

    /// <summary>Whether a buffer is free now (so a receiver that ran out can go on at once). Owner thread.</summary>
    public bool HasFree => _lentCount < Count;

    /// <summary>
    /// Stops the group when its worker stops: the kernel ring is unregistered (nothing is written into the buffers any
    /// more), waiters are dropped, and the memory is freed once every lease is back.
    /// </summary>
    /// <remarks>
    /// With requests still in flight (a worker whose loop failed), the kernel may yet write into a buffer: the memory
    /// is then never freed, a deliberate leak rather than a write into freed memory.
    /// </remarks>
    public void Close(bool requestsInFlight)
    {
        _ring?.Dispose();
        _waiters.Clear();
        lock (_slices)
        {
            Volatile.Write(ref _closed, true);
            if (requestsInFlight)
            {
                _lentCount = int.MaxValue; // never reaches 0: never freed
            }

            FreeIfIdle();
        }
    }

    private void MarkLent(ushort bufferId)
    {
        Debug.Assert(!_lent[bufferId], "A buffer was lent twice.");
        _lent[bufferId] = true;
        _lentCount++;
    }

    private void FreeIfIdle()
    {
        if (_lentCount == 0)
        {
            NativeMemory.AlignedFree(_memory);
            _lentCount = -1; // freed: never again
        }
    }

    private sealed record ReturnRequest(ReceiveBufferGroup Group, ushort BufferId, ushort Generation);

    // A buffer's memory as a Memory<byte>: one manager per buffer, made once, so a lease allocates nothing.
    private sealed class Slice(byte* pointer, int length) : MemoryManager<byte>
    {
        public byte* Pointer => pointer;

        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
