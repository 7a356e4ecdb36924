namespace UringScheduler.IoScheduling;

/// <summary>
/// One device's capacity on one runtime: the operations its workers may have in flight on it together. Workers take
/// units in small batches with one compare-and-swap and keep the spare ones locally, so the shared counter is touched
/// about once per batch, not once per operation. A worker that finds nothing left marks itself waiting; a worker that
/// gives units back wakes the waiting ones.
/// </summary>
internal sealed class DeviceBudget
{
    // Each worker's operations on the device, a cache line apart (16 ints) so that workers do not share the line
    // they write on every operation.
    private const int Stride = 16;
    private readonly int[] _inFlight;
    private readonly int[] _waiting;
    private readonly Action<int> _wake;
    private readonly long _latencyGoalTicks;
    private int _used;
    private int _limit;
    private int _peakUsed;
    private int _waitingCount;

    public DeviceBudget(BlockDevice device, int capacity, int workerCount, Action<int> wake, long latencyGoalTicks = 0)
    {
        Device = device;
        Capacity = capacity;
        _limit = capacity;
        _latencyGoalTicks = latencyGoalTicks;
        ProbeReserve = Math.Max(1, capacity / 4);
        Batch = Math.Clamp(capacity / (4 * workerCount), 1, 8);
        _waiting = new int[workerCount];
        _inFlight = new int[workerCount * Stride];
        _wake = wake;
    }

    public BlockDevice Device { get; }

    /// <summary>Operations that may reach the device at once, over all workers.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Operations that may reach the device at once now: <see cref="Capacity"/>, or less while a latency goal holds
    /// it lower (<see cref="ReportReadLatency"/>).
    /// </summary>
    public int Limit => Volatile.Read(ref _limit);

    /// <summary>
    /// How far page-cache probes (<c>RWF_NOWAIT</c> reads) may go above <see cref="Limit"/>, a quarter of the capacity:
    /// a probe that hits holds its unit for microseconds, so reads the cache serves are not held back by a device full
    /// of misses. In flight on the device never exceeds capacity plus this.
    /// </summary>
    public int ProbeReserve { get; }

    /// <summary>Whether the limit follows a latency goal (reads are timed).</summary>
    public bool TracksLatency => _latencyGoalTicks > 0;

    /// <summary>The bound for page-cache probes: <see cref="Limit"/> plus <see cref="ProbeReserve"/>.</summary>
    public int ProbeLimit => Limit + ProbeReserve;

    /// <summary>
    /// Takes the average time recent reads spent on the device (Stopwatch ticks) and, with a
    /// latency goal, moves <see cref="Limit"/>: an eighth down while over the goal, one up while under three quarters
    /// of it. Any worker.
    /// </summary>
    public void ReportReadLatency(long averageTicks)
    {
        if (_latencyGoalTicks <= 0)
        {
            return;
        }

        int limit = Volatile.Read(ref _limit);
        int next = averageTicks > _latencyGoalTicks
            ? Math.Max(2, limit - Math.Max(1, limit / 8))
            : averageTicks < _latencyGoalTicks * 3 / 4 ? Math.Min(Capacity, limit + 1) : limit;
        if (next != limit && Interlocked.CompareExchange(ref _limit, next, limit) == limit && next > limit && HasWaiters)
        {
            WakeWaiters(-1);
        }
    }

    /// <summary>Units a worker takes from the shared counter at once.</summary>
    public int Batch { get; }

    /// <summary>Units taken by all workers (in flight, or spare in a worker's hands).</summary>
    public int Used => Volatile.Read(ref _used);

    /// <summary>The most units taken at once so far (read racily).</summary>
    public int PeakUsed => Volatile.Read(ref _peakUsed);

    /// <summary>Whether some worker waits for units.</summary>
    public bool HasWaiters => Volatile.Read(ref _waitingCount) > 0;

    /// <summary>Takes 1 to <see cref="Batch"/> units while the total stays within <paramref name="limit"/>; the count taken, or 0.</summary>
    public int TryTake(int limit)
    {
        int used = Volatile.Read(ref _used);
        while (used < limit)
        {
            int take = Math.Min(Batch, limit - used);
            int seen = Interlocked.CompareExchange(ref _used, used + take, used);
            if (seen == used)
            {
                if (used + take > _peakUsed)
                {
                    _peakUsed = used + take; // racy, so it may read low, never high: only for tests and diagnostics
                }

                return take;
            }

            used = seen;
        }

        return 0;
    }

    /// <summary>Gives <paramref name="units"/> back and wakes the workers that wait for them, other than <paramref name="workerId"/>.</summary>
    public void Return(int units, int workerId)
    {
        Interlocked.Add(ref _used, -units);
        if (Volatile.Read(ref _waitingCount) > 0)
        {
            WakeWaiters(workerId);
        }
    }

    /// <summary>Publishes how many operations <paramref name="workerId"/> has on the device.</summary>
    public void SetInFlight(int workerId, int count) => Volatile.Write(ref _inFlight[workerId * Stride], count);

    /// <summary>
    /// Whether <paramref name="workerId"/>, with <paramref name="inFlight"/> operations on the device, should leave the
    /// next unit to a waiting worker: one with fewer in flight by more than a batch less one, or by exactly that when
    /// <paramref name="orEqual"/> (the unit was just given back by this worker, so the turn passes to the other). The
    /// slack keeps workers that are about even from handing units back and forth, each hand-over a wake-up.
    /// </summary>
    public bool ShouldYield(int workerId, int inFlight, bool orEqual)
    {
        int slack = Batch - 1;
        for (int i = 0; i < _waiting.Length; i++)
        {
            if (i != workerId && Volatile.Read(ref _waiting[i]) != 0)
            {
                int theirs = Volatile.Read(ref _inFlight[i * Stride]) + slack;
                if (theirs < inFlight || (orEqual && theirs == inFlight))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Marks <paramref name="workerId"/> as waiting for units; it is woken when some are given back.</summary>
    /// <remarks>The caller tries to take units again after this, so a return that raced with the marking is not missed.</remarks>
    public void AddWaiter(int workerId)
    {
        if (Interlocked.Exchange(ref _waiting[workerId], 1) == 0)
        {
            Interlocked.Increment(ref _waitingCount);
        }
    }

    /// <summary>Clears <paramref name="workerId"/>'s waiting mark (its queue for the device is empty).</summary>
    public void RemoveWaiter(int workerId)
    {
        if (Volatile.Read(ref _waiting[workerId]) != 0 && Interlocked.Exchange(ref _waiting[workerId], 0) == 1)
        {
            Interlocked.Decrement(ref _waitingCount);
        }
    }

    /// <summary>Wakes the workers that wait for units, other than <paramref name="workerId"/>.</summary>
    public void WakeWaiters(int workerId)
    {
        for (int i = 0; i < _waiting.Length; i++)
        {
            if (i != workerId && Volatile.Read(ref _waiting[i]) != 0 && Interlocked.Exchange(ref _waiting[i], 0) == 1)
            {
                Interlocked.Decrement(ref _waitingCount);
                _wake(i);
            }
        }
    }
}
