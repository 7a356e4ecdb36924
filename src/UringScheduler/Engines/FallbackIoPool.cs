using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Operations;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Engines;

/// <summary>
/// Runtime-owned threads that perform the fallback backend's I/O with blocking system calls and hand each result back
/// to the operation's worker. Never the .NET ThreadPool. A thread blocked on a descriptor that may never become ready
/// (a pipe, say) waits in <c>poll</c> together with its own eventfd, so cancelling the operation can interrupt it.
/// </summary>
internal sealed unsafe partial class FallbackIoPool : IDisposable
{
    internal const int Queued = 0;
    internal const int Running = 1;
    internal const int Canceled = 2;

    private readonly BlockingCollection<IoOperation> _queue = new(new ConcurrentQueue<IoOperation>());
    private readonly List<IoThread> _threads = [];
    private readonly int _maxThreads;
    private int _idle;
    private bool _disposed;

    public FallbackIoPool(int minThreads, int maxThreads)
    {
        _maxThreads = Math.Max(minThreads, maxThreads);
        lock (_threads)
        {
            for (int i = 0; i < minThreads; i++)
            {
                StartThread();
            }
        }
    }

    /// <summary>Queues <paramref name="op"/>; when it has run, <see cref="FallbackEngine.PostCompletion"/> of its worker gets it.</summary>
    public void Enqueue(IoOperation op)
    {
        op.FallbackState = Queued;
        _queue.Add(op);

        // Grow while every thread is busy: blocked pipe reads must not starve file reads queued behind them.
        if (Volatile.Read(ref _idle) == 0)
        {
            lock (_threads)
            {
                if (Volatile.Read(ref _idle) == 0 && _threads.Count < _maxThreads && !_disposed)
                {
                    StartThread();
                }
            }
        }
    }

    /// <summary>Cancels <paramref name="op"/>: at once if it has not started, else by interrupting the thread's poll.</summary>
    public static void Cancel(IoOperation op)
    {
        Volatile.Write(ref op.FallbackCancel, 1);
        if (Interlocked.CompareExchange(ref op.FallbackState, Canceled, Queued) == Running && op.EngineState is IoThread thread)
        {
            thread.Interrupt();
        }
    }

    private void StartThread()
    {
        var thread = new IoThread(this, _threads.Count);
        _threads.Add(thread);
        thread.Start();
    }

    public void Dispose()
    {
        lock (_threads)
        {
            _disposed = true;
        }

        _queue.CompleteAdding();
        foreach (IoThread thread in _threads)
        {
            thread.Join();
        }

        _queue.Dispose();
    }

    private const int RWF_NOWAIT = 0x8;

    // Set when the C library has no preadv2/pwritev2 (glibc before 2.26).
    private static int s_noWaitUnsupported;

