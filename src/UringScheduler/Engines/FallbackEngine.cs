using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Operations;

namespace UringScheduler.Engines;

/// <summary>
/// The engine used where io_uring is unavailable (or when forced): operations run as blocking system calls on the
/// runtime's <see cref="FallbackIoPool"/> threads, whose results come back through a queue that this worker drains in
/// its loop. The worker sleeps in <c>poll</c> on an eventfd. Timeouts are kept in a local timer heap.
/// </summary>
internal sealed unsafe class FallbackEngine : IoEngine
{
    private readonly FallbackIoPool _pool;
    private readonly OperationSlab _slab;
    private readonly ConcurrentQueue<IoOperation> _completed = new();
    private readonly Queue<IoOperation> _local = new();
    private readonly PriorityQueue<IoOperation, long> _timers = new();
    private int _eventFd = -1;
    private long _wakeWrites;

    public FallbackEngine(UringWorker worker, OperationSlab slab, FallbackIoPool pool)
        : base(worker)
    {
        _slab = slab;
        _pool = pool;
    }

    public long WakeWrites => Volatile.Read(ref _wakeWrites);

    public override bool HasExternalCompletions => !_completed.IsEmpty;

    public override bool HasCompletionsReady => _local.Count > 0 || !_completed.IsEmpty || TimerDue();

    private bool TimerDue() => _timers.TryPeek(out _, out long deadline) && deadline <= System.Diagnostics.Stopwatch.GetTimestamp();

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
        switch (op.Kind)
        {
            case IoOpKind.Nop:
                op.PendingResult = 0;
                _local.Enqueue(op);
                break;
            case IoOpKind.Timeout:
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + TicksFromTimespec(op);
                op.EngineState = null;
                _timers.Enqueue(op, deadline);
                break;
            default:
                _pool.Enqueue(op);
                break;
        }
    }

    public override void Cancel(IoOperation op)
    {
        if (op.Kind == IoOpKind.Timeout)
        {
            // Rebuild the heap without it: timers are few, cancellation rare.
            var rest = new List<(IoOperation, long)>(_timers.Count);
            while (_timers.TryDequeue(out IoOperation? t, out long deadline))
            {
                if (ReferenceEquals(t, op))
                {
                    op.PendingResult = -Errno.ECANCELED;
                    _local.Enqueue(op);
                }
                else
                {
                    rest.Add((t, deadline));
                }
            }

            _timers.EnqueueRange(rest);
            return;
        }

        if (op.Kind != IoOpKind.Nop)
        {
            FallbackIoPool.Cancel(op);
        }
    }

    /// <summary>Called by an I/O thread when an operation has run.</summary>
    internal void PostCompletion(IoOperation op)
    {
        _completed.Enqueue(op);
        Worker.WakeIfSleeping();
    }

    public override int ProcessCompletions()
    {
        int n = 0;
        if (_timers.Count > 0)
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            while (_timers.TryPeek(out IoOperation? t, out long deadline) && deadline <= now)
            {
                _timers.Dequeue();
                t.PendingResult = -Errno.ETIME;
                _local.Enqueue(t);
            }
        }

        while (_local.TryDequeue(out IoOperation? op))
        {
            Finish(op);
            n++;
        }

        while (_completed.TryDequeue(out IoOperation? op))
        {
            Finish(op);
            n++;
        }

        return n;
    }

    private void Finish(IoOperation op)
    {
        if (op.OnResult(op.PendingResult))
        {
            _slab.Remove(op.UserData);
            Worker.CompleteOperation(op);
        }
        else
        {
            Submit(op);
        }
    }

    public override void Flush(bool wait, long timeoutNanoseconds)
    {
        if (!wait || _local.Count > 0)
        {
            return;
        }

        if (_timers.TryPeek(out _, out long deadline))
        {
            long untilTimer = Math.Max(0, (long)((deadline - System.Diagnostics.Stopwatch.GetTimestamp()) * (1_000_000_000.0 / System.Diagnostics.Stopwatch.Frequency)));
            timeoutNanoseconds = timeoutNanoseconds < 0 ? untilTimer : Math.Min(timeoutNanoseconds, untilTimer);
        }

        int timeoutMs = timeoutNanoseconds < 0 ? -1 : (int)Math.Min(int.MaxValue, (timeoutNanoseconds + 999_999) / 1_000_000);
        Interop.Libc.PollFd fd = new() { Fd = _eventFd, Events = Interop.Libc.POLLIN };
        Interop.Libc.Poll(&fd, 1, timeoutMs);
        ulong value;
        Interop.Libc.Read(_eventFd, &value, sizeof(ulong)); // non-blocking: resets the counter if it was written
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

    private static unsafe long TicksFromTimespec(IoOperation op)
    {
        long ns = (op.Timespec->Sec * 1_000_000_000) + op.Timespec->Nsec;
        return (long)(ns * (System.Diagnostics.Stopwatch.Frequency / 1_000_000_000.0));
    }
}
