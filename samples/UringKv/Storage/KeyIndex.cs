using System.IO.Hashing;

namespace UringKv.Storage;

/// <summary>
/// A shard's index: its keys' entries in an open-addressing hash table (linear probing), each slot holding the key's
/// hash beside the entry. A lookup reads one slot (the first probe hits in most cases), compares the hash there and
/// only then follows the entry to its key, so a miss usually costs one cache line and a hit two (the slot, then the
/// entry and its key). A general dictionary reads a bucket and then an entry array before it reaches the key. Only
/// the shard's worker touches it.
/// </summary>
/// <remarks>
/// Removal shifts the following slots of the probe run back (no tombstones), so a table that sees many deletes
/// stays as short to probe as a fresh one. The table doubles when it is three quarters full and never shrinks
/// (except on <see cref="Clear"/>).
/// </remarks>
internal sealed class KeyIndex
{
    // A seed of its own, so that the index's hash is independent of the hash that chose the shard.
    private const long Seed = 0x5eed_0f_1dc5;

    private const int MinimumCapacity = 16;

    private Slot[] _slots = new Slot[MinimumCapacity];
    private int _count;

    /// <summary>The number of entries.</summary>
    public int Count => _count;

    /// <summary>The hash the index files <paramref name="key"/> under.</summary>
    public static int HashOf(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, Seed);

    /// <summary>The entry of <paramref name="key"/>, or null.</summary>
    public KeyEntry? Find(ReadOnlySpan<byte> key)
    {
        int hash = HashOf(key);
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        int i = hash & mask;
        while (true)
        {
            ref Slot slot = ref slots[i];
            KeyEntry? entry = slot.Entry;
            if (entry is null)
            {
                return null;
            }

            if (slot.Hash == hash && key.SequenceEqual(entry.Key))
            {
                return entry;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>Adds an entry whose key is not in the index yet.</summary>
    public void Add(KeyEntry entry)
    {
        if (_count + 1 > (_slots.Length >> 2) * 3)
        {
            Resize(_slots.Length * 2);
        }

        int hash = HashOf(entry.Key);
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        int i = hash & mask;
        while (slots[i].Entry is KeyEntry other)
        {
            if (slots[i].Hash == hash && other.Key.AsSpan().SequenceEqual(entry.Key))
            {
                throw new InvalidOperationException("the key is already in the index");
            }

            i = (i + 1) & mask;
        }

        slots[i] = new Slot(entry, hash);
        _count++;
    }

    /// <summary>Whether <paramref name="entry"/> itself (not merely an entry of the same key) is in the index.</summary>
    public bool Contains(KeyEntry entry) => IndexOf(entry) >= 0;

    /// <summary>Removes <paramref name="entry"/> itself; false when it is not in the index.</summary>
    public bool Remove(KeyEntry entry)
    {
        int i = IndexOf(entry);
        if (i < 0)
        {
            return false;
        }

        // Backward shift: every later slot of the probe run whose home is not between the hole and itself moves into
        // the hole, so that each entry stays reachable from its home without a tombstone.
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (slots[j].Entry is null)
            {
                break;
            }

            int home = slots[j].Hash & mask;
            bool staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!staysPut)
            {
                slots[hole] = slots[j];
                hole = j;
            }
        }

        slots[hole] = default;
        _count--;
        return true;
    }

    /// <summary>Removes every entry and gives the table's memory back.</summary>
    public void Clear()
    {
        _slots = new Slot[MinimumCapacity];
        _count = 0;
    }

    /// <summary>A copy of the entries, in no particular order (the index may then change while the copy is used).</summary>
    public KeyEntry[] ToArray()
    {
        var entries = new KeyEntry[_count];
        int n = 0;
        foreach (Slot slot in _slots)
        {
            if (slot.Entry is KeyEntry entry)
            {
                entries[n++] = entry;
            }
        }

        return entries;
    }

    private int IndexOf(KeyEntry entry)
    {
        int hash = HashOf(entry.Key);
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        int i = hash & mask;
        while (slots[i].Entry is KeyEntry other)
        {
            if (ReferenceEquals(other, entry))
            {
                return i;
            }

            i = (i + 1) & mask;
        }

        return -1;
    }

    private void Resize(int capacity)
    {
        Slot[] old = _slots;
        var slots = new Slot[capacity];
        int mask = capacity - 1;
        foreach (Slot slot in old)
        {
            if (slot.Entry is not null)
            {
                int i = slot.Hash & mask;
                while (slots[i].Entry is not null)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = slot;
            }
        }

        _slots = slots;
    }

    private readonly record struct Slot(KeyEntry? Entry, int Hash);
}
