using System.Net;
using System.Net.Sockets;
using UringScheduler.Operations;

namespace UringScheduler;

/// <summary>
/// A listening TCP (IPv4, IPv6) or Unix domain socket whose connections are accepted on the runtime's rings: a
/// connection accepted by a worker is served by that worker's ring from then on, so a per-core service receives,
/// processes and answers on one thread with no hop through .NET's socket engine or the ThreadPool.
/// </summary>
/// <remarks>
/// By default one listening socket is shared by every worker: each worker that calls <see cref="AcceptAsync"/> keeps an
/// <c>ACCEPT</c> pending on its own ring, and the kernel hands each new connection to one of the waiting accepts, so a
/// connection never waits behind a worker that does not accept. <see cref="UringListenerDistribution.PerWorker"/> gives
/// each worker a socket of its own on the same port instead (<c>SO_REUSEPORT</c>), for an even spread. Disposing the
/// listener ends pending accepts with <see cref="ObjectDisposedException"/>; connections already accepted are not
/// affected.
/// <para>
/// Where the kernel has multishot accept (Linux 5.19) and a socket is accepted from by one worker only
/// (<see cref="UringListenerDistribution.PerWorker"/>, or a runtime of one worker), the worker's first
/// <see cref="AcceptAsync"/> arms one accept that stays on its ring and takes each connection as it arrives, with no submission per connection; connections accepted
/// while no call waits are queued for the next call. Once <c>16</c> are queued the accept is cancelled (connections
/// the kernel accepted before the cancel took effect are queued too) and the rest wait in the kernel's backlog for
/// any worker; the next call that finds the queue empty arms it again. Cancelling a call ends that call only: a
/// connection accepted meanwhile goes to the next call. Disposing the listener closes queued connections.
/// </para>
/// </remarks>
public sealed class UringListener : IAsyncDisposable, IDisposable, ISocketState
{
    private readonly UringRuntime _runtime;
    // One socket shared by every worker, or one per worker (indexed by worker id).
    private readonly SocketHandle[] _sockets;
    private readonly CancellationTokenSource _disposing = new();

    // Per worker, on kernels with multishot accept: made by the worker's first accept on its own thread.
    private readonly MultishotAcceptor?[] _acceptors;
    private int _disposed;

    private UringListener(UringRuntime runtime, SocketHandle[] sockets, EndPoint localEndPoint)
    {
        _runtime = runtime;
        _sockets = sockets;
        _acceptors = new MultishotAcceptor?[runtime.Workers.Count];
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The address the listener is bound to, with the real port when it was bound to port 0.</summary>
    public EndPoint LocalEndPoint { get; }

    /// <summary>How connections are spread over the workers.</summary>
    public UringListenerDistribution Distribution => _sockets.Length > 1 ? UringListenerDistribution.PerWorker : UringListenerDistribution.Shared;

    bool ISocketState.IsDisposed => Volatile.Read(ref _disposed) != 0;

    string ISocketState.ObjectName => typeof(UringListener).FullName!;

    /// <summary>Binds a socket to <paramref name="endPoint"/> and listens, for the workers of <paramref name="runtime"/> to accept on.</summary>
    /// <param name="runtime">The runtime whose workers accept and serve the connections.</param>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> (port 0 picks a free port) or a <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="backlog">The kernel's queue of connections not yet accepted.</param>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public static UringListener Bind(UringRuntime runtime, EndPoint endPoint, int backlog = 512) =>
        Bind(runtime, endPoint, new UringListenerOptions { Backlog = backlog });

    /// <summary>Binds and listens on <paramref name="endPoint"/> as <paramref name="options"/> say, for the workers of <paramref name="runtime"/> to accept on.</summary>
    /// <param name="runtime">The runtime whose workers accept and serve the connections.</param>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> (port 0 picks a free port) or a <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="options">The backlog and how connections are spread over the workers.</param>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public static UringListener Bind(UringRuntime runtime, EndPoint endPoint, UringListenerOptions options)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Backlog);
        bool perWorker = options.Distribution == UringListenerDistribution.PerWorker && endPoint is IPEndPoint && runtime.Workers.Count > 1;
        var sockets = new List<SocketHandle>();
        try
        {
            EndPoint bound = endPoint;
            EndPoint? local = null;
            for (int i = 0; i < (perWorker ? runtime.Workers.Count : 1); i++)
            {
                SocketHandle socket = SocketFactory.Create(endPoint, runtime.ActiveBackend);
                sockets.Add(socket);

                // The first socket picks the port when asked for port 0; the others join it.
                SocketFactory.BindAndListen(socket, bound, options.Backlog, reusePort: perWorker);
                if (local is null)
                {
                    local = SocketFactory.ReadEndPoint(socket, endPoint, peer: false) ?? endPoint;
                    bound = local;
                }
            }

            return new UringListener(runtime, sockets.ToArray(), local!);
        }
        catch
        {
            foreach (SocketHandle socket in sockets)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Accepts the next connection. On a worker of the listener's runtime, the connection is accepted by this worker's
    /// ring and served by it from then on; elsewhere a worker is chosen round robin and the caller resumes in its own
    /// context.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token fired first (the accept is cancelled in the kernel).</exception>
    public ValueTask<UringSocket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<UringSocket>(cancellationToken);
        }

        UringWorker? current = UringWorker.Current;
        if (current is not null && ReferenceEquals(current.Runtime, _runtime) && UsesMultishotAccept(current))
        {
            return AcceptorOf(current).AcceptAsync(cancellationToken);
        }

        UringWorker worker = current is not null && ReferenceEquals(current.Runtime, _runtime) ? current : _runtime.NextWorker();
        return AcceptOnAsync(worker, cancellationToken);
    }

