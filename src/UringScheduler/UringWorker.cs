using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using UringScheduler.Diagnostics;
using UringScheduler.Engines;
using UringScheduler.IoScheduling;
using UringScheduler.Operations;
using UringScheduler.Scheduling;

namespace UringScheduler;

/// <summary>
/// One worker thread of a <see cref="UringRuntime"/>, with its own io_uring ring, <see cref="SynchronizationContext"/>
/// and <see cref="TaskScheduler"/>. Code started on a worker stays on it across awaits; I/O it issues is submitted to
/// the worker's ring, and the worker resumes the awaiting code inline when it reaps the completion.
/// </summary>
/// <remarks>
/// <c>ConfigureAwait(false)</c> inside worker code leaves the worker: the continuation then runs on the .NET
/// ThreadPool, as it would anywhere else.
/// </remarks>
public sealed partial class UringWorker
{
    [ThreadStatic]
    private static UringWorker? t_current;

    private readonly UringRuntime _runtime;
    private readonly ILogger _logger;
    private readonly UringSynchronizationContext _synchronizationContext;
    private readonly UringTaskScheduler _taskScheduler;
    private readonly LocalWorkQueue _local = new();
    private readonly ConcurrentQueue<WorkItem> _inbox = new();
    private readonly OperationSlab _slab = new();
    private readonly IoEngine _engine;
    private readonly WorkerIoScheduler? _ioScheduler;
    private readonly int _cpu;
    private readonly int _budget;
    private readonly long _stallMilliseconds;

    internal UringWorker(UringRuntime runtime, int id, int cpu, UringRuntimeOptions options, FallbackIoPool? fallbackPool, ILogger logger)
    {
        _runtime = runtime;
        Id = id;
        _cpu = cpu;
        _logger = logger;
        _budget = options.WorkBudget;
        _stallMilliseconds = options.StallThreshold <= TimeSpan.Zero ? long.MaxValue : Math.Max(1, (long)options.StallThreshold.TotalMilliseconds);
        _watchdog = runtime.Watchdog;
        _synchronizationContext = new UringSynchronizationContext(this);
        _taskScheduler = new UringTaskScheduler(this);
        int maxKernelWorkers = options.MaxKernelWorkers == 0 ? 2 * Environment.ProcessorCount : options.MaxKernelWorkers;
        _operationPool = new OperationPool(this);
        _engine = fallbackPool is null
            ? new RingEngine(this, _slab, (uint)options.RingEntries, maxKernelWorkers, options.RegisteredFileSlots, runtime.Buffers, maxSubmitBatch: options.MaxSubmitBatch, multishot: !options.SimulateNoMultishot, faults: options.RingFaults?.Invoke(id))
            : new FallbackEngine(this, _slab, fallbackPool);
        _ioScheduler = options.IoScheduler.Enabled ? new WorkerIoScheduler(this, runtime.DeviceBudgets, options.IoScheduler, probes: fallbackPool is null) : null;
    }

    /// <summary>The worker that owns the calling thread, or null when the caller is not on a worker.</summary>
    public static UringWorker? Current => t_current;

    /// <summary>The worker's index in <see cref="UringRuntime.Workers"/>: 0 to WorkerCount - 1.</summary>
    public int Id { get; }

    /// <summary>The runtime this worker belongs to.</summary>
    public UringRuntime Runtime => _runtime;

    /// <summary>The scheduler that runs tasks on this worker (<see cref="TaskScheduler.Current"/> inside worker code).</summary>
    public TaskScheduler TaskScheduler => _taskScheduler;

    /// <summary>The context of this worker (<see cref="SynchronizationContext.Current"/> inside worker code).</summary>
    public SynchronizationContext SynchronizationContext => _synchronizationContext;

    internal bool IsCurrentThread => t_current == this;

    internal IoEngine Engine => _engine;

    /// <summary>The worker's side of the I/O scheduler, or null when it is off.</summary>
    internal WorkerIoScheduler? IoScheduler => _ioScheduler;

    internal ILogger Logger => _logger;

    /// <summary>
    /// Queues <paramref name="callback"/> to run on this worker, as <see cref="SynchronizationContext"/>'s
    /// <c>Post</c> does, but says whether it will run: false once the worker has stopped (the runtime was disposed),
    /// where <c>Post</c> drops the callback. Callable from any thread; allocates nothing.
    /// </summary>
    /// <returns>True when the callback was queued and will run on this worker; false when the worker no longer runs anything.</returns>
    public bool TryPost(SendOrPostCallback callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return TryEnqueue(new WorkItem(callback, state));
    }

