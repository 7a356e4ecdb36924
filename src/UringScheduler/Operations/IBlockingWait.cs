namespace UringScheduler.Operations;

/// <summary>
/// How a request run as a blocking call (the fallback engine) waits for its descriptor without blocking where a
/// cancel cannot reach it: the engine's I/O thread polls the descriptor together with its own wake-up.
/// </summary>
internal interface IBlockingWait
{
    /// <summary>Waits until <paramref name="fd"/> is ready for <paramref name="events"/> (POLLIN/POLLOUT); -errno (ECANCELED when cancelled), or 0 when ready.</summary>
    int WaitReady(int fd, short events);
}
