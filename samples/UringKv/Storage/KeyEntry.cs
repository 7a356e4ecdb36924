namespace UringKv.Storage;

/// <summary>
/// The index's entry for one key: where its newest record is, and its value when that is small or not yet written.
/// Touched only by the shard's worker.
/// </summary>
internal sealed class KeyEntry(byte[] key)
{
    public byte[] Key { get; } = key;

    /// <summary>The segment that holds (or will hold, once its batch is written) the newest record.</summary>
    public Segment Segment { get; set; } = null!;

    /// <summary>The record's offset in <see cref="Segment"/>.</summary>
    public long Offset { get; set; }

    public int RecordSize { get; set; }

    public int ValueLength { get; set; }

    public ulong Sequence { get; set; }

    /// <summary>The newest record is a tombstone that is not acknowledged yet: the key reads as absent.</summary>
    public bool IsDeleted { get; set; }

    /// <summary>
    /// The array that holds the value in memory (a slot of the shard's <see cref="ValueArena"/>, or an array of its
    /// own), for values up to the inline limit, values in the cache, and any value until its record is written; null
    /// when the value is only in the log. The value is <see cref="ValueLength"/> bytes at <see cref="ValueOffset"/>.
    /// </summary>
    public byte[]? ValueArray { get; set; }

    public int ValueOffset { get; set; }

    /// <summary>The value in memory (valid until the entry changes: a slot is reused as soon as it is freed).</summary>
    public ReadOnlySpan<byte> Value => ValueArray.AsSpan(ValueOffset, ValueLength);

    /// <summary>The batch of the newest record until that batch is acknowledged; readers wait for it.</summary>
    public CommitBatch? Batch { get; set; }
}
