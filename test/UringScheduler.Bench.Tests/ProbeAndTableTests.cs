using System.Text.Json;
using Spectre.Console;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Reporting;
using UringScheduler.Bench.Running;

namespace UringScheduler.Bench.Tests;

/// <summary>--probe-device for real on tiny data, its recommendation rule, and the table fitted to a width.</summary>
public class ProbeAndTableTests
{
    [Test]
    public void ProbeMeasuresEveryDepth_AndRecommendsOne()
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start("--probe-device", "--files", "2", "--file-size", "1M", "--data", temp.Combine("data"),
            "--duration", "0.2", "--warmup", "0", "--workers", "2", "--report", temp.Combine("report"));
        if (run.ExitCode == 2 && run.Error.Contains("O_DIRECT", StringComparison.Ordinal))
        {
            // A file system without O_DIRECT: the documented one-line error is the product's answer.
            return;
        }

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        Assert.That(run.Output, Does.Contain("recommended DeviceCapacity").And.Contain("\"IoScheduler\": { \"DeviceCapacity\": "));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("report", "probe.json")));
        int[] depths = json.RootElement.GetProperty("depths").EnumerateArray().Select(d => d.GetProperty("depth").GetInt32()).ToArray();
        Assert.That(depths, Is.EqualTo(DeviceProbe.Depths));
        Assert.That(json.RootElement.GetProperty("depths").EnumerateArray().All(d => d.GetProperty("throughput").GetDouble() > 0), Is.True);
        Assert.That(DeviceProbe.Depths, Does.Contain(json.RootElement.GetProperty("recommended_device_capacity").GetInt32()));
    }

    [Test]
    public void RecommendationIsTheSmallestDepthNearThePeak()
    {
        CaseResult[] results = [Depth(1, 10_000, 100_000), Depth(2, 19_000, 110_000), Depth(4, 46_000, 150_000), Depth(8, 50_000, 300_000), Depth(16, 50_500, 700_000)];
        Assert.That(DeviceProbe.Recommend(results, TimeSpan.FromMilliseconds(2)).Capacity, Is.EqualTo(4));
    }

    [Test]
    public void RecommendationStaysWithinTheLatencyGoal()
    {
        CaseResult[] results = [Depth(1, 10_000, 100_000), Depth(2, 19_000, 400_000), Depth(4, 46_000, 3_000_000), Depth(8, 50_000, 6_000_000)];
        Assert.That(DeviceProbe.Recommend(results, TimeSpan.FromMilliseconds(1)).Capacity, Is.EqualTo(2));
    }

    [Test]
    public void AnUnreachableLatencyGoalLeavesThroughputToDecide()
    {
        CaseResult[] results = [Depth(1, 10_000, 3_000_000), Depth(2, 19_000, 3_500_000), Depth(4, 46_000, 4_000_000), Depth(8, 50_000, 6_000_000)];
        Assert.That(DeviceProbe.Recommend(results, TimeSpan.FromMilliseconds(1)).Capacity, Is.EqualTo(4));
    }

    [Test]
    public void NarrowConsoleGetsFewerColumns_WideOrUnfittedGetsThemAll()
    {
        CaseResult[] results =
        [
            new() { Name = "uring_512", Method = "uring", Concurrency = 512, Ops = 10, Throughput = 1_747_143, P50Ns = 283_647, P999Ns = 594_431, P9999Ns = 3_215_359, MaxNs = 14_917_631, CachedFraction = 1, CachedFractionAfter = 1 },
            new() { Name = "mixed_32", Method = "mixed", Concurrency = 32, Ops = 10, Throughput = 12_345, BackgroundMegabytesPerSecond = 150.5, CachedFraction = 0.1, CachedFractionAfter = 0.3 },
        ];

        Table full = ConsoleReport.BuildTable(results, null, out int noneLeftOut);
        Assert.That(full.Columns, Has.Count.EqualTo(ResultTable.Headers.Length));
        Assert.That(noneLeftOut, Is.Zero);

        Table narrow = ConsoleReport.BuildTable(results, 80, out int leftOut);
        Assert.That(leftOut, Is.GreaterThan(0));
        Assert.That(narrow.Columns, Has.Count.EqualTo(ResultTable.Headers.Length - leftOut));

        // What is left fits: render it at 80 columns and no line is longer.
        StringWriter output = new();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 80;
        console.Write(narrow);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Max(l => l.TrimEnd('\r').Length), Is.LessThanOrEqualTo(80));
        Assert.That(lines.Length, Is.EqualTo(6), "one line per row: header, 2 rows, 3 rules; nothing wrapped");
        Assert.That(lines[1], Does.Contain("case").And.Contain("op/s").And.Contain("bg MB/s"));
    }

    [Test]
    public void BackgroundColumnOnlyWithAMixedCase()
    {
        CaseResult plain = new() { Name = "uring_8", Method = "uring", Concurrency = 8 };
        Assert.That(ResultTable.Columns([plain]), Does.Not.Contain(ResultTable.BackgroundColumn));
        Assert.That(ResultTable.Columns([plain, plain with { BackgroundMegabytesPerSecond = 1 }]), Does.Contain(ResultTable.BackgroundColumn));
    }

    private static CaseResult Depth(int depth, double throughput, long p99) =>
        new() { Name = $"uring_{depth}", Method = "uring", Concurrency = depth, Ops = 1, Throughput = throughput, P99Ns = p99 };
}
