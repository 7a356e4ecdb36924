namespace UringScheduler.Scheduling;

/// <summary>
/// The <see cref="TaskScheduler"/> of one worker: tasks run one at a time on the worker thread, inlining only there.
/// </summary>
internal sealed class UringTaskScheduler : TaskScheduler
{
    internal UringTaskScheduler(UringWorker worker)
    {
        Worker = worker;
    }

    internal UringWorker Worker { get; }

    public override int MaximumConcurrencyLevel => 1;

    protected override void QueueTask(Task task) => Worker.Enqueue(new WorkItem(task, null));

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Worker.IsCurrentThread && TryExecuteTask(task);

    // For debuggers only: a best-effort snapshot taken while the worker may be running.
    protected override IEnumerable<Task> GetScheduledTasks() => Worker.SnapshotScheduledTasks();

    /// <summary>Runs a task taken from the worker's queues (it may already have run inline: then this does nothing).</summary>
    internal bool Execute(Task task) => TryExecuteTask(task);

    public override string ToString() => $"UringTaskScheduler(worker {Worker.Id})";
}
