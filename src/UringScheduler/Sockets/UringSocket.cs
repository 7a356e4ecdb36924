using System.Net;
using System.Net.Sockets;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// A connected stream socket (TCP or Unix domain) whose receives and sends go through the io_uring ring of the worker
/// that serves it: the worker that accepted or connected it. Awaited on that worker, every receive and send resumes
/// inline on it, with no ThreadPool work item and no allocation. Called from elsewhere, the request still goes to the
/// serving worker's ring and the caller resumes in its own context.
/// </summary>
/// <remarks>
/// Semantics follow <see cref="Socket"/>'s async methods: <see cref="SocketException"/> with the
/// <see cref="SocketError"/> .NET gives on Linux, <see cref="ObjectDisposedException"/> after dispose,
/// <see cref="OperationCanceledException"/> when the token fires (the request is cancelled in the kernel, and the buffer
/// stays owned by the request until the kernel has released it). Disposing the socket ends the requests in flight with
/// <see cref="ObjectDisposedException"/>; the descriptor closes once the last of them has completed.
/// </remarks>
public sealed class UringSocket : IAsyncDisposable, IDisposable, ISocketState
{
    private readonly SocketHandle _socket;
    private readonly UringWorker _worker;
    private readonly EndPoint _family;
    private EndPoint? _localEndPoint;
    private EndPoint? _remoteEndPoint;
    private LeasedReceiver? _receiver;
    private int _disposed;

    private UringSocket(SocketHandle socket, UringWorker worker, EndPoint family)
    {
        _socket = socket;
        _worker = worker;
        _family = family;
    }

    /// <summary>The worker whose ring serves this socket.</summary>
    public UringWorker Worker => _worker;

    /// <summary>The local address, or null when the socket is not bound.</summary>
    public EndPoint? LocalEndPoint => _localEndPoint ??= Volatile.Read(ref _disposed) == 0 ? SocketFactory.ReadEndPoint(_socket, _family, peer: false) : null;

    /// <summary>The peer's address, or null when the socket is not connected.</summary>
    public EndPoint? RemoteEndPoint => _remoteEndPoint ??= Volatile.Read(ref _disposed) == 0 ? SocketFactory.ReadEndPoint(_socket, _family, peer: true) : null;

    /// <summary>Whether small sends go out at once (<c>TCP_NODELAY</c>), for TCP sockets.</summary>
    public bool NoDelay
    {
        get => SocketFactory.GetNoDelay(_socket);
        set => SocketFactory.SetNoDelay(_socket, value);
    }

    bool ISocketState.IsDisposed => Volatile.Read(ref _disposed) != 0;

    string ISocketState.ObjectName => typeof(UringSocket).FullName!;

    /// <summary>Connects to <paramref name="remoteEndPoint"/> through a worker's ring, which then serves the socket.</summary>
    /// <param name="remoteEndPoint">An <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/> (each address is tried in turn) or a <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="cancellationToken">Cancels the connect in the kernel.</param>
    /// <exception cref="SocketException">The connection was refused, timed out or failed otherwise.</exception>
    /// <exception cref="InvalidOperationException">Called outside a worker while no runtime is alive.</exception>
    public static async ValueTask<UringSocket> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        cancellationToken.ThrowIfCancellationRequested();
        UringWorker worker = OperationIssuer.ResolveWorker();
        if (remoteEndPoint is not DnsEndPoint dns)
        {
            return await ConnectOnAsync(worker, remoteEndPoint, cancellationToken);
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(dns.Host, dns.AddressFamily, cancellationToken);
        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            try
            {
                return await ConnectOnAsync(worker, new IPEndPoint(address, dns.Port), cancellationToken);
            }
            catch (SocketException e)
            {
                last = e;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async ValueTask<UringSocket> ConnectOnAsync(UringWorker worker, EndPoint remoteEndPoint, CancellationToken cancellationToken)
    {
        SocketHandle socket = SocketFactory.Create(remoteEndPoint, worker.Runtime.ActiveBackend);
        var connection = new UringSocket(socket, worker, remoteEndPoint);
        try
        {
            SocketAddress address = remoteEndPoint.Serialize();
            await OperationIssuer.Issue<ConnectOperation, ConnectRequest>(worker, new OperationTarget(socket), new ConnectRequest(connection, address.Buffer[..address.Size]), cancellationToken)
                .AsValueTask();
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return connection;
    }

    /// <summary>
    /// Adopts a connected <see cref="Socket"/>: from now on its receives and sends go through a worker's ring (this
    /// worker's on a worker thread, else one of the ambient runtime). The descriptor is taken away from
    /// <paramref name="socket"/>, which must not be used afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The socket is not a connected stream socket.</exception>
    public static UringSocket FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Stream || !socket.Connected)
        {
            throw new ArgumentException("Only a connected stream socket can be adopted.", nameof(socket));
        }

        UringWorker worker = OperationIssuer.ResolveWorker();
        EndPoint family = socket.RemoteEndPoint ?? socket.LocalEndPoint!;
        return new UringSocket(SocketFactory.TakeOver(socket, worker.Runtime.ActiveBackend), worker, family);
    }

    /// <summary>Wraps a descriptor accepted by <paramref name="worker"/>'s ring on a listener bound to <paramref name="listenerEndPoint"/>.</summary>
    internal static UringSocket Adopt(int fd, UringWorker worker, EndPoint listenerEndPoint) =>
        new(new SocketHandle(fd), worker, listenerEndPoint);

    /// <summary>Receives into <paramref name="buffer"/>.</summary>
    /// <returns>The bytes received: 0 when the peer has closed its side (or at once, for an empty buffer).</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed (also when that happens while the receive waits).</exception>
    /// <exception cref="SocketException">The connection failed, e.g. <see cref="SocketError.ConnectionReset"/>.</exception>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return new ValueTask<int>(0);
        }

