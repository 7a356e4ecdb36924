using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UringScheduler.Diagnostics;
using UringScheduler.IoScheduling;
using UringScheduler.Engines;
using UringScheduler.Native;

namespace UringScheduler;

/// <summary>
/// A set of worker threads, each owning one io_uring ring, a <see cref="SynchronizationContext"/> and a
/// <see cref="TaskScheduler"/>: async code started on a worker stays on it, its I/O goes to that worker's ring, and
/// completions resume it inline on the same thread. No .NET ThreadPool on the I/O path.
/// </summary>
/// <remarks>
/// The first runtime created and not yet disposed is the ambient one: <see cref="UringRandomAccess"/> calls made
/// outside any worker use it. Dispose it (preferably with <see cref="DisposeAsync"/>) to stop the workers gracefully.
/// </remarks>
public sealed class UringRuntime : IAsyncDisposable, IDisposable
{
    private static readonly Lock s_aliveLock = new();
    private static readonly List<UringRuntime> s_alive = [];
    private static readonly Lazy<UringUnavailableException?> s_probe = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly UringWorker[] _workers;
    private readonly ILogger _logger;
    private readonly FallbackIoPool? _fallbackPool;
    private readonly UringRuntimeOptions _options;
    private int _nextWorker = -1;
    private int _disposeState;
    private Task? _disposeTask;
    private readonly StallWatchdog? _watchdog;

    /// <summary>Creates the runtime and starts its workers; returns once every worker's ring is ready.</summary>
    /// <param name="options">The options; null takes the defaults.</param>
    /// <param name="loggerFactory">Where the runtime logs (category <c>UringScheduler</c>); null logs nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid.</exception>
    /// <exception cref="UringUnavailableException"><see cref="UringBackend.IoUring"/> was asked for and io_uring cannot be used here.</exception>
    public UringRuntime(UringRuntimeOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options?.Clone() ?? new UringRuntimeOptions();
        _options.Validate();
        _logger = (ILogger?)loggerFactory?.CreateLogger("UringScheduler") ?? NullLogger.Instance;

        UringBackend backend = _options.Backend;
        if (backend == UringBackend.Auto)
        {
            UringUnavailableException? cause = _options.SimulatedProbeFailure ?? s_probe.Value;
            if (cause is not null)
            {
                Log.FallbackSelected(_logger, cause.Message);
                backend = UringBackend.Fallback;
            }
            else
            {
                backend = UringBackend.IoUring;
            }
        }
        else if (backend == UringBackend.IoUring && (_options.SimulatedProbeFailure ?? s_probe.Value) is UringUnavailableException unavailable)
        {
            throw new UringUnavailableException(unavailable.Message, unavailable);
        }

        if (_options.RegisteredBufferCount > 0)
        {
            Buffers = new UringBufferPool(_options.RegisteredBufferCount, _options.RegisteredBufferSize);
        }

        if (_options.StallThreshold > TimeSpan.Zero)
        {
            _watchdog = new StallWatchdog(Math.Max(1, (long)_options.StallThreshold.TotalMilliseconds), _logger);
        }

        DeviceBudgets = new DeviceBudgets(_options.IoScheduler.DeviceCapacity, _options.WorkerCount, (worker, _) => _workers?[worker].NudgeIo(), _logger, _options.IoScheduler.LatencyGoal);
        int[] cpus = CpuAffinity.GetAllowedCpus();
        try
        {
            try
            {
                _workers = StartWorkers(backend, cpus, out _fallbackPool);
            }
            catch (UringUnavailableException e) when (_options.Backend == UringBackend.Auto)
            {
                // The probe passed but a worker's ring could not be set up (a memlock or memory limit hit by the Nth ring).
                Log.FallbackSelected(_logger, e.Message);
                backend = UringBackend.Fallback;
                _workers = StartWorkers(backend, cpus, out _fallbackPool);
            }
        }
        catch
        {
            _watchdog?.Dispose();
            throw;
        }

        _watchdog?.Start(_workers);

        ActiveBackend = backend;
        string pinned = _options.PinWorkersToCpus
            ? string.Join(",", _workers.Select((_, i) => cpus[i % cpus.Length]))
            : "unpinned";
        Log.RuntimeStarted(_logger, backend, _workers.Length, pinned, Rings.Ring.KernelRelease(), _workers[0].Engine.Describe());

        lock (s_aliveLock)
        {
            s_alive.Add(this);
        }

        RuntimeInstruments.OnRuntimeStarted(this);
    }

    /// <summary>Whether io_uring can be used in this process (probed once by creating and closing a small ring; cached).</summary>
    public static bool IsSupported => s_probe.Value is null;

    /// <summary>Why io_uring cannot be used here, or null when it can.</summary>
    public static string? UnsupportedReason => s_probe.Value?.Message;

    /// <summary>The backend in use: <see cref="UringBackend.IoUring"/> or <see cref="UringBackend.Fallback"/>, never Auto.</summary>
    public UringBackend ActiveBackend { get; }

    /// <summary>
    /// The registered buffer pool (<see cref="UringRuntimeOptions.RegisteredBufferCount"/> buffers), or null when the
    /// options asked for none. Reads and writes into its buffers use <c>READ_FIXED</c>/<c>WRITE_FIXED</c>.
    /// </summary>
    public UringBufferPool? Buffers { get; }

    /// <summary>The workers, indexed by <see cref="UringWorker.Id"/>.</summary>
    public IReadOnlyList<UringWorker> Workers => _workers;

    /// <summary>The options the runtime runs with (a copy; changing it has no effect).</summary>
    public UringRuntimeOptions Options => _options.Clone();

    internal bool IsDisposing => Volatile.Read(ref _disposeState) != 0;

