namespace UringScheduler.Operations;

/// <summary>
/// A request that can be tried without blocking and tried again when its descriptor is ready (socket requests). The
/// fallback engine runs these on the worker itself, waiting for readiness in the worker's own <c>poll</c>, so that a
/// thousand idle connections cost a thousand entries in a poll set, not a thousand blocked threads.
/// </summary>
internal interface INonBlockingOperation
{
    /// <summary>The descriptor whose readiness the request waits for.</summary>
    int ReadinessFd { get; }

    /// <summary>What the request waits for: <c>POLLIN</c> or <c>POLLOUT</c>.</summary>
    short ReadinessEvents { get; }

    /// <summary>Tries the request once without blocking: the result, -errno, or -EAGAIN when the descriptor is not ready yet.</summary>
    int TryExecute();
}
