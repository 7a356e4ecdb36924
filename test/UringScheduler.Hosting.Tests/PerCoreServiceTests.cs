using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace UringScheduler.Hosting.Tests;

[TestFixture]
public sealed class PerCoreServiceTests
{
    /// <summary>Shared with the services through the container: what each instance saw.</summary>
    private sealed class Probe
    {
        public ConcurrentBag<object> Instances { get; } = [];
        public ConcurrentDictionary<int, string> Violations { get; } = new();
        public ConcurrentDictionary<int, int> Rounds { get; } = new();
        public ConcurrentDictionary<int, bool> CleanedUp { get; } = new();
        public ConcurrentDictionary<int, bool> Disposed { get; } = new();
        public ConcurrentDictionary<int, UringWorker?> ConstructedOn { get; } = new();
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Throwing = -1;
    }

    /// <summary>Awaits every kind of thing and checks it is still on its worker after each await.</summary>
    private sealed class LoopingService : IPerCoreService, IAsyncDisposable
    {
        private readonly Probe _probe;
        private readonly UringWorker? _constructedOn = UringWorker.Current;
        private int _rounds; // per-core state: no lock, only this worker touches it

        public LoopingService(Probe probe)
        {
            _probe = probe;
            probe.Instances.Add(this);
        }

        public async Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken)
        {
            _probe.ConstructedOn[worker.Id] = _constructedOn;
            try
            {
                while (true)
                {
                    await worker.NopAsync();
                    Check(worker, "NopAsync");
                    await worker.DelayAsync(TimeSpan.FromMilliseconds(1), stoppingToken);
                    Check(worker, "DelayAsync");
                    await Task.Delay(1, stoppingToken);
                    Check(worker, "Task.Delay");
                    await Task.Yield();
                    Check(worker, "Task.Yield");
                    _probe.Rounds[worker.Id] = ++_rounds;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Clean-up that takes a while and awaits: the host must wait for it before disposing the runtime.
                await worker.DelayAsync(TimeSpan.FromMilliseconds(50));
                Check(worker, "clean-up");
                _probe.CleanedUp[worker.Id] = true;
                throw;
            }
        }

        public ValueTask DisposeAsync()
        {
            _probe.Disposed[_constructedOn?.Id ?? -1] = UringWorker.Current == _constructedOn;
            return ValueTask.CompletedTask;
        }

        private void Check(UringWorker worker, string after)
        {
            if (UringWorker.Current != worker || SynchronizationContext.Current != worker.SynchronizationContext || TaskScheduler.Current != worker.TaskScheduler)
            {
                _probe.Violations.TryAdd(worker.Id, $"left worker {worker.Id} after {after}");
            }
        }
    }

    /// <summary>Throws on the worker named by the probe, after an await; the others wait.</summary>
    private sealed class ThrowingService(Probe probe) : IPerCoreService
    {
        public async Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken)
        {
            await worker.NopAsync();
            if (worker.Id == probe.Throwing)
            {
                throw new InvalidOperationException($"boom on worker {worker.Id}");
            }

            probe.Rounds[worker.Id] = 1;
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }

