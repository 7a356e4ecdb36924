using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace UringScheduler.Tests;

/// <summary>Collects log entries so tests can assert on events.</summary>
internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(this);

    public void Dispose()
    {
    }

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    private sealed class CollectingLogger(CollectingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, eventId, formatter(state, exception), exception));
    }
}

internal static class TestRuntime
{
    public static UringRuntime Create(UringBackend backend, int workers = 2, ILoggerFactory? loggerFactory = null) =>
        new(new UringRuntimeOptions { WorkerCount = workers, Backend = backend, RingEntries = 64 }, loggerFactory);

    public static readonly UringBackend[] Backends = [UringBackend.IoUring, UringBackend.Fallback];
}
