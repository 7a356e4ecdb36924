using Microsoft.Extensions.Logging;

namespace UringScheduler.Tests.Runtime;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class FaultTests(UringBackend backend)
{
    [Test]
    public async Task ExceptionInWork_FaultsTheTask_LogsIt_AndTheWorkerGoesOn()
    {
        var logs = new CollectingLoggerProvider();
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1, loggerFactory: logs.CreateFactory());
        UringWorker worker = runtime.Workers[0];

        Assert.ThrowsAsync<InvalidTimeZoneException>(() => worker.RunAsync(() => throw new InvalidTimeZoneException("sync")));
        Assert.ThrowsAsync<InvalidTimeZoneException>(() => worker.RunAsync(async () =>
        {
            await worker.NopAsync();
            throw new InvalidTimeZoneException("after await");
        }));

        Assert.That(await worker.RunAsync(() => Task.FromResult(7)), Is.EqualTo(7));
        var faulted = logs.Entries.Where(e => e.EventId.Name == "WorkFaulted" && e.Exception is InvalidTimeZoneException).ToList();
        Assert.That(faulted, Has.Count.EqualTo(2));
        Assert.That(faulted.Select(e => e.Level), Is.All.EqualTo(LogLevel.Debug), "the caller handles it: diagnosis only");
    }

    [Test]
    public async Task AwaitedFault_LogsNothingAtInformation()
    {
        var logs = new CollectingLoggerProvider();
        using ILoggerFactory factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(logs));
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1, loggerFactory: factory);
        UringWorker worker = runtime.Workers[0];

        Assert.ThrowsAsync<InvalidTimeZoneException>(() => worker.RunAsync(async () =>
        {
            await worker.NopAsync();
            throw new InvalidTimeZoneException("handled by the caller");
        }));

        Assert.That(await worker.RunAsync(() => Task.FromResult(7)), Is.EqualTo(7));
        Assert.That(logs.Entries.Where(e => e.Exception is not null), Is.Empty, "no warning, no stack trace");
    }

    [Test]
    public async Task UnobservedFault_ReachesUnobservedTaskException()
    {
        var logs = new CollectingLoggerProvider();
        using ILoggerFactory factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(logs));
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1, loggerFactory: factory);
        UringWorker worker = runtime.Workers[0];
        string marker = $"nobody awaits this {Guid.NewGuid()}";
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception.InnerExceptions.Any(x => x.Message == marker))
            {
                e.SetObserved();
                reported.TrySetResult();
            }
        };

        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            await StartAndForget(worker, marker);
            for (int i = 0; i < 50 && !reported.Task.IsCompleted; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Task.Delay(20);
            }

            Assert.That(reported.Task.IsCompleted, Is.True, "the fault of a task nobody awaited was reported");
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }

        // Started in a method of its own, so that no local of the test keeps the faulted task reachable.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static async Task StartAndForget(UringWorker worker, string marker)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = worker.RunAsync(async () =>
            {
                await worker.NopAsync();
                done.SetResult();
                throw new InvalidTimeZoneException(marker);
            });
            await done.Task;
            await worker.RunAsync(() => Task.CompletedTask); // the throw above has run by then: same worker, in order
        }
    }

    [Test]
    public async Task AsyncVoidException_IsLogged_NotFatal()
    {
        var logs = new CollectingLoggerProvider();
        await using UringRuntime runtime = TestRuntime.Create(backend, workers: 1, loggerFactory: logs.CreateFactory());
        UringWorker worker = runtime.Workers[0];

        await worker.RunAsync(() =>
        {
            FireAndForget(worker);
            return Task.CompletedTask;
        });

        for (int i = 0; i < 100 && !logs.Entries.Any(e => e.EventId.Name == "WorkerFault"); i++)
        {
            await Task.Delay(10);
        }

        Assert.That(logs.Entries.Any(e => e.EventId.Name == "WorkerFault" && e.Exception is InvalidTimeZoneException), Is.True);
        Assert.That(await worker.RunAsync(() => Task.FromResult(UringWorker.Current == worker)), Is.True);

        static async void FireAndForget(UringWorker worker)
        {
            await worker.NopAsync();
            throw new InvalidTimeZoneException("async void");
        }
    }

    [Test]
    public void InvalidOptions_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UringRuntime(new UringRuntimeOptions { WorkerCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UringRuntime(new UringRuntimeOptions { RingEntries = 100 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UringRuntime(new UringRuntimeOptions { Backend = (UringBackend)42 }));
    }
}