    /// <summary>Runs <paramref name="work"/> on this worker. Callable from any thread.</summary>
    /// <returns>
    /// A task that completes as the task returned by <paramref name="work"/> does. If the runtime is disposed while
    /// the work still awaits something outside the runtime (a <see cref="Task.Delay(TimeSpan)"/>, a
    /// <see cref="TaskCompletionSource"/>), the work cannot resume on the stopped worker: the task then ends faulted with
    /// <see cref="ObjectDisposedException"/> by the time disposal completes.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The runtime is shutting down.</exception>
    public Task RunAsync(Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfStopping();
        var outer = new Task<Task>(static w => ((Func<Task>)w!)(), work, TaskCreationOptions.DenyChildAttach);
        outer.Start(_taskScheduler);
        return Track(ObserveFaults(outer.Unwrap()));
    }

    /// <summary>Runs <paramref name="work"/> on this worker and returns its result. Callable from any thread.</summary>
    /// <returns>
    /// A task that completes as the task returned by <paramref name="work"/> does; faulted with
    /// <see cref="ObjectDisposedException"/> if the runtime is disposed before the work could finish (as for
    /// <see cref="RunAsync(Func{Task})"/>).
    /// </returns>
    /// <exception cref="ObjectDisposedException">The runtime is shutting down.</exception>
    public Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfStopping();
        var outer = new Task<Task<T>>(static w => ((Func<Task<T>>)w!)(), work, TaskCreationOptions.DenyChildAttach);
        outer.Start(_taskScheduler);
        Task<T> inner = outer.Unwrap();
        ObserveFaults(inner);
        return Track(inner);
    }

    /// <summary>
    /// Submits a no-op to this worker's ring and completes when its completion is reaped: the scheduler's own cost
    /// per operation, with no I/O. Callable from any thread; on this worker it allocates nothing.
    /// </summary>
    public ValueTask NopAsync() =>
        OperationIssuer.Issue<NopOperation, NopRequest>(this, OperationTarget.None, default, CancellationToken.None).AsValueTask();

    /// <summary>
    /// Completes after <paramref name="delay"/>, timed by the kernel on this worker's ring (<c>IORING_OP_TIMEOUT</c>):
    /// no timer thread, no ThreadPool, and the continuation resumes on this worker. Callable from any thread.
    /// Accepts what <see cref="Task.Delay(TimeSpan, CancellationToken)"/> accepts: <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits until <paramref name="cancellationToken"/> fires (or the runtime is disposed).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="delay"/> is negative other than <see cref="Timeout.InfiniteTimeSpan"/>, or longer than
    /// <see cref="uint.MaxValue"/> - 1 milliseconds (as for <see cref="Task.Delay(TimeSpan)"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">The runtime was disposed before the delay ended.</exception>
    public ValueTask DelayAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        // Task.Delay's own check: whole milliseconds from -1 (infinite) to uint.MaxValue - 1.
        long milliseconds = (long)delay.TotalMilliseconds;
        if (milliseconds < -1 || milliseconds > MaxDelayMilliseconds)
        {
            ThrowHelper.ThrowArgumentOutOfRangeException_Delay(delay);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        long nanoseconds = milliseconds == -1 ? InfiniteDelayNanoseconds : Math.Max(0, delay.Ticks) * 100;
        return OperationIssuer.Issue<TimeoutOperation, TimeoutRequest>(this, OperationTarget.None, new TimeoutRequest(nanoseconds), cancellationToken).AsValueTask();
    }

    private const long MaxDelayMilliseconds = uint.MaxValue - 1;

    // An infinite delay is a kernel timeout that never comes in practice (a century: the largest duration whose
    // deadline cannot overflow a monotonic clock), so that cancellation and disposal end it like any other delay.
    private const long InfiniteDelayNanoseconds = 100L * 365 * 24 * 3600 * 1_000_000_000;

    private Task ObserveFaults(Task task)
    {
        // Faults reach the caller through the task; the Debug event is for diagnosis. Reading t.Exception marks the
        // fault observed, so it is read only when that event is on: otherwise a task nobody awaits still reaches
        // TaskScheduler.UnobservedTaskException, as any faulted Task does.
        task.ContinueWith(
            static (t, s) =>
            {
                var worker = (UringWorker)s!;
                if (worker._logger.IsEnabled(LogLevel.Debug))
                {
                    Log.WorkFaulted(worker._logger, worker.Id, t.Exception!.InnerException ?? t.Exception);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    /// <inheritdoc/>
    public override string ToString() => $"UringWorker {Id}";
}
