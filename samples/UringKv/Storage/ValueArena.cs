using System.Numerics;

namespace UringKv.Storage;

/// <summary>
/// The values a shard keeps in memory, copied into slots of large reused slabs instead of one array each: storing a
/// value allocates nothing once the slabs exist, and the garbage collector sees a few long-lived arrays instead of one
/// short-lived array per write (which it would copy when promoting it, and find through the card table of the old
/// entry that points at it). Only the shard's worker touches it.
/// </summary>
/// <remarks>
/// Slots come in size classes (16-byte steps up to 256 bytes, then four classes per doubling up to
/// <see cref="MaxSlotSize"/>), each class with its own slabs and a free list: a freed slot is the next one its class
/// hands out. A slot's bytes change as soon as it is freed, so whoever needs a value beyond the moment (a reply)
/// copies it. Empty values and values larger than <see cref="MaxSlotSize"/> get an array of their own, which is never
/// written again. Slabs are kept for the life of the arena (until <see cref="Clear"/>): its memory is the peak of
/// the values it held, rounded up to the slot sizes.
/// </remarks>
internal sealed class ValueArena
{
    /// <summary>The largest value kept in a slot; larger ones are copied into an array of their own.</summary>
    public const int MaxSlotSize = 4096;

    /// <summary>Below the large object heap's threshold: a slab is allocated and promoted like any other array.</summary>
    private const int SlabSize = 64 * 1024;

    private const int ClassCount = 32;

    private readonly SizeClass[] _classes = new SizeClass[ClassCount];

    /// <summary>Bytes of slabs allocated.</summary>
    public long SlabBytes { get; private set; }

    /// <summary>Whether a value of this length lives in a slab slot (else in an array of its own).</summary>
    public static bool UsesSlot(int length) => length is > 0 and <= MaxSlotSize;

    /// <summary>The size of the slot that holds a value of <paramref name="length"/> bytes (1 to <see cref="MaxSlotSize"/>).</summary>
    public static int SlotSize(int length) => SizeOfClass(ClassOf(length));

    /// <summary>
    /// Copies <paramref name="value"/> into a slot (or an array of its own) and returns the array that holds it;
    /// the value is at <paramref name="offset"/>, with the length of <paramref name="value"/>.
    /// </summary>
    public byte[] Store(ReadOnlySpan<byte> value, out int offset)
    {
        if (!UsesSlot(value.Length))
        {
            offset = 0;
            return value.Length == 0 ? [] : value.ToArray();
        }

        int index = ClassOf(value.Length);
        SizeClass sizeClass = _classes[index] ??= new SizeClass(SizeOfClass(index));
        byte[] slab = sizeClass.Take(out offset, this);
        value.CopyTo(slab.AsSpan(offset));
        return slab;
    }

    /// <summary>
    /// Gives back the slot of a value that <see cref="Store"/> returned (<paramref name="length"/> is the value's);
    /// an array of its own is left to the garbage collector.
    /// </summary>
    public void Free(byte[] array, int offset, int length)
    {
        if (UsesSlot(length))
        {
            _classes[ClassOf(length)].Free(array, offset);
        }
    }

    /// <summary>Drops every slab: no value stored before is used any more.</summary>
    public void Clear()
    {
        Array.Clear(_classes);
        SlabBytes = 0;
    }

    private static int ClassOf(int length)
    {
        if (length <= 256)
        {
            return ((length + 15) >> 4) - 1;
        }

        int log = BitOperations.Log2((uint)(length - 1)); // 8 to 11
        int quarter = (length - 1) >> (log - 2);           // 4 to 7
        return 16 + ((log - 8) * 4) + (quarter - 4);
    }

    private static int SizeOfClass(int index)
    {
        if (index < 16)
        {
            return (index + 1) * 16;
        }

        int log = 8 + ((index - 16) >> 2);
        int quarter = 4 + ((index - 16) & 3);
        return (quarter + 1) << (log - 2);
    }

    private sealed class SizeClass(int slotSize)
    {
        private readonly Stack<(byte[] Slab, int Offset)> _free = new();
        private byte[]? _current;
        private int _next;

        public byte[] Take(out int offset, ValueArena arena)
        {
            if (_free.TryPop(out (byte[] Slab, int Offset) slot))
            {
                offset = slot.Offset;
                return slot.Slab;
            }

            if (_current is null || _next + slotSize > _current.Length)
            {
                _current = GC.AllocateUninitializedArray<byte>(SlabSize - (SlabSize % slotSize));
                arena.SlabBytes += _current.Length;
                _next = 0;
            }

            offset = _next;
            _next += slotSize;
            return _current;
        }

        public void Free(byte[] slab, int offset) => _free.Push((slab, offset));
    }
}
