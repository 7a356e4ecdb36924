using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace UringScheduler.Soak.Tests;

/// <summary>
/// The soak for real, about 25 seconds per backend (both at once): it must end cleanly with its closing line, and its
/// JSON must show work done by every mix, no mismatch, no unexpected error and no growth of descriptors or memory.
/// </summary>
[Parallelizable(ParallelScope.All)]
public partial class SoakTests
{
    private const int Seconds = 25;

    // A healthy 25 s run on two busy cores completes hundreds of thousands; a stall or a crawl falls far below.
    private const long OperationFloor = 20_000;

    private static readonly string[] s_kinds =
    [
        "read.buffered", "read.pinned", "read.fixed-buffer", "read.registered-file",
        "write.buffered+fsync", "write.registered+fdatasync",
        "vectored.gather-write+scatter-read", "vectored.scatter-read",
        "cancel.before-submit", "cancel.in-flight-pipe", "cancel.in-flight-file", "cancel.in-flight-delay", "cancel.after-completion",
        "timeout.fires", "timeout.does-not-fire", "timeout.races-data",
        "delay.own-worker", "delay.on-any-worker", "delay.nop",
        "foreign.read.buffered", "foreign.write.buffered+fsync", "foreign.delay", "foreign.run-on-worker",
        "churn.buffered", "hop.worker", "hop.runtime", "hop.exception",
        "echo.tcp.exchange", "echo.tcp.reset", "echo.unix.exchange", "echo.unix.reset", "echo.server", "echo.server.leased", "echo.server.accept",
    ];

    private static readonly string[] s_directKinds = ["read.direct", "write.direct+fdatasync", "churn.direct", "cancel.in-flight-direct"];

    [GeneratedRegex(@"^soak: (\d+) operations, (\d+) mismatches, (\d+) unexpected errors, fds (\d+)->(\d+), rss ([0-9.]+)->([0-9.]+) MiB$")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"data in (\S+),")]
    private static partial Regex DataFolder();

    [TestCase("iouring", "IoUring")]
    [TestCase("fallback", "Fallback")]
    public async Task Soak_EndsClean_WithEveryMixChecked(string backend, string expectedBackend)
    {
        string json = Path.Combine(Path.GetTempPath(), $"uring-soak-test-{Guid.NewGuid():N}.json");
        try
        {
            SoakProcess run = await SoakProcess.RunAsync(TimeSpan.FromSeconds(Seconds + 90), "--duration", Seconds.ToString(CultureInfo.InvariantCulture), "--backend", backend, "--json", json);
            TestContext.Out.WriteLine(run.Output);
            Assert.That(run.ExitCode, Is.EqualTo(0), "exit code");

            string last = run.Lines[^1];
            Match summary = SummaryLine().Match(last);
            Assert.That(summary.Success, Is.True, $"last line: {last}");

            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
            JsonElement root = document.RootElement;
            long operations = root.GetProperty("operations").GetInt64();
            Assert.Multiple(() =>
            {
                Assert.That(root.GetProperty("backend").GetString(), Is.EqualTo(expectedBackend));
                Assert.That(operations, Is.GreaterThan(OperationFloor));
                Assert.That(root.GetProperty("mismatches").GetInt64(), Is.Zero);
                Assert.That(root.GetProperty("unexpected_errors").GetInt64(), Is.Zero);
                // Net of the fallback's I/O threads, which own an eventfd each and may be added as blocking requests queue up.
                Assert.That(root.GetProperty("fd_end").GetInt32() - root.GetProperty("fallback_io_threads_end").GetInt32(),
                    Is.LessThanOrEqualTo(root.GetProperty("fd_start").GetInt32() - root.GetProperty("fallback_io_threads_start").GetInt32() + 16));
                Assert.That(root.GetProperty("rss_end_mb").GetDouble(), Is.LessThanOrEqualTo(root.GetProperty("rss_limit_mb").GetDouble()));
                Assert.That(root.GetProperty("in_flight_after_stop").GetInt64(), Is.Zero);
                Assert.That(root.GetProperty("failures").GetArrayLength(), Is.Zero);
                Assert.That(root.GetProperty("passed").GetBoolean(), Is.True);

                // The closing line and the JSON give the same figures.
                Assert.That(long.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture), Is.EqualTo(operations));
                Assert.That(long.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture), Is.EqualTo(root.GetProperty("mismatches").GetInt64()));
                Assert.That(long.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture), Is.EqualTo(root.GetProperty("unexpected_errors").GetInt64()));
                Assert.That(int.Parse(summary.Groups[4].Value, CultureInfo.InvariantCulture), Is.EqualTo(root.GetProperty("fd_start").GetInt32()));
                Assert.That(int.Parse(summary.Groups[5].Value, CultureInfo.InvariantCulture), Is.EqualTo(root.GetProperty("fd_end").GetInt32()));
                Assert.That(double.Parse(summary.Groups[6].Value, CultureInfo.InvariantCulture), Is.EqualTo(root.GetProperty("rss_start_mb").GetDouble()).Within(0.05));
                Assert.That(double.Parse(summary.Groups[7].Value, CultureInfo.InvariantCulture), Is.EqualTo(root.GetProperty("rss_end_mb").GetDouble()).Within(0.05));
            });

            // Every mix did work (O_DIRECT ones where the file system takes O_DIRECT).
            JsonElement mixes = root.GetProperty("mixes");
            string[] kinds = root.GetProperty("direct_io").GetBoolean() ? [.. s_kinds, .. s_directKinds] : s_kinds;
            foreach (string kind in kinds)
            {
                Assert.That(mixes.TryGetProperty(kind, out JsonElement mix) ? mix.GetProperty("operations").GetInt64() : 0, Is.GreaterThan(0), kind);
            }

            // The data folder is gone.
            Match folder = DataFolder().Match(run.Output);
            Assert.That(folder.Success, Is.True, "the run names its data folder");
            Assert.That(Directory.Exists(folder.Groups[1].Value), Is.False, "the data folder is removed at the end");
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Test]
    public async Task BadArguments_ExitWithTwo_AndTheUsage()
    {
        SoakProcess run = await SoakProcess.RunAsync(TimeSpan.FromSeconds(60), "--backend", "epoll");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Output, Does.Contain("--backend must be auto, iouring or fallback").And.Contain("usage: uring-soak"));
    }
}
