namespace UringScheduler.Operations;

/// <summary>What a request on a socket needs to know of the socket object above it: whether it was disposed meanwhile.</summary>
internal interface ISocketState
{
    /// <summary>Whether the socket was disposed: a request that completes afterwards ends with <see cref="ObjectDisposedException"/>.</summary>
    bool IsDisposed { get; }

    /// <summary>The name the <see cref="ObjectDisposedException"/> carries.</summary>
    string ObjectName { get; }
}
