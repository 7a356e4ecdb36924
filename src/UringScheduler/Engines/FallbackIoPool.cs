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
internal sealed unsafe class FallbackIoPool : IDisposable
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
                    return WaitReady(op, Interop.Libc.POLLIN) is int canceled ? canceled : Transfer(op);
                case IoOpKind.Write:
                case IoOpKind.WriteFixed:
                case IoOpKind.WriteV:
                    return WaitReady(op, Interop.Libc.POLLOUT) is int canceled2 ? canceled2 : Transfer(op);
                default:
                    return 0;
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
                        rc = Interop.Libc.Read(op.Fd, (void*)op.Address, op.Length);
                    }

                    break;
                case IoOpKind.Write:
                case IoOpKind.WriteFixed:
                    (nint addr, uint length, long offset) = op.CurrentWrite();
                    void* address = (void*)addr;
                    rc = Interop.Libc.PWrite(op.Fd, address, length, offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        rc = Interop.Libc.Write(op.Fd, address, length);
                    }

                    break;
                case IoOpKind.ReadV:
                    rc = Interop.Libc.PReadV(op.Fd, op.IoVecs, op.IoVecCount, op.Offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        rc = Interop.Libc.ReadV(op.Fd, op.IoVecs, op.IoVecCount);
                    }

                    break;
                case IoOpKind.WriteV:
                    rc = Interop.Libc.PWriteV(op.Fd, op.IoVecs, op.IoVecCount, op.Offset);
                    if (rc < 0 && Marshal.GetLastPInvokeError() == Errno.ESPIPE)
                    {
                        rc = Interop.Libc.WriteV(op.Fd, op.IoVecs, op.IoVecCount);
                    }

                    break;
                default:
                    rc = 0;
                    break;
            }

            return rc >= 0 ? (int)Math.Min(rc, int.MaxValue) : -Marshal.GetLastPInvokeError();
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
