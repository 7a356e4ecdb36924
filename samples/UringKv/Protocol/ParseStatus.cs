namespace UringKv.Protocol;

/// <summary>What one call of <see cref="RespParser.TryParse"/> found.</summary>
internal enum ParseStatus
{
    /// <summary>A whole request is in the buffer; its arguments are ready.</summary>
    Complete,

    /// <summary>More bytes are needed; <c>needed</c> says at least how many (from the start of the request).</summary>
    Incomplete,

    /// <summary>The input breaks the protocol or a limit; the connection gets the error and is closed.</summary>
    Error,
}
