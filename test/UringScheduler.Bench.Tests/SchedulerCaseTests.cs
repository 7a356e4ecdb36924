using System.Text.Json;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Tests;

/// <summary>The mixed case, the page cache residency of every case and --io-scheduler, for real on tiny data.</summary>
public class SchedulerCaseTests
{
    [Test]
    public void MixedCaseReportsTheBackgroundWritersRate_OnlyOnMixedCases()
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start(Arguments(temp, "uring_1,mixed_1"));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("results.json")));
        JsonElement uring = json.RootElement.GetProperty("cases")[0];
        JsonElement mixed = json.RootElement.GetProperty("cases")[1];
        Assert.Multiple(() =>
        {
            Assert.That(mixed.GetProperty("name").GetString(), Is.EqualTo("mixed_1"));
            Assert.That(mixed.GetProperty("background_mb_per_s").GetDouble(), Is.GreaterThan(0), "the writer wrote during the measured phase");
            Assert.That(mixed.GetProperty("ops").GetInt64(), Is.GreaterThan(0), "the foreground reads ran");
            Assert.That(mixed.GetProperty("errors").GetInt64(), Is.Zero, "the foreground reads verified");
            Assert.That(uring.TryGetProperty("background_mb_per_s", out _), Is.False, "only mixed cases have the key");
            Assert.That(run.Output, Does.Contain("background"), "the table shows the rate");
            Assert.That(File.Exists(Path.Combine(temp.Combine("data"), BackgroundWriter.FileName)), Is.False, "the writer's file is deleted");
        });
    }

    [Test]
    public void EveryCaseHasItsResidency_AndACachedRunWarmsTheDataFirst()
    {
        using TempFolder temp = new();
        string[] args = Arguments(temp, "uring_2,mmap_1,nop_1");
        Assert.That(BenchRun.Start(args).ExitCode, Is.EqualTo(0), "generates the data");

        // Out of the page cache, behind the bench's back: the cached run must notice and warm it.
        DataSet dataSet = DataSet.OpenOrCreate(new DataSetSpec(temp.Combine("data"), 2, 1 << 20, 4096));
        PageCache.Drop(dataSet);
        Assert.That(PageCache.Residency(dataSet), Is.LessThan(0.5), "dropped");

        BenchRun run = BenchRun.Start(args);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        Assert.That(run.Output, Does.Contain("warmed the data set"));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("results.json")));
        foreach (JsonElement element in json.RootElement.GetProperty("cases").EnumerateArray())
        {
            double cached = element.GetProperty("cached_fraction").GetDouble();
            Assert.That(cached, Is.InRange(0.0, 1.0), element.GetProperty("name").GetString());
        }

        Assert.That(json.RootElement.GetProperty("cases")[0].GetProperty("cached_fraction").GetDouble(), Is.GreaterThanOrEqualTo(0.95), "warmed before uring_2");
        Assert.That(json.RootElement.GetProperty("cases")[1].GetProperty("cached_fraction").GetDouble(), Is.GreaterThanOrEqualTo(0.95), "still cached for mmap_1");
    }

    [Test]
    public void ResidencyCountsWhatIsCached()
    {
        using TempFolder temp = new();
        DataSet dataSet = DataSet.OpenOrCreate(new DataSetSpec(temp.Combine("data"), 2, 1 << 20, 4096));
        PageCache.Drop(dataSet);
        Assert.That(PageCache.Residency(dataSet), Is.LessThan(0.5));

        // Read exactly one of the two files: about half the data set is then cached.
        File.ReadAllBytes(dataSet.Paths[0]);
        Assert.That(PageCache.Residency(dataSet), Is.InRange(0.45, 0.55));
        PageCache.Warm(dataSet);
        Assert.That(PageCache.Residency(dataSet), Is.GreaterThanOrEqualTo(0.95));
    }

    [TestCase("off")]
    [TestCase("on")]
    public void IoSchedulerSettingIsRecorded_AsTheRuntimeHasIt(string setting)
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start(Arguments(temp, "uring_2,mixed_1,pread_1", "--io-scheduler", setting));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        Assert.That(run.Output, Does.Contain($"I/O scheduler {setting}"));

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("results.json")));
        Assert.That(json.RootElement.GetProperty("io_scheduler").GetString(), Is.EqualTo(setting));
        JsonElement cases = json.RootElement.GetProperty("cases");
        Assert.That(cases[0].GetProperty("io_scheduler").GetString(), Is.EqualTo(setting), "uring_2's runtime");
        Assert.That(cases[1].GetProperty("io_scheduler").GetString(), Is.EqualTo(setting), "mixed_1's runtime");
        Assert.That(cases[2].TryGetProperty("io_scheduler", out _), Is.False, "pread has no runtime");
    }

    internal static string[] Arguments(TempFolder temp, string cases, params string[] extra) =>
    [
        "--files", "2", "--file-size", "1M", "--data", temp.Combine("data"), "--cases", cases,
        "--duration", "0.5", "--warmup", "0.1", "--workers", "2",
        "--json", temp.Combine("results.json"), "--report", temp.Combine("report"), .. extra,
    ];
}
