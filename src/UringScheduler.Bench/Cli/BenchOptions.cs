using UringScheduler.Bench.Data;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Cli;

/// <summary>A run's settings after parsing and validation: every value here is usable as it is.</summary>
internal sealed record BenchOptions
{
    /// <summary>The seed's experiment: uring against mmap at three depths.</summary>
    public const string DefaultCases = "uring_8,uring_32,uring_512,mmap_8,mmap_32,mmap_512";

    public required IReadOnlyList<CaseSpec> Cases { get; init; }

    public required TimeSpan Duration { get; init; }

    public required TimeSpan Warmup { get; init; }

    public required int Workers { get; init; }

    public required DataSetSpec Data { get; init; }

    public required bool Direct { get; init; }

    /// <summary>uring cases use registered files (<see cref="UringFile"/>) and registered buffers (READ_FIXED). On by default.</summary>
    public bool FastPath { get; init; } = true;

    /// <summary>uring, nop and mixed cases: <see cref="UringRuntimeOptions.MaxSubmitBatch"/> (0: no limit).</summary>
    public int SubmitBatch { get; init; }

    /// <summary>uring, nop and mixed cases: <see cref="UringIoSchedulerOptions.Enabled"/>. On by default.</summary>
    public bool IoScheduler { get; init; } = true;

    /// <summary>uring, nop and mixed cases: <see cref="UringIoSchedulerOptions.LatencyGoal"/> (zero: none).</summary>
    public TimeSpan IoLatencyGoal { get; init; }

    /// <summary>uring, nop and mixed cases: <see cref="UringIoSchedulerOptions.DeviceCapacity"/> (0: from the device).</summary>
    public int DeviceCapacity { get; init; }

    /// <summary>When set, the cases run inside a memory cgroup of this many bytes, after the data set's pages are dropped.</summary>
    public long? MemoryLimit { get; init; }

    /// <summary>
    /// With no arguments: after the cases, run them again in a memory cgroup of a limit chosen from the data set's
    /// size (where one can be made), for a second table beside the first.
    /// </summary>
    public bool AddMemoryLimitedRegime { get; init; }

    /// <summary>Run the device capacity probe instead of cases.</summary>
    public bool ProbeDevice { get; init; }

    /// <summary>The probe's latency goal: depths whose p99 exceeds it are not recommended.</summary>
    public TimeSpan LatencyGoal { get; init; } = TimeSpan.FromMilliseconds(2);

    public required bool Verify { get; init; }

    public required string JsonPath { get; init; }

    public required string ReportDirectory { get; init; }

    /// <summary>The arguments as given, for the report.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }
}
