using UringScheduler.Rings;
using System.Runtime.InteropServices;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Tests.Rings;

/// <summary>
/// Every shared structure must match include/uapi/linux/io_uring.h byte for byte: a wrong offset does not fail a
/// syscall, it makes the kernel read the wrong field.
/// </summary>
public unsafe class RingStructLayoutTests
{
    [Test]
    public void Sizes_MatchKernelHeader()
    {
        Assert.Multiple(() =>
        {
            Assert.That(sizeof(Sqe), Is.EqualTo(64), "io_uring_sqe");
            Assert.That(sizeof(Cqe), Is.EqualTo(16), "io_uring_cqe");
            Assert.That(sizeof(Params), Is.EqualTo(120), "io_uring_params");
            Assert.That(sizeof(SqRingOffsets), Is.EqualTo(40), "io_sqring_offsets");
            Assert.That(sizeof(CqRingOffsets), Is.EqualTo(40), "io_cqring_offsets");
            Assert.That(sizeof(GetEventsArg), Is.EqualTo(24), "io_uring_getevents_arg");
            Assert.That(sizeof(KernelTimespec), Is.EqualTo(16), "__kernel_timespec");
            Assert.That(sizeof(FilesUpdate), Is.EqualTo(16), "io_uring_files_update");
            Assert.That(sizeof(RsrcRegister), Is.EqualTo(32), "io_uring_rsrc_register");
            Assert.That(sizeof(Probe), Is.EqualTo(16), "io_uring_probe");
            Assert.That(sizeof(ProbeOp), Is.EqualTo(8), "io_uring_probe_op");
            Assert.That(sizeof(IoVec), Is.EqualTo(16), "iovec");

            // The marshaller's view must agree with the compiler's, or a struct passed by value through interop breaks.
            Assert.That(Marshal.SizeOf<Sqe>(), Is.EqualTo(64));
            Assert.That(Marshal.SizeOf<Params>(), Is.EqualTo(120));
        });
    }

    [TestCase(nameof(Sqe.Opcode), 0)]
    [TestCase(nameof(Sqe.Flags), 1)]
    [TestCase(nameof(Sqe.IoPrio), 2)]
    [TestCase(nameof(Sqe.Fd), 4)]
    [TestCase(nameof(Sqe.Off), 8)]
    [TestCase(nameof(Sqe.Addr), 16)]
    [TestCase(nameof(Sqe.Len), 24)]
    [TestCase(nameof(Sqe.OpFlags), 28)]
    [TestCase(nameof(Sqe.UserData), 32)]
    [TestCase(nameof(Sqe.BufIndex), 40)]
    [TestCase(nameof(Sqe.Personality), 42)]
    [TestCase(nameof(Sqe.FileIndex), 44)]
    [TestCase(nameof(Sqe.Addr3), 48)]
    [TestCase(nameof(Sqe.Pad2), 56)]
    public void Sqe_FieldOffset_MatchesKernelHeader(string field, int offset)
    {
        Assert.That((int)Marshal.OffsetOf<Sqe>(field), Is.EqualTo(offset));
    }

