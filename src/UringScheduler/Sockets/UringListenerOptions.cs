namespace UringScheduler;

/// <summary>Options of <see cref="UringListener.Bind(UringRuntime, System.Net.EndPoint, UringListenerOptions)"/>.</summary>
public sealed class UringListenerOptions
{
    /// <summary>The kernel's queue of connections not yet accepted, per listening socket. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>How connections are spread over the workers. Default <see cref="UringListenerDistribution.Shared"/>.</summary>
    public UringListenerDistribution Distribution { get; set; } = UringListenerDistribution.Shared;
}
