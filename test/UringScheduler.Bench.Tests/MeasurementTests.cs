using System.Diagnostics;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Tests;

public class MeasurementTests
{
    [TestCase(1L, 0)]
    [TestCase(31L, 0)]
    [TestCase(32L, 0)]
    [TestCase(40L, 1)]
    [TestCase(48L, 2)]
    [TestCase(56L, 3)]
    [TestCase(64L, 4)]
    [TestCase(long.MaxValue, LatencyBuckets.Count - 1)]
    public void BucketsAreQuarterOctaves(long ns, int bucket)
    {
        Assert.That(LatencyBuckets.Of(ns), Is.EqualTo(bucket));
    }

    [Test]
    public void BucketLowerBoundsAreMonotonicAndConsistent()
    {
        for (int b = 1; b < LatencyBuckets.Count; b++)
        {
            Assert.That(LatencyBuckets.LowerBound(b), Is.GreaterThan(LatencyBuckets.LowerBound(b - 1)));
            Assert.That(LatencyBuckets.Of((long)LatencyBuckets.LowerBound(b)), Is.EqualTo(b));
        }
    }

    [Test]
    public void WarmupIsNotRecordedAndWindowsSplitBySecond()
    {
        MeasurementClock clock = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        LoopRecorder recorder = new(clock);
        recorder.Record(0, 10);
        Assert.That(recorder.Ops, Is.Zero, "nothing counts before the clock starts");

        clock.Begin();
        long f = Stopwatch.Frequency;
        recorder.Record(clock.MeasureStart - 1, clock.MeasureStart + 100);
        recorder.Record(clock.MeasureStart, clock.MeasureStart + (f / 1_000_000));           // 1 µs, second 0
        recorder.Record(clock.MeasureStart + (2 * f), clock.MeasureStart + (2 * f) + (f / 1000)); // 1 ms, second 2
        recorder.RecordError();

        CaseResult result = CaseMeasurement.Summarize("x_1", "x", 1, 0, clock, [recorder], default, default);
        Assert.Multiple(() =>
        {
            Assert.That(result.Ops, Is.EqualTo(2));
            Assert.That(result.Errors, Is.EqualTo(1));
            Assert.That(result.OpsPerSecond, Is.EqualTo(new long[] { 1, 0, 1 }));
            Assert.That(result.MaxNs, Is.InRange(999_000, 1_001_000));
            Assert.That(result.Seconds, Is.EqualTo(3).Within(0.001));
        });
    }
}
