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

    /// <summary>uring and nop cases: <see cref="UringRuntimeOptions.MaxSubmitBatch"/> (0: no limit).</summary>
    public int SubmitBatch { get; init; }

    public required bool Verify { get; init; }

    public required string JsonPath { get; init; }

    public required string ReportDirectory { get; init; }

    /// <summary>The arguments as given, for the report.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }
}
