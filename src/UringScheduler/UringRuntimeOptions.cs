namespace UringScheduler;

/// <summary>Options for a <see cref="UringRuntime"/>.</summary>
public sealed class UringRuntimeOptions
{
    /// <summary>Number of worker threads, each with its own ring. Default: <see cref="Environment.ProcessorCount"/>; must be at least 1.</summary>
    public int WorkerCount { get; set; } = Environment.ProcessorCount;

    /// <summary>Submission queue size of each ring. Default 256; a power of two from 1 to 32768.</summary>
    public int RingEntries { get; set; } = 256;

    /// <summary>When true (the default), worker <c>i</c> is pinned to the <c>i</c>-th CPU the process may run on (wrapping around).</summary>
    public bool PinWorkersToCpus { get; set; } = true;

    /// <summary>How I/O is performed. Default <see cref="UringBackend.Auto"/>.</summary>
    public UringBackend Backend { get; set; } = UringBackend.Auto;

    /// <summary>
    /// Upper bound on the kernel's io-wq worker threads per ring for each of its bounded and unbounded pools
    /// (<c>IORING_REGISTER_IOWQ_MAX_WORKERS</c>), so that page-cache misses on buffered files cannot spawn hundreds of
    /// kernel threads. Default 0: twice the number of CPUs the process may run on. A negative value leaves the kernel's limit.
    /// </summary>
    public int MaxKernelWorkers { get; set; }

    /// <summary>
    /// Most ready work items (continuations, posted callbacks, queued tasks) a worker runs before it drains completions
    /// and submits again. Default 256. Keeps one busy task from starving completions.
    /// </summary>
    public int WorkBudget { get; set; } = 256;

    /// <summary>
    /// A loop turn that keeps a worker busy longer than this is a stall: a watchdog thread of the runtime reports it
    /// while it lasts (a <c>WorkerStalled</c> warning with the worker, the duration so far and the code it last started,
    /// repeated each time the duration doubles), counts it on the <c>uring.loop.stalls</c> counter, and the worker logs
    /// its total (<c>LoopStall</c>) when the turn ends. A worker asleep in the kernel is idle, not stalled, and an idle
    /// runtime leaves the watchdog parked. Default 100 ms; <see cref="TimeSpan.Zero"/> disables the detector and its thread.
    /// </summary>
    public TimeSpan StallThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Slots in each ring's registered-file table (sparse). A <c>UringFile</c> takes one slot per worker that
    /// uses it, so its operations go out with <c>IOSQE_FIXED_FILE</c> and skip the kernel's per-operation file lookup.
    /// Default 1024; 0 disables registered files. Capped by RLIMIT_NOFILE.
    /// </summary>
    public int RegisteredFileSlots { get; set; } = 1024;

    /// <summary>
    /// Buffers in the runtime's registered buffer pool (<c>UringRuntime.Buffers</c>), registered in every ring for
    /// <c>READ_FIXED</c>/<c>WRITE_FIXED</c>. Default 0: no pool. The pool's memory is locked by the kernel and counts
    /// against RLIMIT_MEMLOCK once per ring (unless the process has CAP_IPC_LOCK).
    /// </summary>
    public int RegisteredBufferCount { get; set; }

    /// <summary>Size of each registered buffer in bytes: a multiple of 4096, default 65536.</summary>
    public int RegisteredBufferSize { get; set; } = 65536;

    /// <summary>
    /// Receive buffers per worker for leased receives (<c>UringSocket.ReceiveBufferAsync</c>): a power of two, default
    /// 256. They are allocated on a worker the first time one of its sockets receives that way; on a kernel with
    /// provided buffer rings (Linux 6.0) the kernel picks one for each receive of a multishot receive.
    /// </summary>
    public int ReceiveBufferCount { get; set; } = 256;

    /// <summary>Size of each receive buffer in bytes, the most one leased receive returns: default 16384.</summary>
    public int ReceiveBufferSize { get; set; } = 16384;

