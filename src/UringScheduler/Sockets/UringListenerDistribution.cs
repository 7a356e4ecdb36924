namespace UringScheduler;

/// <summary>How a <see cref="UringListener"/> hands connections to the workers.</summary>
public enum UringListenerDistribution
{
    /// <summary>
    /// One listening socket shared by every worker: each worker that accepts keeps an <c>ACCEPT</c> pending on it and
    /// the kernel gives each connection to one of them. No connection waits behind a worker that does not accept, but
    /// the spread follows who is waiting first and is uneven for few connections (see docs/networking.md).
    /// </summary>
    Shared,

    /// <summary>
    /// One listening socket per worker on the same port (<c>SO_REUSEPORT</c>): the kernel spreads connections over the
    /// workers by a hash of their addresses, and a worker accepts only from its own socket. Every worker must then
    /// accept, or the connections hashed to it wait in its backlog. TCP only; a Unix domain listener is always shared.
    /// </summary>
    PerWorker,
}
