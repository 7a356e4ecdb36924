using Microsoft.Extensions.Logging;

namespace UringScheduler.Tests.Diagnostics;

[TestFixture]
public class StartupLogTests
{
    [Test]
    public async Task RingFeatures_AreLoggedOncePerRuntime_AndEachWorkerGetsAShortLine()
    {
        var logs = new CollectingLoggerProvider();
        await using (UringRuntime runtime = TestRuntime.Create(UringBackend.IoUring, workers: 2, loggerFactory: logs.CreateFactory()))
        {
            Assert.That(runtime.Workers, Has.Count.EqualTo(2));
        }

        var entries = logs.Entries.ToList();
        Assert.That(entries.Count(e => e.Message.Contains("features", StringComparison.Ordinal)), Is.EqualTo(1), "the ring's features, once");
        Assert.That(entries.Single(e => e.EventId.Name == "RuntimeStarted").Message, Does.Contain("features"));
        var workerLines = entries.Where(e => e.EventId.Name == "WorkerStarted").ToList();
        Assert.That(workerLines, Has.Count.EqualTo(2));
        Assert.That(workerLines.Select(e => e.Message.Length), Is.All.LessThan(80), string.Join("\n", workerLines.Select(e => e.Message)));
    }
}
