namespace UringScheduler;

/// <summary>STUB: replaced by the worker runtime.</summary>
public sealed class UringWorker
{
    private UringWorker() => throw new NotImplementedException();

    /// <summary>The worker that owns this thread, else null.</summary>
    public static UringWorker? Current => throw new NotImplementedException();

    /// <summary>0 .. WorkerCount-1.</summary>
    public int Id => throw new NotImplementedException();

    /// <summary>The owning runtime.</summary>
    public UringRuntime Runtime => throw new NotImplementedException();

    /// <summary>The worker's scheduler.</summary>
    public TaskScheduler TaskScheduler => throw new NotImplementedException();

    /// <summary>The worker's context.</summary>
    public SynchronizationContext SynchronizationContext => throw new NotImplementedException();

    /// <summary>Runs work on this worker.</summary>
    public Task RunAsync(Func<Task> work) => throw new NotImplementedException();

    /// <summary>Runs work on this worker.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work) => throw new NotImplementedException();

    /// <summary>A ring no-op through the worker (the scheduler's own cost per operation).</summary>
    public ValueTask NopAsync() => throw new NotImplementedException();
}
