using System.Diagnostics;
using UringScheduler.Diagnostics;
using UringScheduler.Native;
using UringScheduler.Scheduling;

namespace UringScheduler;

// The worker thread and its loop: drain completions, run ready work under a budget, submit everything with one
// io_uring_enter, and sleep in the kernel when there is nothing to do.
public sealed partial class UringWorker
{
    private static readonly Action<object?> s_loop = static s => ((UringWorker)s!).Loop();

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;

    // Wake-up protocol state, shared with producers on other threads.
    private int _sleeping;
    private int _wakePending;
    private int _producers;
    private volatile bool _closed;

    private volatile bool _stopping;
    private bool _cancelIssued;
    private long _loopTurns;
    private long _stalls;
    private long _droppedPosts;

    /// <summary>Loop turns run (for tests and metrics).</summary>
    internal long LoopTurns => Volatile.Read(ref _loopTurns);

    /// <summary>Loop turns that exceeded the stall threshold.</summary>
    internal long Stalls => Volatile.Read(ref _stalls);

    internal bool IsStopping => _stopping;

    /// <summary>Completes when the worker thread has started and its engine is ready (faults with the engine's error).</summary>
    internal Task Started => _started.Task;

    /// <summary>Completes when the worker thread has left its loop and released its ring.</summary>
    internal Task Exited => _exited.Task;

    internal void Start()
    {
        _thread = new Thread(ThreadMain)
        {
            IsBackground = true,
            Name = $"uring-worker-{Id}",
        };
        _thread.Start();
    }

    /// <summary>Asks the worker to stop: no new work, in-flight operations cancelled, loop ends once all have completed.</summary>
    internal void RequestStop()
    {
        _stopping = true;
        WakeIfSleeping(force: true);
    }

    internal void Join() => _thread?.Join();

    internal void ThrowIfStopping()
    {
        if (_stopping)
        {
            ThrowHelper.ThrowObjectDisposedException_Runtime();
        }
    }

    private void ThreadMain()
    {
        t_current = this;
        SynchronizationContext.SetSynchronizationContext(_synchronizationContext);
        try
        {
            if (_cpu >= 0)
            {
                int errno = CpuAffinity.PinCurrentThread(_cpu);
                if (errno != 0)
                {
                    Log.PinFailed(_logger, Id, _cpu, errno);
                }
            }

            _engine.Initialize();
        }
        catch (Exception e)
        {
            _closed = true;
            _engine.Dispose();
            _started.TrySetException(e);
            _exited.TrySetResult();
            return;
        }

        // The ring's setup flags and features are logged once per runtime (RuntimeStarted), not per worker.
        Log.WorkerStarted(_logger, Id, _cpu, Interop.Libc.GetTid());
        if (_engine.RegistrationProblem is string problem)
        {
            Log.RegistrationFailed(_logger, Id, problem);
        }

        if (_engine is Engines.RingEngine { BufferRegistrationError: { } registration })
        {
            _runtime.Buffers?.OnRegistrationFailed(registration);
            Log.BufferRegistrationFailed(_logger, Id, registration);
        }

        _started.TrySetResult();

        // The loop runs as a Task executed by this worker's own scheduler, so that code it resumes sees
        // TaskScheduler.Current == this worker's scheduler (TaskScheduler.Current is the scheduler of the running Task).
        var loopTask = new Task(s_loop, this, TaskCreationOptions.DenyChildAttach);
        loopTask.RunSynchronously(_taskScheduler);
        if (loopTask.IsFaulted)
        {
            Log.WorkerLoopFailed(_logger, Id, loopTask.Exception!.InnerException ?? loopTask.Exception);
        }

        try
        {
            _engine.Quiesce();
        }
        finally
        {
            CloseReceiveBuffers();
            _engine.Dispose();
            SynchronizationContext.SetSynchronizationContext(null);
            t_current = null;
            AbandonRunningWork();
            _exited.TrySetResult();
        }
    }

    private void Loop()
    {
        while (true)
        {
            // The stall detector reads the coarse millisecond clock: a precise timestamp is a vDSO call twice per
            // turn, a visible share of a turn that carries one operation. Stalls worth reporting are tens of
            // milliseconds, well above the coarse clock's few-millisecond granularity.
            long turnStart = Environment.TickCount64;
            Volatile.Write(ref _turnStart, turnStart);
            _runningCallback = null;
            _loopTurns++;

            _engine.ProcessCompletions();
            RunReadyWork();

            long elapsed = Environment.TickCount64 - turnStart;
            if (elapsed > _stallMilliseconds)
            {
                OnLongTurn(turnStart, elapsed);
            }

            if (_stopping && StopStep())
            {
                MarkIdle();
                return;
            }

            if (_local.Count > 0 || !_inbox.IsEmpty || _engine.HasExternalCompletions)
            {
                _engine.Enter(wait: false, -1);
                continue;
            }

            // No ready work. Hand over the batch without waiting first: completions that are already there (inline
            // completions of cached reads, NOPs) keep the worker going without it ever looking asleep to producers,
            // so a worker busy with I/O costs them no eventfd writes.
            _engine.Enter(wait: false, -1);
            if (_engine.HasCompletionsReady)
            {
                continue;
            }

            // Announce the sleep, then look again: a producer that enqueued before seeing the flag is caught by the
            // re-check; one that enqueues after the fence sees the flag and writes the eventfd. The full fence orders
            // the flag's store before the inbox loads (store-load, which release/acquire alone would not give).
            // The wake-up flag is re-armed here, not after waking: a wake-up written while the worker was busy may
            // already have been consumed by the armed eventfd read, and a flag left set would then swallow the next one.
            Volatile.Write(ref _wakePending, 0);
            Volatile.Write(ref _sleeping, 1);
            Interlocked.MemoryBarrier();
            if (_inbox.IsEmpty && !_engine.HasExternalCompletions && (!_stopping || _cancelIssued))
            {
                // While stopping, only completions of cancelled operations are awaited; the bound is a safety net.
                // Asleep in the kernel is idle, not a stall.
                MarkIdle();
                _engine.Enter(wait: true, _stopping ? 50_000_000 : -1);
                MarkAwake();
            }
            else
            {
                _engine.Enter(wait: false, -1);
            }

            Volatile.Write(ref _sleeping, 0);
        }
    }

