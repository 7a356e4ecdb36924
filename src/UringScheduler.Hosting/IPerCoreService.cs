namespace UringScheduler;

/// <summary>
/// A service that runs one loop per core: registered with
/// <c>services.AddPerCoreService&lt;TService&gt;()</c>, it gets one instance per <see cref="UringWorker"/>, and
/// <see cref="ExecuteAsync"/> runs on that worker for the host's lifetime.
/// </summary>
/// <remarks>
/// <para>
/// Each instance is created from the container (constructor injection through <c>ActivatorUtilities</c>) on the worker
/// it serves, so that per-core state can live in its fields without locks. <see cref="ExecuteAsync"/> runs under the
/// worker's <see cref="SynchronizationContext"/> and <see cref="TaskScheduler"/>: code after each <c>await</c> resumes
/// on the same worker (unless it uses <c>ConfigureAwait(false)</c>), and I/O it issues goes to that worker's ring.
/// </para>
/// <para>
/// When the host stops, <c>stoppingToken</c> is cancelled and the host waits (within its shutdown timeout) for every
/// instance to return before the runtime is disposed. An <see cref="OperationCanceledException"/> thrown after
/// cancellation is a normal end. Any other exception is logged and handled like a faulted <c>BackgroundService</c>,
/// following <c>HostOptions.BackgroundServiceExceptionBehavior</c>. An instance that implements
/// <see cref="IAsyncDisposable"/> or <see cref="IDisposable"/> is disposed on its worker after its loop ends.
/// </para>
/// </remarks>
public interface IPerCoreService
{
    /// <summary>The per-core loop. Runs on <paramref name="worker"/>.</summary>
    /// <param name="worker">The worker this instance serves; equal to <see cref="UringWorker.Current"/> inside the loop.</param>
    /// <param name="stoppingToken">Cancelled when the host starts to stop.</param>
    /// <returns>A task that completes when the loop has ended.</returns>
    Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken);
}
