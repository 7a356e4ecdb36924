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
    /// A work item that keeps a worker busy longer than this is reported as a stall (log and metric). Default 100 ms;
    /// <see cref="TimeSpan.Zero"/> disables the detector.
    /// </summary>
    public TimeSpan StallThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

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

        if (StallThreshold < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallThreshold), StallThreshold, "UringRuntimeOptions.StallThreshold must not be negative.");
        }
    }

    internal UringRuntimeOptions Clone() => (UringRuntimeOptions)MemberwiseClone();
}
