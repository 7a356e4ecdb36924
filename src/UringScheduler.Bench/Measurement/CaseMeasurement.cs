using HdrHistogram;

namespace UringScheduler.Bench.Measurement;

/// <summary>Merges the per-loop recorders and the process counters of one case into a <see cref="CaseResult"/>.</summary>
internal static class CaseMeasurement
{
    public static CaseResult Summarize(
        string name,
        string method,
        int concurrency,
        int workers,
        MeasurementClock clock,
        IReadOnlyList<LoopRecorder> recorders,
        ProcessCounters before,
        ProcessCounters after)
    {
        LongHistogram merged = new(LoopRecorder.HighestTrackableNanoseconds, 3);
        long errors = 0;
        long[,] heatmap = new long[clock.WindowCount, LatencyBuckets.Count];
        foreach (LoopRecorder recorder in recorders)
        {
            merged.Add(recorder.Histogram);
            errors += recorder.Errors;
            ReadOnlySpan<long> windows = recorder.Windows;
            for (int w = 0; w < clock.WindowCount; w++)
            {
                for (int b = 0; b < LatencyBuckets.Count; b++)
                {
                    heatmap[w, b] += windows[(w * LatencyBuckets.Count) + b];
                }
            }
        }

        long[] perSecond = new long[clock.WindowCount];
        for (int w = 0; w < clock.WindowCount; w++)
        {
            for (int b = 0; b < LatencyBuckets.Count; b++)
            {
                perSecond[w] += heatmap[w, b];
            }
        }

        long ops = merged.TotalCount;
        double seconds = clock.MeasuredSeconds;
        double cpuNs = (after.CpuTime - before.CpuTime).TotalNanoseconds;
        double machineSeconds = Environment.ProcessorCount * ((after.Timestamp - before.Timestamp) / (double)System.Diagnostics.Stopwatch.Frequency);
        TimeSpan others = (after.SystemBusy - before.SystemBusy) - (after.CpuTime - before.CpuTime);
        long allocated = (after.AllocatedBytes - before.AllocatedBytes) - (after.RunnerAllocatedBytes - before.RunnerAllocatedBytes);
        return new CaseResult
        {
            Name = name,
            Method = method,
            Concurrency = concurrency,
            Workers = workers,
            Ops = ops,
            Seconds = seconds,
            Throughput = seconds > 0 ? ops / seconds : 0,
            P50Ns = ops > 0 ? merged.GetValueAtPercentile(50) : 0,
            P90Ns = ops > 0 ? merged.GetValueAtPercentile(90) : 0,
            P99Ns = ops > 0 ? merged.GetValueAtPercentile(99) : 0,
            P999Ns = ops > 0 ? merged.GetValueAtPercentile(99.9) : 0,
            P9999Ns = ops > 0 ? merged.GetValueAtPercentile(99.99) : 0,
            MaxNs = ops > 0 ? merged.GetMaxValue() : 0,
            CpuNsPerOp = ops > 0 ? cpuNs / ops : 0,
            ThreadPoolWorkItems = after.ThreadPoolWorkItems - before.ThreadPoolWorkItems,
            AllocatedBytesPerOp = ops > 0 ? Math.Max(0, allocated) / (double)ops : 0,
            Errors = errors,
            OtherCpuPercent = machineSeconds > 0 ? Math.Clamp(100 * others.TotalSeconds / machineSeconds, 0, 100) : 0,
            OpsPerSecond = perSecond,
            Heatmap = heatmap,
        };
    }
}
