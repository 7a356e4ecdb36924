using Microsoft.Extensions.Logging;

namespace UringScheduler;

/// <summary>STUB: replaced by the worker runtime.</summary>
public sealed class UringRuntime : IAsyncDisposable, IDisposable
{
    /// <summary>Creates and starts the runtime.</summary>
    public UringRuntime(UringRuntimeOptions? options = null, ILoggerFactory? loggerFactory = null) => throw new NotImplementedException();

    /// <summary>Whether io_uring is usable here.</summary>
    public static bool IsSupported => throw new NotImplementedException();

    /// <summary>The backend in use.</summary>
    public UringBackend ActiveBackend => throw new NotImplementedException();

    /// <summary>The workers.</summary>
    public IReadOnlyList<UringWorker> Workers => throw new NotImplementedException();

    /// <summary>Runs work on a worker.</summary>
    public Task RunAsync(Func<Task> work) => throw new NotImplementedException();

    /// <summary>Runs work on a worker.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work) => throw new NotImplementedException();

    /// <summary>Graceful shutdown.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();

    /// <summary>Graceful shutdown.</summary>
    public void Dispose() => throw new NotImplementedException();
}
