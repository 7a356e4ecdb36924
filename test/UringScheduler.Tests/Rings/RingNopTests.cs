using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;

public unsafe class RingNopTests
{
    [Test]
    public void Nop_RoundTrip_DeliversUserData()
    {
        using var ring = UringScheduler.Rings.Ring.Create(8);
        Sqe* sqe = ring.TryGetSqe();
        Assert.That(sqe != null);
        RingPrep.Nop(sqe, 0x1234_5678_9abcUL);
        Assert.That(ring.SubmitAndWait(1), Is.EqualTo(1));
        Span<Cqe> cqes = stackalloc Cqe[4];
        Assert.That(ring.Drain(cqes), Is.EqualTo(1));
        Assert.That(cqes[0].UserData, Is.EqualTo(0x1234_5678_9abcUL));
        Assert.That(cqes[0].Res, Is.Zero);
        TestContext.Out.WriteLine(ring.Features.ToString());
    }
}
