namespace UringScheduler.Operations;

/// <summary>
/// A scheduling context that lets a completion resume its awaiter inline: a worker's own
/// <see cref="SynchronizationContext"/>, which the completion core recognises without knowing what a worker is.
/// </summary>
internal interface IInlineResumeContext
{
    /// <summary>Whether the calling thread is the one this context runs work on.</summary>
    bool IsCurrentThread { get; }

    /// <summary>Queues <paramref name="callback"/> behind the work already queued on the current thread. Only from <see cref="IsCurrentThread"/>.</summary>
    void EnqueueLocal(Action<object?> callback, object? state);
}
