namespace UringScheduler.Operations;

/// <summary>
/// What a request to a block device carries for the worker's I/O scheduler: the device (opaque to this layer), the
/// request's class and cost, its place in the worker's queue while it waits for device capacity, and whether it first
/// goes out with <c>RWF_NOWAIT</c> to be served from the page cache. Written and read on the owner's thread only,
/// except <see cref="Device"/>, <see cref="ClassId"/> and <see cref="Cost"/>, which the issuer sets before the hand-over.
/// </summary>
internal struct DeviceTicket
{
    /// <summary>The device the request goes to, or null when it is not scheduled (not a block-device file, or scheduling is off).</summary>
    public object? Device;

    /// <summary>The file, told when its file system refuses <c>RWF_NOWAIT</c>.</summary>
    public INoWaitRefusal? File;

    /// <summary>The request's I/O class (its index in the process).</summary>
    public int ClassId;

    /// <summary>The request's cost in the scheduler's units (operation and size, writes weigh more).</summary>
    public int Cost;

    /// <summary>Whether the file is not open with <c>O_DIRECT</c>, so a read may be served from the page cache.</summary>
    public bool Buffered;

    /// <summary>Whether the request is a read (<see cref="DeviceWork.Read"/>): one that may be a page-cache probe, and whose time on the device feeds a latency goal.</summary>
    public bool Read;

    /// <summary>Whether the request holds one unit of its device's capacity.</summary>
    public bool HoldsUnit;

    /// <summary>Whether the request is a buffered read submitted with <c>RWF_NOWAIT</c>: a page-cache probe.</summary>
    public bool NoWait;

    /// <summary>Whether a page-cache probe missed, and the request went back to the kernel without <c>RWF_NOWAIT</c>.</summary>
    public bool Missed;

    /// <summary>Whether the request waits in its worker's queue.</summary>
    public bool Queued;

    /// <summary>The request's start tag in its class's fair queue (virtual time).</summary>
    public long StartTag;

    /// <summary>When the request took its unit and went to the kernel (Stopwatch ticks; 0 when reads are not timed).</summary>
    public long StartedAt;

    /// <summary>When the request was queued (Stopwatch ticks).</summary>
    public long QueuedAt;

    /// <summary>The next and previous requests in the same class queue.</summary>
    public IoOperation? Next;

    /// <inheritdoc cref="Next"/>
    public IoOperation? Previous;
}
