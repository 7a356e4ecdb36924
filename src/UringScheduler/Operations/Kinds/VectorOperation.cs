using System.Runtime.InteropServices;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// The part scatter reads and gather writes share: an iovec array in native memory (the kernel reads it when it picks
/// the SQE up, so it must not move), kept across incarnations, and the file offset.
/// </summary>
internal abstract unsafe class VectorOperation : IoOperation
{
    /// <summary>The kernel's limit of iovecs per call (<c>UIO_MAXIOV</c>).</summary>
    internal const int MaxIoVecs = 1024;

    private int _capacity;

    protected IoVec* IoVecs;
    protected int IoVecCount;
    protected long Offset;

    protected void EnsureIoVecs(int count)
    {
        if (_capacity >= count)
        {
            return;
        }

        if (IoVecs != null)
        {
            NativeMemory.Free(IoVecs);
        }

        int capacity = Math.Max(count, 16);
        IoVecs = (IoVec*)NativeMemory.Alloc((nuint)capacity, (nuint)sizeof(IoVec));
        _capacity = capacity;
    }

    /// <summary>Pins <paramref name="segment"/> and puts it at the end of the iovec array.</summary>
    protected void AddSegment(ReadOnlyMemory<byte> segment)
    {
        IoVecs[IoVecCount++] = new IoVec { Base = Resources.PinSegment(segment), Length = (nuint)segment.Length };
    }

    internal override long DeviceBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < IoVecCount; i++)
            {
                total += (long)IoVecs[i].Length;
            }

            return total;
        }
    }

    protected override void ResetRequest()
    {
        IoVecCount = 0;
        Offset = 0;
    }

    internal override void FreeNative()
    {
        base.FreeNative();
        if (IoVecs != null)
        {
            NativeMemory.Free(IoVecs);
            IoVecs = null;
            _capacity = 0;
        }
    }
}
