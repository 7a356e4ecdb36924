using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>A delay timed by the kernel (<c>TIMEOUT</c> with no completion count): it completes when the time is up.</summary>
internal sealed unsafe class TimeoutOperation : IoOperation
{
    private KernelTimespec* _duration;

    /// <summary>The delay, in nanoseconds (engines that time it themselves read it).</summary>
    internal long Nanoseconds { get; private set; }

    internal void Set(long nanoseconds)
    {
        Nanoseconds = nanoseconds;
        _duration = SetTimespec(nanoseconds);
    }

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.Timeout(sqe, _duration, 0, 0, UserData);

    // A timeout that expires (-ETIME) is the expected outcome of a delay.
    protected override Exception? MapOutcome(ref int result)
    {
        if (result == -Errno.ETIME)
        {
            result = 0;
            return null;
        }

        return base.MapOutcome(ref result);
    }

    // The fallback engine keeps delays in its own timer heap and never runs them on a thread.
    internal override int ExecuteBlocking(IBlockingWait wait) => -Errno.EINVAL;

    protected override void ResetRequest()
    {
        Nanoseconds = 0;
        _duration = null;
    }
}

/// <summary>The arguments of a <see cref="TimeoutOperation"/>.</summary>
internal readonly struct TimeoutRequest(long nanoseconds) : IOperationRequest<TimeoutOperation>
{
    public void ApplyTo(TimeoutOperation operation) => operation.Set(nanoseconds);
}
