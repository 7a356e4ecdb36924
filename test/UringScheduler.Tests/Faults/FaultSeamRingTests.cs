using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Faults;

/// <summary>The seam itself, on a bare ring: what a refused enter leaves behind, and that the guard does catch an early release.</summary>
public unsafe class FaultSeamRingTests
{
    [TestCase(FaultKind.EnterEagain, -Errno.EAGAIN)]
    [TestCase(FaultKind.EnterEbusy, -Errno.EBUSY)]
    public void RefusedEnter_ConsumesNothing_AndTheNextEnterSubmitsEachSqeOnce(FaultKind kind, int errno)
    {
        var plan = new FaultPlan(kind, budget: 1);
        using var ring = Ring.Create(8);
        ring.AttachFaults(plan);
        for (ulong i = 1; i <= 4; i++)
        {
            RingPrep.Nop(ring.TryGetSqe(), i);
        }

        Assert.That(ring.Submit(), Is.EqualTo(errno));
        Assert.That(ring.SqPending, Is.EqualTo(4u), "every SQE still waits for the kernel");
        Assert.That(ring.Submit(), Is.EqualTo(4));
        Assert.That(ring.SqPending, Is.Zero);

        Span<Cqe> cqes = stackalloc Cqe[8];
        int n = ring.Drain(cqes);
        Assert.That(n, Is.EqualTo(4));
        ulong[] seen = [.. cqes[..n].ToArray().Select(c => c.UserData).Order()];
        Assert.That(seen, Is.EqualTo(new ulong[] { 1, 2, 3, 4 }), "each SQE completed once");
        Assert.That(plan.InKernel, Is.Empty);
        Assert.That(plan.Violations, Is.Empty);
    }

    [Test]
    public void Guard_CatchesABufferUnpinnedWhileTheKernelOwnsIt()
    {
        var plan = new FaultPlan(FaultKind.None);
        using var ring = Ring.Create(8);
        ring.AttachFaults(plan);
        using var guard = new GuardedMemory(plan, 4096);
        (Microsoft.Win32.SafeHandles.SafeFileHandle read, Microsoft.Win32.SafeHandles.SafeFileHandle write) = TestPipe.Handles();
        using (read)
        using (write)
        {
            // A read from an empty pipe stays in the kernel until cancelled.
            System.Buffers.MemoryHandle pin = guard.Memory.Pin();
            RingPrep.Read(ring.TryGetSqe(), (int)read.DangerousGetHandle(), pin.Pointer, 4096, 0, 7);
            Assert.That(ring.Submit(), Is.EqualTo(1));
            Assert.That(plan.KernelMayAccess((nint)pin.Pointer, 1), Is.True);

            pin.Dispose(); // the bug the guard exists for: the pin given back before the final completion
            Assert.That(plan.Violations, Has.Count.EqualTo(1));

            RingPrep.Cancel(ring.TryGetSqe(), 7, 0, 8);
            Span<Cqe> cqes = stackalloc Cqe[4];
            int reaped = 0;
            for (int i = 0; i < 100 && reaped < 2; i++)
            {
                ring.SubmitAndWait(1, 100_000_000);
                reaped += ring.Drain(cqes[reaped..]);
            }

            Assert.That(reaped, Is.EqualTo(2));
            Assert.That(plan.KernelMayAccess((nint)guard.Memory.Pin().Pointer, 1), Is.False, "released by its final completion");
            Assert.That(plan.InKernel, Is.Empty);
        }
    }
}
