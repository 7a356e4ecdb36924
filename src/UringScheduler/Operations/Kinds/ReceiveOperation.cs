using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>A receive into one buffer (<c>RECV</c>). Result: the bytes received, 0 when the peer has closed.</summary>
internal sealed unsafe class ReceiveOperation : SingleBufferOperation, INonBlockingOperation
{
    private SocketRequestState _socket;

    protected override bool HasFixedOpcode => false;

    internal void Set(ISocketState socket, Memory<byte> buffer)
    {
        _socket.Set(socket);
        SetBuffer(buffer, 0);
    }

    protected override void PrepareSqe(Sqe* sqe) => RingPrep.Recv(sqe, Fd, (void*)Address, Length, 0, UserData);

    protected override Exception MapErrno(int errno) => SocketErrors.FromErrno(errno);

    protected override Exception? MapOutcome(ref int result)
    {
        if (result > 0)
        {
            Owner.CountSocketTraffic(SocketTraffic.BytesReceived, result);
        }

        return _socket.DisposedError() ?? base.MapOutcome(ref result);
    }

    int INonBlockingOperation.ReadinessFd => Fd;

    short INonBlockingOperation.ReadinessEvents => Interop.Libc.POLLIN;

    int INonBlockingOperation.TryExecute()
    {
        nint rc = Interop.Libc.Recv(Fd, (void*)Address, Length, Interop.Libc.MSG_DONTWAIT);
        return rc >= 0 ? (int)rc : -Marshal.GetLastPInvokeError();
    }

    internal override int ExecuteBlocking(IBlockingWait wait) => BlockingIo.RunNonBlocking(wait, this);

    protected override void ResetRequest()
    {
        base.ResetRequest();
        _socket.Clear();
    }
}

/// <summary>The arguments of a <see cref="ReceiveOperation"/>.</summary>
internal readonly struct ReceiveRequest(ISocketState socket, Memory<byte> buffer) : IOperationRequest<ReceiveOperation>
{
    public void ApplyTo(ReceiveOperation operation) => operation.Set(socket, buffer);
}
