using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// An accept that stays armed (multishot <c>ACCEPT</c>, Linux 5.19): each connection the kernel accepts posts a
/// completion with its descriptor, which goes to the sink at once. The operation completes when the kernel stops it;
/// its result is the final completion's, never an exception: a descriptor (it stopped after one more connection, which
/// the owner must take), -ECANCELED when cancelled, or another -errno (out of descriptors, say). Only the io_uring
/// engine runs it.
/// </summary>
internal sealed unsafe class MultishotAcceptOperation : IoOperation
{
    private IMultishotAcceptSink? _sink;

    internal void Set(IMultishotAcceptSink sink) => _sink = sink;

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.AcceptMultishot(sqe, Fd, Interop.Libc.SOCK_CLOEXEC, UserData);

    internal override bool OnFlaggedCompletion(int result, uint flags)
    {
        if ((flags & IORING_CQE_F_MORE) == 0)
        {
            return false;
        }

        if (result >= 0)
        {
            Owner.CountSocketTraffic(SocketTraffic.ConnectionAccepted, 1);
            _sink!.OnAccepted(result);
        }

        return true;
    }

    protected override Exception? MapOutcome(ref int result)
    {
        if (result >= 0)
        {
            Owner.CountSocketTraffic(SocketTraffic.ConnectionAccepted, 1);
        }

        return null;
    }

    internal override int ExecuteBlocking(IBlockingWait wait) =>
        throw new NotSupportedException("A multishot accept needs an io_uring ring (Linux 5.19).");

    protected override void ResetRequest() => _sink = null;
}

/// <summary>The arguments of a <see cref="MultishotAcceptOperation"/>.</summary>
internal readonly struct MultishotAcceptRequest(IMultishotAcceptSink sink) : IOperationRequest<MultishotAcceptOperation>
{
    public void ApplyTo(MultishotAcceptOperation operation) => operation.Set(sink);
}
