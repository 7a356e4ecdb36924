using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingCancelTests
{
    [Test]
    public void AsyncCancel_PendingPipeRead_ReadEndsCanceled_CancelSucceeds()
    {
        using var pipe = new TestPipe();
        using var ring = Ring.Create(8);
        byte* buffer = stackalloc byte[64];

        RingPrep.Read(RingTestHelpers.GetSqe(ring), pipe.ReadFd, buffer, 64, ulong.MaxValue, userData: 10);
        Assert.That(ring.Submit(), Is.EqualTo(1));

        // The read really is pending: nothing completes within a short wait.
        Assert.That(ring.SubmitAndWait(1, 20_000_000), Is.Zero);
        Assert.That(ring.CqReady, Is.Zero);

        RingPrep.Cancel(RingTestHelpers.GetSqe(ring), targetUserData: 10, flags: 0, userData: 11);
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 2);

        Assert.That(RingTestHelpers.Single(cqes, 10).Res, Is.EqualTo(-Errno.ECANCELED));
        Assert.That(RingTestHelpers.Single(cqes, 11).Res, Is.Zero);
    }

    [Test]
    public void AsyncCancel_UnknownUserData_CompletesWithEnoent()
    {
        using var ring = Ring.Create(8);
        RingPrep.Cancel(RingTestHelpers.GetSqe(ring), targetUserData: 12345, flags: 0, userData: 1);
        Assert.That(RingTestHelpers.WaitForCompletions(ring, 1)[0].Res, Is.EqualTo(-Errno.ENOENT));
    }
}
