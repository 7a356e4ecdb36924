using UringScheduler.Operations;

namespace UringScheduler.Scheduling;

/// <summary>
/// The <see cref="SynchronizationContext"/> of one worker: <see cref="Post"/> queues to the worker (allocation-free
/// from the worker itself); <see cref="Send"/> runs inline on the worker thread and otherwise posts and waits. One
/// instance per worker, and <see cref="CreateCopy"/> returns it, so identity comparisons hold. Once the worker has
/// stopped, <see cref="Send"/> throws <see cref="ObjectDisposedException"/> and <see cref="Post"/> drops the callback
/// (a <c>PostAfterStop</c> warning, once per worker): neither waits for a worker that will never run it. Post never
/// throws, because .NET's await machinery posts continuations from whatever thread completes a task, and an exception
/// there would be rethrown on the ThreadPool and end the process.
/// </summary>
internal sealed class UringSynchronizationContext : SynchronizationContext, IInlineResumeContext
{
    internal UringSynchronizationContext(UringWorker worker)
    {
        Worker = worker;
    }

    internal UringWorker Worker { get; }

    bool IInlineResumeContext.IsCurrentThread => Worker.IsCurrentThread;

    void IInlineResumeContext.EnqueueLocal(Action<object?> callback, object? state) => Worker.Enqueue(new WorkItem(callback, state));

    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        Worker.Enqueue(new WorkItem(d, state));
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Worker.IsCurrentThread)
        {
            d(state);
            return;
        }

        var call = new SendCall(d, state);
        if (!Worker.TryEnqueue(new WorkItem((SendOrPostCallback)SendCall.Run, call)))
        {
            // The worker has stopped: nothing would ever run the callback, so waiting for it would never end.
            call.Done.Dispose();
            ThrowHelper.ThrowObjectDisposedException_Runtime();
        }

        call.Done.Wait();
        call.Done.Dispose();
        if (call.Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(call.Error);
        }
    }

    public override SynchronizationContext CreateCopy() => this;

    public override string ToString() => $"UringSynchronizationContext(worker {Worker.Id})";

    private sealed class SendCall(SendOrPostCallback callback, object? state)
    {
        public ManualResetEventSlim Done { get; } = new();

        public Exception? Error { get; private set; }

        public static void Run(object? o)
        {
            var call = (SendCall)o!;
            try
            {
                call._callback(call._state);
            }
            catch (Exception e)
            {
                call.Error = e;
            }
            finally
            {
                call.Done.Set();
            }
        }

        private readonly SendOrPostCallback _callback = callback;
        private readonly object? _state = state;
    }
}
