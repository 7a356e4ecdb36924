using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// Waits until a socket is readable (<c>POLL_ADD</c> for <c>POLLIN</c>), holding no buffer meanwhile. Result: the
/// events that were signalled (an error or hang-up counts as readable: the receive that follows reports it).
/// </summary>
internal sealed unsafe class PollOperation : IoOperation, INonBlockingOperation
{
    private SocketRequestState _socket;

    internal void Set(ISocketState socket) => _socket.Set(socket);

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.PollIn(sqe, Fd, UserData);

    protected override Exception MapErrno(int errno) => SocketErrors.FromErrno(errno);

    protected override Exception? MapOutcome(ref int result) => _socket.DisposedError() ?? base.MapOutcome(ref result);

    int INonBlockingOperation.ReadinessFd => Fd;

    short INonBlockingOperation.ReadinessEvents => Interop.Libc.POLLIN;

    int INonBlockingOperation.TryExecute()
    {
        Interop.Libc.PollFd poll = new() { Fd = Fd, Events = Interop.Libc.POLLIN };
        int rc = Interop.Libc.Poll(&poll, 1, 0);
        return rc > 0 ? poll.REvents : rc == 0 ? -Errno.EAGAIN : -System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
    }

    internal override int ExecuteBlocking(IBlockingWait wait) => BlockingIo.RunNonBlocking(wait, this);

    protected override void ResetRequest() => _socket.Clear();
}

/// <summary>The arguments of a <see cref="PollOperation"/>.</summary>
internal readonly struct PollRequest(ISocketState socket) : IOperationRequest<PollOperation>
{
    public void ApplyTo(PollOperation operation) => operation.Set(socket);
}
