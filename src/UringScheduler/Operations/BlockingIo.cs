using System.Runtime.InteropServices;
using UringScheduler.Native;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Operations;

/// <summary>
/// Reads and writes as blocking system calls, for the fallback engine: positioned where the descriptor is seekable,
/// at the current position otherwise (pipes, FIFOs, character devices), always after a cancellable readiness wait.
/// </summary>
internal static unsafe class BlockingIo
{
    // Set when the C library has no preadv2/pwritev2 (glibc before 2.26).
    private static int s_noWaitUnsupported;

    /// <summary>
    /// Transfers <paramref name="iov"/> at <paramref name="offset"/>. Readiness can be gone by the time of the transfer
    /// (another reader took the data, another writer the room): unseekable descriptors are then transferred without
    /// blocking, and EAGAIN means waiting again, cancellably, instead of blocking in read(2)/write(2) where no
    /// cancellation can reach the thread. Returns the bytes transferred or -errno.
    /// </summary>
    public static int Transfer(IBlockingWait wait, int fd, IoVec* iov, int count, long offset, bool write)
    {
        while (true)
        {
            int ready = wait.WaitReady(fd, write ? Interop.Libc.POLLOUT : Interop.Libc.POLLIN);
            if (ready < 0)
            {
                return ready;
            }

            nint rc = write ? Interop.Libc.PWriteV(fd, iov, count, offset) : Interop.Libc.PReadV(fd, iov, count, offset);
            if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
            {
                rc = UnseekableTransfer(fd, iov, count, write);
            }

            int result = rc >= 0 ? (int)Math.Min(rc, int.MaxValue) : -Marshal.GetLastPInvokeError();
            if (result != -Errno.EAGAIN)
            {
                return result;
            }
        }
    }

    /// <summary>Runs <paramref name="op"/> on a blocking thread: tries it, and waits (cancellably) for readiness while it would block.</summary>
    public static int RunNonBlocking(IBlockingWait wait, INonBlockingOperation op)
    {
        while (true)
        {
            int result = op.TryExecute();
            if (result != -Errno.EAGAIN)
            {
                return result;
            }

            int ready = wait.WaitReady(op.ReadinessFd, op.ReadinessEvents);
            if (ready < 0)
            {
                return ready;
            }
        }
    }

    // preadv2/pwritev2 at the current position (-1) with RWF_NOWAIT: EAGAIN instead of blocking. Where the kernel,
    // the file or the C library lacks it, the plain blocking call (readiness was just seen, so it rarely blocks).
    private static nint UnseekableTransfer(int fd, IoVec* iov, int count, bool write)
    {
        if (Volatile.Read(ref s_noWaitUnsupported) == 0)
        {
            try
            {
                nint rc = write
                    ? Interop.Libc.PWriteV2(fd, iov, count, -1, Interop.Libc.RWF_NOWAIT)
                    : Interop.Libc.PReadV2(fd, iov, count, -1, Interop.Libc.RWF_NOWAIT);
                if (rc >= 0 || Marshal.GetLastPInvokeError() is not (Errno.EOPNOTSUPP or Errno.ENOSYS or Errno.EINVAL))
                {
                    return rc;
                }
            }
            catch (EntryPointNotFoundException)
            {
                Volatile.Write(ref s_noWaitUnsupported, 1);
            }
        }

        return write ? Interop.Libc.WriteV(fd, iov, count) : Interop.Libc.ReadV(fd, iov, count);
    }
}
