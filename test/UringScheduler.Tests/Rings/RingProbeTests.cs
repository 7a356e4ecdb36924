using UringScheduler.Rings;
using UringScheduler.Native;

namespace UringScheduler.Tests.Rings;


public class RingProbeTests
{
    [Test]
    public void Probe_ReportsTheOpsTheLibraryUses()
    {
        using var ring = Ring.Create(8);
        IoUringOp[] used =
        [
            IoUringOp.Nop, IoUringOp.Read, IoUringOp.Write, IoUringOp.Readv, IoUringOp.Writev, IoUringOp.ReadFixed,
            IoUringOp.WriteFixed, IoUringOp.Fsync, IoUringOp.Timeout, IoUringOp.LinkTimeout, IoUringOp.AsyncCancel,
            IoUringOp.OpenAt, IoUringOp.Close, IoUringOp.Statx,
        ];
        Assert.Multiple(() =>
        {
            foreach (IoUringOp op in used)
            {
                Assert.That(ring.Features.Supports(op), Is.True, op.ToString());
            }
        });
    }

    [Test]
    public void Probe_DoesNotClaimOpsPastTheKernelsLast()
    {
        using var ring = Ring.Create(8);
        Assert.That(ring.Features.Supports((IoUringOp)200), Is.False);
        Assert.That(ring.Features.Supports((IoUringOp)255), Is.False);
    }
}
