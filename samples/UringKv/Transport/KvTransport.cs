using System.Net;
using System.Net.Sockets;
using UringScheduler;

namespace UringKv.Transport;

/// <summary>
/// The transport seam: the one file that knows how connections are accepted, read and written.
/// </summary>
/// <remarks>
/// This version serves connections with <see cref="System.Net.Sockets"/>. The accept loop and each connection run
/// on a worker and await on it, so their code continues on that worker (its <see cref="SynchronizationContext"/>),
/// but every completion comes from .NET's socket engine (its epoll thread hands it to the ThreadPool) and reaches the
/// worker through a post: a ThreadPool work item and a cross-thread hop per receive. A transport on the rings' own sockets replaces the two classes below (and the
/// <see cref="Bind"/> body) and nothing else.
/// </remarks>
internal static class KvTransport
{
    /// <summary>What INFO reports as the transport.</summary>
    public const string Name = "system.net.sockets";

    /// <summary>Binds and listens on <paramref name="endPoint"/> for the workers of <paramref name="runtime"/>.</summary>
    public static IKvListener Bind(UringRuntime runtime, EndPoint endPoint, int backlog = 512)
    {
        _ = runtime; // connections are served by the worker that accepts them
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (endPoint is IPEndPoint)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new SocketsListener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class SocketsListener(Socket socket) : IKvListener
    {
        public EndPoint LocalEndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<IKvConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            Socket accepted = await socket.AcceptAsync(cancellationToken);
            if (accepted.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                accepted.NoDelay = true;
            }

            return new SocketsConnection(accepted);
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class SocketsConnection(Socket socket) : IKvConnection
    {
        public EndPoint? RemoteEndPoint { get; } = socket.RemoteEndPoint;

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

        public async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        {
            while (!buffer.IsEmpty)
            {
                int sent = await socket.SendAsync(buffer, SocketFlags.None, cancellationToken);
                buffer = buffer[sent..];
            }
        }

        public void Dispose() => socket.Dispose();
    }
}
