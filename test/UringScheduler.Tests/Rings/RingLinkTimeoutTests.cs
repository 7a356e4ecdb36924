using System.Diagnostics;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingLinkTimeoutTests
{
    [Test]
    public void LinkTimeout_CancelsReadOnEmptyPipe()
    {
        using var pipe = new TestPipe();
        using var ring = Ring.Create(8);
        byte* buffer = stackalloc byte[64];
        KernelTimespec ts = KernelTimespec.FromNanoseconds(30_000_000);

        Sqe* read = RingTestHelpers.GetSqe(ring);
        RingPrep.Read(read, pipe.ReadFd, buffer, 64, ulong.MaxValue, userData: 1);
        read->Flags |= IOSQE_IO_LINK;
        RingPrep.LinkTimeout(RingTestHelpers.GetSqe(ring), &ts, flags: 0, userData: 2);

        var sw = Stopwatch.StartNew();
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 2);
        sw.Stop();

        // The read is cancelled: ECANCELED when it was waiting on poll, EINTR when an io-wq worker was blocked in it.
        Assert.That(RingTestHelpers.Single(cqes, 1).Res, Is.EqualTo(-Errno.ECANCELED).Or.EqualTo(-Errno.EINTR));
        Assert.That(RingTestHelpers.Single(cqes, 2).Res, Is.EqualTo(-Errno.ETIME));
        Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(25)));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public void LinkTimeout_ReadThatCompletesInTime_TimeoutIsCancelled()
    {
        using var pipe = new TestPipe();
        using var ring = Ring.Create(8);
        byte* buffer = stackalloc byte[64];
        byte* data = stackalloc byte[3] { 1, 2, 3 };
        Assert.That(Interop.Libc.Write(pipe.WriteFd, data, 3), Is.EqualTo((nint)3));
        KernelTimespec ts = KernelTimespec.FromNanoseconds(5_000_000_000);

        Sqe* read = RingTestHelpers.GetSqe(ring);
        RingPrep.Read(read, pipe.ReadFd, buffer, 64, ulong.MaxValue, userData: 1);
        read->Flags |= IOSQE_IO_LINK;
        RingPrep.LinkTimeout(RingTestHelpers.GetSqe(ring), &ts, flags: 0, userData: 2);

        var sw = Stopwatch.StartNew();
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 2);
        Assert.That(RingTestHelpers.Single(cqes, 1).Res, Is.EqualTo(3));
        Assert.That(RingTestHelpers.Single(cqes, 2).Res, Is.EqualTo(-Errno.ECANCELED), "the unused timeout is cancelled");
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
    }
}
