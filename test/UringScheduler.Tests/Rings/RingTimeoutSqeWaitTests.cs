using System.Diagnostics;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


/// <summary>The timed wait of kernels without EXT_ARG (an internal TIMEOUT SQE), forced on this kernel.</summary>
public unsafe class RingTimeoutSqeWaitTests
{
    [Test]
    public void NothingInFlight_ReturnsZeroAfterTheTimeout_AndHidesTheInternalCompletion()
    {
        using var ring = Ring.Create(8);
        ring.ForceTimeoutSqeWait = true;
        var sw = Stopwatch.StartNew();
        int rc = ring.SubmitAndWait(1, 20_000_000);
        sw.Stop();

        Assert.That(rc, Is.Zero, "the internal TIMEOUT is not one of the caller's SQEs");
        Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(15)));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(ring.CqReady, Is.EqualTo(1u), "the internal TIMEOUT's own completion");
        Span<Cqe> cqes = stackalloc Cqe[4];
        Assert.That(ring.Drain(cqes), Is.Zero, "Drain discards it");
        Assert.That(ring.CqReady, Is.Zero);
        Assert.That(ring.TryPeek(out _), Is.False);
    }

    [Test]
    public void CompletionReady_ReturnsEarly_WithTheCallersCount()
    {
        using var ring = Ring.Create(8);
        ring.ForceTimeoutSqeWait = true;
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 5);
        var sw = Stopwatch.StartNew();
        Assert.That(ring.SubmitAndWait(1, 5_000_000_000), Is.EqualTo(1));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));

        Span<Cqe> cqes = stackalloc Cqe[4];
        int n = ring.Drain(cqes);
        Assert.That(n, Is.EqualTo(1));
        Assert.That(cqes[0].UserData, Is.EqualTo(5UL));
    }

    [Test]
    public void FullSq_CountsTheSqesOfBothEnters()
    {
        using var ring = Ring.Create(8);
        ring.ForceTimeoutSqeWait = true;
        for (int i = 0; i < 8; i++)
        {
            RingPrep.Nop(RingTestHelpers.GetSqe(ring), (ulong)i);
        }

        // No room for the TIMEOUT: the ring submits the eight NOPs first, then waits.
        Assert.That(ring.SubmitAndWait(8, 5_000_000_000), Is.EqualTo(8));
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 8);
        Assert.That(cqes.Select(c => c.UserData).Order(), Is.EqualTo(Enumerable.Range(0, 8).Select(i => (ulong)i)));
    }
}
