namespace UringScheduler.Scheduling;

/// <summary>
/// One unit of ready work for a worker: a <see cref="Task"/> queued to its scheduler, a posted
/// <see cref="SendOrPostCallback"/>, or an <see cref="Action{T}"/> continuation, with its state. A struct so that
/// queuing it allocates nothing.
/// </summary>
internal readonly struct WorkItem
{
    public WorkItem(object callback, object? state)
    {
        Callback = callback;
        State = state;
    }

    /// <summary>A <see cref="Task"/>, a <see cref="SendOrPostCallback"/> or an <see cref="Action{T}"/> of object.</summary>
    public object Callback { get; }

    public object? State { get; }
}
