using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>Makes a file durable: <c>fsync</c>, or <c>fdatasync</c> when only the data (and what reading it back needs) must reach the device.</summary>
internal sealed unsafe class SyncOperation : IoOperation
{
    internal override DeviceWork DeviceWork => DeviceWork.Flush;

    private bool _dataOnly;

    internal void Set(bool dataOnly) => _dataOnly = dataOnly;

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.Fsync(sqe, Fd, _dataOnly, UserData);

    // As RandomAccess.FlushToDisk: a descriptor that cannot be synced (pipe, character device, read-only file system)
    // has nothing to flush.
    protected override Exception? MapOutcome(ref int result)
    {
        if (-result is Errno.EINVAL or Errno.EROFS or Errno.EOPNOTSUPP)
        {
            result = 0;
            return null;
        }

        return base.MapOutcome(ref result);
    }

    internal override int ExecuteBlocking(IBlockingWait wait)
    {
        int rc = _dataOnly ? Interop.Libc.FDataSync(Fd) : Interop.Libc.FSync(Fd);
        return rc == 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    protected override void ResetRequest() => _dataOnly = false;
}

/// <summary>The arguments of a <see cref="SyncOperation"/>.</summary>
internal readonly struct SyncRequest(bool dataOnly) : IOperationRequest<SyncOperation>
{
    public void ApplyTo(SyncOperation operation) => operation.Set(dataOnly);
}
