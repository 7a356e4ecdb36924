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
        Assert.That(logs.Entries.Count(e => e.EventId.Name == "WorkFaulted" && e.Exception is InvalidTimeZoneException), Is.EqualTo(2));
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
