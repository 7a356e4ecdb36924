using Microsoft.Extensions.Logging;

namespace UringScheduler.Diagnostics;

/// <summary>
/// Reports a worker that is stuck in one loop turn while it is stuck, from a thread of its own: a worker blocked for
/// good never reaches the end of its turn, where it could report itself. One thread per runtime. It looks at the
/// workers every half threshold while any of them is busy, and parks without a timeout once all of them sleep in the
/// kernel (an idle worker is no stall); the first worker to wake up unparks it.
/// </summary>
/// <remarks>
/// A stall is reported when a turn has lasted <c>StallThreshold</c>, then again each time its duration doubles (at
/// most a minute apart) for as long as it lasts, with the worker, the duration so far and the last work item the
/// worker started. It is counted once, by whichever of the watchdog and the worker sees it first.
/// </remarks>
internal sealed class StallWatchdog : IDisposable
{
    private const long MaxReportIntervalMs = 60_000;

    private readonly long _thresholdMs;
    private readonly ILogger _logger;
    private readonly AutoResetEvent _wake = new(false);
    private UringWorker[] _workers = [];
    private long[] _reportedTurn = [];
    private long[] _nextReportMs = [];
    private Thread? _thread;
    private volatile bool _stopping;
    private int _parked;
    private long _checks;

    public StallWatchdog(long thresholdMs, ILogger logger)
    {
        _thresholdMs = thresholdMs;
        _logger = logger;
    }

    /// <summary>Looks taken at the workers so far (for tests: an idle runtime must not keep the watchdog looking).</summary>
    internal long Checks => Volatile.Read(ref _checks);

    /// <summary>Starts watching <paramref name="workers"/> (already running).</summary>
    public void Start(UringWorker[] workers)
    {
        _workers = workers;
        _reportedTurn = new long[workers.Length];
        _nextReportMs = new long[workers.Length];
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "uring-watchdog",
        };
        _thread.Start();
    }

    /// <summary>
    /// Called by a worker that has just woken from a sleep, after it marked itself busy and fenced: unparks the
    /// watchdog if it parked because every worker slept. Costs a read when the watchdog is not parked.
    /// </summary>
    public void OnWorkerWoke()
    {
        if (Volatile.Read(ref _parked) != 0 && Interlocked.Exchange(ref _parked, 0) != 0)
        {
            _wake.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread?.Join();
        _wake.Dispose();
    }

    private void Run()
    {
        int period = (int)Math.Clamp(_thresholdMs / 2, 1, 1000);
        while (!_stopping)
        {
            if (Check(Environment.TickCount64))
            {
                _wake.WaitOne(period);
                continue;
            }

            // Every worker sleeps in the kernel: park until one wakes up. The flag's store and the workers' busy marks
            // are ordered by full fences on both sides (a worker marks itself busy, fences, then reads the flag), so
            // either this re-check sees the worker busy or the worker sees the flag and unparks.
            Volatile.Write(ref _parked, 1);
            Interlocked.MemoryBarrier();
            if (!AnyBusy() && !_stopping)
            {
                _wake.WaitOne();
            }

            Volatile.Write(ref _parked, 0);
        }
    }

    private bool AnyBusy()
    {
        foreach (UringWorker worker in _workers)
        {
            if (worker.TurnStart != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reports the workers stuck in a turn; returns whether any worker is busy.</summary>
    private bool Check(long now)
    {
        Volatile.Write(ref _checks, _checks + 1);
        bool anyBusy = false;
        for (int i = 0; i < _workers.Length; i++)
        {
            UringWorker worker = _workers[i];
            long start = worker.TurnStart;
            if (start == 0)
            {
                continue;
            }

            anyBusy = true;
            long duration = now - start;
            if (duration < _thresholdMs)
            {
                continue;
            }

            if (_reportedTurn[i] != start)
            {
                _reportedTurn[i] = start;
                _nextReportMs[i] = _thresholdMs;
                worker.TryCountStall(start);
            }

            if (duration >= _nextReportMs[i])
            {
                Log.WorkerStalled(_logger, worker.Id, duration, _thresholdMs, worker.DescribeRunningWork());
                _nextReportMs[i] = duration + Math.Min(duration, MaxReportIntervalMs);
            }
        }

        return anyBusy;
    }
}
