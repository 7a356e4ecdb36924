using System.IO.Pipelines;
using UringScheduler.Scheduling;

namespace UringScheduler;

/// <summary>
/// Runs a pipe's continuations on one worker: inline when scheduled on it (a completion drain, or code already running
/// there: no work item, no allocation), queued to it from any other thread. <see cref="PipeScheduler.ThreadPool"/>
/// would hop to the ThreadPool for every read and flush; <see cref="PipeScheduler.Inline"/> would run the socket's
/// loops on whichever thread completed or cancelled a pipe operation.
/// </summary>
internal sealed class WorkerPipeScheduler(UringWorker worker) : PipeScheduler
{
    public override void Schedule(Action<object?> action, object? state)
    {
        if (worker.IsCurrentThread)
        {
            action(state);
            return;
        }

        worker.Enqueue(new WorkItem(action, state));
    }
}
