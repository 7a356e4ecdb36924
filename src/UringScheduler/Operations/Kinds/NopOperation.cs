using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>A request that does nothing (<c>NOP</c>): the scheduler's own cost per operation.</summary>
internal sealed unsafe class NopOperation : IoOperation
{
    protected override void PrepareSqe(Sqe* sqe) => RingPrep.Nop(sqe, UserData);

    internal override int ExecuteBlocking(IBlockingWait wait) => 0;

    protected override void ResetRequest()
    {
    }
}

/// <summary>The arguments of a <see cref="NopOperation"/>: none.</summary>
internal readonly struct NopRequest : IOperationRequest<NopOperation>
{
    public void ApplyTo(NopOperation operation)
    {
    }
}