    /// <summary>One step of shutdown; true once the worker may leave its loop.</summary>
    private bool StopStep()
    {
        if (!_cancelIssued)
        {
            _cancelIssued = true;
            CancelAllInFlight();
        }

        if (_slab.InFlight > 0 || _local.Count > 0 || !_inbox.IsEmpty || _engine.HasExternalCompletions)
        {
            return false;
        }

        // Close the inbox, wait out producers that passed the closed check, and run what they left.
        _closed = true;
        SpinWait spin = default;
        while (Volatile.Read(ref _producers) != 0)
        {
            spin.SpinOnce();
        }

        if (!_inbox.IsEmpty)
        {
            return false; // ran at the next turn; _closed keeps anything new out
        }

        return _slab.InFlight == 0;
    }

    private void RunReadyWork()
    {
        int budget = _budget;

        // Foreign work first joins the local queue in arrival order, bounded by the same budget.
        for (int i = 0; i < budget && _inbox.TryDequeue(out WorkItem posted); i++)
        {
            _local.Enqueue(posted);
        }

        for (int i = 0; i < budget && _local.TryDequeue(out WorkItem item); i++)
        {
            Run(item);
        }
    }

    private void Run(in WorkItem item)
    {
        _runningCallback = item.Callback;
        _runningState = item.State;
        try
        {
            switch (item.Callback)
            {
                case Task task:
                    _taskScheduler.Execute(task);
                    break;
                case Action<object?> action:
                    action(item.State);
                    break;
                case SendOrPostCallback callback:
                    callback(item.State);
                    break;
            }
        }
        catch (Exception e)
        {
            // Posted callbacks (async void methods among them) have no task to carry their exception: report it here.
            Log.WorkerFault(_logger, Id, e);
        }

        if (SynchronizationContext.Current != _synchronizationContext)
        {
            // User code may have replaced the context; the next item must see the worker's own again.
            SynchronizationContext.SetSynchronizationContext(_synchronizationContext);
        }
    }

    /// <summary>Queues work for this worker; false when the worker has stopped and nothing would run it. Any thread.</summary>
    internal bool TryEnqueue(in WorkItem item)
    {
        if (IsCurrentThread)
        {
            _local.Enqueue(item);
            return true;
        }

        return TryEnqueueForeign(item);
    }

    /// <summary>
    /// Queues work for this worker. Any thread; from the worker itself it takes no lock and allocates nothing. Once the
    /// worker has stopped, a task is refused with <see cref="ObjectDisposedException"/> (the scheduler's caller handles
    /// it) and a callback is dropped: posts come from .NET's await machinery on any thread, where an exception would be
    /// rethrown on the ThreadPool and end the process, and running the callback anywhere but on its worker would break
    /// the threading contract. The tasks RunAsync returned end anyway (see <see cref="AbandonRunningWork"/>).
    /// </summary>
    internal void Enqueue(in WorkItem item)
    {
        if (!TryEnqueue(item))
        {
            if (item.Callback is Task)
            {
                ThrowHelper.ThrowObjectDisposedException_Runtime();
            }

            // One warning per worker: work abandoned at disposal can post many continuations.
            if (Interlocked.Increment(ref _droppedPosts) == 1)
            {
                Log.PostAfterStop(_logger, Id);
            }
        }
    }

    /// <summary>Callbacks posted after the worker stopped, and so dropped.</summary>
    internal long DroppedPosts => Volatile.Read(ref _droppedPosts);

    // Producers register in _producers around the closed check, the enqueue and the wake-up, and the worker waits for
    // them to leave after closing: so no item is enqueued after the worker's last look, and no eventfd write can reach
    // a descriptor the worker has already closed (and the process may have reused).
    private bool TryEnqueueForeign(in WorkItem item)
    {
        Interlocked.Increment(ref _producers);
        try
        {
            if (_closed)
            {
                return false;
            }

            _inbox.Enqueue(item);
            WakeIfSleepingCore(force: false);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _producers);
        }
    }

    /// <summary>
    /// Wakes the worker if it announced it is going to sleep; a busy worker costs producers no system call. At most
    /// one wake-up is written per sleep. Any thread.
    /// </summary>
    internal void WakeIfSleeping(bool force = false)
    {
        Interlocked.Increment(ref _producers);
        try
        {
            WakeIfSleepingCore(force);
        }
        finally
        {
            Interlocked.Decrement(ref _producers);
        }
    }

    private void WakeIfSleepingCore(bool force)
    {
        // Pairs with the worker's fence between announcing the sleep and re-checking its queues (store-load order).
        Interlocked.MemoryBarrier();
        if (!_closed && (force || Volatile.Read(ref _sleeping) != 0) && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _engine.Wake();
        }
    }

    internal IEnumerable<Task> SnapshotScheduledTasks()
    {
        var tasks = new List<Task>();
        foreach (WorkItem item in _inbox)
        {
            if (item.Callback is Task t)
            {
                tasks.Add(t);
            }
        }

        if (IsCurrentThread)
        {
            foreach (WorkItem item in _local.ToArray())
            {
                if (item.Callback is Task t)
                {
                    tasks.Add(t);
                }
            }
        }

        return tasks;
    }
}
