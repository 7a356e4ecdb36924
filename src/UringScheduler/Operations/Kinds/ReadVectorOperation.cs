using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>A scatter read: one <c>READV</c> over at most <see cref="VectorOperation.MaxIoVecs"/> segments. Result: the bytes read.</summary>
internal sealed unsafe class ReadVectorOperation : VectorOperation
{
    internal override DeviceWork DeviceWork => DeviceWork.Read;

    // A page-cache probe that missed goes back to the kernel without RWF_NOWAIT.
    internal override bool OnResult(int result) => !RetryMissedProbe(ref result) && base.OnResult(result);

    internal void Set(IReadOnlyList<Memory<byte>> buffers, long offset)
    {
        int count = Math.Min(buffers.Count, MaxIoVecs);
        EnsureIoVecs(count);
        for (int i = 0; i < count; i++)
        {
            AddSegment(buffers[i]);
        }

        Offset = offset;
    }

    protected override void PrepareSqe(Sqe* sqe) =>
        RingPrep.Readv(sqe, Fd, IoVecs, (uint)IoVecCount, (ulong)Offset, UserData);

    internal override int ExecuteBlocking(IBlockingWait wait) =>
        BlockingIo.Transfer(wait, Fd, IoVecs, IoVecCount, Offset, write: false);
}

/// <summary>The arguments of a <see cref="ReadVectorOperation"/>.</summary>
internal readonly struct ReadVectorRequest(IReadOnlyList<Memory<byte>> buffers, long offset) : IOperationRequest<ReadVectorOperation>
{
    public void ApplyTo(ReadVectorOperation operation) => operation.Set(buffers, offset);
}
