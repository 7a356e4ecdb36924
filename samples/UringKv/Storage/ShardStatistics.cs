namespace UringKv.Storage;

/// <summary>
/// Counters of one shard. Each is written by the shard's worker only and read racily by INFO and the meter (64-bit
/// reads are atomic; a figure may be a moment old).
/// </summary>
internal sealed class ShardStatistics(int shard)
{
    public int Shard { get; } = shard;

    /// <summary>Commands received by the connections of this shard's worker.</summary>
    public long Commands;

    /// <summary>Connections accepted by this shard's worker.</summary>
    public long Connections;

    /// <summary>Key operations run on this shard (a multi-key command counts once per key it has here).</summary>
    public long Operations;

    /// <summary>Requests this shard's worker sent to another shard.</summary>
    public long ForwardedOut;

    /// <summary>Requests this shard ran for a connection on another worker.</summary>
    public long ForwardedIn;

    /// <summary>Records appended to the log (puts, tombstones, flush marks).</summary>
    public long Records;

    /// <summary>Batches written (one write call each).</summary>
    public long Batches;

    /// <summary>fdatasync calls on the log.</summary>
    public long Fsyncs;

    /// <summary>Records made durable by those fdatasync calls (Records per fsync = this / Fsyncs).</summary>
    public long SyncedRecords;

    /// <summary>Bytes appended to the log by writes.</summary>
    public long LogBytes;

    /// <summary>Values read from the log files (not from memory).</summary>
    public long DiskReads;

    /// <summary>Bytes of values held in memory (small values, values being written, and the value cache).</summary>
    public long ValueBytes;

    public long Compactions;

    /// <summary>Bytes of log freed by compaction.</summary>
    public long CompactionReclaimedBytes;

    /// <summary>Bytes of torn or corrupt log tail dropped at recovery.</summary>
    public long TruncatedBytes;

    public long Keys;

    public long Segments;

    /// <summary>Bytes of all segment files.</summary>
    public long DiskBytes;
}