    /// <summary>
    /// Most SQEs handed to the kernel per <c>io_uring_enter</c>. Default 0: everything a loop turn prepared goes in one
    /// call, which is what cached reads and other operations the kernel completes inline want (one system call per
    /// batch). A small limit (1-4) suits buffered reads that miss the page cache: the kernel starts their device I/O
    /// one operation after another within the call and holds it back (block plug) until the whole batch is in, which
    /// can cost a device a visible share of its throughput (docs/benchmarks.md has measurements).
    /// </summary>
    public int MaxSubmitBatch { get; set; }

    /// <summary>
    /// The device-aware I/O scheduler: operations in flight per block device, I/O classes and their shares, page-cache
    /// reads first. On by default; docs/io-scheduler.md describes it.
    /// </summary>
    public UringIoSchedulerOptions IoScheduler => _ioScheduler;

    private UringIoSchedulerOptions _ioScheduler = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (WorkerCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WorkerCount), WorkerCount, "UringRuntimeOptions.WorkerCount must be at least 1.");
        }

        if (RingEntries < 1 || RingEntries > 32768 || (RingEntries & (RingEntries - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RingEntries), RingEntries, "UringRuntimeOptions.RingEntries must be a power of two from 1 to 32768.");
        }

        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, "UringRuntimeOptions.Backend is not a UringBackend value.");
        }

        if (WorkBudget < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WorkBudget), WorkBudget, "UringRuntimeOptions.WorkBudget must be at least 1.");
        }

        if (RegisteredFileSlots < 0 || RegisteredFileSlots > 1 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(RegisteredFileSlots), RegisteredFileSlots, "UringRuntimeOptions.RegisteredFileSlots must be from 0 to 1048576.");
        }

        if (RegisteredBufferCount < 0 || RegisteredBufferCount > 16384)
        {
            throw new ArgumentOutOfRangeException(nameof(RegisteredBufferCount), RegisteredBufferCount, "UringRuntimeOptions.RegisteredBufferCount must be from 0 to 16384 (the kernel's limit).");
        }

        if (RegisteredBufferSize < 4096 || RegisteredBufferSize % 4096 != 0 || RegisteredBufferSize > 1 << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(RegisteredBufferSize), RegisteredBufferSize, "UringRuntimeOptions.RegisteredBufferSize must be a multiple of 4096 up to 1 GiB.");
        }

        if (ReceiveBufferCount < 1 || ReceiveBufferCount > 32768 || (ReceiveBufferCount & (ReceiveBufferCount - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferCount), ReceiveBufferCount, "UringRuntimeOptions.ReceiveBufferCount must be a power of two from 1 to 32768.");
        }

        if (ReceiveBufferSize < 1 || ReceiveBufferSize > 1 << 24)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), ReceiveBufferSize, "UringRuntimeOptions.ReceiveBufferSize must be from 1 byte to 16 MiB.");
        }

        if (MaxSubmitBatch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSubmitBatch), MaxSubmitBatch, "UringRuntimeOptions.MaxSubmitBatch must be 0 (no limit) or positive.");
        }

        if (StallThreshold < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallThreshold), StallThreshold, "UringRuntimeOptions.StallThreshold must not be negative.");
        }

        _ioScheduler.Validate();
    }

    /// <summary>
    /// Test seam: a runtime made with these options behaves as if the io_uring probe had failed with this cause, so the
    /// Auto and IoUring paths of a machine without io_uring can be exercised on one that has it.
    /// </summary>
    internal UringUnavailableException? SimulatedProbeFailure { get; set; }

    /// <summary>
    /// Test seam: the io_uring engine uses no multishot request, as on a kernel before 5.19: accepts are single-shot,
    /// and leased receives use a free list and single-shot receives instead of a provided buffer ring.
    /// </summary>
    internal bool SimulateNoMultishot { get; set; }

    /// <summary>
    /// Test seam: the fault plan for the ring of each worker (by worker id; null for none), which makes that ring answer
    /// as the kernel rarely does. Null (the default) in production.
    /// </summary>
    internal Func<int, Rings.IRingFaults?>? RingFaults { get; set; }

    internal UringRuntimeOptions Clone()
    {
        var clone = (UringRuntimeOptions)MemberwiseClone();
        clone._ioScheduler = _ioScheduler.Clone();
        return clone;
    }
}
