using UringScheduler.Operations;

namespace UringScheduler.IoScheduling;

/// <summary>
/// A worker's side of the device-aware I/O scheduler. A request to a block device takes a unit of the device's
/// capacity (shared by the runtime's workers) before it goes to the kernel; over capacity it waits in this worker's
/// queue for the device, in user space, while the worker goes on running its other completions and continuations.
/// A buffered read first goes out as a page-cache probe (<c>RWF_NOWAIT</c>) that holds its unit only until the cache
/// answers. Worker thread only.
/// </summary>
internal sealed class WorkerIoScheduler
{
    private readonly IDeviceDispatcher _dispatcher;
    private readonly DeviceBudgets _budgets;
    private readonly UringIoSchedulerOptions _options;
    private readonly IoClassCounters[] _counters = new IoClassCounters[UringIoClass.MaxClasses];
    private readonly int[] _shares = new int[UringIoClass.MaxClasses];
    private DeviceQueue?[] _queues = [];

    public WorkerIoScheduler(IDeviceDispatcher dispatcher, DeviceBudgets budgets, UringIoSchedulerOptions options, bool probes)
    {
        _dispatcher = dispatcher;
        _budgets = budgets;
        _options = options;
        Probes = probes && options.TryPageCacheFirst;
    }

    /// <summary>Whether buffered reads go out first as page-cache probes (the io_uring engine, and the option on).</summary>
    public bool Probes { get; }

    public int WorkerId => _dispatcher.WorkerId;

    /// <summary>Page-cache probes the cache served.</summary>
    public long ProbeHits { get; private set; }

    /// <summary>Page-cache probes that missed and went on to the device.</summary>
    public long ProbeMisses { get; private set; }

    /// <summary>Requests waiting for device capacity on this worker.</summary>
    public int Queued { get; private set; }

    /// <summary>This worker's counters for the class numbered <paramref name="classId"/>.</summary>
    public ref IoClassCounters Counters(int classId) => ref _counters[classId];

    /// <summary>
    /// Submits <paramref name="op"/> (its ticket names a device) to the kernel now if its device has capacity, else
    /// queues it. The operation is already in the worker's slab and is cancellable either way.
    /// </summary>
    public void Submit(IoOperation op)
    {
        DeviceQueue queue = QueueOf((BlockDevice)op.Ticket.Device!);
        if (queue.TryAdmit(op, queue.WantsProbe(op), SharesOf(op.Ticket.ClassId)))
        {
            _dispatcher.SubmitToEngine(op);
        }
        else
        {
            Queued++;
            queue.ServeQueue(); // registers as a waiter, and catches units given back meanwhile
        }
    }

    /// <summary>Called for a request that held a unit, before it completes: counts it, gives the unit back and serves the queue.</summary>
    public void OnCompleted(IoOperation op)
    {
        ref DeviceTicket ticket = ref op.Ticket;
        DeviceQueue queue = QueueOf((BlockDevice)ticket.Device!);
        if (ticket.NoWait)
        {
            ProbeHits++;
            queue.OnProbeOutcome(hit: true);
        }
        else if (ticket.Missed)
        {
            ProbeMisses++;
            queue.OnProbeOutcome(hit: false);
        }

        ref IoClassCounters counters = ref _counters[ticket.ClassId];
        counters.InFlight--;
        counters.Completed++;
        ticket.HoldsUnit = false;
        queue.Release(op);
    }

    /// <summary>Takes a queued request out of its queue, so that it can end without reaching the kernel.</summary>
    public void Remove(IoOperation op)
    {
        QueueOf((BlockDevice)op.Ticket.Device!).Remove(op);
        Queued--;
    }

    /// <summary>Called on the worker when another worker gave device capacity back: serves the queues that wait.</summary>
    public void NudgeAll()
    {
        foreach (DeviceQueue? queue in _queues)
        {
            queue?.OnNudged();
        }
    }

    /// <summary>Called when a queued request is dispatched by the queue.</summary>
    internal void Dispatch(IoOperation op)
    {
        Queued--;
        _dispatcher.SubmitToEngine(op);
    }

    private int SharesOf(int classId)
    {
        int shares = _shares[classId];
        if (shares == 0)
        {
            shares = _shares[classId] = UringIoClass.FromId(classId) is { } ioClass ? _options.SharesOf(ioClass) : 1000;
        }

        return shares;
    }

    private DeviceQueue QueueOf(BlockDevice device)
    {
        DeviceQueue?[] queues = _queues;
        if ((uint)device.Index < (uint)queues.Length && queues[device.Index] is { } queue)
        {
            return queue;
        }

        return AddQueue(device);
    }

    private DeviceQueue AddQueue(BlockDevice device)
    {
        if (device.Index >= _queues.Length)
        {
            Array.Resize(ref _queues, device.Index + 1);
        }

        var queue = new DeviceQueue(this, _budgets.Of(device));
        _queues[device.Index] = queue;
        return queue;
    }
}
