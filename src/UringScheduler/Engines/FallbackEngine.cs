using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Operations;

namespace UringScheduler.Engines;

/// <summary>
/// The engine used where io_uring is unavailable (or when forced). File requests run as blocking system calls on the
/// runtime's <see cref="FallbackIoPool"/> threads, whose results come back through a queue that this worker drains in
/// its loop. Socket requests (<see cref="INonBlockingOperation"/>) run on the worker itself: tried at once without
/// blocking, and otherwise kept in the worker's poll set and tried again when their descriptor is ready. The worker
/// sleeps in <c>poll</c> on its eventfd and that set. Delays and linked timeouts are kept in local timer heaps.
/// </summary>
internal sealed unsafe class FallbackEngine : IoEngine
{
    private readonly FallbackIoPool _pool;
    private readonly ConcurrentQueue<FallbackJob> _completed = new();
    private readonly Queue<(IoOperation Op, int Result)> _local = new();
    private readonly Stack<FallbackJob> _freeJobs = new();
    private readonly Dictionary<ulong, FallbackJob> _running = [];
    private readonly PriorityQueue<IoOperation, long> _timers = new();
    private readonly PriorityQueue<(IoOperation Op, ulong UserData), long> _operationTimeouts = new();
    private readonly List<IoOperation> _waiting = [];
    private Interop.Libc.PollFd[] _pollFds = new Interop.Libc.PollFd[16];
    private int _eventFd = -1;
    private long _wakeWrites;

    public FallbackEngine(IEngineHost host, OperationSlab slab, FallbackIoPool pool)
        : base(host, slab)
    {
        _pool = pool;
    }

    public override long WakeWrites => Volatile.Read(ref _wakeWrites);

    public override bool HasExternalCompletions => !_completed.IsEmpty;

    public override bool HasCompletionsReady => _local.Count > 0 || !_completed.IsEmpty || TimerDue();

    private bool TimerDue() =>
        (_timers.TryPeek(out _, out long deadline) && deadline <= Stopwatch.GetTimestamp()) ||
        (_operationTimeouts.TryPeek(out _, out long timeout) && timeout <= Stopwatch.GetTimestamp());

