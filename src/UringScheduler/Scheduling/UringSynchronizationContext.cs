namespace UringScheduler.Scheduling;

/// <summary>
/// The <see cref="SynchronizationContext"/> of one worker: <see cref="Post"/> queues to the worker (allocation-free
/// from the worker itself); <see cref="Send"/> runs inline on the worker thread and otherwise posts and waits. One
/// instance per worker, and <see cref="CreateCopy"/> returns it, so identity comparisons hold.
/// </summary>
internal sealed class UringSynchronizationContext : SynchronizationContext
{
    internal UringSynchronizationContext(UringWorker worker)
    {
        Worker = worker;
    }

    internal UringWorker Worker { get; }

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
        Worker.Enqueue(new WorkItem((SendOrPostCallback)SendCall.Run, call));
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
