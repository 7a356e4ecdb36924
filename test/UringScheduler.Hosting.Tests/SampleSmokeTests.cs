using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace UringScheduler.Hosting.Tests;

/// <summary>Runs each sample's built dll for two seconds, as a user would, and checks its exit code and output.</summary>
[TestFixture]
public sealed partial class SampleSmokeTests
{
    [Test]
    public async Task PerCoreReadLoop_PrintsThroughputAndExitsCleanly()
    {
        (int exitCode, string output) = await RunSampleAsync("PerCoreReadLoop", "--seconds", "2");

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("UringScheduler started: backend"), "the runtime's start-up log line");
        Assert.That(ThroughputLine().Matches(output), Has.Count.EqualTo(2), "one throughput line per second");
        Assert.That(output, Does.Match(@"Done: [\d,]+ reads of 4096 bytes .* 0 pattern error\(s\)"));
        Assert.That(output, Does.Contain("UringScheduler stopped"));
    }

    [Test]
    public async Task PerCoreReadLoop_StoppedWithSigint_DeletesItsData()
    {
        ProcessStartInfo start = SampleStartInfo("PerCoreReadLoop", "--seconds", "60", "--file-size", "1");
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        string? dataDirectory = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            // Read until the first throughput line: the data set exists and the runtime runs.
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is string line)
            {
                output.AppendLine(line);
                if (WritingLine().Match(line) is { Success: true } writing)
                {
                    dataDirectory = writing.Groups[1].Value;
                }

                if (ThroughputLine().IsMatch(line))
                {
                    break;
                }
            }

            Assert.That(dataDirectory, Is.Not.Null, output.ToString());
            Assert.That(Directory.Exists(dataDirectory), Is.True, "the data set exists while it runs");

            // What Ctrl-C sends to the foreground process.
            using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(timeout.Token);
            }

            output.Append(await process.StandardOutput.ReadToEndAsync(timeout.Token));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"PerCoreReadLoop did not stop within 30 s of SIGINT:\n{output}");
        }

        string all = output + await stderr;
        await TestContext.Out.WriteLineAsync($"--- PerCoreReadLoop, SIGINT (exit {process.ExitCode})\n{all}");
        Assert.That(process.ExitCode, Is.Zero, all);
        Assert.That(all, Does.Contain("Stopping").And.Contain("Done:").And.Contain($"Deleted {dataDirectory}"));
        Assert.That(Directory.Exists(dataDirectory), Is.False, "the data set was deleted");
    }

    [Test]
    public async Task HostedReadService_StartsReadsAndStopsCleanly()
    {
        (int exitCode, string output) = await RunSampleAsync("HostedReadService", "--seconds", "2");

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("info: UringScheduler[1] UringScheduler started: backend"), "the runtime's start-up log line");
        Assert.That(output, Does.Contain("Per-core service HostedReadService.ReadService started on"));
        Assert.That(output, Does.Match(@"Worker 0 wrote .* and starts reading it"));
        Assert.That(output, Does.Match(@"[\d,]+ reads/s \(w0 "));
        Assert.That(output, Does.Contain("Application is shutting down"));
        Assert.That(output, Does.Contain("info: UringScheduler[6] UringScheduler stopped"));
        Assert.That(output, Does.Not.Contain("fail:").And.Not.Contain("crit:"));
    }

    private static async Task<(int ExitCode, string Output)> RunSampleAsync(string sample, params string[] arguments)
    {
        using Process process = Process.Start(SampleStartInfo(sample, arguments))!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{sample} did not exit within 30 s:\n{await stdout}\n{await stderr}");
        }

        string output = await stdout + await stderr;
        await TestContext.Out.WriteLineAsync($"--- {sample} {string.Join(' ', arguments)} (exit {process.ExitCode})\n{output}");
        return (process.ExitCode, output);
    }

    private static ProcessStartInfo SampleStartInfo(string sample, params string[] arguments)
    {
        string dll = SamplePath(sample);
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the solution");

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(), // the samples must not depend on where they are started from
        };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return start;
    }

    private static string SamplePath(string sample)
    {
        Assembly assembly = typeof(SampleSmokeTests).Assembly;
        string Metadata(string key) => assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        return Path.Combine(Metadata("RepositoryRoot"), "samples", sample, "bin", Metadata("Configuration"), "net10.0", sample + ".dll");
    }

    [GeneratedRegex(@"^\[\s*\d+ s\]\s+[\d,]+ reads/s", RegexOptions.Multiline)]
    private static partial Regex ThroughputLine();

    [GeneratedRegex(@"^Writing .* to (/\S+)$")]
    private static partial Regex WritingLine();
}
