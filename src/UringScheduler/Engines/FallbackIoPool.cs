using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using UringScheduler.Native;
using UringScheduler.Operations;

namespace UringScheduler.Engines;

/// <summary>
/// Runtime-owned threads that perform the fallback backend's I/O with blocking system calls and hand each result back
/// to the engine that queued it. Never the .NET ThreadPool. A thread blocked on a descriptor that may never become ready
/// (a pipe, say) waits in <c>poll</c> together with its own eventfd, so cancelling the operation can interrupt it.
/// </summary>
internal sealed unsafe class FallbackIoPool : IDisposable
{
    private readonly BlockingCollection<FallbackJob> _queue = new(new ConcurrentQueue<FallbackJob>());
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

    /// <summary>Queues <paramref name="job"/>; when it has run, its engine's <see cref="FallbackEngine.PostCompletion"/> gets it.</summary>
    public void Enqueue(FallbackJob job)
    {
        _queue.Add(job);

        // Grow while more jobs wait than threads are idle: a job queued behind one that blocks (a pipe read waiting for
        // data that only the queued job would bring) must still find a thread. Comparing with the queue, not only with
        // zero idle threads, covers the idle thread that is about to take an earlier job.
        if (_queue.Count > Volatile.Read(ref _idle))
        {
            lock (_threads)
            {
                if (_queue.Count > Volatile.Read(ref _idle) && _threads.Count < _maxThreads && !_disposed)
                {
                    StartThread();
                }
            }
        }
    }

    /// <summary>Cancels <paramref name="job"/>: at once if it has not started, else by interrupting the thread's poll.</summary>
    public static void Cancel(FallbackJob job)
    {
        Volatile.Write(ref job.CancelFlag, 1);
        if (Interlocked.CompareExchange(ref job.State, FallbackJob.Canceled, FallbackJob.Queued) == FallbackJob.Running && job.Thread is IoThread thread)
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

    internal sealed class IoThread : IBlockingWait
    {
        private readonly FallbackIoPool _pool;
        private readonly Thread _thread;
        private readonly int _cancelFd;
        private FallbackJob? _current;

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
            foreach (FallbackJob job in _pool._queue.GetConsumingEnumerable())
            {
                Interlocked.Decrement(ref _pool._idle);
                _current = job;
                job.Thread = this;
                job.Result = Interlocked.CompareExchange(ref job.State, FallbackJob.Running, FallbackJob.Queued) == FallbackJob.Queued
                    ? job.Operation!.ExecuteBlocking(this)
                    : -Errno.ECANCELED;
                job.Thread = null;
                _current = null;
                job.Engine.PostCompletion(job);
                Interlocked.Increment(ref _pool._idle);
            }
        }

        // Waits until the descriptor is ready or the job is cancelled. Regular files are always ready, so this costs one
        // poll; pipes and sockets can wait here for as long as it takes, interruptible.
        public int WaitReady(int fd, short events)
        {
            FallbackJob job = _current!;
            Interop.Libc.PollFd* fds = stackalloc Interop.Libc.PollFd[2];
            while (true)
            {
                if (Volatile.Read(ref job.CancelFlag) != 0)
                {
                    return -Errno.ECANCELED;
                }

                fds[0] = new Interop.Libc.PollFd { Fd = fd, Events = events };
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
                    continue; // re-check the flag: a late interrupt meant for an earlier job is harmless
                }

                if ((fds[0].REvents & Interop.Libc.POLLNVAL) != 0)
                {
                    return -Errno.EBADF;
                }

                return 0; // ready, or an error/hang-up that the transfer itself will report
            }
        }
    }
}
