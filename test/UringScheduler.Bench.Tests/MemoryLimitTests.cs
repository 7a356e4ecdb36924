using System.Text.Json;
using UringScheduler.Bench.Running;

namespace UringScheduler.Bench.Tests;

/// <summary>--memory-limit for real: the cases run inside a memory cgroup, the data comes from the device, and the cgroup goes away.</summary>
public class MemoryLimitTests
{
    private const long Limit = 64L << 20;

    [Test]
    public void CasesRunInsideTheCgroup_WhichIsRemovedAfterwards()
    {
        using TempFolder temp = new();
        string before = MemoryCgroupLine();
        string[] args =
        [
            "--files", "4", "--file-size", "64M", "--data", temp.Combine("data"), "--cases", "uring_8,mmap_2",
            "--duration", "0.5", "--warmup", "0.1", "--workers", "2", "--memory-limit", "64M",
            "--json", temp.Combine("results.json"), "--report", temp.Combine("report"),
        ];

        if (!MemoryCgroup.LooksPossible())
        {
            // Not root, or no memory controller: one line, a usage error.
            BenchRun refused = BenchRun.Start(args);
            Assert.That(refused.ExitCode, Is.EqualTo(2), refused.Output + refused.Error);
            Assert.That(refused.Error, Does.StartWith("uring-bench: error: --memory-limit"));
            return;
        }

        // Watch /proc/self/cgroup from this thread while the run goes on another: the process itself must move.
        Task<BenchRun> running = Task.Factory.StartNew(() => BenchRun.Start(args), TaskCreationOptions.LongRunning);
        HashSet<string> seen = [];
        while (!running.IsCompleted)
        {
            seen.Add(MemoryCgroupLine());
            Thread.Sleep(20);
        }

        BenchRun run = running.Result;
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(temp.Combine("results.json")));
        JsonElement regime = json.RootElement.GetProperty("regimes")[0];
        string cgroup = regime.GetProperty("cgroup").GetString()!;
        string beforePath = before.Split(':', 3)[2];
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("memory_limit_bytes").GetInt64(), Is.EqualTo(Limit));
            Assert.That(regime.GetProperty("name").GetString(), Is.EqualTo("memory-limited"));
            Assert.That(cgroup, Does.StartWith(beforePath.TrimEnd('/') + "/uring-bench-"), "a child of the process's own memory cgroup");
            Assert.That(regime.GetProperty("cgroup_seen").GetString(), Is.EqualTo(cgroup), "the bench saw itself inside");
            Assert.That(seen.Select(line => line.Split(':', 3)[2]), Does.Contain(cgroup), "this process was seen inside from another thread");
            Assert.That(MemoryCgroupLine(), Is.EqualTo(before), "moved back");
            Assert.That(Directory.Exists(CgroupDirectory(regime.GetProperty("cgroup_version").GetInt32(), cgroup)), Is.False, "the cgroup is removed");

            long peak = regime.GetProperty("cgroup_peak_bytes").GetInt64();
            Assert.That(peak, Is.GreaterThan(0).And.LessThanOrEqualTo(Limit), "charged, within the limit");
            JsonElement first = json.RootElement.GetProperty("cases")[0];
            Assert.That(first.GetProperty("cached_fraction").GetDouble(), Is.LessThan(0.5), "the data was dropped from the page cache first");
            Assert.That(first.GetProperty("errors").GetInt64(), Is.Zero);
            Assert.That(first.GetProperty("ops").GetInt64(), Is.GreaterThan(0));
        });
    }

    private static string MemoryCgroupLine() =>
        File.ReadLines("/proc/self/cgroup").FirstOrDefault(l => l.Split(':', 3) is [_, string controllers, _] && controllers.Split(',').Contains("memory"))
        ?? File.ReadLines("/proc/self/cgroup").First(l => l.StartsWith("0::", StringComparison.Ordinal));

    private static string CgroupDirectory(int version, string cgroup)
    {
        // Where the hierarchy is mounted, from mountinfo (v1: the one with the memory controller).
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 0)
            {
                continue;
            }

            bool match = version == 2
                ? fields[dash + 1] == "cgroup2"
                : fields[dash + 1] == "cgroup" && fields[dash + 3].Split(',').Contains("memory");
            if (match && fields[3] == "/")
            {
                return fields[4] + cgroup;
            }
        }

        Assert.Fail("no mounted hierarchy for the cgroup");
        return string.Empty;
    }
}
