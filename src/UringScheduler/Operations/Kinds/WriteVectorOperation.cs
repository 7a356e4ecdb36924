using UringScheduler.Rings;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// A gather write of every segment: <c>WRITEV</c> in chunks of at most <see cref="VectorOperation.MaxIoVecs"/>
/// segments, each resubmitted after a short write, until all is written or an error ends it.
/// </summary>
internal sealed unsafe class WriteVectorOperation : VectorOperation
{
    internal override DeviceWork DeviceWork => DeviceWork.Write;

    private IReadOnlyList<ReadOnlyMemory<byte>>? _segments;
    private int _nextSegment;
    private long _chunkLeft;

    internal void Set(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
    {
        _segments = buffers;
        _nextSegment = 0;
        Offset = offset;
        EnsureIoVecs(Math.Min(buffers.Count, MaxIoVecs));
        FillChunk();
    }

    // Pins are released only at the very end: a gather write may pin more segments than one chunk holds.
    private void FillChunk()
    {
        IReadOnlyList<ReadOnlyMemory<byte>> segments = _segments!;
        IoVecCount = 0;
        _chunkLeft = 0;
        while (_nextSegment < segments.Count && IoVecCount < MaxIoVecs)
        {
            ReadOnlyMemory<byte> segment = segments[_nextSegment++];
            if (!segment.IsEmpty)
            {
                AddSegment(segment);
                _chunkLeft += segment.Length;
            }
        }
    }

    protected override void PrepareSqe(Sqe* sqe) =>
        RingPrep.Writev(sqe, Fd, IoVecs, (uint)IoVecCount, (ulong)Offset, UserData);

    internal override bool OnResult(int result)
    {
        // A result of 0 moved nothing: it is a short write like any other, and the rest goes back (as RandomAccess
        // loops on pwrite), rather than ending a request that has not written everything.
        if (result < 0)
        {
            return base.OnResult(result);
        }

        Offset += result;
        _chunkLeft -= result;
        if (_chunkLeft > 0)
        {
            DropWritten(result);
            return EndIfCanceledAfterShortWrite();
        }

        if (_nextSegment < _segments!.Count)
        {
            FillChunk();
            if (IoVecCount > 0)
            {
                return EndIfCanceledAfterShortWrite();
            }
        }

        SetKernelResult(0);
        return true;
    }

    // Drops the iovecs written in full and trims the first partial one.
    private void DropWritten(long written)
    {
        int skip = 0;
        while (written > 0 && written >= (long)IoVecs[skip].Length)
        {
            written -= (long)IoVecs[skip].Length;
            skip++;
        }

        if (written > 0)
        {
            IoVecs[skip].Base = (byte*)IoVecs[skip].Base + written;
            IoVecs[skip].Length -= (nuint)written;
        }

        IoVecCount -= skip;
        Buffer.MemoryCopy(IoVecs + skip, IoVecs, (long)IoVecCount * sizeof(IoVec), (long)IoVecCount * sizeof(IoVec));
    }

    internal override int ExecuteBlocking(IBlockingWait wait) =>
        BlockingIo.Transfer(wait, Fd, IoVecs, IoVecCount, Offset, write: true);

    protected override void ResetRequest()
    {
        base.ResetRequest();
        _segments = null;
        _nextSegment = 0;
        _chunkLeft = 0;
    }
}

/// <summary>The arguments of a <see cref="WriteVectorOperation"/>.</summary>
internal readonly struct WriteVectorRequest(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset) : IOperationRequest<WriteVectorOperation>
{
    public void ApplyTo(WriteVectorOperation operation) => operation.Set(buffers, offset);
}
