using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// A receive that stays armed (multishot <c>RECV</c> with <c>IOSQE_BUFFER_SELECT</c>, Linux 6.0): the kernel takes a
/// buffer from a provided buffer ring each time data arrives and posts a completion naming it, which goes to the
/// sink at once. The operation itself completes when the kernel stops it. Its result is the final completion's,
/// never an exception: 0 when the peer closed, -ENOBUFS when the ring ran out of buffers, -ECANCELED when it was
/// cancelled, another -errno when the connection failed, or a positive count when it stopped after data (for example
/// after a completion queue overflow) and should simply be armed again. Only the io_uring engine runs it.
/// </summary>
internal sealed unsafe class MultishotReceiveOperation : IoOperation
{
    private IMultishotReceiveSink? _sink;
    private ushort _groupId;

    internal void Set(IMultishotReceiveSink sink, ushort groupId)
    {
        _sink = sink;
        _groupId = groupId;
    }

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.RecvMultishot(sqe, Fd, _groupId, UserData);

    internal override bool OnFlaggedCompletion(int result, uint flags)
    {
        if ((flags & IORING_CQE_F_BUFFER) != 0)
        {
            Owner.CountSocketTraffic(SocketTraffic.BytesReceived, result);
            _sink!.OnReceived((ushort)(flags >> IORING_CQE_BUFFER_SHIFT), result);
        }

        return (flags & IORING_CQE_F_MORE) != 0;
    }

    protected override Exception? MapOutcome(ref int result) => null;

    internal override int ExecuteBlocking(IBlockingWait wait) =>
        throw new NotSupportedException("A multishot receive needs an io_uring ring with provided buffer rings.");

    protected override void ResetRequest() => _sink = null;
}

/// <summary>The arguments of a <see cref="MultishotReceiveOperation"/>.</summary>
internal readonly struct MultishotReceiveRequest(IMultishotReceiveSink sink, ushort groupId) : IOperationRequest<MultishotReceiveOperation>
{
    public void ApplyTo(MultishotReceiveOperation operation) => operation.Set(sink, groupId);
}
