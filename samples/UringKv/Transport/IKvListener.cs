using System.Net;

namespace UringKv.Transport;

/// <summary>The listening endpoint. Every worker runs an accept loop on it and serves what it accepts.</summary>
internal interface IKvListener : IAsyncDisposable
{
    /// <summary>The bound address (the real port when bound to port 0).</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>The next connection, for the calling worker.</summary>
    ValueTask<IKvConnection> AcceptAsync(CancellationToken cancellationToken);
}
