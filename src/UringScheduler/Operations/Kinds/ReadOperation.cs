using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>A positioned read into one buffer (<c>READ</c>, or <c>READ_FIXED</c> into a registered buffer). Result: the bytes read.</summary>
internal sealed unsafe class ReadOperation : SingleBufferOperation
{
    internal override DeviceWork DeviceWork => DeviceWork.Read;

    // A page-cache probe that missed goes back to the kernel without RWF_NOWAIT.
    internal override bool OnResult(int result) => !RetryMissedProbe(ref result) && base.OnResult(result);

    internal void Set(Memory<byte> buffer, long offset) => SetBuffer(buffer, offset);

    protected override void PrepareSqe(Sqe* sqe)
    {
        if (UsesFixedBuffer)
        {
            RingPrep.ReadFixed(sqe, Fd, (void*)Address, Length, (ulong)Offset, BufferIndex, UserData);
        }
        else
        {
            RingPrep.Read(sqe, Fd, (void*)Address, Length, (ulong)Offset, UserData);
        }
    }

    internal override int ExecuteBlocking(IBlockingWait wait)
    {
        IoVec single = new() { Base = (void*)Address, Length = Length };
        return BlockingIo.Transfer(wait, Fd, &single, 1, Offset, write: false);
    }
}

/// <summary>The arguments of a <see cref="ReadOperation"/>.</summary>
internal readonly struct ReadRequest(Memory<byte> buffer, long offset) : IOperationRequest<ReadOperation>
{
    public void ApplyTo(ReadOperation operation) => operation.Set(buffer, offset);
}
