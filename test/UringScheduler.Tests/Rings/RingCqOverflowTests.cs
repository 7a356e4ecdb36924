using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingCqOverflowTests
{
    [Test]
    public void CqOverflow_WithNodrop_EveryCompletionDeliveredExactlyOnce()
    {
        const int Total = 200;
        using var ring = Ring.Create(4, cqEntries: 8);
        Assert.That(ring.Features.NoDrop, "this test needs IORING_FEAT_NODROP (Linux 5.5)");
        Assert.That(ring.CqEntries, Is.EqualTo(8u));

        // Submit far more than the CQ holds without reaping anything.
        int next = 0;
        while (next < Total)
        {
            int batch = 0;
            Sqe* sqe;
            while (next < Total && (sqe = ring.TryGetSqe()) != null)
            {
                RingPrep.Nop(sqe, (ulong)next++);
                batch++;
            }

            Assert.That(ring.Submit(), Is.EqualTo(batch));
        }

        Assert.That(ring.CqOverflowPending, Is.True, "the kernel flags the completions it kept aside");
        Assert.That(ring.CqReady, Is.EqualTo(8u), "the CQ itself is full");

        // Drain flushes the overflow list into the CQ whenever the CQ runs empty.
        int[] seen = new int[Total];
        Span<Cqe> buffer = stackalloc Cqe[5];
        int reaped = 0;
        for (int rounds = 0; reaped < Total && rounds < 10 * Total; rounds++)
        {
            int n = ring.Drain(buffer);
            for (int i = 0; i < n; i++)
            {
                Assert.That(buffer[i].Res, Is.Zero);
                seen[(int)buffer[i].UserData]++;
                reaped++;
            }
        }

        Assert.That(reaped, Is.EqualTo(Total));
        Assert.That(Array.FindIndex(seen, c => c != 1), Is.EqualTo(-1), "every user_data exactly once");
        Assert.That(ring.CqOverflowPending, Is.False);
        Assert.That(ring.CqReady, Is.Zero);
        Assert.That(ring.Drain(buffer), Is.Zero);
        Assert.That(ring.CqOverflowCount, Is.Zero, "NODROP: nothing was lost");
    }
}
