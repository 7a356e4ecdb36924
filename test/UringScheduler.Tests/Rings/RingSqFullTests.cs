using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingSqFullTests
{
    [Test]
    public void TryGetSqe_ReturnsNullWhenFull_AndWorksAgainAfterSubmit()
    {
        using var ring = Ring.Create(8);
        Assert.That(ring.SqEntries, Is.EqualTo(8u));
        var handedOut = new HashSet<nint>();
        for (int i = 0; i < 8; i++)
        {
            Sqe* sqe = ring.TryGetSqe();
            Assert.That(sqe != null, $"SQE {i} of 8");
            Assert.That(handedOut.Add((nint)sqe), "each SQE is a distinct slot");
            RingPrep.Nop(sqe, (ulong)i);
        }

        Assert.That(ring.TryGetSqe() == null, "the ninth SQE does not exist");
        Assert.That(ring.SqPending, Is.EqualTo(8u));
        Assert.That(ring.SqSpaceLeft, Is.Zero);

        Assert.That(ring.Submit(), Is.EqualTo(8));
        Assert.That(ring.SqPending, Is.Zero);
        Assert.That(ring.SqSpaceLeft, Is.EqualTo(8u));

        Sqe* again = ring.TryGetSqe();
        Assert.That(again != null, "room again once the kernel consumed the SQ");
        Assert.That(handedOut, Does.Contain((nint)again), "slots are reused around the ring");
        Assert.That(again->Opcode == 0 && again->UserData == 0, "a reused SQE comes zeroed");
        RingPrep.Nop(again, 8);

        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 9);
        Assert.That(cqes.Select(c => c.UserData).Order(), Is.EqualTo(Enumerable.Range(0, 9).Select(i => (ulong)i)));
    }

    [Test]
    public void UngetSqe_GivesTheSlotBack()
    {
        using var ring = Ring.Create(8);
        Sqe* first = ring.TryGetSqe();
        RingPrep.Nop(first, 1);
        Sqe* second = ring.TryGetSqe();
        RingPrep.Nop(second, 2);
        ring.UngetSqe();
        Assert.That(ring.SqPending, Is.EqualTo(1u));
        Assert.That(ring.Submit(), Is.EqualTo(1));
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 1);
        Assert.That(cqes[0].UserData, Is.EqualTo(1UL));
    }
}
