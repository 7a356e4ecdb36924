using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace UringScheduler.Tests.Diagnostics;

/// <summary>
/// The stall watchdog reports a blocked worker while it is still blocked, from its own thread, at a growing interval,
/// names what the worker was running, counts the stall once, and leaves idle runtimes alone.
/// </summary>
[TestFixtureSource(typeof(TestRuntime), nameof(TestRuntime.Backends))]
public partial class StallWatchdogTests(UringBackend backend)
{
    private static readonly ManualResetEventSlim s_release = new();

    [Test]
    public async Task BlockedWorker_IsReportedWhileBlocked_RepeatedAtAGrowingInterval_AndCountedOnce()
    {
        var logs = new CollectingLoggerProvider();
        using ILoggerFactory factory = logs.CreateFactory();
        await using var runtime = new UringRuntime(
            new UringRuntimeOptions { WorkerCount = 2, Backend = backend, RingEntries = 64, StallThreshold = TimeSpan.FromMilliseconds(100) },
            factory);
        await runtime.Workers[1].RunAsync(async () => await runtime.Workers[1].NopAsync());
        long before = runtime.Workers[1].Stalls; // start-up turns may count at so low a threshold on a loaded machine
        s_release.Reset();
        Task blocked = runtime.Workers[1].RunAsync(BlockTheWorkerAsync);
        try
        {
            // Still blocked: the reports come from outside the worker. 100 ms, then each time the duration doubles.
            await WaitUntil(() => Reports(logs).Count(r => r.Message.Contains(nameof(BlockTheWorkerAsync), StringComparison.Ordinal)) >= 3);
            Assert.That(blocked.IsCompleted, Is.False);
            Assert.That(runtime.Workers[1].Stalls - before, Is.EqualTo(1), "one stall, counted while it lasts");

            List<(long Elapsed, string Message)> reports = Reports(logs).Where(r => r.Message.Contains(nameof(BlockTheWorkerAsync), StringComparison.Ordinal)).ToList();
            string all = string.Join("\n", logs.Entries.Select(e => e.Message));
            Assert.That(reports.Select(r => r.Elapsed), Is.Ordered.Ascending, all);
            Assert.That(reports[0].Elapsed, Is.GreaterThanOrEqualTo(100));
            for (int i = 1; i < reports.Count; i++)
            {
                Assert.That(reports[i].Elapsed, Is.GreaterThanOrEqualTo(2 * reports[i - 1].Elapsed), all);
            }

            Assert.That(reports[0].Message, Does.StartWith("Worker 1 has been stuck in one loop turn for"));
            Assert.That(reports[0].Message, Does.Contain("async method").And.Contain(nameof(BlockTheWorkerAsync)));
        }
        finally
        {
            s_release.Set();
        }

        await blocked;

        // The end of the turn is logged too, but the stall stays counted once.
        await WaitUntil(() => logs.Entries.Any(e => e.EventId.Name == "LoopStall"));
        Assert.That(runtime.Workers[1].Stalls - before, Is.EqualTo(1));
        Assert.That(logs.Entries.Where(e => e.EventId.Name == "WorkerStalled").All(e => e.Level == LogLevel.Warning), Is.True);
    }

    [Test]
    public async Task IdleRuntime_LeavesTheWatchdogParked_AndReportsNoStall()
    {
        await using var runtime = new UringRuntime(
            new UringRuntimeOptions { WorkerCount = 2, Backend = backend, RingEntries = 64, StallThreshold = TimeSpan.FromMilliseconds(10) });
        await runtime.Workers[0].RunAsync(async () => await runtime.Workers[0].NopAsync());

        // Workers asleep in io_uring_enter (or poll) are idle, not stalled: after they fall asleep the watchdog parks.
        // (Start-up turns may count as stalls at so low a threshold on a loaded machine: only idleness is checked.)
        await Task.Delay(100);
        long before = runtime.Watchdog!.Checks;
        long stallsBefore = runtime.Workers.Sum(w => w.Stalls);
        await Task.Delay(500);
        long looks = runtime.Watchdog.Checks - before;

        // Without parking it would look every 5 ms (about 100 times); a wake-up of a worker costs it one look or two.
        Assert.That(looks, Is.LessThanOrEqualTo(4), $"{looks} looks in 500 ms of idleness");
        Assert.That(runtime.Workers.Sum(w => w.Stalls), Is.EqualTo(stallsBefore));

        // Work after the idle stretch unparks it: a new stall is still seen while it lasts.
        s_release.Reset();
        long worker0Before = runtime.Workers[0].Stalls;
        Task blocked = runtime.Workers[0].RunAsync(BlockTheWorkerAsync);
        try
        {
            await WaitUntil(() => runtime.Workers[0].Stalls > worker0Before);
            Assert.That(blocked.IsCompleted, Is.False);
        }
        finally
        {
            s_release.Set();
        }

        await blocked;
    }

    [Test]
    public async Task ZeroThreshold_DisablesTheWatchdog()
    {
        await using var runtime = new UringRuntime(
            new UringRuntimeOptions { WorkerCount = 1, Backend = backend, RingEntries = 64, StallThreshold = TimeSpan.Zero });
        Assert.That(runtime.Watchdog, Is.Null);
        await runtime.Workers[0].RunAsync(() =>
        {
            Thread.Sleep(30);
            return Task.CompletedTask;
        });
        Assert.That(runtime.Workers[0].Stalls, Is.Zero);
    }

    private static async Task BlockTheWorkerAsync()
    {
        await Task.Yield();
        s_release.Wait(TimeSpan.FromSeconds(20)); // blocks the worker: exactly what the watchdog is for
    }

    private static List<(long Elapsed, string Message)> Reports(CollectingLoggerProvider logs) =>
        logs.Entries
            .Where(e => e.EventId.Name == "WorkerStalled")
            .Select(e => (long.Parse(ElapsedPattern().Match(e.Message).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), e.Message))
            .ToList();

    [GeneratedRegex(@"for (\d+) ms")]
    private static partial Regex ElapsedPattern();

    private static async Task WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not met within 10 s");
            await Task.Delay(5);
        }
    }
}
