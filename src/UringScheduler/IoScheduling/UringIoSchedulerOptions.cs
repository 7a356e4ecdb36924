namespace UringScheduler;

/// <summary>
/// The device-aware I/O scheduler: a bound on the operations in flight per block device, shared by all workers, with
/// what is over the bound queued per worker in user space and served by class (<see cref="UringIoClass"/>).
/// </summary>
public sealed class UringIoSchedulerOptions
{
    /// <summary>Whether file I/O goes through the scheduler. Default true; false submits every operation at once, as the kernel receives it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Operations in flight per device, over all workers. 0 (the default) takes it from the device: half its request
    /// queue (<c>queue/nr_requests</c> times the number of hardware queues), so a worker never waits in the kernel for
    /// a request tag.
    /// </summary>
    public int DeviceCapacity { get; set; }

    /// <summary>
    /// A goal for the time a read spends on the device. When set, each device's limit adapts to it: while reads that
    /// reached the device take longer on average than the goal, the limit shrinks by an eighth (down to 2 operations),
    /// so that what is over it waits in the workers' queues, where classes are served by their shares, instead of in
    /// the device; while they take under three quarters of it, the limit grows by one, up to
    /// <see cref="DeviceCapacity"/>. Default <see cref="TimeSpan.Zero"/>: the limit stays at the capacity.
    /// </summary>
    public TimeSpan LatencyGoal { get; set; }

    /// <summary>
    /// Whether a buffered read is first tried with <c>RWF_NOWAIT</c>, served from the page cache without waiting for
    /// device capacity; only a miss waits for it. Default true. Has no effect on <c>O_DIRECT</c> files or on the
    /// fallback backend.
    /// </summary>
    public bool TryPageCacheFirst { get; set; } = true;

    /// <summary>
    /// Shares by class name, replacing the shares a class was made with on this runtime (for example
    /// <c>"background": 50</c> in the hosting configuration section).
    /// </summary>
    public IDictionary<string, int> ClassShares => _classShares;

    private Dictionary<string, int> _classShares = new(StringComparer.OrdinalIgnoreCase);

    internal void Validate()
    {
        if (DeviceCapacity < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(DeviceCapacity), DeviceCapacity, "DeviceCapacity must be 0 (from the device) or positive.");
        }

        if (LatencyGoal < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LatencyGoal), LatencyGoal, "LatencyGoal must be zero (no goal) or positive.");
        }

        foreach (KeyValuePair<string, int> entry in _classShares)
        {
            if (entry.Value is < 1 or > 10_000)
            {
                throw new ArgumentOutOfRangeException(nameof(ClassShares), entry.Value, $"The shares of I/O class '{entry.Key}' must be 1 to 10,000.");
            }
        }
    }

    /// <summary>The shares <paramref name="ioClass"/> has on a runtime with these options.</summary>
    internal int SharesOf(UringIoClass ioClass) => _classShares.TryGetValue(ioClass.Name, out int shares) ? shares : ioClass.Shares;

    internal UringIoSchedulerOptions Clone()
    {
        var clone = (UringIoSchedulerOptions)MemberwiseClone();
        clone._classShares = new Dictionary<string, int>(_classShares, StringComparer.OrdinalIgnoreCase);
        return clone;
    }
}
