using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;


/// <summary>
/// On the top rung the kernel does not post a completion behind the owner's back: it queues the work until the owner
/// enters the ring with GETEVENTS. This is what lets a worker run user code without being interrupted by completion
/// work. (On the COOP_TASKRUN rung the work runs at the thread's next return from any system call instead.)
/// </summary>
public unsafe class RingTaskRunTests
{
    [Test]
    public void DeferTaskRun_PipeReadCompletion_IsPostedOnlyWhenTheOwnerEnters()
    {
        using var pipe = new TestPipe();
        using var ring = Ring.Create(8, RingSetupRung.DeferTaskRun);
        Assert.That(ring.Features.Rung, Is.EqualTo(RingSetupRung.DeferTaskRun));
        byte* buffer = stackalloc byte[16];
        RingPrep.Read(RingTestHelpers.GetSqe(ring), pipe.ReadFd, buffer, 16, ulong.MaxValue, userData: 1);
        Assert.That(ring.Submit(), Is.EqualTo(1));
        Assert.That(ring.CqReady, Is.Zero, "nothing to read yet");

        // Data arrives (written by this very thread, a system call): the read can finish, but its completion is only queued.
        byte* data = stackalloc byte[2] { 0x5a, 0xa5 };
        Assert.That(Interop.Libc.Write(pipe.WriteFd, data, 2), Is.EqualTo((nint)2));
        Thread.Sleep(10);
        Assert.That(ring.CqReady, Is.Zero, "not posted while the owner has not entered the ring");
        Assert.That(ring.TaskRunPending, Is.True, "TASKRUN_FLAG says that queued work waits for an enter");

        Assert.That(ring.Submit(), Is.Zero, "nothing to submit, no GETEVENTS: no enter");
        Assert.That(ring.CqReady, Is.Zero, "a submit without GETEVENTS does not run the queued work");
        Assert.That(ring.Submit(getEvents: true), Is.Zero, "no SQE to submit, GETEVENTS only");
        Assert.That(ring.CqReady, Is.EqualTo(1u), "entering with GETEVENTS ran the queued work");
        Assert.That(ring.TaskRunPending, Is.False, "and cleared the flag");
        List<Cqe> cqes = RingTestHelpers.WaitForCompletions(ring, 1);
        Assert.That(cqes[0].Res, Is.EqualTo(2));
        Assert.That(buffer[0] == 0x5a && buffer[1] == 0xa5);
    }
}
