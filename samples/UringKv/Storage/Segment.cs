using UringScheduler;

namespace UringKv.Storage;

/// <summary>One append-only file of a shard's log. Touched only by the shard's worker.</summary>
internal sealed class Segment(int id, string path)
{
    public int Id { get; } = id;

    public string Path { get; } = path;

    /// <summary>Open once the first batch was written (or at recovery).</summary>
    public UringFile? File { get; set; }

    /// <summary>A second descriptor with <c>O_DIRECT</c>, for value reads (<c>--direct-reads</c>); opened at the first.</summary>
    public UringFile? DirectFile { get; set; }

    /// <summary>The file system refused <c>O_DIRECT</c>: values are read through <see cref="File"/>.</summary>
    public bool DirectRefused { get; set; }

    /// <summary>Bytes appended, written or not.</summary>
    public long Length { get; set; }

    /// <summary>Bytes written to the file.</summary>
    public long WrittenLength { get; set; }

    /// <summary>Bytes of records that no longer count: overwritten or deleted values, tombstones, flush marks.</summary>
    public long DeadBytes { get; set; }

    public ulong MinSequence { get; set; } = ulong.MaxValue;

    /// <summary>The segment new writes go to.</summary>
    public bool IsActive { get; set; }

    /// <summary>Batches appended and not yet written.</summary>
    public int PendingBatches { get; set; }

    /// <summary>Reads in flight; a segment that compaction replaced is deleted when the last one ends.</summary>
    public int Readers { get; set; }

    /// <summary>Replaced by a compaction; deleted as soon as no read uses it.</summary>
    public bool IsObsolete { get; set; }

    /// <summary>Written since the last fdatasync (everysec).</summary>
    public bool NeedsSync { get; set; }

    /// <summary>Closed to writes and fully written: a candidate for compaction.</summary>
    public bool IsSealed => !IsActive && PendingBatches == 0 && !IsObsolete;

    public void NoteSequence(ulong sequence)
    {
        if (sequence < MinSequence)
        {
            MinSequence = sequence;
        }
    }

    public override string ToString() => $"segment {Id} ({Length} bytes, {DeadBytes} dead)";
}
