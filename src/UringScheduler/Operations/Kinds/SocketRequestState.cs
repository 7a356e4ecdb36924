namespace UringScheduler.Operations;

/// <summary>The socket a request belongs to, and what every socket request does with it at completion.</summary>
internal struct SocketRequestState
{
    private ISocketState? _socket;

    public void Set(ISocketState socket) => _socket = socket;

    public void Clear() => _socket = null;

    /// <summary>An <see cref="ObjectDisposedException"/> when the socket was disposed while the request was in flight.</summary>
    public readonly Exception? DisposedError() =>
        _socket is { IsDisposed: true } socket ? new ObjectDisposedException(socket.ObjectName) : null;
}
