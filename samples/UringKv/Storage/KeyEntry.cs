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

    /// <summary>The value, for values up to the inline limit, and for any value until its record is written.</summary>
    public byte[]? Value { get; set; }

    /// <summary>The batch of the newest record until that batch is acknowledged; readers wait for it.</summary>
    public CommitBatch? Batch { get; set; }
}
