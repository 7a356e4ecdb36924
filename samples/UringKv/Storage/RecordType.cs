namespace UringKv.Storage;

/// <summary>The kinds of log record.</summary>
internal enum RecordType : byte
{
    /// <summary>The key has this value.</summary>
    Put = 1,

    /// <summary>The key is deleted (a tombstone).</summary>
    Delete = 2,

    /// <summary>FLUSHALL: every record of the shard with a lower sequence number is dead. No key, no value.</summary>
    Flush = 3,
}
