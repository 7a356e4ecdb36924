namespace UringScheduler;

// The tasks RunAsync handed out and that have not ended yet. Work that awaits something outside the runtime (a timer,
// a TaskCompletionSource) resumes through a post to this worker; once the worker has stopped, that post can run
// nowhere, so the work would never end. The worker ends every such task itself, faulted with ObjectDisposedException,
// when it leaves its loop: by the time DisposeAsync completes, every task RunAsync returned has ended.
public sealed partial class UringWorker
{
    private readonly Lock _runningLock = new();
    private readonly HashSet<IRunningWork> _running = [];
    private bool _runningClosed;

    /// <summary>Tasks returned by <see cref="RunAsync(Func{Task})"/> that have not ended yet (for tests).</summary>
    internal int RunningWorkCount
    {
        get
        {
            lock (_runningLock)
            {
                return _running.Count;
            }
        }
    }

    private Task Track(Task inner)
    {
        var work = new RunningWork(this);
        Register(work);
        inner.ContinueWith(RunningWork.s_finish, work, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return work.Task;
    }

    private Task<T> Track<T>(Task<T> inner)
    {
        var work = new RunningWork<T>(this);
        Register(work);
        inner.ContinueWith(RunningWork<T>.s_finish, work, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return work.Task;
    }

    private void Register(IRunningWork work)
    {
        lock (_runningLock)
        {
            if (!_runningClosed)
            {
                _running.Add(work);
                return;
            }
        }

        // The worker stopped between the stopping check and here: nothing will run the work.
        work.Abandon(CreateAbandonedError());
    }

    private void Unregister(IRunningWork work)
    {
        lock (_runningLock)
        {
            _running.Remove(work);
        }
    }

    /// <summary>Ends every task still running: called once the worker has left its loop and runs nothing more.</summary>
    private void AbandonRunningWork()
    {
        IRunningWork[] abandoned;
        lock (_runningLock)
        {
            _runningClosed = true;
            abandoned = [.. _running];
            _running.Clear();
        }

        foreach (IRunningWork work in abandoned)
        {
            work.Abandon(CreateAbandonedError());
        }
    }

    private static ObjectDisposedException CreateAbandonedError() =>
        new(nameof(UringRuntime), "The UringRuntime was disposed while this work was still running: it was awaiting something " +
            "outside the runtime, and its continuation cannot run on a stopped worker.");

    private interface IRunningWork
    {
        void Abandon(Exception error);
    }

    // Continuations run asynchronously: a task abandoned on the exiting worker thread must not run its awaiters' code
    // there (one of them could be waiting for this very disposal).
    private sealed class RunningWork(UringWorker worker) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), IRunningWork
    {
        public static readonly Action<Task, object?> s_finish = static (task, state) =>
        {
            var work = (RunningWork)state!;
            work._worker.Unregister(work);
            work.TrySetFromTask(task);
        };

        private readonly UringWorker _worker = worker;

        public void Abandon(Exception error) => TrySetException(error);
    }

    private sealed class RunningWork<T>(UringWorker worker) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IRunningWork
    {
        public static readonly Action<Task<T>, object?> s_finish = static (task, state) =>
        {
            var work = (RunningWork<T>)state!;
            work._worker.Unregister(work);
            work.TrySetFromTask(task);
        };

        private readonly UringWorker _worker = worker;

        public void Abandon(Exception error) => TrySetException(error);
    }
}
