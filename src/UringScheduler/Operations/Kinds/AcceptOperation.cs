using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>Accepts one connection on a listening socket (<c>ACCEPT</c>). Result: the connection's descriptor (close-on-exec).</summary>
internal sealed unsafe class AcceptOperation : IoOperation, INonBlockingOperation
{
    private SocketRequestState _socket;

    internal void Set(ISocketState listener) => _socket.Set(listener);

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.Accept(sqe, Fd, Interop.Libc.SOCK_CLOEXEC, UserData);

    protected override Exception MapErrno(int errno) => SocketErrors.FromErrno(errno);

    protected override Exception? MapOutcome(ref int result)
    {
        Exception? disposed = _socket.DisposedError();
        if (disposed is null)
        {
            if (result >= 0)
            {
                Owner.CountSocketTraffic(SocketTraffic.ConnectionAccepted, 1);
            }

            return base.MapOutcome(ref result);
        }

        if (result >= 0)
        {
            // Accepted after the listener was disposed: nobody will take the connection, so it is closed here.
            Interop.Libc.Close(result);
        }

        return disposed;
    }

    int INonBlockingOperation.ReadinessFd => Fd;

    short INonBlockingOperation.ReadinessEvents => Interop.Libc.POLLIN;

    // The fallback's listeners are non-blocking: readiness can be taken by another accept before this one runs.
    // Accepted connections are non-blocking too, as every socket of the fallback is.
    int INonBlockingOperation.TryExecute()
    {
        int fd = Interop.Libc.Accept4(Fd, null, null, Interop.Libc.SOCK_CLOEXEC | Interop.Libc.O_NONBLOCK);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    internal override int ExecuteBlocking(IBlockingWait wait) => BlockingIo.RunNonBlocking(wait, this);

    protected override void ResetRequest() => _socket.Clear();
}

/// <summary>The arguments of an <see cref="AcceptOperation"/>.</summary>
internal readonly struct AcceptRequest(ISocketState listener) : IOperationRequest<AcceptOperation>
{
    public void ApplyTo(AcceptOperation operation) => operation.Set(listener);
}
