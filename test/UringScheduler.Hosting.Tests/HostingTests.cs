using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UringScheduler.Hosting.Tests;

[TestFixture]
public sealed class HostingTests
{
    [Test]
    public async Task HostStartsAndStopsTheRuntime()
    {
        var logs = new CollectingLoggerProvider();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs);
        builder.Services.AddUringScheduler(TestHost.SmallRuntime);

        using IHost host = builder.Build();
        await host.StartAsync();
        UringRuntime runtime = host.Services.GetRequiredService<UringRuntime>();
        Assert.That(runtime.Workers, Has.Count.EqualTo(2));
        Assert.That(runtime.ActiveBackend, Is.Not.EqualTo(UringBackend.Auto));
        Assert.That(await runtime.RunAsync(() => Task.FromResult(UringWorker.Current?.Runtime)), Is.SameAs(runtime));

        await host.StopAsync();
        Assert.That(() => runtime.RunAsync(() => Task.CompletedTask), Throws.InstanceOf<ObjectDisposedException>(),
            "the runtime is disposed when the host stops");

        // The runtime logs through the host's logger factory.
        LogEntry started = logs.WithEvent(1).Single();
        Assert.That(started.Category, Is.EqualTo("UringScheduler"));
        Assert.That(started.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(started.Message, Does.StartWith("UringScheduler started: backend"));
        Assert.That(logs.WithEvent(6).Single().Message, Does.StartWith("UringScheduler stopped"));
    }

    [Test]
    public async Task OptionsAreBoundFromTheUringSchedulerSection()
    {
        var logs = new CollectingLoggerProvider();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?>
        {
            ["UringScheduler:WorkerCount"] = "3",
            ["UringScheduler:RingEntries"] = "32",
            ["UringScheduler:PinWorkersToCpus"] = "false",
            ["UringScheduler:Backend"] = "Fallback",
            ["UringScheduler:WorkBudget"] = "64",
            ["UringScheduler:StallThreshold"] = "00:00:00.250",
            ["UringScheduler:IoScheduler:DeviceCapacity"] = "48",
            ["UringScheduler:IoScheduler:TryPageCacheFirst"] = "false",
            ["UringScheduler:IoScheduler:ClassShares:background"] = "50",
        });
        builder.Services.AddUringScheduler();

        using IHost host = builder.Build();
        await host.StartAsync();
        UringRuntime runtime = host.Services.GetRequiredService<UringRuntime>();
        UringRuntimeOptions options = runtime.Options;
        Assert.Multiple(() =>
        {
            Assert.That(runtime.Workers, Has.Count.EqualTo(3));
            Assert.That(options.RingEntries, Is.EqualTo(32));
            Assert.That(options.PinWorkersToCpus, Is.False);
            Assert.That(runtime.ActiveBackend, Is.EqualTo(UringBackend.Fallback));
            Assert.That(options.WorkBudget, Is.EqualTo(64));
            Assert.That(options.StallThreshold, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(options.IoScheduler.Enabled, Is.True);
            Assert.That(options.IoScheduler.DeviceCapacity, Is.EqualTo(48));
            Assert.That(options.IoScheduler.TryPageCacheFirst, Is.False);
            Assert.That(options.IoScheduler.ClassShares["Background"], Is.EqualTo(50));
        });
        await host.StopAsync();
    }

    [Test]
    public async Task CodeConfigurationRunsAfterTheSection()
    {
        var logs = new CollectingLoggerProvider();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?>
        {
            ["UringScheduler:WorkerCount"] = "3",
            ["UringScheduler:RingEntries"] = "32",
        });
        builder.Services.AddUringScheduler(o => o.WorkerCount = 1);

        using IHost host = builder.Build();
        await host.StartAsync();
        UringRuntime runtime = host.Services.GetRequiredService<UringRuntime>();
        Assert.That(runtime.Workers, Has.Count.EqualTo(1));
        Assert.That(runtime.Options.RingEntries, Is.EqualTo(32));
        await host.StopAsync();
    }

    [TestCase("WorkerCount", "0", "must be at least 1")]
    [TestCase("RingEntries", "100", "must be a power of two")]
    [TestCase("WorkBudget", "0", "must be at least 1")]
    [TestCase("StallThreshold", "-00:00:01", "must not be negative")]
    [TestCase("MaxSubmitBatch", "-2", "must be 0 (no limit) or positive")]
    public void InvalidOptionsFailTheStartNamingTheKey(string key, string value, string reason)
    {
        var logs = new CollectingLoggerProvider();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { [$"UringScheduler:{key}"] = value });
        builder.Services.AddUringScheduler();
        builder.Services.AddPerCoreService<IdleService>();

        using IHost host = builder.Build();
        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(e!.Message, Does.Contain($"'UringScheduler:{key}' = '{value}'").And.Contain(reason));
        Assert.That(logs.WithEvent(1), Is.Empty, "no runtime was started");
    }

    [Test]
    public void UnparsableValueFailsTheStartNamingTheKey()
    {
        var logs = new CollectingLoggerProvider();
        HostApplicationBuilder builder = TestHost.CreateBuilder(logs, new Dictionary<string, string?> { ["UringScheduler:WorkerCount"] = "many" });
        builder.Services.AddUringScheduler();

        using IHost host = builder.Build();
        var e = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.That(e!.Message, Does.Contain("UringScheduler:WorkerCount"));
    }

    [Test]
    public void WorksWithoutAHost()
    {
        var services = new ServiceCollection();
        services.AddUringScheduler(TestHost.SmallRuntime);
        using ServiceProvider provider = services.BuildServiceProvider();
        UringRuntime runtime = provider.GetRequiredService<UringRuntime>();
        Assert.That(runtime.Workers, Has.Count.EqualTo(2));
    }

    [Test]
    public void RegisteringTwiceRegistersOneRuntime()
    {
        var services = new ServiceCollection();
        services.AddUringScheduler(TestHost.SmallRuntime).AddUringScheduler(o => o.WorkerCount = 1);
        services.AddPerCoreService<IdleService>().AddPerCoreService<IdleService>();
        Assert.That(services.Count(d => d.ServiceType == typeof(UringRuntime)), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(IHostedService)), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(PerCoreServiceRegistration)), Is.EqualTo(1));

        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<UringRuntime>().Workers, Has.Count.EqualTo(1));
    }

    private sealed class IdleService : IPerCoreService
    {
        public Task ExecuteAsync(UringWorker worker, CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }
}
