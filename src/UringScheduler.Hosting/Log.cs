using Microsoft.Extensions.Logging;

namespace UringScheduler.Hosting;

/// <summary>
/// The hosting layer's log events (category <c>UringScheduler.Hosting</c>). Event ids are stable and continue the core
/// library's range (1-19, category <c>UringScheduler</c>).
/// </summary>
internal static partial class Log
{
    public const string Category = "UringScheduler.Hosting";

    [LoggerMessage(EventId = 20, EventName = "PerCoreServiceStarted", Level = LogLevel.Debug,
        Message = "Per-core service {Service} started on {WorkerCount} worker(s)")]
    public static partial void PerCoreServiceStarted(ILogger logger, string service, int workerCount);

    [LoggerMessage(EventId = 21, EventName = "PerCoreServiceFaulted", Level = LogLevel.Error,
        Message = "Per-core service {Service} failed on worker {WorkerId}")]
    public static partial void PerCoreServiceFaulted(ILogger logger, string service, int workerId, Exception exception);

    [LoggerMessage(EventId = 22, EventName = "PerCoreServiceStoppingHost", Level = LogLevel.Critical,
        Message = "HostOptions.BackgroundServiceExceptionBehavior is StopHost: per-core service {Service} failed on worker {WorkerId}, so the host is stopping. Set it to Ignore to keep the host running (the failed instance is not restarted).")]
    public static partial void PerCoreServiceStoppingHost(ILogger logger, string service, int workerId, Exception exception);

    [LoggerMessage(EventId = 23, EventName = "PerCoreServiceStopTimeout", Level = LogLevel.Warning,
        Message = "Per-core service {Service} did not stop within the host's shutdown timeout: {Running} instance(s) still running after cancellation")]
    public static partial void PerCoreServiceStopTimeout(ILogger logger, string service, int running);

    [LoggerMessage(EventId = 24, EventName = "RuntimeStopTimeout", Level = LogLevel.Warning,
        Message = "The UringScheduler runtime did not finish stopping within the host's shutdown timeout; the host goes on, and the runtime keeps stopping in the background until the kernel has given back every buffer")]
    public static partial void RuntimeStopTimeout(ILogger logger);

    [LoggerMessage(EventId = 25, EventName = "PerCoreServiceDisposeFailed", Level = LogLevel.Error,
        Message = "Disposing per-core service {Service} on worker {WorkerId} failed")]
    public static partial void PerCoreServiceDisposeFailed(ILogger logger, string service, int workerId, Exception exception);
}
