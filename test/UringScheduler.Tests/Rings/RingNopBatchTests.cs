using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingNopBatchTests
{
    [Test]
    public void TenThousandNops_InFullBatches_EachUserDataSeenExactlyOnce()
    {
        const int Total = 10_000;
        using var ring = Ring.Create(64);
        int[] seen = new int[Total];
        int next = 0;
        int reaped = 0;
        while (next < Total)
        {
            // Fill the SQ completely (the last batch is partial), then submit it with one enter.
            int batch = 0;
            Sqe* sqe;
            while (next < Total && (sqe = ring.TryGetSqe()) != null)
            {
                RingPrep.Nop(sqe, (ulong)next);
                next++;
                batch++;
            }

            Assert.That(batch, Is.EqualTo(Math.Min(64, Total - (next - batch))), "a batch fills the whole SQ");
            foreach (Cqe cqe in RingTestHelpers.WaitForCompletions(ring, batch))
            {
                Assert.That(cqe.Res, Is.Zero);
                Assert.That(cqe.UserData, Is.LessThan((ulong)Total));
                seen[(int)cqe.UserData]++;
                reaped++;
            }
        }

        Assert.That(reaped, Is.EqualTo(Total));
        Assert.That(Array.FindIndex(seen, c => c != 1), Is.EqualTo(-1), "every user_data exactly once");
        Assert.That(ring.SqPending, Is.Zero);
        Assert.That(ring.CqReady, Is.Zero);
        Assert.That(ring.SqDropped, Is.Zero);
    }
}
