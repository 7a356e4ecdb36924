using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UringScheduler.Operations;

/// <summary>
/// The part a read and a write into one buffer share: the buffer's address and length, the file offset, and whether
/// the buffer is a registered one that the fixed-buffer opcodes can address by index.
/// </summary>
internal abstract unsafe class SingleBufferOperation : IoOperation
{
    protected nint Address;
    protected uint Length;
    protected long Offset;
    protected ushort BufferIndex;

    /// <summary>Whether the kind has a fixed-buffer opcode (reads and writes do; sends and receives here do not).</summary>
    protected virtual bool HasFixedOpcode => true;

    /// <summary>Sets the buffer (pinned, or leased when it is a pool buffer) and the offset.</summary>
    /// <remarks>A read's target arrives as read-only memory only to share this code: the kernel writes into the pinned memory either way.</remarks>
    protected void SetBuffer(ReadOnlyMemory<byte> buffer, long offset)
    {
        Offset = offset;
        if (!TryUseLeasedBuffer(buffer))
        {
            Address = (nint)Resources.Pin(buffer);
            Length = (uint)buffer.Length;
        }
    }

    // Memory from a UringBuffer needs no pinning, and when it is registered in the owner's ring the request can use the
    // fixed-buffer opcode: the kernel then skips mapping the pages on every operation.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryUseLeasedBuffer(ReadOnlyMemory<byte> buffer)
    {
        if (!MemoryMarshal.TryGetMemoryManager(buffer, out UringBuffer? leased, out int start, out int length))
        {
            return false;
        }

        Resources.LeaseBuffer(leased);
        Address = (nint)(leased.Pointer + start);
        Length = (uint)length;
        if (HasFixedOpcode && leased.IsRegistered && ReferenceEquals(leased.Pool, Owner.RegisteredBuffers))
        {
            UsesFixedBuffer = true;
            BufferIndex = (ushort)leased.Index;
        }

        return true;
    }

    internal override long DeviceBytes => Length;

    protected override void ResetRequest()
    {
        Address = 0;
        Length = 0;
        Offset = 0;
        BufferIndex = 0;
    }
}
