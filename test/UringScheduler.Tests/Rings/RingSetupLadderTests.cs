using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


public unsafe class RingSetupLadderTests
{
    [TestCase((int)RingSetupRung.DeferTaskRun, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN)]
    [TestCase((int)RingSetupRung.CoopTaskRun, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER)]
    [TestCase((int)RingSetupRung.Plain, IORING_SETUP_CQSIZE, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER)]
    public void ForcedRung_IsObtained_AndNopWorks(int rungValue, uint required, uint forbidden)
    {
        // RingSetupRung is internal, so the public test method takes it as an int.
        var rung = (RingSetupRung)rungValue;

        // Linux 6.1+ grants every rung, so starting at one must land exactly on it.
        using var ring = Ring.Create(8, rung);
        TestContext.Out.WriteLine(ring.Features.ToString());
        Assert.That(ring.Features.Rung, Is.EqualTo(rung));
        Assert.That(ring.Features.SetupFlags & ~Ring.OptionalFlagsFor(rung), Is.EqualTo(Ring.FlagsFor(rung)));
        Assert.That(ring.Features.SetupFlags & required, Is.EqualTo(required));
        Assert.That(ring.Features.SetupFlags & forbidden, Is.Zero);
        Assert.That(ring.Features.DeferTaskRun, Is.EqualTo(rung == RingSetupRung.DeferTaskRun));

        for (int i = 0; i < 3; i++)
        {
            RingPrep.Nop(RingTestHelpers.GetSqe(ring), (ulong)(100 + i));
        }

        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 3);
        Assert.That(cqes.Select(c => c.UserData).Order(), Is.EqualTo(new ulong[] { 100, 101, 102 }));
        Assert.That(cqes.All(c => c.Res == 0));
    }

    [Test]
    public void DefaultRing_GetsTheTopRung_AndTheRequestedSizes()
    {
        using var ring = Ring.Create(16, cqEntries: 64);
        TestContext.Out.WriteLine(ring.Features.ToString());
        Assert.That(ring.Features.Rung, Is.EqualTo(RingSetupRung.DeferTaskRun));
        Assert.That(ring.SqEntries, Is.EqualTo(16u));
        Assert.That(ring.CqEntries, Is.EqualTo(64u));
        Assert.That(ring.Features.SqEntries, Is.EqualTo(16u));
        Assert.That(ring.Features.CqEntries, Is.EqualTo(64u));
        Assert.That(ring.Features.ExtArg && ring.Features.NoDrop);
    }

    [Test]
    public void TopRung_HasNoSqArray_FromLinux66()
    {
        using var ring = Ring.Create(8);
        TestContext.Out.WriteLine(ring.Features.ToString());
        bool expected = KernelAtLeast(6, 6);
        Assert.That((ring.Features.SetupFlags & IORING_SETUP_NO_SQARRAY) != 0, Is.EqualTo(expected), $"kernel {Ring.KernelRelease()}");
        Assert.That(ring.Features.Rung, Is.EqualTo(RingSetupRung.DeferTaskRun));

        // More SQEs than the ring holds, over several laps: the kernel must find each SQE by the head alone.
        var seen = new List<ulong>();
        for (int lap = 0; lap < 5; lap++)
        {
            for (int i = 0; i < 8; i++)
            {
                RingPrep.Nop(RingTestHelpers.GetSqe(ring), (ulong)((lap * 8) + i + 1));
            }

            seen.AddRange(RingTestHelpers.WaitForCompletions(ring, 8).Select(c => c.UserData));
        }

        Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(1, 40).Select(i => (ulong)i)));
    }

    [Test]
    public void OptionalFlagRefused_StaysOnTheRung_WithoutIt()
    {
        // Bit 31 is no setup flag: the kernel answers EINVAL, as a pre-6.6 kernel does for NO_SQARRAY.
        using var ring = Ring.Create(8, RingSetupRung.DeferTaskRun, 0, static _ => 1u << 31);
        Assert.That(ring.Features.Rung, Is.EqualTo(RingSetupRung.DeferTaskRun));
        Assert.That(ring.Features.SetupFlags, Is.EqualTo(Ring.FlagsFor(RingSetupRung.DeferTaskRun)));
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 7);
        Assert.That(RingTestHelpers.WaitForCompletions(ring, 1).Single().UserData, Is.EqualTo(7UL));
    }

    private static bool KernelAtLeast(int major, int minor)
    {
        string[] parts = Ring.KernelRelease().Split('.', '-');
        return int.TryParse(parts[0], out int ma) && int.TryParse(parts[1], out int mi) && (ma > major || (ma == major && mi >= minor));
    }

    [Test]
    public void DefaultCq_IsTwiceTheSq()
    {
        using var ring = Ring.Create(32);
        Assert.That(ring.CqEntries, Is.EqualTo(64u));
    }
}
