using System.Text.Json;
using UringScheduler.Bench.Reporting;

namespace UringScheduler.Bench.Tests;

/// <summary>Every method for real, briefly, on tiny data: the JSON, the charts and the report come out right.</summary>
public class SmokeTests
{
    [Test]
    public void ThreadAndThreadPoolMethodsRun()
    {
        RunAndCheck("mmap_2,pread_2,randomaccess_2");
    }

    [Test]
    public void RingMethodsRun()
    {
        RunAndCheck("uring_4,nop_4");
    }

    [Test]
    public void RingMethodsRun_WithASubmitBatchLimit()
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start(Arguments(temp, "uring_4,nop_4", "--submit-batch", "1"));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        CheckJson(temp, ["uring_4", "nop_4"]);
    }

    [Test]
    public void DirectReads_RunWhereTheFileSystemAllows_ElseFailWithTheDocumentedError()
    {
        using TempFolder temp = new();
        bool directSupported = FileSystemAcceptsDirectIo(temp.Combine("probe.bin"));
        BenchRun run = BenchRun.Start(Arguments(temp, "uring_2,pread_2,mmap_1", "--direct"));
        if (directSupported)
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
            CheckJson(temp, ["uring_2", "pread_2", "mmap_1"]);
        }
        else
        {
            // Both outcomes are the product's behaviour: on a file system without O_DIRECT, one line and exit code 2.
            Assert.That(run.ExitCode, Is.EqualTo(2), run.Output + run.Error);
            Assert.That(run.Error, Does.Contain("O_DIRECT"));
        }
    }

    // Asked of the file system directly, independently of the bench's own check.
    private static bool FileSystemAcceptsDirectIo(string path)
    {
        int fd = Mono.Unix.Native.Syscall.open(path, Mono.Unix.Native.OpenFlags.O_CREAT | Mono.Unix.Native.OpenFlags.O_RDWR | Mono.Unix.Native.OpenFlags.O_DIRECT, Mono.Unix.Native.FilePermissions.DEFFILEMODE);
        if (fd < 0)
        {
            return false;
        }

        Mono.Unix.Native.Syscall.close(fd);
        File.Delete(path);
        return true;
    }

    [Test]
    public void CorruptedBlockOnDiskIsCounted()
    {
        using TempFolder temp = new();
        string data = temp.Combine("data");
        string[] args = ["--files", "1", "--file-size", "8K", "--data", data, "--cases", "pread_1", "--duration", "0.3", "--warmup", "0",
            "--report", temp.Combine("report"), "--json", temp.Combine("r.json")];
        Assert.That(BenchRun.Start(args).ExitCode, Is.EqualTo(0), "clean data first");

        // Flip one byte of block 1 behind the manifest's back: the data set is reused, the reads must notice.
        string file = Path.Combine(data, "data-000.bin");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[4096] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        BenchRun run = BenchRun.Start(args);
        Assert.That(run.ExitCode, Is.EqualTo(1), "errors make the exit code 1");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("r.json")));
        Assert.That(json.RootElement.GetProperty("cases")[0].GetProperty("errors").GetInt64(), Is.GreaterThan(0));
    }

    private static void RunAndCheck(string cases)
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start(Arguments(temp, cases));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        string[] names = cases.Split(',');
        CheckJson(temp, names);
        foreach (string name in names)
        {
            Assert.That(File.Exists(temp.Combine("report", $"heatmap-{name}.png")), Is.True, $"heatmap of {name}");
            Assert.That(run.Output, Does.Contain(name), "the table names the case");
        }

        Assert.That(File.Exists(temp.Combine("report", ComparisonChart.FileName)), Is.True);
        string markdown = File.ReadAllText(temp.Combine("report", MarkdownReport.FileName));
        Assert.That(markdown, Does.Contain("comparison.png").And.Contain($"heatmap-{names[0]}.png"));
    }

    private static string[] Arguments(TempFolder temp, string cases, params string[] extra) =>
    [
        "--files", "2", "--file-size", "1M", "--data", temp.Combine("data"), "--cases", cases,
        "--duration", "1", "--warmup", "0.2", "--workers", "2",
        "--json", temp.Combine("results.json"), "--report", temp.Combine("report"), .. extra,
    ];

    private static void CheckJson(TempFolder temp, string[] names)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("results.json")));
        JsonElement cases = json.RootElement.GetProperty("cases");
        Assert.That(cases.EnumerateArray().Select(c => c.GetProperty("name").GetString()), Is.EqualTo(names));
        foreach (JsonElement element in cases.EnumerateArray())
        {
            string name = element.GetProperty("name").GetString()!;
            foreach (string key in JsonReport.RequiredCaseKeys)
            {
                Assert.That(element.TryGetProperty(key, out _), Is.True, $"{name}: key {key}");
            }

            Assert.That(element.GetProperty("errors").GetInt64(), Is.Zero, $"{name}: errors");
            Assert.That(element.GetProperty("ops").GetInt64(), Is.GreaterThan(0), $"{name}: ops");
        }
    }
}
