using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingCompletionConsumeTests
{
    [Test]
    public void Drain_IntoSmallBuffer_LeavesTheRestForTheNextDrain()
    {
        using var ring = Ring.Create(8);
        for (int i = 0; i < 5; i++)
        {
            RingPrep.Nop(RingTestHelpers.GetSqe(ring), (ulong)i);
        }

        Assert.That(ring.SubmitAndWait(5), Is.EqualTo(5));
        Assert.That(ring.CqReady, Is.EqualTo(5u));

        Span<Cqe> two = stackalloc Cqe[2];
        Assert.That(ring.Drain(two), Is.EqualTo(2));
        Assert.That(ring.CqReady, Is.EqualTo(3u), "only the copied CQEs are consumed");
        var seen = new List<ulong> { two[0].UserData, two[1].UserData };
        Assert.That(ring.Drain(two), Is.EqualTo(2));
        seen.Add(two[0].UserData);
        seen.Add(two[1].UserData);
        Assert.That(ring.Drain(two), Is.EqualTo(1));
        seen.Add(two[0].UserData);
        Assert.That(ring.Drain(two), Is.Zero);
        Assert.That(seen, Is.EqualTo(new ulong[] { 0, 1, 2, 3, 4 }), "NOPs complete in submission order");
    }

    [Test]
    public void TryPeek_DoesNotConsume_AdvanceDoes()
    {
        using var ring = Ring.Create(8);
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 1);
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 2);
        Assert.That(ring.SubmitAndWait(2), Is.EqualTo(2));

        Assert.That(ring.TryPeek(out Cqe first), Is.True);
        Assert.That(ring.TryPeek(out Cqe again), Is.True);
        Assert.That(first.UserData, Is.EqualTo(1UL));
        Assert.That(again.UserData, Is.EqualTo(1UL), "peeking twice sees the same CQE");
        Assert.That(ring.CqReady, Is.EqualTo(2u));

        ring.Advance(1);
        Assert.That(ring.TryPeek(out Cqe second), Is.True);
        Assert.That(second.UserData, Is.EqualTo(2UL));
        ring.Advance(1);
        Assert.That(ring.TryPeek(out _), Is.False);
        Assert.That(ring.CqReady, Is.Zero);
    }

    [Test]
    public void CqSlots_AreReusedAroundTheRing()
    {
        // Many more completions than CQ slots, reaped as they come: the head and tail wrap the mask many times.
        using var ring = Ring.Create(2, cqEntries: 2);
        Span<Cqe> one = stackalloc Cqe[1];
        for (ulong i = 0; i < 1000; i++)
        {
            RingPrep.Nop(RingTestHelpers.GetSqe(ring), i);
            Assert.That(ring.SubmitAndWait(1), Is.EqualTo(1));
            Assert.That(ring.Drain(one), Is.EqualTo(1));
            Assert.That(one[0].UserData, Is.EqualTo(i));
        }

        Assert.That(ring.CqOverflowPending, Is.False);
    }
}
