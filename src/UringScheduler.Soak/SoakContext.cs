using System.Net;

namespace UringScheduler.Soak;

/// <summary>What every loop shares: the runtime, the files, the tallies, the gate and the stop signal.</summary>
internal sealed class SoakContext(UringRuntime runtime, DataSet data, Findings findings, PauseGate gate, int seed)
{
    private int _seeds = seed;
    private volatile bool _stopping;
    private int _activeServerConnections;

    public UringRuntime Runtime { get; } = runtime;

    public DataSet Data { get; } = data;

    public Findings Findings { get; } = findings;

    public PauseGate Gate { get; } = gate;

    public UringBufferPool Buffers => Runtime.Buffers!;

    public bool Stopping => _stopping;

    public EndPoint? TcpEndPoint { get; set; }

    public EndPoint? UnixEndPoint { get; set; }

    public int ActiveServerConnections => Volatile.Read(ref _activeServerConnections);

    public void Stop() => _stopping = true;

    /// <summary>A new seed for a loop's own <see cref="Random"/>, derived from the run's seed.</summary>
    public int NextSeed() => Interlocked.Increment(ref _seeds) * 7919;

    public void ServerConnectionOpened() => Interlocked.Increment(ref _activeServerConnections);

    public void ServerConnectionClosed() => Interlocked.Decrement(ref _activeServerConnections);
}