    [LibraryImport(Interop.Libraries.Libc, EntryPoint = "preadv2", SetLastError = true)]
    private static partial nint PReadV2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    [LibraryImport(Interop.Libraries.Libc, EntryPoint = "pwritev2", SetLastError = true)]
    private static partial nint PWriteV2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    internal sealed class IoThread
    {
        private readonly FallbackIoPool _pool;
        private readonly Thread _thread;
        private readonly int _cancelFd;

        public IoThread(FallbackIoPool pool, int index)
        {
            _pool = pool;
            _cancelFd = Interop.Libc.EventFd(0, Interop.Libc.EFD_CLOEXEC | Interop.Libc.EFD_NONBLOCK);
            _thread = new Thread(Run) { IsBackground = true, Name = $"uring-fallback-io-{index}" };
        }

        public void Start() => _thread.Start();

        public void Join()
        {
            _thread.Join();
            Interop.Libc.Close(_cancelFd);
        }

        public void Interrupt()
        {
            ulong one = 1;
            Interop.Libc.Write(_cancelFd, &one, sizeof(ulong));
        }

        private void Run()
        {
            Interlocked.Increment(ref _pool._idle);
            foreach (IoOperation op in _pool._queue.GetConsumingEnumerable())
            {
                Interlocked.Decrement(ref _pool._idle);
                op.EngineState = this;
                int result = Interlocked.CompareExchange(ref op.FallbackState, Running, Queued) == Queued
                    ? Execute(op)
                    : -Errno.ECANCELED;
                op.EngineState = null;
                op.PendingResult = result;
                ((FallbackEngine)op.Worker.Engine).PostCompletion(op);
                Interlocked.Increment(ref _pool._idle);
            }
        }

        private int Execute(IoOperation op)
        {
            switch (op.Kind)
            {
                case IoOpKind.Fsync:
                    return Result(Interop.Libc.FSync(op.Fd));
                case IoOpKind.FdataSync:
                    return Result(Interop.Libc.FDataSync(op.Fd));
                case IoOpKind.Read:
                case IoOpKind.ReadFixed:
                case IoOpKind.ReadV:
                    return WaitAndTransfer(op, Interop.Libc.POLLIN);
                case IoOpKind.Write:
                case IoOpKind.WriteFixed:
                case IoOpKind.WriteV:
                    return WaitAndTransfer(op, Interop.Libc.POLLOUT);
                default:
                    return 0;
            }
        }

        // Readiness can be gone by the time of the transfer (another reader took the data, another writer the room):
        // unseekable descriptors are then transferred without blocking, and EAGAIN means waiting again, cancellably,
        // instead of blocking in read(2)/write(2) where no cancellation can reach the thread.
        private int WaitAndTransfer(IoOperation op, short events)
        {
            while (true)
            {
                if (WaitReady(op, events) is int canceled)
                {
                    return canceled;
                }

                int result = Transfer(op);
                if (result != -Errno.EAGAIN)
                {
                    return result;
                }
            }
        }

        private static int Transfer(IoOperation op)
        {
            nint rc;
            switch (op.Kind)
            {
                case IoOpKind.Read:
                case IoOpKind.ReadFixed:
                    rc = Interop.Libc.PRead(op.Fd, (void*)op.Address, op.Length, op.Offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        IoVec single = new() { Base = (void*)op.Address, Length = op.Length };
                        rc = UnseekableTransfer(op.Fd, &single, 1, write: false);
                    }

                    break;
                case IoOpKind.Write:
                case IoOpKind.WriteFixed:
                    (nint addr, uint length, long offset) = op.CurrentWrite();
                    void* address = (void*)addr;
                    rc = Interop.Libc.PWrite(op.Fd, address, length, offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        IoVec single = new() { Base = address, Length = length };
                        rc = UnseekableTransfer(op.Fd, &single, 1, write: true);
                    }

                    break;
                case IoOpKind.ReadV:
                    rc = Interop.Libc.PReadV(op.Fd, op.IoVecs, op.IoVecCount, op.Offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        rc = UnseekableTransfer(op.Fd, op.IoVecs, op.IoVecCount, write: false);
                    }

                    break;
                case IoOpKind.WriteV:
                    rc = Interop.Libc.PWriteV(op.Fd, op.IoVecs, op.IoVecCount, op.Offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        rc = UnseekableTransfer(op.Fd, op.IoVecs, op.IoVecCount, write: true);
                    }

                    break;
                default:
                    rc = 0;
                    break;
            }

            return rc >= 0 ? (int)Math.Min(rc, int.MaxValue) : -Marshal.GetLastPInvokeError();
        }

        // preadv2/pwritev2 at the current position (-1) with RWF_NOWAIT: EAGAIN instead of blocking. Where the kernel,
        // the file or the C library lacks it, the plain blocking call (readiness was just seen, so it rarely blocks).
        private static nint UnseekableTransfer(int fd, IoVec* iov, int count, bool write)
        {
            if (Volatile.Read(ref s_noWaitUnsupported) == 0)
            {
                try
                {
                    nint rc = write ? PWriteV2(fd, iov, count, -1, RWF_NOWAIT) : PReadV2(fd, iov, count, -1, RWF_NOWAIT);
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

        private static int Result(int rc) => rc == 0 ? 0 : -Marshal.GetLastPInvokeError();

        // Waits until the descriptor is ready or the operation is cancelled. Regular files are always ready, so this
        // costs one poll; pipes and sockets can wait here for as long as it takes, interruptible.
        private int? WaitReady(IoOperation op, short events)
        {
            Interop.Libc.PollFd* fds = stackalloc Interop.Libc.PollFd[2];
            while (true)
            {
                if (Volatile.Read(ref op.FallbackCancel) != 0)
                {
                    return -Errno.ECANCELED;
                }

                fds[0] = new Interop.Libc.PollFd { Fd = op.Fd, Events = events };
                fds[1] = new Interop.Libc.PollFd { Fd = _cancelFd, Events = Interop.Libc.POLLIN };
                int rc = Interop.Libc.Poll(fds, 2, -1);
                if (rc < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    return -errno;
                }

                if ((fds[1].REvents & Interop.Libc.POLLIN) != 0)
                {
                    ulong value;
                    Interop.Libc.Read(_cancelFd, &value, sizeof(ulong));
                    continue; // re-check the flag: a late interrupt meant for an earlier operation is harmless
                }

                if ((fds[0].REvents & Interop.Libc.POLLNVAL) != 0)
                {
                    return -Errno.EBADF;
                }

                return null; // ready, or an error/hang-up that the transfer itself will report
            }
        }
    }
}
