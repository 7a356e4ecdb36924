namespace UringKv.Storage;

/// <summary>How a shard stores its log.</summary>
internal sealed class StoreOptions
{
    /// <summary>The data folder; each shard keeps its segments in a sub-folder <c>shard-NN</c>.</summary>
    public required string Directory { get; init; }

    public Durability Durability { get; init; } = Durability.Always;

    /// <summary>A segment rolls over to a new file once it reaches this size.</summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>A closed segment is compacted once this share of its bytes is dead (overwritten or deleted).</summary>
    public double CompactionDeadRatio { get; init; } = 0.5;

    /// <summary>How often each shard looks for segments to compact; zero or less: never in the background.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Values up to this size stay in memory with their key (cheaper than the disk location beside them).</summary>
    public int InlineValueLimit { get; init; } = 32;

    /// <summary>
    /// Memory a shard may use to keep larger values beside their keys once they are written, so GET answers them
    /// without reading the log. Past it, newly written values are read back from the log when asked for.
    /// </summary>
    public long ValueCacheBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>
    /// Values not in memory are read with <c>O_DIRECT</c> (a second descriptor per segment), past the page cache: for
    /// data sets larger than the memory the server may use. Where the file system refuses it, reads stay buffered.
    /// </summary>
    public bool DirectReads { get; init; }
}
