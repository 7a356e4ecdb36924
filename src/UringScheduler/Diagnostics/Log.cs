using Microsoft.Extensions.Logging;

namespace UringScheduler.Diagnostics;

/// <summary>The runtime's log events (source-generated, allocation-free when the level is off). Event ids are stable.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "RuntimeStarted", Level = LogLevel.Information,
        Message = "UringScheduler started: backend {Backend}, {WorkerCount} worker(s) on CPUs [{Cpus}], kernel {Kernel}; ring: {RingFeatures}")]
    public static partial void RuntimeStarted(ILogger logger, UringBackend backend, int workerCount, string cpus, string kernel, string ringFeatures);

    [LoggerMessage(EventId = 2, EventName = "FallbackSelected", Level = LogLevel.Warning,
        Message = "io_uring is unavailable, using the fallback backend (blocking calls on runtime-owned I/O threads): {Cause}")]
    public static partial void FallbackSelected(ILogger logger, string cause);

    [LoggerMessage(EventId = 3, EventName = "WorkerFault", Level = LogLevel.Error,
        Message = "Unhandled exception in work on worker {WorkerId}; the worker goes on")]
    public static partial void WorkerFault(ILogger logger, int workerId, Exception exception);

    // Debug: the fault reaches the caller through the task RunAsync returned, and most callers await and handle it.
    [LoggerMessage(EventId = 4, EventName = "WorkFaulted", Level = LogLevel.Debug,
        Message = "Work started with RunAsync on worker {WorkerId} faulted (the exception is surfaced through the returned task)")]
    public static partial void WorkFaulted(ILogger logger, int workerId, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "LoopStall", Level = LogLevel.Warning,
        Message = "Worker {WorkerId} was held for {ElapsedMs:F1} ms in one loop turn (threshold {ThresholdMs} ms): some code blocks the worker")]
    public static partial void LoopStall(ILogger logger, int workerId, double elapsedMs, double thresholdMs);

    [LoggerMessage(EventId = 6, EventName = "RuntimeStopped", Level = LogLevel.Information,
        Message = "UringScheduler stopped in {ElapsedMs:F1} ms: {Operations} operation(s) completed; at shutdown {CompletedAtShutdown} in flight completed and {CanceledAtShutdown} were ended by it (ObjectDisposedException); {EnterCalls} io_uring_enter call(s), {Wakeups} wake-up(s)")]
    public static partial void RuntimeStopped(ILogger logger, double elapsedMs, long operations, long completedAtShutdown, long canceledAtShutdown, long enterCalls, long wakeups);

    [LoggerMessage(EventId = 7, EventName = "PostAfterStop", Level = LogLevel.Warning,
        Message = "Work posted to worker {WorkerId} after it stopped was dropped (logged once per worker): the runtime was disposed while code still awaited something outside it")]
    public static partial void PostAfterStop(ILogger logger, int workerId);

    [LoggerMessage(EventId = 8, EventName = "WorkerLoopFailed", Level = LogLevel.Critical,
        Message = "The loop of worker {WorkerId} failed; the worker has stopped")]
    public static partial void WorkerLoopFailed(ILogger logger, int workerId, Exception exception);

    [LoggerMessage(EventId = 9, EventName = "WorkerStarted", Level = LogLevel.Debug,
        Message = "Worker {WorkerId} started on CPU {Cpu} (thread {ThreadId})")]
    public static partial void WorkerStarted(ILogger logger, int workerId, int cpu, int threadId);

    [LoggerMessage(EventId = 10, EventName = "PinFailed", Level = LogLevel.Warning,
        Message = "Could not pin worker {WorkerId} to CPU {Cpu}: errno {Errno}")]
    public static partial void PinFailed(ILogger logger, int workerId, int cpu, int errno);

    [LoggerMessage(EventId = 12, EventName = "BufferRegistrationFailed", Level = LogLevel.Warning,
        Message = "Worker {WorkerId} could not register the buffer pool in its ring; it serves I/O with the pool's buffers unregistered")]
    public static partial void BufferRegistrationFailed(ILogger logger, int workerId, Exception exception);

    // Reported by the runtime's watchdog thread while the stall lasts, again each time its duration doubles.
    [LoggerMessage(EventId = 11, EventName = "WorkerStalled", Level = LogLevel.Warning,
        Message = "Worker {WorkerId} has been stuck in one loop turn for {ElapsedMs} ms and still is (threshold {ThresholdMs} ms): some code blocks the worker; it last started {Running}")]
    public static partial void WorkerStalled(ILogger logger, int workerId, long elapsedMs, long thresholdMs, string running);

    [LoggerMessage(EventId = 13, EventName = "RegistrationFailed", Level = LogLevel.Warning,
        Message = "Worker {WorkerId} runs without some registered resources: {Problem}")]
    public static partial void RegistrationFailed(ILogger logger, int workerId, string problem);

    [LoggerMessage(EventId = 30, EventName = "ReceiveBuffersCreated", Level = LogLevel.Debug,
        Message = "Worker {WorkerId} made {Count} receive buffers of {Size} bytes for leased receives, lent through {Mode}")]
    public static partial void ReceiveBuffersCreated(ILogger logger, int workerId, int count, int size, string mode);

    // Once per worker: the meter (uring.socket.receive_buffer_exhaustions) counts every time.
    [LoggerMessage(EventId = 31, EventName = "ReceiveBuffersExhausted", Level = LogLevel.Information,
        Message = "Worker {WorkerId} lent out all {Count} receive buffers of {Size} bytes: leased receives wait until leases are disposed (dispose them sooner, or raise UringRuntimeOptions.ReceiveBufferCount)")]
    public static partial void ReceiveBuffersExhausted(ILogger logger, int workerId, int count, int size);

    [LoggerMessage(EventId = 14, EventName = "IoDeviceScheduled", Level = LogLevel.Information,
        Message = "I/O scheduler: device {Device} ({Depth} requests per queue, {Queues} queue(s)) has a capacity of {Capacity} operations in flight ({Source}), {ProbeLimit} with page-cache probes")]
    public static partial void IoDeviceScheduled(ILogger logger, string device, int depth, int queues, int capacity, string source, int probeLimit);
}
