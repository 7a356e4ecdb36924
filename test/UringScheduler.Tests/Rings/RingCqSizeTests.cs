using UringScheduler.Rings;

namespace UringScheduler.Tests.Rings;


public class RingCqSizeTests
{
    // Before the fix, a CQ smaller than the SQ made every flagged rung fail with EINVAL and Create quietly returned
    // the bare ring: no DEFER_TASKRUN, and the default CQ size instead of the one asked for.
    [TestCase(4u)]
    [TestCase(1u)]
    [TestCase(65537u)]
    public void InvalidCqEntries_Throw_InsteadOfFallingDownTheLadder(uint cqEntries)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Ring.Create(8, cqEntries: cqEntries).Dispose())!;
        Assert.That(e.ParamName, Is.EqualTo("cqEntries"));
    }

    [TestCase(8u, 8u)]
    [TestCase(12u, 16u)]
    [TestCase(4096u, 4096u)]
    public void ValidCqEntries_KeepTheTopRung(uint cqEntries, uint expected)
    {
        using var ring = Ring.Create(8, cqEntries: cqEntries);
        Assert.That(ring.Features.Rung, Is.EqualTo(RingSetupRung.DeferTaskRun));
        Assert.That(ring.CqEntries, Is.EqualTo(expected), "the kernel rounds up to a power of two");
    }
}
