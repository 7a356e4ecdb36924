using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Tests;

/// <summary>The options added with the I/O scheduler, as parsed into <see cref="BenchOptions"/>.</summary>
public class OptionBindingTests
{
    [Test]
    public void IoSchedulerIsOnByDefault_AndOffWhenAsked()
    {
        Assert.That(Bind("--cases", "uring_1").IoScheduler, Is.True);
        Assert.That(Bind("--io-scheduler", "on").IoScheduler, Is.True);
        Assert.That(Bind("--io-scheduler", "off").IoScheduler, Is.False);
        Assert.That(Bind("--io-scheduler", "OFF").IoScheduler, Is.False);
    }

    [Test]
    public void IoSchedulerReachesTheRuntimeOptions()
    {
        CaseContext on = new(null!, 1, 1, Direct: false, Verify: true, IoScheduler: true);
        CaseContext off = on with { IoScheduler = false };
        Assert.That(on.RuntimeOptions().IoScheduler.Enabled, Is.True);
        Assert.That(off.RuntimeOptions().IoScheduler.Enabled, Is.False);
    }

    [Test]
    public void MemoryLimitTakesASize()
    {
        Assert.That(Bind("--cases", "uring_1").MemoryLimit, Is.Null);
        Assert.That(Bind("--memory-limit", "256M").MemoryLimit, Is.EqualTo(256L << 20));
        Assert.That(Bind("--memory-limit", "1G").MemoryLimit, Is.EqualTo(1L << 30));
    }

    [Test]
    public void OnlyARunWithoutArgumentsAddsTheMemoryLimitedTable()
    {
        Assert.That(Bind().AddMemoryLimitedRegime, Is.True);
        Assert.That(Bind("--cases", "uring_8").AddMemoryLimitedRegime, Is.False);
    }

    [TestCase(1L << 30, 128L << 20)]
    [TestCase(4L << 30, 512L << 20)]
    [TestCase(128L << 20, 64L << 20)]
    [TestCase((1L << 30) + 4096, 128L << 20)]
    public void DefaultMemoryLimitIsAnEighthOfTheData_AtLeast64M(long data, long limit)
    {
        Assert.That(Running.BenchApp.DefaultMemoryLimit(data), Is.EqualTo(limit));
    }

    [Test]
    public void MixedIsACaseOnTheRuntime()
    {
        CaseSpec spec = CaseSpec.Parse("mixed_4");
        Assert.That((spec.Method, spec.Concurrency), Is.EqualTo(("mixed", 4)));
        Assert.That(MethodRegistry.UsesRuntime("mixed"), Is.True);
    }

    [Test]
    public void ProbeUsesShortStepsUnlessTold()
    {
        BenchOptions probe = Bind("--probe-device");
        Assert.That(probe.ProbeDevice, Is.True);
        Assert.That(probe.Duration, Is.EqualTo(TimeSpan.FromSeconds(1.5)));
        Assert.That(probe.Warmup, Is.EqualTo(TimeSpan.FromSeconds(0.5)));
        Assert.That(probe.LatencyGoal, Is.EqualTo(TimeSpan.FromMilliseconds(2)));
        Assert.That(Path.GetFileName(probe.JsonPath), Is.EqualTo("probe.json"));

        BenchOptions told = Bind("--probe-device", "--duration", "3", "--warmup", "0", "--latency-goal", "0.5");
        Assert.That(told.Duration, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(told.Warmup, Is.EqualTo(TimeSpan.Zero));
        Assert.That(told.LatencyGoal, Is.EqualTo(TimeSpan.FromMilliseconds(0.5)));
    }

    [Test]
    public void ProbeWithAMemoryLimitIsAUsageError()
    {
        BenchRun run = BenchRun.Start("--probe-device", "--memory-limit", "256M");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.Error);
        Assert.That(run.Error, Does.StartWith("uring-bench: error: --probe-device"));
    }

    private static BenchOptions Bind(params string[] args)
    {
        CommandLine commandLine = new();
        System.CommandLine.ParseResult parse = commandLine.Root.Parse(args);
        Assert.That(parse.Errors, Is.Empty);
        return commandLine.Bind(parse, args);
    }
}