    // Only where one worker accepts from the socket: a per-worker socket, or a runtime of one worker. On a socket shared
    // by several workers, an armed multishot accept stays first in the kernel's queue of waiting accepts and takes
    // nearly every connection (measured in docs/networking.md); single accepts, re-queued behind the others after
    // each connection, spread them.
    internal bool UsesMultishotAccept(UringWorker worker) =>
        (_sockets.Length > 1 || _runtime.Workers.Count == 1) && worker.Engine.SupportsMultishotAccept;

    private MultishotAcceptor AcceptorOf(UringWorker worker)
    {
        MultishotAcceptor? acceptor = _acceptors[worker.Id];
        if (acceptor is null)
        {
            acceptor = new MultishotAcceptor(this, _sockets[_sockets.Length == 1 ? 0 : worker.Id], worker);
            Volatile.Write(ref _acceptors[worker.Id], acceptor);
            if (Volatile.Read(ref _disposed) != 0)
            {
                acceptor.OnListenerDisposed(); // disposed meanwhile, by a thread that saw no acceptor yet
            }
        }

        return acceptor;
    }

    // A pending accept is ended by cancelling it in the kernel when the listener is disposed: shutting a listening
    // socket down does not wake accepts on every kind of socket (Unix domain sockets ignore it).
    private async ValueTask<UringSocket> AcceptOnAsync(UringWorker worker, CancellationToken cancellationToken)
    {
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token)
            : null;
        CancellationToken token = linked?.Token ?? _disposing.Token;
        int fd;
        try
        {
            SocketHandle socket = _sockets[_sockets.Length == 1 ? 0 : worker.Id];
            fd = await OperationIssuer.Issue<AcceptOperation, AcceptRequest>(worker, new OperationTarget(socket), new AcceptRequest(this), token)
                .AsValueTaskOfInt();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return UringSocket.Adopt(fd, worker, LocalEndPoint);
    }

    /// <summary>Stops listening: pending accepts end with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _disposing.Cancel();
            for (int i = 0; i < _acceptors.Length; i++)
            {
                Volatile.Read(ref _acceptors[i])?.OnListenerDisposed();
            }

            foreach (SocketHandle socket in _sockets)
            {
                SocketFactory.ShutdownAndDispose(socket);
            }

            if (LocalEndPoint is UnixDomainSocketEndPoint unix && unix.ToString() is string path && path.Length > 0 && path[0] != '\0' && path[0] != '@')
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(typeof(UringListener).FullName);
        }
    }
}