    /// <summary>Ignores the stopping token until released.</summary>
    private sealed class StubbornService(Probe probe) : IPerCoreService
    {
        public Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken) => probe.Release.Task;
    }

    [Test]
    public async Task OneInstancePerWorker_StaysOnItsWorker_StopWaitsForCleanUp()
    {
        var logs = new CollectingLoggerProvider();
        var probe = new Probe();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);
        builder.Services.AddPerCoreService<LoopingService>();

        using IHost host = builder.Build();
        await host.StartAsync();
        UringRuntime runtime = host.Services.GetRequiredService<UringRuntime>();
        await TestHost.WaitUntil(() => probe.Rounds.Count == 2 && probe.Rounds.Values.All(r => r >= 5), "five rounds on each worker");

        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(probe.Instances, Has.Count.EqualTo(runtime.Workers.Count), "one instance per worker");
            Assert.That(probe.ConstructedOn.Keys.Order(), Is.EqualTo(new[] { 0, 1 }));
            Assert.That(probe.ConstructedOn.All(p => p.Value?.Id == p.Key), Is.True, "each instance is constructed on its worker");
            Assert.That(probe.Violations, Is.Empty);
            Assert.That(probe.CleanedUp.Keys.Order(), Is.EqualTo(new[] { 0, 1 }), "the stopping token was cancelled and the clean-up awaited");
            Assert.That(probe.Disposed.Keys.Order(), Is.EqualTo(new[] { 0, 1 }));
            Assert.That(probe.Disposed.Values, Is.All.True, "instances are disposed on their worker");
        });

        // A loop that ends by throwing OperationCanceledException after cancellation is a normal end.
        Assert.That(logs.WithEvent(21), Is.Empty);
        Assert.That(logs.WithEvent(4), Is.Empty, "no WorkFaulted from the core either");
        Assert.That(logs.WithEvent(20).Single().Message, Does.Contain(nameof(LoopingService)).And.Contain("2 worker(s)"));

        // The clean-ups awaited ring operations after cancellation: they could only succeed because the per-core
        // services are stopped before the runtime is disposed (a stopping runtime refuses new operations).
        Assert.That(logs.WithEvent(6), Has.Exactly(1).Items);
    }

    [Test]
    public async Task RegistrationOrderDoesNotMatter()
    {
        var logs = new CollectingLoggerProvider();
        var probe = new Probe();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.AddPerCoreService<LoopingService>();
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);

        using IHost host = builder.Build();
        await host.StartAsync();
        await TestHost.WaitUntil(() => probe.Rounds.Count == 2, "a round on each worker");
        await host.StopAsync();
        Assert.That(probe.CleanedUp, Has.Count.EqualTo(2));
        Assert.That(probe.Violations, Is.Empty);
    }

    [Test]
    public async Task FaultedService_StopHost_LogsAndStopsTheHost()
    {
        var logs = new CollectingLoggerProvider();
        var probe = new Probe { Throwing = 1 };
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);
        builder.Services.AddPerCoreService<ThrowingService>();

        using IHost host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());

        // RunAsync returns when the host has stopped: here, because the service failed.
        Task run = host.RunAsync();
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        LogEntry faulted = logs.WithEvent(21).Single();
        Assert.That(faulted.Level, Is.EqualTo(LogLevel.Error));
        Assert.That(faulted.Category, Is.EqualTo("UringScheduler.Hosting"));
        Assert.That(faulted.Message, Does.Contain(nameof(ThrowingService)).And.Contain("worker 1"));
        Assert.That(faulted.Exception, Is.InstanceOf<InvalidOperationException>().With.Message.EqualTo("boom on worker 1"));
        Assert.That(logs.WithEvent(22).Single().Level, Is.EqualTo(LogLevel.Critical));
        Assert.That(logs.WithEvent(4), Is.Empty, "reported once, not again as the core's WorkFaulted");
    }

    [Test]
    public async Task FaultedService_Ignore_LogsAndKeepsTheOthersRunning()
    {
        var logs = new CollectingLoggerProvider();
        var probe = new Probe { Throwing = 0 };
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);
        builder.Services.AddPerCoreService<ThrowingService>();

        using IHost host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        await host.StartAsync();
        await TestHost.WaitUntil(() => logs.WithEvent(21).Any() && probe.Rounds.ContainsKey(1), "the failure on worker 0 and the loop on worker 1");
        await Task.Delay(100);

        Assert.That(lifetime.ApplicationStopping.IsCancellationRequested, Is.False, "Ignore keeps the host running");
        Assert.That(logs.WithEvent(22), Is.Empty);
        Assert.That(logs.WithEvent(21).Single().Exception!.Message, Is.EqualTo("boom on worker 0"));

        // The runtime still works: worker 0 survived its service's failure.
        UringRuntime runtime = host.Services.GetRequiredService<UringRuntime>();
        Assert.That(await runtime.Workers[0].RunAsync(() => Task.FromResult(UringWorker.Current?.Id)), Is.EqualTo(0));
        await host.StopAsync();
    }

    [Test]
    public async Task ServiceIgnoringTheToken_StopGivesUpAtTheShutdownTimeout()
    {
        var logs = new CollectingLoggerProvider();
        var probe = new Probe();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);
        builder.Services.AddPerCoreService<StubbornService>();

        using IHost host = builder.Build();
        await host.StartAsync();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync();
        stopwatch.Stop();

        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        LogEntry timeout = logs.WithEvent(23).Single();
        Assert.That(timeout.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(timeout.Message, Does.Contain(nameof(StubbornService)).And.Contain("2 instance(s) still running"));
        probe.Release.SetResult();
    }

    /// <summary>Keeps its worker busy (and so the runtime from stopping) until released, whatever the token says.</summary>
    private sealed class BusyService(Probe probe) : IPerCoreService
    {
        public async Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken)
        {
            while (!probe.Release.Task.IsCompleted)
            {
                await Task.Yield();
            }
        }
    }

    [Test]
    public async Task RuntimeStillBusyAtTheShutdownTimeout_StopLogsAndReturns()
    {
        var logs = new CollectingLoggerProvider();
        var probe = new Probe();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);
        builder.Services.AddPerCoreService<BusyService>();

        IHost host = builder.Build();
        await host.StartAsync();
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(logs.WithEvent(23).Single().Message, Does.Contain("2 instance(s) still running"));
        Assert.That(logs.WithEvent(24).Single().Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(logs.WithEvent(6), Is.Empty, "the runtime is still stopping in the background");

        // Once the work lets go, the runtime finishes stopping, and disposing the host waits for that.
        probe.Release.SetResult();
        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(logs.WithEvent(6), Has.Exactly(1).Items);
    }

    [Test]
    public async Task MetricsAreObservedForTheHostedRuntime()
    {
        using var collector = new MeterCollector();
        var logs = new CollectingLoggerProvider();
        var probe = new Probe();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddSingleton(probe);
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);
        builder.Services.AddPerCoreService<LoopingService>();

        using IHost host = builder.Build();
        await host.StartAsync();
        await TestHost.WaitUntil(() => probe.Rounds.Count == 2 && probe.Rounds.Values.All(r => r >= 5), "five rounds on each worker");

        collector.Observe();
        var completed = collector.Measurements.Where(m => m.Name == "uring.operations.completed").ToList();
        Assert.That(completed.Select(m => m.Tags["uring.worker"]), Is.SupersetOf(new object[] { 0, 1 }));
        Assert.That(completed.Sum(m => m.Value), Is.GreaterThanOrEqualTo(2 * 5 * 2), "a NOP and a delay per round on each worker");
        Assert.That(collector.Measurements.Select(m => m.Name), Is.SupersetOf(new[]
        {
            "uring.operations.in_flight", "uring.submit.calls", "uring.wakeups", "uring.loop.stalls", "uring.loop.turns",
        }));
        await host.StopAsync();
    }
}
