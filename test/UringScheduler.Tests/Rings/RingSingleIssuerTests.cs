using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


/// <summary>The ring-thread rule, as the kernel enforces it on the top rung.</summary>
public unsafe class RingSingleIssuerTests
{
    [Test]
    public void DeferTaskRunRing_EnteredFromAnotherThread_IsRefusedWithEexist()
    {
        using var ring = Ring.Create(8);
        Assert.That(ring.Features.Rung, Is.EqualTo(RingSetupRung.DeferTaskRun));
        RingPrep.Nop(RingTestHelpers.GetSqe(ring), 1);

        int foreign = 0;
        var thread = new Thread(() => foreign = ring.Submit(getEvents: true));
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(5)));
        Assert.That(foreign, Is.EqualTo(-Errno.EEXIST), "SINGLE_ISSUER: only the creating thread may enter");

        // Nothing was lost: the owner submits the same SQE.
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 1);
        Assert.That(cqes[0].UserData, Is.EqualTo(1UL));
    }
}
