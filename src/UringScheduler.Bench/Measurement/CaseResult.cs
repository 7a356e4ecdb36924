namespace UringScheduler.Bench.Measurement;

/// <summary>The outcome of one case: the figures of the table and the JSON, plus the heatmap's counts.</summary>
internal sealed record CaseResult
{
    public required string Name { get; init; }

    public required string Method { get; init; }

    public required int Concurrency { get; init; }

    public long Ops { get; init; }

    public double Seconds { get; init; }

    public double Throughput { get; init; }

    public long P50Ns { get; init; }

    public long P90Ns { get; init; }

    public long P99Ns { get; init; }

    public long P999Ns { get; init; }

    public long P9999Ns { get; init; }

    public long MaxNs { get; init; }

    public double CpuNsPerOp { get; init; }

    public long ThreadPoolWorkItems { get; init; }

    public double AllocatedBytesPerOp { get; init; }

    public long Errors { get; init; }

    /// <summary>
    /// CPU time the rest of the machine used during the measured phase, in percent of all CPUs: near 0 on a quiet
    /// machine; anything large means the figures were taken under someone else's load.
    /// </summary>
    public double OtherCpuPercent { get; init; }

    /// <summary>Worker threads of the runtime (uring and nop cases), else 0.</summary>
    public int Workers { get; init; }

    /// <summary>Backend of the runtime (uring and nop cases): <c>IoUring</c>, or <c>Fallback</c> where io_uring is unusable.</summary>
    public string? Backend { get; init; }

    /// <summary>The share of the data set's pages in the page cache when the case started, 0 to 1.</summary>
    public double CachedFraction { get; init; }

    /// <summary>The same share when the case ended.</summary>
    public double CachedFractionAfter { get; init; }

    /// <summary>Mixed cases: MB/s (10^6 bytes) the background writer wrote during the measured phase; null for other cases.</summary>
    public double? BackgroundMegabytesPerSecond { get; init; }

    /// <summary>
    /// The regime the case ran in when a run has more than one (<c>memory-limited</c> for the extra table of the
    /// default run), else null. It prefixes the case's chart file names.
    /// </summary>
    public string? Regime { get; init; }

    /// <summary>Whether the runtime's I/O scheduler was on (uring, nop and mixed cases), else null.</summary>
    public bool? IoScheduler { get; init; }

    /// <summary>Operations measured in each second of the measured phase.</summary>
    public IReadOnlyList<long> OpsPerSecond { get; init; } = [];

    /// <summary>Heatmap counts: <c>[window, bucket]</c> with <see cref="LatencyBuckets"/> buckets.</summary>
    public long[,] Heatmap { get; init; } = new long[0, LatencyBuckets.Count];

    /// <summary>Why the case could not run (it then has no figures), else null.</summary>
    public string? Failure { get; init; }

    public bool Failed => Failure is not null;

    public static CaseResult FailedCase(string name, string method, int concurrency, string failure) => new()
    {
        Name = name,
        Method = method,
        Concurrency = concurrency,
        Errors = 1,
        Failure = failure,
    };
}