    [Test]
    public void Cqe_FieldOffsets_MatchKernelHeader()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)Marshal.OffsetOf<Cqe>(nameof(Cqe.UserData)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<Cqe>(nameof(Cqe.Res)), Is.EqualTo(8));
            Assert.That((int)Marshal.OffsetOf<Cqe>(nameof(Cqe.Flags)), Is.EqualTo(12));
        });
    }

    [Test]
    public void Params_FieldOffsets_MatchKernelHeader()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.SqEntries)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.CqEntries)), Is.EqualTo(4));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.Flags)), Is.EqualTo(8));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.SqThreadCpu)), Is.EqualTo(12));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.SqThreadIdle)), Is.EqualTo(16));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.Features)), Is.EqualTo(20));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.WqFd)), Is.EqualTo(24));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.Resv)), Is.EqualTo(28));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.SqOff)), Is.EqualTo(40));
            Assert.That((int)Marshal.OffsetOf<Params>(nameof(Params.CqOff)), Is.EqualTo(80));
        });
    }

    [Test]
    public void RingOffsets_FieldOffsets_MatchKernelHeader()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.Head)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.Tail)), Is.EqualTo(4));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.RingMask)), Is.EqualTo(8));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.RingEntries)), Is.EqualTo(12));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.Flags)), Is.EqualTo(16));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.Dropped)), Is.EqualTo(20));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.Array)), Is.EqualTo(24));
            Assert.That((int)Marshal.OffsetOf<SqRingOffsets>(nameof(SqRingOffsets.UserAddr)), Is.EqualTo(32));

            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.Head)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.Tail)), Is.EqualTo(4));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.RingMask)), Is.EqualTo(8));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.RingEntries)), Is.EqualTo(12));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.Overflow)), Is.EqualTo(16));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.Cqes)), Is.EqualTo(20));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.Flags)), Is.EqualTo(24));
            Assert.That((int)Marshal.OffsetOf<CqRingOffsets>(nameof(CqRingOffsets.UserAddr)), Is.EqualTo(32));
        });
    }

    [Test]
    public void SmallStructs_FieldOffsets_MatchKernelHeader()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)Marshal.OffsetOf<GetEventsArg>(nameof(GetEventsArg.SigMask)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<GetEventsArg>(nameof(GetEventsArg.SigMaskSize)), Is.EqualTo(8));
            Assert.That((int)Marshal.OffsetOf<GetEventsArg>(nameof(GetEventsArg.MinWaitUsec)), Is.EqualTo(12));
            Assert.That((int)Marshal.OffsetOf<GetEventsArg>(nameof(GetEventsArg.Ts)), Is.EqualTo(16));

            Assert.That((int)Marshal.OffsetOf<KernelTimespec>(nameof(KernelTimespec.Sec)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<KernelTimespec>(nameof(KernelTimespec.Nsec)), Is.EqualTo(8));

            Assert.That((int)Marshal.OffsetOf<FilesUpdate>(nameof(FilesUpdate.Offset)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<FilesUpdate>(nameof(FilesUpdate.Fds)), Is.EqualTo(8));

            Assert.That((int)Marshal.OffsetOf<RsrcRegister>(nameof(RsrcRegister.Nr)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<RsrcRegister>(nameof(RsrcRegister.Flags)), Is.EqualTo(4));
            Assert.That((int)Marshal.OffsetOf<RsrcRegister>(nameof(RsrcRegister.Resv2)), Is.EqualTo(8));
            Assert.That((int)Marshal.OffsetOf<RsrcRegister>(nameof(RsrcRegister.Data)), Is.EqualTo(16));
            Assert.That((int)Marshal.OffsetOf<RsrcRegister>(nameof(RsrcRegister.Tags)), Is.EqualTo(24));

            Assert.That((int)Marshal.OffsetOf<Probe>(nameof(Probe.LastOp)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<Probe>(nameof(Probe.OpsLen)), Is.EqualTo(1));
            Assert.That((int)Marshal.OffsetOf<ProbeOp>(nameof(ProbeOp.Op)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<ProbeOp>(nameof(ProbeOp.Flags)), Is.EqualTo(2));

            Assert.That((int)Marshal.OffsetOf<IoVec>(nameof(IoVec.Base)), Is.EqualTo(0));
            Assert.That((int)Marshal.OffsetOf<IoVec>(nameof(IoVec.Length)), Is.EqualTo(8));
        });
    }

    [Test]
    public void KernelTimespec_FromNanoseconds_SplitsSecondsAndClampsNegative()
    {
        KernelTimespec ts = KernelTimespec.FromNanoseconds(2_500_000_001);
        KernelTimespec negative = KernelTimespec.FromNanoseconds(-5);
        Assert.Multiple(() =>
        {
            Assert.That(ts.Sec, Is.EqualTo(2));
            Assert.That(ts.Nsec, Is.EqualTo(500_000_001));
            Assert.That(negative.Sec, Is.Zero);
            Assert.That(negative.Nsec, Is.Zero);
        });
    }
}
