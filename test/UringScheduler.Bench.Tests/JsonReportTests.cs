using System.Text.Json;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Methods;
using UringScheduler.Bench.Reporting;

namespace UringScheduler.Bench.Tests;

public class JsonReportTests
{
    [Test]
    public void EveryCaseHasEveryKey()
    {
        BenchOptions options = new()
        {
            Cases = [CaseSpec.Parse("uring_8"), CaseSpec.Parse("mmap_8")],
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.Zero,
            Workers = 2,
            Data = new DataSetSpec("/tmp/x", 1, 4096, 4096),
            Direct = false,
            Verify = true,
            JsonPath = "/tmp/x/r.json",
            ReportDirectory = "/tmp/x",
            Arguments = [],
        };
        RunInfo info = new()
        {
            StartedUtc = DateTime.UtcNow,
            CommandLine = "uring-bench",
            ProcessorCount = 2,
            Kernel = "6.18",
            Runtime = ".NET",
            CpuModel = "cpu",
            Options = options,
            DataGenerated = false,
        };
        CaseResult[] results =
        [
            new CaseResult { Name = "mmap_8", Method = "mmap", Concurrency = 8, Ops = 10, Seconds = 1, Throughput = 10, P50Ns = 1, P90Ns = 2, P999Ns = 3, P9999Ns = 4, MaxNs = 5 },
            CaseResult.FailedCase("uring_8", "uring", 8, "no runtime"),
        ];

        using MemoryStream stream = new();
        JsonReport.Write(stream, info, results);
        using JsonDocument document = JsonDocument.Parse(stream.ToArray());

        JsonElement cases = document.RootElement.GetProperty("cases");
        Assert.That(cases.GetArrayLength(), Is.EqualTo(2));
        foreach (JsonElement element in cases.EnumerateArray())
        {
            foreach (string key in JsonReport.RequiredCaseKeys)
            {
                Assert.That(element.TryGetProperty(key, out _), Is.True, $"key {key}");
            }
        }

        JsonElement first = cases[0];
        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("name").GetString(), Is.EqualTo("mmap_8"));
            Assert.That(first.GetProperty("method").GetString(), Is.EqualTo("mmap"));
            Assert.That(first.GetProperty("concurrency").GetInt32(), Is.EqualTo(8));
            Assert.That(first.GetProperty("p999_ns").GetInt64(), Is.EqualTo(3));
            Assert.That(first.GetProperty("p9999_ns").GetInt64(), Is.EqualTo(4));
            Assert.That(cases[1].GetProperty("errors").GetInt64(), Is.EqualTo(1), "a failed case counts as an error");
        });
    }

    [Test]
    public void SpecKeysAreTheFixedOnes()
    {
        Assert.That(JsonReport.RequiredCaseKeys, Is.EqualTo(new[]
        {
            "name", "method", "concurrency", "ops", "seconds", "throughput", "p50_ns", "p90_ns", "p999_ns", "p9999_ns",
            "max_ns", "cpu_ns_per_op", "threadpool_work_items", "allocated_bytes_per_op", "errors", "cached_fraction",
        }));
    }
}
