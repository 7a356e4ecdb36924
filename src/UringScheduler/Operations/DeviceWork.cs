namespace UringScheduler.Operations;

/// <summary>What a request asks of the storage device behind its file, for the I/O scheduler's cost model.</summary>
internal enum DeviceWork : byte
{
    /// <summary>Nothing: not a file request (a socket, a no-op, an open).</summary>
    None,

    /// <summary>A read.</summary>
    Read,

    /// <summary>A write.</summary>
    Write,

    /// <summary>A flush to stable storage (<c>fsync</c>, <c>fdatasync</c>).</summary>
    Flush,
}
