using System.Runtime.CompilerServices;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

/// <summary>
/// Fills SQEs for each operation the library uses. The SQE must come zeroed from <see cref="Ring.TryGetSqe"/>; every
/// pointer stored in it must stay valid (and pinned) until the operation's completion has been reaped.
/// </summary>
internal static unsafe class RingPrep
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rw(Sqe* sqe, IoUringOp op, int fd, void* addr, uint len, ulong offset, ulong userData)
    {
        sqe->Opcode = (byte)op;
        sqe->Fd = fd;
        sqe->Addr = (ulong)addr;
        sqe->Len = len;
        sqe->Off = offset;
        sqe->UserData = userData;
    }

    public static void Nop(Sqe* sqe, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.Nop;
        sqe->UserData = userData;
    }

    /// <summary>READ at <paramref name="offset"/>; offset <c>ulong.MaxValue</c> (-1) reads at the file position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Read(Sqe* sqe, int fd, void* buffer, uint length, ulong offset, ulong userData) =>
        Rw(sqe, IoUringOp.Read, fd, buffer, length, offset, userData);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Sqe* sqe, int fd, void* buffer, uint length, ulong offset, ulong userData) =>
        Rw(sqe, IoUringOp.Write, fd, buffer, length, offset, userData);

    public static void Readv(Sqe* sqe, int fd, IoVec* iovecs, uint count, ulong offset, ulong userData) =>
        Rw(sqe, IoUringOp.Readv, fd, iovecs, count, offset, userData);

    public static void Writev(Sqe* sqe, int fd, IoVec* iovecs, uint count, ulong offset, ulong userData) =>
        Rw(sqe, IoUringOp.Writev, fd, iovecs, count, offset, userData);

    /// <summary>READ_FIXED into registered buffer <paramref name="bufferIndex"/>; the address range must lie inside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ReadFixed(Sqe* sqe, int fd, void* buffer, uint length, ulong offset, ushort bufferIndex, ulong userData)
    {
        Rw(sqe, IoUringOp.ReadFixed, fd, buffer, length, offset, userData);
        sqe->BufIndex = bufferIndex;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteFixed(Sqe* sqe, int fd, void* buffer, uint length, ulong offset, ushort bufferIndex, ulong userData)
    {
        Rw(sqe, IoUringOp.WriteFixed, fd, buffer, length, offset, userData);
        sqe->BufIndex = bufferIndex;
    }

    /// <summary>FSYNC; <paramref name="dataOnly"/> makes it fdatasync.</summary>
    public static void Fsync(Sqe* sqe, int fd, bool dataOnly, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.Fsync;
        sqe->Fd = fd;
        sqe->OpFlags = dataOnly ? IORING_FSYNC_DATASYNC : 0;
        sqe->UserData = userData;
    }

    /// <summary>TIMEOUT: completes after <paramref name="ts"/>, or once <paramref name="count"/> other completions arrived (0: time only).</summary>
    public static void Timeout(Sqe* sqe, KernelTimespec* ts, uint count, uint flags, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.Timeout;
        sqe->Fd = -1;
        sqe->Addr = (ulong)ts;
        sqe->Len = 1;
        sqe->Off = count;
        sqe->OpFlags = flags;
        sqe->UserData = userData;
    }

    /// <summary>LINK_TIMEOUT: must directly follow an SQE that carries <c>IOSQE_IO_LINK</c>; cancels it when <paramref name="ts"/> expires.</summary>
    public static void LinkTimeout(Sqe* sqe, KernelTimespec* ts, uint flags, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.LinkTimeout;
        sqe->Fd = -1;
        sqe->Addr = (ulong)ts;
        sqe->Len = 1;
        sqe->OpFlags = flags;
        sqe->UserData = userData;
    }

    /// <summary>ASYNC_CANCEL of the request whose user_data is <paramref name="targetUserData"/>.</summary>
    public static void Cancel(Sqe* sqe, ulong targetUserData, uint flags, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.AsyncCancel;
        sqe->Fd = -1;
        sqe->Addr = targetUserData;
        sqe->OpFlags = flags;
        sqe->UserData = userData;
    }

    /// <summary>OPENAT of the NUL-terminated <paramref name="path"/> relative to <paramref name="dirFd"/> (AT_FDCWD = -100).</summary>
    public static void OpenAt(Sqe* sqe, int dirFd, byte* path, int flags, uint mode, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.OpenAt;
        sqe->Fd = dirFd;
        sqe->Addr = (ulong)path;
        sqe->Len = mode;
        sqe->OpFlags = (uint)flags;
        sqe->UserData = userData;
    }

    /// <summary>ACCEPT on the listening socket <paramref name="fd"/>; the peer's address is not asked for. Result: the new descriptor.</summary>
    public static void Accept(Sqe* sqe, int fd, int flags, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.Accept;
        sqe->Fd = fd;
        sqe->OpFlags = (uint)flags;
        sqe->UserData = userData;
    }

    /// <summary>CONNECT of socket <paramref name="fd"/> to the <c>sockaddr</c> at <paramref name="address"/>.</summary>
    public static void Connect(Sqe* sqe, int fd, void* address, uint addressLength, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.Connect;
        sqe->Fd = fd;
        sqe->Addr = (ulong)address;
        sqe->Off = addressLength;
        sqe->UserData = userData;
    }

    /// <summary>SEND of <paramref name="length"/> bytes with <paramref name="msgFlags"/> (<c>MSG_*</c>).</summary>
    public static void Send(Sqe* sqe, int fd, void* buffer, uint length, int msgFlags, ulong userData) =>
        Message(sqe, IoUringOp.Send, fd, buffer, length, msgFlags, userData);

    /// <summary>RECV of at most <paramref name="length"/> bytes with <paramref name="msgFlags"/> (<c>MSG_*</c>).</summary>
    public static void Recv(Sqe* sqe, int fd, void* buffer, uint length, int msgFlags, ulong userData) =>
        Message(sqe, IoUringOp.Recv, fd, buffer, length, msgFlags, userData);

    /// <summary>POLL_ADD (single shot) for <c>POLLIN</c> on <paramref name="fd"/>. Result: the events signalled.</summary>
    public static void PollIn(Sqe* sqe, int fd, ulong userData)
    {
        sqe->Opcode = (byte)IoUringOp.PollAdd;
        sqe->Fd = fd;
        sqe->OpFlags = (uint)Interop.Libc.POLLIN; // poll32_events, little-endian
        sqe->UserData = userData;
    }

    /// <summary>
    /// Multishot RECV into buffers of provided buffer group <paramref name="groupId"/> (Linux 6.0): one completion per
    /// receive, each naming the buffer the kernel picked, with <c>IORING_CQE_F_MORE</c> while it stays armed.
    /// </summary>
    public static void RecvMultishot(Sqe* sqe, int fd, ushort groupId, ulong userData)
    {
        Message(sqe, IoUringOp.Recv, fd, null, 0, 0, userData);
        sqe->Flags |= IOSQE_BUFFER_SELECT;
        sqe->BufIndex = groupId;
        sqe->IoPrio = IORING_RECV_MULTISHOT;
    }

    /// <summary>Multishot ACCEPT (Linux 5.19): one completion per connection, with <c>IORING_CQE_F_MORE</c> while it stays armed.</summary>
    public static void AcceptMultishot(Sqe* sqe, int fd, int flags, ulong userData)
    {
        Accept(sqe, fd, flags, userData);
        sqe->IoPrio = IORING_ACCEPT_MULTISHOT;
    }

    private static void Message(Sqe* sqe, IoUringOp op, int fd, void* buffer, uint length, int msgFlags, ulong userData)
    {
        sqe->Opcode = (byte)op;
        sqe->Fd = fd;
        sqe->Addr = (ulong)buffer;
        sqe->Len = length;
        sqe->OpFlags = (uint)msgFlags;
        sqe->UserData = userData;
    }
}
