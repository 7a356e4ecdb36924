namespace UringScheduler.Bench.Tests;

public class CommandLineTests
{
    [TestCase("--file-size", "abc", "--file-size")]
    [TestCase("--file-size", "12Q", "--file-size")]
    [TestCase("--file-size", "6000", "--file-size")]
    [TestCase("--block-size", "1000", "--block-size")]
    [TestCase("--cases", "foo_3", "foo_3")]
    [TestCase("--cases", "uring_x", "uring_x")]
    [TestCase("--cases", "uring_0", "uring_0")]
    [TestCase("--cases", "uring", "uring")]
    [TestCase("--cases", ",", "--cases")]
    [TestCase("--duration", "abc", "abc")]
    [TestCase("--duration", "0", "--duration")]
    [TestCase("--warmup", "-1", "--warmup")]
    [TestCase("--workers", "0", "--workers")]
    [TestCase("--files", "0", "--files")]
    [TestCase("--submit-batch", "-1", "--submit-batch")]
    [TestCase("--io-scheduler", "maybe", "--io-scheduler")]
    [TestCase("--memory-limit", "lots", "--memory-limit")]
    [TestCase("--memory-limit", "1M", "--memory-limit")]
    [TestCase("--latency-goal", "0", "--latency-goal")]
    [TestCase("--cases", "mixed_0", "mixed_0")]
    public void BadValueIsOneLineAndExitCode2(string option, string value, string mentioned)
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start(option, value, "--data", temp.Combine("data"), "--report", temp.Combine("report"));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.Error);
        string[] lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), run.Error);
        Assert.That(lines[0], Does.StartWith("uring-bench: error: ").And.Contain(mentioned));
        Assert.That(Directory.Exists(temp.Combine("data")), Is.False, "nothing is generated for a bad command line");
    }

    [Test]
    public void UnknownOptionIsExitCode2()
    {
        BenchRun run = BenchRun.Start("--bogus");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Error, Does.Contain("--bogus"));
    }

    [Test]
    public void HelpListsTheFixedOptions()
    {
        BenchRun run = BenchRun.Start("--help");
        Assert.That(run.ExitCode, Is.EqualTo(0));
        foreach (string option in new[] { "--cases", "--duration", "--workers", "--files", "--file-size", "--block-size", "--data", "--direct", "--verify", "--no-verify", "--json", "--report",
            "--io-scheduler", "--memory-limit", "--probe-device", "--latency-goal" })
        {
            Assert.That(run.Output, Does.Contain(option));
        }
    }

    [Test]
    public void NotEnoughSpaceIsExitCode2()
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start("--files", "4", "--file-size", "1T", "--data", temp.Combine("data"), "--report", temp.Combine("report"), "--cases", "pread_1");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.Error);
        Assert.That(run.Error, Does.Contain("not enough free space"));
    }

    [Test]
    public void UnwritableJsonIsExitCode2()
    {
        using TempFolder temp = new();
        BenchRun run = BenchRun.Start("--files", "1", "--file-size", "64K", "--data", temp.Combine("data"), "--cases", "pread_1",
            "--duration", "0.2", "--warmup", "0", "--report", temp.Combine("report"), "--json", "/proc/uring-bench/results.json");
        Assert.That(run.ExitCode, Is.EqualTo(2), run.Error);
        Assert.That(run.Error, Does.StartWith("uring-bench: error: --json"));
    }
}
