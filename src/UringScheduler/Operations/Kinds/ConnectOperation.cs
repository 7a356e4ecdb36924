using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>Connects a socket to an address (<c>CONNECT</c>); the <c>sockaddr</c> lives in native memory the request owns.</summary>
internal sealed unsafe class ConnectOperation : IoOperation, INonBlockingOperation
{
    private SocketRequestState _socket;
    private byte* _address;
    private uint _addressLength;
    private bool _started;

    internal void Set(ISocketState socket, ReadOnlySpan<byte> socketAddress)
    {
        _socket.Set(socket);
        _address = (byte*)Resources.AllocateNative(socketAddress.Length);
        socketAddress.CopyTo(new Span<byte>(_address, socketAddress.Length));
        _addressLength = (uint)socketAddress.Length;
    }

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.Connect(sqe, Fd, _address, _addressLength, UserData);

    protected override Exception MapErrno(int errno) => SocketErrors.FromErrno(errno);

    protected override Exception? MapOutcome(ref int result) => _socket.DisposedError() ?? base.MapOutcome(ref result);

    int INonBlockingOperation.ReadinessFd => Fd;

    short INonBlockingOperation.ReadinessEvents => Interop.Libc.POLLOUT;

    // The fallback's sockets are non-blocking: connect(2) answers EINPROGRESS, and once the socket is writable the
    // outcome is read from SO_ERROR.
    int INonBlockingOperation.TryExecute()
    {
        if (!_started)
        {
            _started = true;
            if (Interop.Libc.Connect(Fd, _address, _addressLength) == 0)
            {
                return 0;
            }

            int errno = Marshal.GetLastPInvokeError();
            return errno is Errno.EINPROGRESS or Errno.EAGAIN ? -Errno.EAGAIN : -errno;
        }

        int error = 0;
        uint length = sizeof(int);
        if (Interop.Libc.GetSockOpt(Fd, Interop.Libc.SOL_SOCKET, Interop.Libc.SO_ERROR, &error, &length) != 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        return -error;
    }

    internal override int ExecuteBlocking(IBlockingWait wait) => BlockingIo.RunNonBlocking(wait, this);

    protected override void ResetRequest()
    {
        _started = false;
        _socket.Clear();
        _address = null;
        _addressLength = 0;
    }
}

/// <summary>The arguments of a <see cref="ConnectOperation"/>: the socket address as the kernel reads it.</summary>
internal readonly struct ConnectRequest(ISocketState socket, ReadOnlyMemory<byte> socketAddress) : IOperationRequest<ConnectOperation>
{
    public void ApplyTo(ConnectOperation operation) => operation.Set(socket, socketAddress.Span);
}
