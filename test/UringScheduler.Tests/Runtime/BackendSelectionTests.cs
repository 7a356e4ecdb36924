namespace UringScheduler.Tests.Runtime;

/// <summary>
/// What a machine without io_uring gets, simulated by making the runtime believe its probe failed (the real causes,
/// seccomp or kernel.io_uring_disabled, cannot be set for one process on a shared machine).
/// </summary>
public class BackendSelectionTests
{
    private static readonly UringUnavailableException s_cause = UringScheduler.Rings.RingSetupErrors.ForSetupFailure(1 /* EPERM */, 0, "6.18-test");

    [Test]
    public void ProbeOnThisMachine_SaysSupported()
    {
        Assert.That(UringRuntime.IsSupported, Is.True, UringRuntime.UnsupportedReason);
        Assert.That(UringRuntime.UnsupportedReason, Is.Null);
    }

    [Test]
    public async Task Auto_WithoutIoUring_LogsOneWarningWithTheCause_AndRunsTheFallback()
    {
        var logs = new CollectingLoggerProvider();
        await using var runtime = new UringRuntime(new UringRuntimeOptions { WorkerCount = 2, Backend = UringBackend.Auto, SimulatedProbeFailure = s_cause }, logs.CreateFactory());

        Assert.That(runtime.ActiveBackend, Is.EqualTo(UringBackend.Fallback));
        var warnings = logs.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].EventId.Name, Is.EqualTo("FallbackSelected"));
        Assert.That(warnings[0].Message, Does.Contain("EPERM").And.Contain("seccomp"));

        // Same threading contract on the fallback.
        UringWorker worker = runtime.Workers[1];
        bool onWorker = await worker.RunAsync(async () =>
        {
            await worker.NopAsync();
            return UringWorker.Current == worker && SynchronizationContext.Current == worker.SynchronizationContext;
        });
        Assert.That(onWorker, Is.True);
    }

    [Test]
    public void IoUring_WithoutIoUring_ThrowsUringUnavailable_NamingTheCause()
    {
        var e = Assert.Throws<UringUnavailableException>(() => new UringRuntime(new UringRuntimeOptions { WorkerCount = 1, Backend = UringBackend.IoUring, SimulatedProbeFailure = s_cause }));
        Assert.That(e!.Message, Does.Contain("EPERM").And.Contain("Docker"));
    }
}
