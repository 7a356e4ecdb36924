using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace UringScheduler.Soak.Tests;

/// <summary>uring-soak run as a child process, as <c>./build.sh soak</c> runs it: its exit code and everything it printed.</summary>
internal sealed record SoakProcess(int ExitCode, string Output)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public static async Task<SoakProcess> RunAsync(TimeSpan limit, params string[] arguments)
    {
        string dll = Path.Combine(Metadata("RepositoryRoot"), "src", "UringScheduler.Soak", "bin", Metadata("Configuration"), "net10.0", "uring-soak.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the solution");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"uring-soak did not end within {limit.TotalSeconds} s:\n{output}");
        }

        // WaitForExit without a timeout drains the redirected streams.
        process.WaitForExit();
        lock (output)
        {
            return new SoakProcess(process.ExitCode, output.ToString());
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.Append(line).Append('\n');
            }
        }
    }

    private static string Metadata(string key) =>
        typeof(SoakProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
