using System.Diagnostics;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingSubmitAndWaitTests
{
    [Test]
    public void SubmitAndWait_NothingInFlight_ReturnsZeroAfterTheTimeout()
    {
        using var ring = Ring.Create(8);
        var sw = Stopwatch.StartNew();
        int rc = ring.SubmitAndWait(1, 20_000_000);
        sw.Stop();
        Assert.That(rc, Is.Zero);
        Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(15)));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(ring.CqReady, Is.Zero);
    }

    [Test]
    public void SubmitAndWait_CompletionReady_ReturnsWithoutWaitingForTheTimeout()
    {
        using var ring = Ring.Create(8);
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 1);
        var sw = Stopwatch.StartNew();
        int rc = ring.SubmitAndWait(1, 5_000_000_000);
        sw.Stop();
        Assert.That(rc, Is.EqualTo(1), "one SQE consumed");
        Assert.That(ring.CqReady, Is.EqualTo(1u));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
    }
}
