using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Running;

/// <summary>
/// Where the data is expected to be while a set of cases runs, and what was observed: <c>cached</c> (the page cache
/// holds it), <c>direct</c> (<c>O_DIRECT</c> reads bypass it) or <c>memory-limited</c> (a memory cgroup smaller than the
/// data keeps it out). A run has one regime, or two for the default run's second table.
/// </summary>
internal sealed class Regime
{
    public const string Cached = "cached";
    public const string Direct = "direct";
    public const string MemoryLimited = "memory-limited";

    public required string Name { get; init; }

    /// <summary>Prefix of this regime's chart files and <see cref="CaseResult.Regime"/>; null for a run's first regime.</summary>
    public string? Tag { get; init; }

    public required TimeSpan Warmup { get; init; }

    public required TimeSpan Duration { get; init; }

    public long? MemoryLimitBytes { get; init; }

    /// <summary>The cgroup made for the cases (relative to its hierarchy's root), or null.</summary>
    public string? Cgroup { get; set; }

    public int CgroupVersion { get; set; }

    /// <summary>The memory cgroup <c>/proc/self/cgroup</c> named at the end of the last case, before leaving it: proof the cases ran there.</summary>
    public string? CgroupSeen { get; set; }

    /// <summary>The most memory the cgroup was charged (page cache included), or -1 where the kernel does not say.</summary>
    public long CgroupPeakBytes { get; set; } = -1;

    /// <summary>What the reader of the table should know: warming done, residency not as the regime promises.</summary>
    public List<string> Notes { get; } = [];

    public List<CaseResult> Results { get; } = [];

    /// <summary>Whether the cases are expected to find the data in the page cache (~1) or mostly not (&lt; 0.5).</summary>
    public bool ExpectsCached => Name == Cached;

    public string Description => Name switch
    {
        Cached => "cached: the page cache holds the data set",
        Direct => "direct: O_DIRECT reads bypass the page cache (mmap cannot)",
        _ => $"memory-limited: the cases run in a memory cgroup of {Data.SizeParser.Format(MemoryLimitBytes ?? 0)}, the data set dropped from the page cache first",
    };
}
