using Microsoft.Win32.SafeHandles;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingFixedFileTests
{
    [Test]
    public void SparseTable_UpdateFiles_ReadThroughFixedSlot()
    {
        using SafeFileHandle file = RingTestHelpers.CreateTempFile();
        byte[] data = RingTestHelpers.Pattern(512, seed: 11);
        RandomAccess.Write(file, data, 0);
        using var ring = Ring.Create(8);

        Assert.That(ring.RegisterFilesSparse(4), Is.Zero);
        Assert.That(ring.UpdateFiles(2, [RingTestHelpers.Fd(file)]), Is.EqualTo(1), "one slot updated");

        byte[] back = new byte[512];
        fixed (byte* dst = back)
        {
            // Fd is the slot index, not a file descriptor, once FIXED_FILE is set.
            Sqe* sqe = RingTestHelpers.GetSqe(ring);
            RingPrep.Read(sqe, 2, dst, 512, 0, userData: 1);
            sqe->Flags |= IOSQE_FIXED_FILE;

            // An empty slot of the same table must fail, which shows the slot, not fd 1, was used.
            Sqe* empty = RingTestHelpers.GetSqe(ring);
            RingPrep.Read(empty, 1, dst, 512, 0, userData: 2);
            empty->Flags |= IOSQE_FIXED_FILE;

            List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 2);
            Assert.That(RingTestHelpers.Single(cqes, 1).Res, Is.EqualTo(512));
            Assert.That(RingTestHelpers.Single(cqes, 2).Res, Is.EqualTo(-Errno.EBADF));
        }

        Assert.That(back, Is.EqualTo(data));

        // Emptying the slot again, then dropping the table.
        Assert.That(ring.UpdateFiles(2, [RegisteredFileEmpty]), Is.EqualTo(1));
        Assert.That(ring.UnregisterFiles(), Is.Zero);
        Assert.That(ring.UnregisterFiles(), Is.EqualTo(-Errno.ENXIO), "no table left to unregister");
    }

    [Test]
    public void RegisterFiles_DenseTable_SlotsMapToFds()
    {
        using SafeFileHandle a = RingTestHelpers.CreateTempFile();
        using SafeFileHandle b = RingTestHelpers.CreateTempFile();
        RandomAccess.Write(a, "aaaa"u8, 0);
        RandomAccess.Write(b, "bbbb"u8, 0);
        using var ring = Ring.Create(8);
        Assert.That(ring.RegisterFiles([RingTestHelpers.Fd(a), RegisteredFileEmpty, RingTestHelpers.Fd(b)]), Is.Zero);

        byte* buffer = stackalloc byte[4];
        Sqe* sqe = RingTestHelpers.GetSqe(ring);
        RingPrep.Read(sqe, 2, buffer, 4, 0, userData: 1);
        sqe->Flags |= IOSQE_FIXED_FILE;
        Assert.That(RingTestHelpers.WaitForCompletions(ring, 1)[0].Res, Is.EqualTo(4));
        Assert.That(new ReadOnlySpan<byte>(buffer, 4).SequenceEqual("bbbb"u8));
    }
}
