using Microsoft.Win32.SafeHandles;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingFsyncTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void Fsync_AfterWrite_Succeeds(bool dataOnly)
    {
        using SafeFileHandle file = RingTestHelpers.CreateTempFile();
        int fd = RingTestHelpers.Fd(file);
        RandomAccess.Write(file, RingTestHelpers.Pattern(8192, seed: 5), 0);
        using var ring = Ring.Create(8);

        Sqe* sqe = RingTestHelpers.GetSqe(ring);
        RingPrep.Fsync(sqe, fd, dataOnly, userData: 42);
        Assert.That(sqe->Opcode, Is.EqualTo((byte)Native.IoUringOp.Fsync));
        Assert.That(sqe->OpFlags, Is.EqualTo(dataOnly ? IORING_FSYNC_DATASYNC : 0u), "fdatasync is asked for with the DATASYNC flag");

        Cqe cqe = RingTestHelpers.WaitForCompletions(ring, 1)[0];
        Assert.That(cqe.UserData, Is.EqualTo(42UL));
        Assert.That(cqe.Res, Is.Zero);
    }

    [Test]
    public void Fsync_ClosedFd_CompletesWithEbadf()
    {
        using var ring = Ring.Create(8);
        RingPrep.Fsync(RingTestHelpers.GetSqe(ring), -1, dataOnly: true, userData: 1);
        Assert.That(RingTestHelpers.WaitForCompletions(ring, 1)[0].Res, Is.EqualTo(-Native.Errno.EBADF));
    }
}
