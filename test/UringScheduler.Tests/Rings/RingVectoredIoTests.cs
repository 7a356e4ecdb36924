using Microsoft.Win32.SafeHandles;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingVectoredIoTests
{
    [Test]
    public void Writev_ThenReadv_SeveralIovecs_RoundTripContent()
    {
        using SafeFileHandle file = RingTestHelpers.CreateTempFile();
        int fd = RingTestHelpers.Fd(file);
        using var ring = Ring.Create(8);

        // Uneven segments, one of them empty, so a gather that skipped or reordered one would show.
        byte[] a = RingTestHelpers.Pattern(100, seed: 1);
        byte[] b = [];
        byte[] c = RingTestHelpers.Pattern(4000, seed: 2);
        byte[] d = RingTestHelpers.Pattern(17, seed: 3);
        byte[] expected = [.. a, .. b, .. c, .. d];
        const ulong Offset = 10;

        fixed (byte* pa = a)
        fixed (byte* pb = b)
        fixed (byte* pc = c)
        fixed (byte* pd = d)
        {
            IoVec* iov = stackalloc IoVec[4];
            iov[0] = new IoVec { Base = pa, Length = (nuint)a.Length };
            iov[1] = new IoVec { Base = pb, Length = 0 };
            iov[2] = new IoVec { Base = pc, Length = (nuint)c.Length };
            iov[3] = new IoVec { Base = pd, Length = (nuint)d.Length };
            RingPrep.Writev(RingTestHelpers.GetSqe(ring), fd, iov, 4, Offset, userData: 1);
            Cqe write = RingTestHelpers.WaitForCompletions(ring, 1)[0];
            Assert.That(write.Res, Is.EqualTo(expected.Length));
        }

        Assert.That(RingTestHelpers.ReadBack(file, (long)Offset, expected.Length + 1), Is.EqualTo(expected));

        // Scatter into a different split than the gather used.
        byte[] x = new byte[1];
        byte[] y = new byte[2048];
        byte[] z = new byte[4096];
        fixed (byte* px = x)
        fixed (byte* py = y)
        fixed (byte* pz = z)
        {
            IoVec* iov = stackalloc IoVec[3];
            iov[0] = new IoVec { Base = px, Length = (nuint)x.Length };
            iov[1] = new IoVec { Base = py, Length = (nuint)y.Length };
            iov[2] = new IoVec { Base = pz, Length = (nuint)z.Length };
            RingPrep.Readv(RingTestHelpers.GetSqe(ring), fd, iov, 3, Offset, userData: 2);
            Cqe read = RingTestHelpers.WaitForCompletions(ring, 1)[0];
            Assert.That(read.Res, Is.EqualTo(expected.Length), "short count at end of file");
        }

        byte[] gathered = [.. x, .. y, .. z];
        Assert.That(gathered.AsSpan(0, expected.Length).SequenceEqual(expected), "content scattered in order");
    }
}
