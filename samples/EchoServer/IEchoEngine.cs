using System.Net;

namespace EchoServer;

/// <summary>
/// One way of running the echo server: it binds, accepts connections and echoes every byte it receives on each of
/// them until it is stopped. Each engine lives in one file; the program around it (options, signals, statistics) is
/// shared.
/// </summary>
internal interface IEchoEngine : IAsyncDisposable
{
    /// <summary>The name given to <c>--engine</c>.</summary>
    string Name { get; }

    /// <summary>The address connections are accepted on, with the real port when bound to port 0.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>Binds to <paramref name="endPoint"/> and starts accepting; returns once connections are accepted.</summary>
    void Start(IPEndPoint endPoint, int workers, int backlog);

    /// <summary>Stops accepting, closes every open connection and waits for their loops to end.</summary>
    /// <returns>The connections accepted and the bytes echoed since <see cref="Start"/>.</returns>
    Task<EchoTotals> StopAsync();
}

/// <summary>What an engine served: connections accepted and bytes echoed back.</summary>
internal readonly record struct EchoTotals(long Connections, long Bytes);
