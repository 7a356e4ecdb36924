using UringScheduler.Bench.Data;

namespace UringScheduler.Bench.Methods;

/// <summary>What a method needs to set up one case.</summary>
internal sealed record CaseContext(DataSet DataSet, int Concurrency, int Workers, bool Direct, bool Verify, bool FastPath = true, int SubmitBatch = 0, bool IoScheduler = true)
{
    /// <summary><see cref="UringIoSchedulerOptions.LatencyGoal"/> of the runtime.</summary>
    public TimeSpan IoLatencyGoal { get; init; }

    /// <summary><see cref="UringIoSchedulerOptions.DeviceCapacity"/> of the runtime.</summary>
    public int DeviceCapacity { get; init; }

    /// <summary>The runtime options of the uring, nop and mixed cases.</summary>
    public UringRuntimeOptions RuntimeOptions() => new()
    {
        WorkerCount = Workers,
        MaxSubmitBatch = SubmitBatch,
        IoScheduler = { Enabled = IoScheduler, LatencyGoal = IoLatencyGoal, DeviceCapacity = DeviceCapacity },
    };
}
