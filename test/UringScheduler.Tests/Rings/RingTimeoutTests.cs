using System.Diagnostics;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingTimeoutTests
{
    [Test]
    public void Timeout_Fires_WithEtime_AfterRoughlyItsDuration()
    {
        using var ring = Ring.Create(8);
        KernelTimespec ts = KernelTimespec.FromNanoseconds(50_000_000);
        var sw = Stopwatch.StartNew();
        RingPrep.Timeout(RingTestHelpers.GetSqe(ring), &ts, count: 0, flags: 0, userData: 77);
        Cqe cqe = RingTestHelpers.WaitForCompletions(ring, 1)[0];
        sw.Stop();

        Assert.That(cqe.UserData, Is.EqualTo(77UL));
        Assert.That(cqe.Res, Is.EqualTo(-Errno.ETIME));

        // Loose bounds: never early (allow for clock granularity), and not stuck for seconds.
        Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(45)));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public void Timeout_WithCount_CompletesWithZero_OnceEnoughOtherCompletionsArrived()
    {
        using var ring = Ring.Create(8);
        KernelTimespec ts = KernelTimespec.FromNanoseconds(10_000_000_000);
        RingPrep.Timeout(RingTestHelpers.GetSqe(ring), &ts, count: 2, flags: 0, userData: 1);
        Assert.That(ring.Submit(), Is.EqualTo(1));
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 2);
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 3);

        var sw = Stopwatch.StartNew();
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 3);
        Assert.That(RingTestHelpers.Single(cqes, 1).Res, Is.Zero, "a counted timeout completes with 0, not ETIME");
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
    }
}
