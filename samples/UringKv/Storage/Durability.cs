namespace UringKv.Storage;

/// <summary>When a write is acknowledged, as Redis's <c>appendfsync</c>.</summary>
internal enum Durability
{
    /// <summary>After the fdatasync that covers its record (group commit: one per batch of writes).</summary>
    Always,

    /// <summary>After its record is written to the file; a background fdatasync runs once a second.</summary>
    EverySecond,

    /// <summary>After its record is written to the file; the kernel decides when it reaches the disk.</summary>
    No,
}
