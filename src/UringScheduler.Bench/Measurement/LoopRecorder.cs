using HdrHistogram;

namespace UringScheduler.Bench.Measurement;

/// <summary>
/// Everything one read loop (or thread) measures: its own latency histogram and per-second bucket counts, so loops
/// never share a cache line or a lock while recording; <see cref="CaseMeasurement"/> merges them at the end.
/// </summary>
internal sealed class LoopRecorder
{
    /// <summary>Latencies above a minute are clamped: nothing here should take that long, and it bounds the histogram.</summary>
    public const long HighestTrackableNanoseconds = 60L * 1_000_000_000;

    private readonly MeasurementClock _clock;
    private readonly long[] _windows;
    private long _ops;
    private long _errors;

    public LoopRecorder(MeasurementClock clock)
    {
        _clock = clock;
        Histogram = new LongHistogram(HighestTrackableNanoseconds, 3);
        _windows = new long[clock.WindowCount * LatencyBuckets.Count];
    }

    public LongHistogram Histogram { get; }

    /// <summary>Measured operations so far; read from the progress thread without a lock (a stale value is fine).</summary>
    public long Ops => Volatile.Read(ref _ops);

    public long Errors => Volatile.Read(ref _errors);

    /// <summary>Counts of window <c>w</c>, bucket <c>b</c> at <c>[w * LatencyBuckets.Count + b]</c>.</summary>
    public ReadOnlySpan<long> Windows => _windows;

    /// <summary>Records one operation timed from <paramref name="start"/> to <paramref name="end"/> (timestamps).</summary>
    public void Record(long start, long end)
    {
        if (start < _clock.MeasureStart)
        {
            return;
        }

        long nanoseconds = Math.Min(MeasurementClock.TicksToNanoseconds(end - start), HighestTrackableNanoseconds);
        Histogram.RecordValue(nanoseconds);
        _windows[(_clock.WindowOf(start) * LatencyBuckets.Count) + LatencyBuckets.Of(nanoseconds)]++;
        Volatile.Write(ref _ops, _ops + 1);
    }

    /// <summary>Counts a failed or wrong read; warm-up included, since a wrong byte is wrong whenever it is read.</summary>
    public void RecordError() => Volatile.Write(ref _errors, _errors + 1);
}
