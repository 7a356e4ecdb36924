using System.Diagnostics;
using UringScheduler.Operations;

namespace UringScheduler.IoScheduling;

/// <summary>
/// One worker's requests for one device: the units of the device's capacity the worker holds, and the requests that
/// wait for one, a FIFO per class served by start-time fair queuing. Worker thread only.
/// </summary>
/// <remarks>
/// Each request gets a start tag, the later of the queue's virtual time and its class's last finish tag, and a finish
/// tag one cost-over-shares later; the request served next is the class head with the smallest start tag, and the
/// virtual time becomes that tag. A class that is alone uses the whole capacity; classes that wait together get
/// device time in proportion to their shares. A class that was idle starts at the current virtual time, so it cannot
/// bank credit while idle.
/// </remarks>
internal sealed class DeviceQueue
{
    private readonly WorkerIoScheduler _owner;
    private readonly ClassQueue[] _classes = new ClassQueue[UringIoClass.MaxClasses];
    private long _virtualTime;
    private int _spare;
    private int _classLimit; // one past the highest class id queued here

    // Set when this worker left units to a waiting worker: it takes none from the shared counter until it is woken
    // (its turn comes back), or its queue is empty.
    private bool _yielded;

    // Page-cache probes cost a second trip to the kernel when they miss. Outcomes are counted in windows of
    // ProbeWindow probes: while a window's hits are under a quarter, reads stop probing except one in SampleEvery,
    // which keeps measuring, so that probing resumes when the cache holds the data again.
    private const int ProbeWindow = 32;
    private const int SampleEvery = 16;
    private int _probeHits;
    private int _probeOutcomes;
    private int _sampleCountdown;
    private bool _sampling;

    // Reads that reached the device since the last report to the latency goal, and their total time there.
    private const int LatencySamples = 32;
    private int _reads;
    private long _readTicks;

    public DeviceQueue(WorkerIoScheduler owner, DeviceBudget budget)
    {
        _owner = owner;
        Budget = budget;
    }

    public DeviceBudget Budget { get; }

    /// <summary>Requests waiting for a unit.</summary>
    public int Queued { get; private set; }

    /// <summary>This worker's requests on the device (holding a unit).</summary>
    public int InFlight { get; private set; }

    /// <summary>
    /// Whether <paramref name="op"/> goes out as a page-cache probe: a buffered read, on a worker that probes, while the
    /// probe windows above say the cache is worth asking.
    /// </summary>
    public bool WantsProbe(IoOperation op) => op.Ticket.Read && op.Ticket.Buffered && _owner.Probes && ShouldProbe();

    private bool ShouldProbe()
    {
        if (!_sampling)
        {
            return true;
        }

        if (--_sampleCountdown > 0)
        {
            return false;
        }

        _sampleCountdown = SampleEvery;
        return true;
    }

    /// <summary>Counts a probe's outcome: served by the page cache, or missed.</summary>
    public void OnProbeOutcome(bool hit)
    {
        _probeHits += hit ? 1 : 0;
        if (++_probeOutcomes < ProbeWindow)
        {
            return;
        }

        _sampling = _probeHits * 4 < ProbeWindow;
        _sampleCountdown = SampleEvery;
        _probeHits = 0;
        _probeOutcomes = 0;
    }

    /// <summary>Takes a unit for <paramref name="op"/>, or queues it when none is free within the limit. True when it may go to the kernel now.</summary>
    public bool TryAdmit(IoOperation op, bool probe, int shares)
    {
        if (probe)
        {
            // A probe may pass queued requests: it only looks in the page cache unless it misses.
            if (TakeUnit(Budget.ProbeLimit))
            {
                Start(op, noWait: true);
                return true;
            }
        }
        else if (Queued == 0 && !_yielded && TakeUnit(Budget.Limit))
        {
            Start(op, noWait: false);
            return true;
        }

        Enqueue(op, shares);
        return false;
    }

    /// <summary>Gives back the unit of a request that completed, then serves the queue.</summary>
    public void Release(IoOperation op)
    {
        if (Budget.TracksLatency && op.Ticket.Read && !op.Ticket.NoWait)
        {
            // A read that reached the device (not a probe the cache served): its time there feeds the latency goal.
            _readTicks += Stopwatch.GetTimestamp() - op.Ticket.StartedAt;
            if (++_reads == LatencySamples)
            {
                Budget.ReportReadLatency(_readTicks / LatencySamples);
                _readTicks = 0;
                _reads = 0;
            }
        }

        InFlight--;
        Budget.SetInFlight(_owner.WorkerId, InFlight);
        _spare++;
        ServeQueue(afterRelease: true);
    }

