using System.Diagnostics;

namespace UringScheduler.Bench.Measurement;

/// <summary>Process-wide counters sampled at the edges of the measured phase; a case reports their deltas.</summary>
internal readonly record struct ProcessCounters(TimeSpan CpuTime, long ThreadPoolWorkItems, long AllocatedBytes, long RunnerAllocatedBytes, TimeSpan SystemBusy, long Timestamp)
{
    /// <summary>
    /// Samples now. <see cref="RunnerAllocatedBytes"/> is what the calling (runner) thread allocated so far: the progress
    /// display renders on it, and subtracting it keeps the display's allocations out of the per-operation figure.
    /// </summary>
    public static ProcessCounters Capture() => new(
        Environment.CpuUsage.TotalTime,
        ThreadPool.CompletedWorkItemCount,
        GC.GetTotalAllocatedBytes(precise: true),
        GC.GetAllocatedBytesForCurrentThread(),
        SystemCpu.Busy(),
        Stopwatch.GetTimestamp());
}
