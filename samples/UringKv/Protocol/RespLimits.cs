namespace UringKv.Protocol;

/// <summary>
/// The limits the parser enforces on what a client may send, checked before anything is allocated for it.
/// </summary>
internal static class RespLimits
{
    /// <summary>Longest bulk string (Redis's <c>proto-max-bulk-len</c>, 512 MB there): 16 MiB here.</summary>
    public const int MaxBulkLength = 16 * 1024 * 1024;

    /// <summary>Most arguments in one multibulk request (Redis's own bound).</summary>
    public const int MaxMultiBulkCount = 1024 * 1024;

    /// <summary>Longest inline command line, and longest <c>*N</c>/<c>$N</c> header line (Redis's <c>PROTO_INLINE_MAX_SIZE</c>).</summary>
    public const int MaxInlineLength = 64 * 1024;

    /// <summary>Most bytes one request may occupy in a connection's input buffer (Redis's query-buffer limit, 1 GB there).</summary>
    public const int MaxRequestBytes = 64 * 1024 * 1024;
}