    /// <summary>
    /// Serves queued requests while units can be had, leaving units to waiting workers that have fewer requests on the
    /// device (as few, right after this worker gave one back, so that equal workers take turns); gives spare units
    /// back when others need them or this worker has nothing in flight.
    /// </summary>
    public void ServeQueue(bool afterRelease = false)
    {
        while (Queued > 0 && !_yielded)
        {
            if (Budget.HasWaiters && Budget.ShouldYield(_owner.WorkerId, InFlight, orEqual: afterRelease))
            {
                _yielded = true;
                Budget.AddWaiter(_owner.WorkerId);
                break;
            }

            if (!TakeUnit(Budget.Limit))
            {
                Budget.AddWaiter(_owner.WorkerId);
                if (!TakeUnit(Budget.Limit))
                {
                    break;
                }
            }

            IoOperation op = Dequeue();
            Start(op, noWait: WantsProbe(op));
            _owner.Dispatch(op);
        }

        if (Queued == 0)
        {
            _yielded = false;
            Budget.RemoveWaiter(_owner.WorkerId);
        }

        if (_spare > 0 && (_spare > Budget.Batch || InFlight == 0 || Budget.HasWaiters))
        {
            int units = _spare;
            _spare = 0;
            Budget.Return(units, _owner.WorkerId);
        }
    }

    /// <summary>
    /// Called when another worker gave units back for this one: serves the queue, or, when it has nothing queued (its
    /// waiting mark was stale), passes the wake-up on to the workers that do wait.
    /// </summary>
    public void OnNudged()
    {
        _yielded = false;
        if (Queued > 0)
        {
            ServeQueue();
        }
        else if (Budget.HasWaiters && Budget.Used < Budget.Limit)
        {
            Budget.WakeWaiters(_owner.WorkerId);
        }
    }

    /// <summary>Takes a queued request out of the queue (its caller cancelled it, or the runtime is stopping).</summary>
    public void Remove(IoOperation op)
    {
        ref DeviceTicket ticket = ref op.Ticket;
        ref ClassQueue queue = ref _classes[ticket.ClassId];
        if (ticket.Previous is null)
        {
            queue.Head = ticket.Next;
        }
        else
        {
            ticket.Previous.Ticket.Next = ticket.Next;
        }

        if (ticket.Next is null)
        {
            queue.Tail = ticket.Previous;
        }
        else
        {
            ticket.Next.Ticket.Previous = ticket.Previous;
        }

        ticket.Next = null;
        ticket.Previous = null;
        ticket.Queued = false;
        Queued--;
        _owner.Counters(ticket.ClassId).Queued--;
    }

    private bool TakeUnit(int limit)
    {
        if (_spare > 0)
        {
            _spare--;
            return true;
        }

        int taken = Budget.TryTake(limit);
        if (taken == 0)
        {
            return false;
        }

        _spare += taken - 1;
        return true;
    }

    private void Start(IoOperation op, bool noWait)
    {
        op.Ticket.HoldsUnit = true;
        op.Ticket.NoWait = noWait;
        op.Ticket.StartedAt = Budget.TracksLatency ? Stopwatch.GetTimestamp() : 0;
        InFlight++;
        Budget.SetInFlight(_owner.WorkerId, InFlight);
        _owner.Counters(op.Ticket.ClassId).InFlight++;
    }

    private void Enqueue(IoOperation op, int shares)
    {
        ref DeviceTicket ticket = ref op.Ticket;
        ref ClassQueue queue = ref _classes[ticket.ClassId];
        _classLimit = Math.Max(_classLimit, ticket.ClassId + 1);
        long start = Math.Max(_virtualTime, queue.LastFinish);
        ticket.StartTag = start;
        queue.LastFinish = start + ((long)Cost(op) * 1000 / shares);
        ticket.QueuedAt = Stopwatch.GetTimestamp();
        ticket.Queued = true;
        ticket.Previous = queue.Tail;
        ticket.Next = null;
        if (queue.Tail is null)
        {
            queue.Head = op;
        }
        else
        {
            queue.Tail.Ticket.Next = op;
        }

        queue.Tail = op;
        Queued++;
        ref IoClassCounters counters = ref _owner.Counters(ticket.ClassId);
        counters.Queued++;
        counters.Waited++;
    }

    private IoOperation Dequeue()
    {
        int best = -1;
        long bestTag = long.MaxValue;
        for (int i = 0; i < _classLimit; i++)
        {
            IoOperation? head = _classes[i].Head;
            if (head is not null && head.Ticket.StartTag < bestTag)
            {
                best = i;
                bestTag = head.Ticket.StartTag;
            }
        }

        IoOperation op = _classes[best].Head!;
        _virtualTime = Math.Max(_virtualTime, bestTag);
        Remove(op);
        _owner.Counters(op.Ticket.ClassId).WaitTicks += Stopwatch.GetTimestamp() - op.Ticket.QueuedAt;
        return op;
    }

    /// <summary>
    /// The cost of a request: one unit per operation plus one per 128 KiB transferred, twice that for writes and
    /// flushes (a device takes longer to make data durable than to read it), in 1/1024 units.
    /// </summary>
    internal static int Cost(IoOperation op)
    {
        long units = 1024 + (op.DeviceBytes / 128);
        if (op.DeviceWork is DeviceWork.Write or DeviceWork.Flush)
        {
            units *= 2;
        }

        return (int)Math.Min(units, int.MaxValue / 1000);
    }

    private struct ClassQueue
    {
        public IoOperation? Head;
        public IoOperation? Tail;
        public long LastFinish;
    }
}