    /// <summary>The runtime's stall watchdog, or null when <see cref="UringRuntimeOptions.StallThreshold"/> is zero (read by workers as they start).</summary>
    internal StallWatchdog? Watchdog => _watchdog;

    /// <summary>The capacities of the block devices the workers use, shared by all workers.</summary>
    internal DeviceBudgets DeviceBudgets { get; }

    /// <summary>The runtime that serves calls made outside any worker: the first created that is not being disposed.</summary>
    internal static UringRuntime? Ambient
    {
        get
        {
            lock (s_aliveLock)
            {
                return s_alive.Count > 0 ? s_alive[0] : null;
            }
        }
    }

    /// <summary>The runtimes alive now (created and not being disposed), in creation order; for the metrics.</summary>
    internal static UringRuntime[] AliveSnapshot()
    {
        lock (s_aliveLock)
        {
            return s_alive.ToArray();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a worker chosen round robin.</summary>
    /// <exception cref="ObjectDisposedException">The runtime is being disposed.</exception>
    public Task RunAsync(Func<Task> work)
    {
        ThrowIfDisposing();
        return NextWorker().RunAsync(work);
    }

    /// <summary>Runs <paramref name="work"/> on a worker chosen round robin and returns its result.</summary>
    /// <exception cref="ObjectDisposedException">The runtime is being disposed.</exception>
    public Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        ThrowIfDisposing();
        return NextWorker().RunAsync(work);
    }

    /// <summary>The next worker in round-robin order.</summary>
    internal UringWorker NextWorker()
    {
        uint index = (uint)Interlocked.Increment(ref _nextWorker);
        return _workers[index % (uint)_workers.Length];
    }

    /// <summary>
    /// Stops the runtime gracefully: no new work is accepted, operations in flight are cancelled in the kernel and
    /// their completions awaited (no buffer or handle is released while the kernel owns it), then the worker threads
    /// are joined and the rings closed. Idempotent.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from one of this runtime's workers.</exception>
    public ValueTask DisposeAsync()
    {
        if (UringWorker.Current?.Runtime == this)
        {
            ThrowHelper.ThrowInvalidOperationException_DisposeOnWorker();
        }

        if (Interlocked.Exchange(ref _disposeState, 1) == 0)
        {
            _disposeTask = StopAsync();
        }

        return new ValueTask(Volatile.Read(ref _disposeTask) ?? WaitForDisposeTask());
    }

    /// <summary>Stops the runtime as <see cref="DisposeAsync"/> does and blocks until it has stopped.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task WaitForDisposeTask()
    {
        // Another thread won the exchange and is about to publish the task.
        while (Volatile.Read(ref _disposeTask) is null)
        {
            await Task.Yield();
        }

        await _disposeTask!.ConfigureAwait(false);
    }

    private async Task StopAsync()
    {
        lock (s_aliveLock)
        {
            s_alive.Remove(this);
        }

        long start = Stopwatch.GetTimestamp();
        foreach (UringWorker worker in _workers)
        {
            worker.RequestStop();
        }

        await Task.WhenAll(_workers.Select(w => w.Exited)).ConfigureAwait(false);
        foreach (UringWorker worker in _workers)
        {
            worker.Join();
        }

        _watchdog?.Dispose();
        _fallbackPool?.Dispose();

        // Every ring that registered the pool is closed now. Buffers still rented keep the memory alive (leaked rather
        // than freed under a caller that still holds one).
        if (Buffers is not null && Buffers.Available == Buffers.Count)
        {
            Buffers.Free();
        }

        long operations = 0, completedAtShutdown = 0, canceled = 0, enters = 0, wakeups = 0;
        foreach (UringWorker worker in _workers)
        {
            operations += worker.OperationsCompleted;
            completedAtShutdown += worker.CompletedAtShutdown;
            canceled += worker.CanceledAtShutdown;
            enters += worker.EnterCalls;
            wakeups += worker.WakeWrites;
        }

        Log.RuntimeStopped(_logger, Stopwatch.GetElapsedTime(start).TotalMilliseconds, operations, completedAtShutdown, canceled, enters, wakeups);
    }

    private UringWorker[] StartWorkers(UringBackend backend, int[] cpus, out FallbackIoPool? fallbackPool)
    {
        fallbackPool = backend == UringBackend.Fallback
            ? new FallbackIoPool(minThreads: Math.Max(2, _options.WorkerCount), maxThreads: Math.Max(64, _options.WorkerCount * 4))
            : null;
        var workers = new UringWorker[_options.WorkerCount];
        for (int i = 0; i < workers.Length; i++)
        {
            int cpu = _options.PinWorkersToCpus ? cpus[i % cpus.Length] : -1;
            workers[i] = new UringWorker(this, i, cpu, _options, fallbackPool, _logger);
            workers[i].Start();
        }

        try
        {
            Task.WaitAll(workers.Select(w => w.Started).ToArray());
        }
        catch (AggregateException e)
        {
            foreach (UringWorker worker in workers)
            {
                worker.RequestStop();
            }

            foreach (UringWorker worker in workers)
            {
                worker.Join();
            }

            fallbackPool?.Dispose();
            Exception first = e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }

        return workers;
    }

    private void ThrowIfDisposing()
    {
        if (IsDisposing)
        {
            ThrowHelper.ThrowObjectDisposedException_Runtime();
        }
    }

    private static UringUnavailableException? Probe()
    {
        try
        {
            using Rings.Ring ring = Rings.Ring.Create(2);
            return null;
        }
        catch (UringUnavailableException e)
        {
            return e;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new UringUnavailableException($"io_uring cannot be reached from this process: {e.Message}", e);
        }
    }
}
