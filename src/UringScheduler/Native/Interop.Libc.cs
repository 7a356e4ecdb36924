using System.Runtime.InteropServices;

namespace UringScheduler.Native;

// The libc calls on a hot or blocking path (read/write and their positioned and vectored forms, poll, fsync), and
// those Mono.Posix does not cover (eventfd, statx, CPU affinity, open with O_NOATIME): a direct import is cheaper than
// Mono.Posix's marshalling layer. Mono.Posix serves the portable translations it exists for (errno text, open flags,
// fcntl file status flags, uname, mmap of the rings); no call family is reached both ways.
internal static unsafe partial class Interop
{
    internal static partial class Libc
    {
        internal const int EFD_CLOEXEC = 0x80000;
        internal const int EFD_NONBLOCK = 0x800;

        [LibraryImport(Libraries.Libc, EntryPoint = "eventfd", SetLastError = true)]
        internal static partial int EventFd(uint initval, int flags);

        internal const int O_CLOEXEC = 0x80000;
        internal const int O_NONBLOCK = 0x800;

        /// <summary><c>pipe2(fds, flags)</c>: fills <c>fds[0]</c> (read end) and <c>fds[1]</c> (write end).</summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "pipe2", SetLastError = true)]
        internal static partial int Pipe2(int* fds, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "read", SetLastError = true)]
        internal static partial nint Read(int fd, void* buffer, nuint count);

        [LibraryImport(Libraries.Libc, EntryPoint = "write", SetLastError = true)]
        internal static partial nint Write(int fd, void* buffer, nuint count);

        [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        [LibraryImport(Libraries.Libc, EntryPoint = "sched_getaffinity", SetLastError = true)]
        internal static partial int SchedGetAffinity(int pid, nuint cpuSetSize, byte* mask);

        [LibraryImport(Libraries.Libc, EntryPoint = "sched_setaffinity", SetLastError = true)]
        internal static partial int SchedSetAffinity(int pid, nuint cpuSetSize, byte* mask);

        [LibraryImport(Libraries.Libc, EntryPoint = "gettid")]
        internal static partial int GetTid();

        [LibraryImport(Libraries.Libc, EntryPoint = "pread", SetLastError = true)]
        internal static partial nint PRead(int fd, void* buffer, nuint count, long offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "pwrite", SetLastError = true)]
        internal static partial nint PWrite(int fd, void* buffer, nuint count, long offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "preadv", SetLastError = true)]
        internal static partial nint PReadV(int fd, IoUring.IoVec* iov, int iovcnt, long offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "pwritev", SetLastError = true)]
        internal static partial nint PWriteV(int fd, IoUring.IoVec* iov, int iovcnt, long offset);

        [LibraryImport(Libraries.Libc, EntryPoint = "readv", SetLastError = true)]
        internal static partial nint ReadV(int fd, IoUring.IoVec* iov, int iovcnt);

        [LibraryImport(Libraries.Libc, EntryPoint = "writev", SetLastError = true)]
        internal static partial nint WriteV(int fd, IoUring.IoVec* iov, int iovcnt);

        /// <summary><c>RWF_NOWAIT</c> for preadv2/pwritev2: fail with EAGAIN instead of blocking.</summary>
        internal const int RWF_NOWAIT = 0x8;

        [LibraryImport(Libraries.Libc, EntryPoint = "preadv2", SetLastError = true)]
        internal static partial nint PReadV2(int fd, IoUring.IoVec* iov, int iovcnt, long offset, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "pwritev2", SetLastError = true)]
        internal static partial nint PWriteV2(int fd, IoUring.IoVec* iov, int iovcnt, long offset, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "fsync", SetLastError = true)]
        internal static partial int FSync(int fd);

        [LibraryImport(Libraries.Libc, EntryPoint = "fdatasync", SetLastError = true)]
        internal static partial int FDataSync(int fd);

        internal const int SOCK_CLOEXEC = 0x80000;
        internal const int MSG_DONTWAIT = 0x40;
        internal const int MSG_NOSIGNAL = 0x4000;
        internal const int SOL_SOCKET = 1;
        internal const int SO_ERROR = 4;

        [LibraryImport(Libraries.Libc, EntryPoint = "accept4", SetLastError = true)]
        internal static partial int Accept4(int fd, void* address, uint* addressLength, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "connect", SetLastError = true)]
        internal static partial int Connect(int fd, void* address, uint addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "recv", SetLastError = true)]
        internal static partial nint Recv(int fd, void* buffer, nuint length, int flags);

        [LibraryImport(Libraries.Libc, EntryPoint = "send", SetLastError = true)]
        internal static partial nint Send(int fd, void* buffer, nuint length, int flags);

        internal const int SOCK_STREAM = 1;
        internal const int SOL_TCP = 6;
        internal const int TCP_NODELAY = 1;
        internal const int SO_REUSEADDR = 2;
        internal const int SO_REUSEPORT = 15;

        [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
        internal static partial int Socket(int domain, int type, int protocol);

        [LibraryImport(Libraries.Libc, EntryPoint = "bind", SetLastError = true)]
        internal static partial int Bind(int fd, void* address, uint addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "listen", SetLastError = true)]
        internal static partial int Listen(int fd, int backlog);

        [LibraryImport(Libraries.Libc, EntryPoint = "setsockopt", SetLastError = true)]
        internal static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

        [LibraryImport(Libraries.Libc, EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int Fcntl(int fd, int command, int argument);

        internal const int F_GETFL = 3;
        internal const int F_SETFL = 4;

        [LibraryImport(Libraries.Libc, EntryPoint = "shutdown", SetLastError = true)]
        internal static partial int Shutdown(int fd, int how);

        [LibraryImport(Libraries.Libc, EntryPoint = "getsockname", SetLastError = true)]
        internal static partial int GetSockName(int fd, void* address, uint* addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "getpeername", SetLastError = true)]
        internal static partial int GetPeerName(int fd, void* address, uint* addressLength);

        [LibraryImport(Libraries.Libc, EntryPoint = "getsockopt", SetLastError = true)]
        internal static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short REvents;
        }

        internal const short POLLIN = 0x001;
        internal const short POLLOUT = 0x004;
        internal const short POLLERR = 0x008;
        internal const short POLLHUP = 0x010;
        internal const short POLLNVAL = 0x020;

        [LibraryImport(Libraries.Libc, EntryPoint = "poll", SetLastError = true)]
        internal static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

        internal const int AT_EMPTY_PATH = 0x1000;
        internal const uint STATX_DIOALIGN = 0x2000;

        /// <summary>The fields of <c>struct statx</c> (256 bytes) the library reads.</summary>
        internal const int StatxSize = 256;
        internal const int StatxMaskOffset = 0;
        internal const int StatxDevMajorOffset = 136;
        internal const int StatxDevMinorOffset = 140;
        internal const int StatxDioMemAlignOffset = 152;
        internal const int StatxDioOffsetAlignOffset = 156;

        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true)]
        internal static partial int Statx(int dirFd, byte* path, int flags, uint mask, byte* buffer);

        /// <summary>O_NOATIME: the same value on x86_64 and arm64; Mono.Posix's OpenFlags lacks it.</summary>
        internal const int O_NOATIME = 0x40000;

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags, uint mode);

    }
}
