using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// A positioned write of one whole buffer (<c>WRITE</c>, or <c>WRITE_FIXED</c> from a registered buffer): after a
/// short write the rest goes back to the kernel, until all is written or an error ends it.
/// </summary>
internal sealed unsafe class WriteOperation : SingleBufferOperation
{
    internal override DeviceWork DeviceWork => DeviceWork.Write;

    private uint _written;

    internal void Set(ReadOnlyMemory<byte> buffer, long offset) => SetBuffer(buffer, offset);

    protected override void PrepareSqe(Sqe* sqe)
    {
        void* address = (void*)(Address + (nint)_written);
        uint length = Length - _written;
        ulong offset = (ulong)(Offset + _written);
        if (UsesFixedBuffer)
        {
            RingPrep.WriteFixed(sqe, Fd, address, length, offset, BufferIndex, UserData);
        }
        else
        {
            RingPrep.Write(sqe, Fd, address, length, offset, UserData);
        }
    }

    internal override bool OnResult(int result)
    {
        // A result of 0 moved nothing: it is a short write like any other, and the rest goes back (as RandomAccess
        // loops on pwrite), rather than ending a request that has not written everything.
        if (result < 0)
        {
            return base.OnResult(result);
        }

        _written += (uint)result;
        if (_written < Length)
        {
            return EndIfCanceledAfterShortWrite();
        }

        SetKernelResult(0);
        return true;
    }

    internal override int ExecuteBlocking(IBlockingWait wait)
    {
        IoVec rest = new() { Base = (void*)(Address + (nint)_written), Length = Length - _written };
        return BlockingIo.Transfer(wait, Fd, &rest, 1, Offset + _written, write: true);
    }

    protected override void ResetRequest()
    {
        base.ResetRequest();
        _written = 0;
    }
}

/// <summary>The arguments of a <see cref="WriteOperation"/>.</summary>
internal readonly struct WriteRequest(ReadOnlyMemory<byte> buffer, long offset) : IOperationRequest<WriteOperation>
{
    public void ApplyTo(WriteOperation operation) => operation.Set(buffer, offset);
}
