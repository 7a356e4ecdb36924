namespace UringScheduler.Tests.Runtime;

[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public class ShutdownTests(UringBackend backend)
{
    [Test]
    public async Task Dispose_WithOperationsInFlight_CancelsThemAndWaits()
    {
        var logs = new CollectingLoggerProvider();
        UringRuntime runtime = TestRuntime.Create(backend, loggerFactory: logs.CreateFactory());
        var delays = new List<Task>();
        foreach (UringWorker worker in runtime.Workers)
        {
            for (int i = 0; i < 50; i++)
            {
                delays.Add(worker.RunAsync(async () => await worker.DelayAsync(TimeSpan.FromHours(1))));
            }
        }

        await Task.Delay(50);
        Assert.That(runtime.Workers.Sum(w => w.OperationsInFlight), Is.EqualTo(100));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await runtime.DisposeAsync();
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));

        foreach (Task delay in delays)
        {
            Assert.That(delay.IsFaulted, Is.True, delay.Status.ToString());
            Assert.That(delay.Exception!.InnerException, Is.TypeOf<ObjectDisposedException>());
        }

        Assert.That(runtime.Workers.Sum(w => w.OperationsInFlight), Is.Zero);
        Assert.That(runtime.Workers.Sum(w => w.CanceledAtShutdown), Is.EqualTo(100));
        Assert.That(logs.Entries.Any(e => e.EventId.Name == "RuntimeStopped"), Is.True);
    }

    [Test]
    public async Task DisposeTwice_IsHarmless_AndNewWorkIsRefused()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        UringWorker worker = runtime.Workers[0];
        await runtime.DisposeAsync();
        await runtime.DisposeAsync();
        runtime.Dispose();

        Assert.Throws<ObjectDisposedException>(() => runtime.RunAsync(() => Task.CompletedTask));
        Assert.Throws<ObjectDisposedException>(() => worker.RunAsync(() => Task.CompletedTask));
        Assert.Throws<ObjectDisposedException>(() => worker.NopAsync());
    }

    [Test]
    public async Task DisposeFromOwnWorker_Throws()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        Exception? error = await runtime.Workers[0].RunAsync(() =>
        {
            try
            {
                runtime.Dispose();
                return Task.FromResult<Exception?>(null);
            }
            catch (Exception e)
            {
                return Task.FromResult<Exception?>(e);
            }
        });
        Assert.That(error, Is.InstanceOf<InvalidOperationException>());
    }

    [Test]
    public async Task LoopsThatKeepIssuingOps_EndWithObjectDisposed()
    {
        UringRuntime runtime = TestRuntime.Create(backend);
        var loops = runtime.Workers.Select(w => w.RunAsync(async () =>
        {
            while (true)
            {
                await w.NopAsync();
            }
        })).ToList();

        await Task.Delay(100);
        await runtime.DisposeAsync();
        foreach (Task loop in loops)
        {
            Assert.That(loop.IsFaulted, Is.True);
            Assert.That(loop.Exception!.InnerException, Is.InstanceOf<ObjectDisposedException>());
        }
    }

    [Test]
    public async Task CancelledDelay_EndsCancelledWithTheToken()
    {
        await using UringRuntime runtime = TestRuntime.Create(backend);
        UringWorker worker = runtime.Workers[0];
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        OperationCanceledException? caught = await worker.RunAsync(async () =>
        {
            try
            {
                await worker.DelayAsync(TimeSpan.FromHours(1), cts.Token);
                return null;
            }
            catch (OperationCanceledException e)
            {
                return e;
            }
        });

        Assert.That(caught, Is.Not.Null);
        Assert.That(caught!.CancellationToken, Is.EqualTo(cts.Token));
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(worker.OperationsInFlight, Is.Zero);
    }
}