        if (Volatile.Read(ref _receiver) is not null)
        {
            ThrowHelper.ThrowInvalidOperationException_SocketReceivesLeased();
        }

        return OperationIssuer.Issue<ReceiveOperation, ReceiveRequest>(_worker, new OperationTarget(_socket), new ReceiveRequest(this, buffer), cancellationToken)
            .AsValueTaskOfInt();
    }

    /// <summary>
    /// Receives into a buffer lent by the socket's worker, for servers with many connections: no buffer of the caller's
    /// waits on each idle connection, and with a provided buffer ring (Linux 6.0) one multishot receive stays armed,
    /// so the socket costs no submission per receive. Dispose the lease once the data is processed.
    /// </summary>
    /// <param name="cancellationToken">Ends this wait with <see cref="OperationCanceledException"/>; data that arrives later is kept for the next call.</param>
    /// <returns>The data received; a lease with <see cref="UringReceivedBuffer.IsEndOfStream"/> when the peer has closed its side.</returns>
    /// <remarks>
    /// Call it on the socket's <see cref="Worker"/>, one call at a time. Once a socket receives this way, data is taken
    /// into leased buffers as it arrives, so <see cref="ReceiveAsync"/> can no longer be used on it. The buffers come
    /// from <see cref="UringRuntimeOptions.ReceiveBufferCount"/> per worker, shared by its sockets: leases kept too
    /// long stop every leased socket of the worker from receiving until one is disposed.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The socket was disposed (also when that happens while the call waits).</exception>
    /// <exception cref="SocketException">The connection failed, e.g. <see cref="SocketError.ConnectionReset"/>.</exception>
    /// <exception cref="InvalidOperationException">Called off the socket's worker, or while another call waits.</exception>
    public ValueTask<UringReceivedBuffer> ReceiveBufferAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!_worker.IsCurrentThread)
        {
            ThrowHelper.ThrowInvalidOperationException_NotOnSocketWorker();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<UringReceivedBuffer>(cancellationToken);
        }

        LeasedReceiver? receiver = _receiver;
        if (receiver is null)
        {
            receiver = new LeasedReceiver(this, _socket, _worker);
            Volatile.Write(ref _receiver, receiver);
            if (Volatile.Read(ref _disposed) != 0)
            {
                receiver.OnSocketDisposed(); // disposed meanwhile, from another thread that saw no receiver yet
            }
        }

        return receiver.ReceiveAsync(cancellationToken);
    }

    /// <summary>Sends all of <paramref name="buffer"/>, resubmitting the rest after a short send.</summary>
    /// <returns>The bytes sent: the buffer's length.</returns>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The connection failed, e.g. <see cref="SocketError.ConnectionReset"/> or <see cref="SocketError.Shutdown"/>.</exception>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return new ValueTask<int>(0);
        }

        return OperationIssuer.Issue<SendOperation, SendRequest>(_worker, new OperationTarget(_socket), new SendRequest(this, buffer), cancellationToken)
            .AsValueTaskOfInt();
    }

    /// <summary>Shuts down sending, receiving or both (<c>shutdown(2)</c>): a shut down send side tells the peer that no more data comes.</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    /// <exception cref="SocketException">The socket is not connected.</exception>
    public void Shutdown(SocketShutdown how)
    {
        ThrowIfDisposed();
        int errno = SocketFactory.Shutdown(_socket, how);
        if (errno != 0)
        {
            throw SocketErrors.FromErrno(errno);
        }
    }

    /// <summary>A <see cref="Stream"/> over this socket, for protocol code written against streams. Disposing it disposes the socket.</summary>
    public Stream AsStream() => new UringSocketStream(this);

    /// <summary>
    /// An <see cref="System.IO.Pipelines.IDuplexPipe"/> over this socket, for protocol code written against
    /// System.IO.Pipelines: receives and sends run on this socket's worker (see <see cref="UringDuplexPipe"/>). Disposing
    /// the pipe disposes the socket; receive and send on the socket only through the pipe from now on.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public UringDuplexPipe AsDuplexPipe(UringPipeOptions? options = null) => UringDuplexPipe.Create(this, options);

    /// <summary>Closes the socket: requests in flight end with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            SocketFactory.ShutdownAndDispose(_socket);
            Volatile.Read(ref _receiver)?.OnSocketDisposed();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override string ToString() => $"UringSocket {LocalEndPoint} -> {RemoteEndPoint} (worker {_worker.Id})";

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(typeof(UringSocket).FullName);
        }
    }
}
