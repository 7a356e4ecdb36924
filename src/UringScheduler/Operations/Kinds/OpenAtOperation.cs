using System.Text;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>Opens a path relative to the current directory (<c>OPENAT</c>), run by the kernel's workers. Result: the new descriptor.</summary>
internal sealed unsafe class OpenAtOperation : IoOperation
{
    private const int AtFdCwd = -100;

    private byte* _path;
    private int _flags;
    private uint _mode;

    internal void Set(string path, int flags, uint mode)
    {
        // The kernel reads the path when it picks the SQE up, so it lives in native memory the request owns.
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        _path = (byte*)Resources.AllocateNative(max);
        int written = Encoding.UTF8.GetBytes(path, new Span<byte>(_path, max - 1));
        _path[written] = 0;
        _flags = flags;
        _mode = mode;
    }

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.OpenAt(sqe, AtFdCwd, _path, _flags, _mode, UserData);

    internal override int ExecuteBlocking(IBlockingWait wait) => -Errno.EOPNOTSUPP;

    protected override void ResetRequest()
    {
        _path = null;
        _flags = 0;
        _mode = 0;
    }
}

/// <summary>The arguments of an <see cref="OpenAtOperation"/>.</summary>
internal readonly struct OpenAtRequest(string path, int flags, uint mode) : IOperationRequest<OpenAtOperation>
{
    public void ApplyTo(OpenAtOperation operation) => operation.Set(path, flags, mode);
}