    public override void Initialize()
    {
        _eventFd = Interop.Libc.EventFd(0, Interop.Libc.EFD_CLOEXEC | Interop.Libc.EFD_NONBLOCK);
        if (_eventFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"eventfd failed: {Errno.Describe(errno)}", errno);
        }
    }

    public override void Submit(IoOperation op)
    {
        switch (op)
        {
            case NopOperation:
                _local.Enqueue((op, 0));
                break;
            case TimeoutOperation delay:
                _timers.Enqueue(op, Stopwatch.GetTimestamp() + TicksFromNanoseconds(delay.Nanoseconds));
                break;
            case INonBlockingOperation nonBlocking:
                int result = nonBlocking.TryExecute();
                if (result != -Errno.EAGAIN)
                {
                    _local.Enqueue((op, result));
                    break;
                }

                AddLinkTimeout(op);
                _waiting.Add(op);
                break;
            default:
                AddLinkTimeout(op);

                FallbackJob job = _freeJobs.TryPop(out FallbackJob? free) ? free : new FallbackJob(this);
                job.Start(op);
                _running[op.UserData] = job;
                _pool.Enqueue(job);
                break;
        }
    }

    private void AddLinkTimeout(IoOperation op)
    {
        if (op.LinkTimeoutNs > 0 && !op.CancelSubmitted)
        {
            _operationTimeouts.Enqueue((op, op.UserData), Stopwatch.GetTimestamp() + TicksFromNanoseconds(op.LinkTimeoutNs));
        }
    }

    public override void Cancel(IoOperation op)
    {
        if (_waiting.Remove(op))
        {
            _local.Enqueue((op, -Errno.ECANCELED));
            return;
        }

        if (op is TimeoutOperation)
        {
            // Rebuild the heap without it: timers are few, cancellation rare.
            var rest = new List<(IoOperation, long)>(_timers.Count);
            while (_timers.TryDequeue(out IoOperation? t, out long deadline))
            {
                if (ReferenceEquals(t, op))
                {
                    _local.Enqueue((op, -Errno.ECANCELED));
                }
                else
                {
                    rest.Add((t, deadline));
                }
            }

            _timers.EnqueueRange(rest);
            return;
        }

        if (_running.TryGetValue(op.UserData, out FallbackJob? job))
        {
            FallbackIoPool.Cancel(job);
        }
    }

    /// <summary>Called by an I/O thread when a job has run.</summary>
    internal void PostCompletion(FallbackJob job)
    {
        _completed.Enqueue(job);
        Host.OnExternalCompletion();
    }

    public override int ProcessCompletions()
    {
        int n = 0;
        if (_timers.Count > 0)
        {
            long now = Stopwatch.GetTimestamp();
            while (_timers.TryPeek(out IoOperation? t, out long deadline) && deadline <= now)
            {
                _timers.Dequeue();
                _local.Enqueue((t, -Errno.ETIME));
            }
        }

        // Linked timeouts: cancel what is still in flight when its time is up (a stale entry names a finished
        // incarnation and is skipped).
        if (_operationTimeouts.Count > 0)
        {
            long now = Stopwatch.GetTimestamp();
            while (_operationTimeouts.TryPeek(out (IoOperation Op, ulong UserData) entry, out long deadline) && deadline <= now)
            {
                _operationTimeouts.Dequeue();
                if (!ReferenceEquals(Slab.Find(entry.UserData), entry.Op) || !entry.Op.TryBeginTimeout())
                {
                    continue;
                }

                if (_running.TryGetValue(entry.UserData, out FallbackJob? job))
                {
                    FallbackIoPool.Cancel(job);
                }
                else if (_waiting.Remove(entry.Op))
                {
                    _local.Enqueue((entry.Op, -Errno.ECANCELED));
                }
            }
        }

        if (_waiting.Count > 0)
        {
            PollWaiting(timeoutMs: 0);
        }

        while (_local.TryDequeue(out (IoOperation Op, int Result) done))
        {
            Finish(done.Op, done.Result);
            n++;
        }

        while (_completed.TryDequeue(out FallbackJob? job))
        {
            IoOperation op = job.Operation!;
            int result = job.Result;
            _running.Remove(op.UserData);
            job.Clear();
            _freeJobs.Push(job);
            Finish(op, result);
            n++;
        }

        return n;
    }

    private void Finish(IoOperation op, int result)
    {
        if (op.OnResult(result))
        {
            Slab.Remove(op.UserData);
            Host.OnCompleted(op);
        }
        else
        {
            Submit(op);
        }
    }

    public override void Enter(bool wait, long timeoutNanoseconds)
    {
        if (!wait || _local.Count > 0)
        {
            return;
        }

        long deadline = long.MaxValue;
        if (_timers.TryPeek(out _, out long timerDeadline))
        {
            deadline = timerDeadline;
        }

        if (_operationTimeouts.TryPeek(out _, out long timeoutDeadline))
        {
            deadline = Math.Min(deadline, timeoutDeadline);
        }

        if (deadline != long.MaxValue)
        {
            long untilTimer = Math.Max(0, (long)((deadline - Stopwatch.GetTimestamp()) * (1_000_000_000.0 / Stopwatch.Frequency)));
            timeoutNanoseconds = timeoutNanoseconds < 0 ? untilTimer : Math.Min(timeoutNanoseconds, untilTimer);
        }

        int timeoutMs = timeoutNanoseconds < 0 ? -1 : (int)Math.Min(int.MaxValue, (timeoutNanoseconds + 999_999) / 1_000_000);
        PollWaiting(timeoutMs);
        ulong value;
        Interop.Libc.Read(_eventFd, &value, sizeof(ulong)); // non-blocking: resets the counter if it was written
    }

    // Polls the eventfd and the descriptors of the requests waiting for readiness, then tries each ready request again;
    // those that no longer answer EAGAIN are done.
    private void PollWaiting(int timeoutMs)
    {
        int count = _waiting.Count + 1;
        if (_pollFds.Length < count)
        {
            _pollFds = new Interop.Libc.PollFd[Math.Max(count, _pollFds.Length * 2)];
        }

        _pollFds[0] = new Interop.Libc.PollFd { Fd = _eventFd, Events = Interop.Libc.POLLIN };
        for (int i = 0; i < _waiting.Count; i++)
        {
            var waiting = (INonBlockingOperation)_waiting[i];
            _pollFds[i + 1] = new Interop.Libc.PollFd { Fd = waiting.ReadinessFd, Events = waiting.ReadinessEvents };
        }

        int ready;
        fixed (Interop.Libc.PollFd* fds = _pollFds)
        {
            ready = Interop.Libc.Poll(fds, (nuint)count, timeoutMs);
        }

        if (ready <= 0 || _waiting.Count == 0)
        {
            return;
        }

        // Walk backwards so that removing an entry keeps the earlier indices, which match _pollFds.
        for (int i = _waiting.Count - 1; i >= 0; i--)
        {
            if (_pollFds[i + 1].REvents == 0)
            {
                continue;
            }

            IoOperation op = _waiting[i];
            int result = ((INonBlockingOperation)op).TryExecute();
            if (result != -Errno.EAGAIN)
            {
                _waiting.RemoveAt(i);
                _local.Enqueue((op, result));
            }
        }
    }

    public override void Wake()
    {
        ulong one = 1;
        Interop.Libc.Write(_eventFd, &one, sizeof(ulong));
        Interlocked.Increment(ref _wakeWrites);
    }

    public override void Quiesce()
    {
    }

    public override string Describe() => "fallback: blocking system calls on runtime-owned I/O threads";

    public override void Dispose()
    {
        if (_eventFd >= 0)
        {
            Interop.Libc.Close(_eventFd);
            _eventFd = -1;
        }
    }

    private static long TicksFromNanoseconds(long nanoseconds) =>
        (long)(nanoseconds * (Stopwatch.Frequency / 1_000_000_000.0));
}
