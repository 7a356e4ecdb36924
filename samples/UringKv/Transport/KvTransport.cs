using System.Net;
using System.Net.Sockets;
using UringScheduler;

namespace UringKv.Transport;

/// <summary>
/// The transport seam: the one file that knows how connections are accepted, read and written.
/// </summary>
/// <remarks>
/// Connections are accepted, received and sent on the workers' io_uring rings (<see cref="UringListener"/>,
/// <see cref="UringSocket"/>): a connection is served by the worker that accepted it, and every receive and send
/// resumes inline on that worker, with no ThreadPool work item and no hop between threads.
/// </remarks>
internal static class KvTransport
{
    /// <summary>What INFO reports as the transport.</summary>
    public const string Name = "io_uring";

    /// <summary>Binds and listens on <paramref name="endPoint"/> for the workers of <paramref name="runtime"/>.</summary>
    /// <remarks>Every worker accepts (one loop per shard), so each gets a listening socket of its own: an even spread.</remarks>
    public static IKvListener Bind(UringRuntime runtime, EndPoint endPoint, int backlog = 512) =>
        new RingListener(UringListener.Bind(runtime, endPoint, new UringListenerOptions { Backlog = backlog, Distribution = UringListenerDistribution.PerWorker }));

    private sealed class RingListener(UringListener listener) : IKvListener
    {
        public EndPoint LocalEndPoint => listener.LocalEndPoint;

        public async ValueTask<IKvConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            UringSocket accepted = await listener.AcceptAsync(cancellationToken);
            if (accepted.LocalEndPoint?.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                // Pipelined small replies must not wait for Nagle.
                accepted.NoDelay = true;
            }

            return new RingConnection(accepted);
        }

        public ValueTask DisposeAsync() => listener.DisposeAsync();
    }

    private sealed class RingConnection(UringSocket socket) : IKvConnection
    {
        public EndPoint? RemoteEndPoint { get; } = socket.RemoteEndPoint;

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            socket.ReceiveAsync(buffer, cancellationToken);

        public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
            socket.SendAsync(buffer, cancellationToken);

        public void Dispose() => socket.Dispose();
    }
}
