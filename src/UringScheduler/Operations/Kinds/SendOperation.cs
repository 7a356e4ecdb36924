using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// A send of one whole buffer (<c>SEND</c> with <c>MSG_NOSIGNAL</c>): after a short send the rest goes back to the
/// kernel, until every byte was handed over or an error ends it. Result: the bytes sent.
/// </summary>
internal sealed unsafe class SendOperation : SingleBufferOperation, INonBlockingOperation
{
    private SocketRequestState _socket;
    private uint _sent;

    protected override bool HasFixedOpcode => false;

    internal void Set(ISocketState socket, ReadOnlyMemory<byte> buffer)
    {
        _socket.Set(socket);
        SetBuffer(buffer, 0);
    }

    protected override void PrepareSqe(Sqe* sqe) =>
        RingPrep.Send(sqe, Fd, (void*)(Address + (nint)_sent), Length - _sent, Interop.Libc.MSG_NOSIGNAL, UserData);

    internal override bool OnResult(int result)
    {
        // A result of 0 moved nothing: it is a short send like any other, and the rest goes back (as RandomAccess
        // loops on pwrite), rather than ending a request that has not written everything.
        if (result < 0)
        {
            return base.OnResult(result);
        }

        _sent += (uint)result;
        if (_sent < Length)
        {
            return EndIfCanceledAfterShortWrite();
        }

        SetKernelResult((int)_sent);
        return true;
    }

    protected override Exception MapErrno(int errno) => SocketErrors.FromErrno(errno);

    protected override Exception? MapOutcome(ref int result)
    {
        if (_sent > 0)
        {
            Owner.CountSocketTraffic(SocketTraffic.BytesSent, (int)_sent);
        }

        return _socket.DisposedError() ?? base.MapOutcome(ref result);
    }

    int INonBlockingOperation.ReadinessFd => Fd;

    short INonBlockingOperation.ReadinessEvents => Interop.Libc.POLLOUT;

    int INonBlockingOperation.TryExecute()
    {
        nint rc = Interop.Libc.Send(Fd, (void*)(Address + (nint)_sent), Length - _sent, Interop.Libc.MSG_DONTWAIT | Interop.Libc.MSG_NOSIGNAL);
        return rc >= 0 ? (int)rc : -Marshal.GetLastPInvokeError();
    }

    internal override int ExecuteBlocking(IBlockingWait wait) => BlockingIo.RunNonBlocking(wait, this);

    protected override void ResetRequest()
    {
        base.ResetRequest();
        _socket.Clear();
        _sent = 0;
    }
}

/// <summary>The arguments of a <see cref="SendOperation"/>.</summary>
internal readonly struct SendRequest(ISocketState socket, ReadOnlyMemory<byte> buffer) : IOperationRequest<SendOperation>
{
    public void ApplyTo(SendOperation operation) => operation.Set(socket, buffer);
}
