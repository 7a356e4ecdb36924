using System.Runtime.InteropServices;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;

public unsafe class RingRegisteredFdTests
{
    [Test]
    public void RsrcUpdate_HasTheKernelLayout() => Assert.That(Marshal.SizeOf<RsrcUpdate>(), Is.EqualTo(16));

    [Test]
    public void RegisteredRingFd_EntersByIndex_AndNopsStillRoundTrip()
    {
        Span<Cqe> cqes = stackalloc Cqe[4];
        for (int round = 0; round < 20; round++)
        {
            // 20 rings one after another on one thread: each Dispose must unregister, or the thread's 16 slots run out.
            using var ring = UringScheduler.Rings.Ring.Create(8);
            Assert.That(ring.RegisterRingFd(), Is.Zero);
            for (int i = 0; i < 100; i++)
            {
                Sqe* sqe = ring.TryGetSqe();
                RingPrep.Nop(sqe, (ulong)i);
                Assert.That(ring.SubmitAndWait(1), Is.EqualTo(1));
                Assert.That(ring.Drain(cqes), Is.EqualTo(1));
                Assert.That(cqes[0].UserData, Is.EqualTo((ulong)i));
            }

            Assert.That(ring.SubmitAndWait(1, 1_000_000), Is.Zero, "timed wait through the registered index");
        }
    }
}
