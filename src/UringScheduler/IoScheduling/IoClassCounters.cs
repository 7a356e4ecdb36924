namespace UringScheduler.IoScheduling;

/// <summary>One worker's counters for one I/O class. Written on the worker's thread, read racily by the meter.</summary>
internal struct IoClassCounters
{
    /// <summary>Operations waiting in the worker's queues now.</summary>
    public long Queued;

    /// <summary>Operations of the class on a device now.</summary>
    public long InFlight;

    /// <summary>Operations that completed.</summary>
    public long Completed;

    /// <summary>Operations that had to wait for capacity.</summary>
    public long Waited;

    /// <summary>Total time waited for capacity, in Stopwatch ticks.</summary>
    public long WaitTicks;
}
