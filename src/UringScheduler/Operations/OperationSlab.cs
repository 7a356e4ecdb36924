using System.Runtime.CompilerServices;

namespace UringScheduler.Operations;

/// <summary>
/// The operations one worker has in flight, indexed by the user_data the kernel hands back: the low 32 bits are the
/// slot, bits 32..62 a generation that changes each time a slot is reused, so a stale user_data (a late cancel
/// request, say) can never reach the slot's next occupant. Bit 63 marks the engine's own internal requests.
/// Touched only by the worker thread.
/// </summary>
internal sealed class OperationSlab
{
    /// <summary>Set in the user_data of requests that do not belong to an operation (cancels, the wake-up read).</summary>
    public const ulong InternalBit = 1UL << 63;

    private IoOperation?[] _slots = new IoOperation?[64];
    private uint[] _generations = new uint[64];
    private int[] _free = new int[64];
    private int _freeCount;
    private int _used;      // slots ever handed out (the high-water mark)
    private int _inFlight;

    /// <summary>Operations currently holding a slot (submitted, completion not yet reaped).</summary>
    public int InFlight => _inFlight;

    /// <summary>Gives <paramref name="op"/> a slot and returns its user_data.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Add(IoOperation op)
    {
        int slot = _freeCount > 0 ? _free[--_freeCount] : NewSlot();
        uint generation = (_generations[slot] + 1) & 0x7FFF_FFFF;
        _generations[slot] = generation;
        _slots[slot] = op;
        _inFlight++;
        ulong userData = (uint)slot | ((ulong)generation << 32);
        op.UserData = userData;
        return userData;
    }

    /// <summary>The operation that owns <paramref name="userData"/>, or null when that incarnation is gone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IoOperation? Find(ulong userData)
    {
        int slot = (int)(uint)userData;
        if ((uint)slot >= (uint)_slots.Length || _generations[slot] != (uint)(userData >> 32))
        {
            return null;
        }

        return _slots[slot];
    }

    /// <summary>Frees the slot of a finished operation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Remove(ulong userData)
    {
        int slot = (int)(uint)userData;
        _slots[slot] = null;
        _free[_freeCount++] = slot;
        _inFlight--;
    }

    /// <summary>Copies the operations in flight (for shutdown).</summary>
    public List<IoOperation> Snapshot()
    {
        var list = new List<IoOperation>(_inFlight);
        for (int i = 0; i < _used; i++)
        {
            if (_slots[i] is IoOperation op)
            {
                list.Add(op);
            }
        }

        return list;
    }

    private int NewSlot()
    {
        if (_used == _slots.Length)
        {
            int size = _slots.Length * 2;
            Array.Resize(ref _slots, size);
            Array.Resize(ref _generations, size);
            Array.Resize(ref _free, size);
        }

        return _used++;
    }
}
