using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace UringScheduler.Hosting.Tests;

/// <summary>
/// An echo server running as a child process, as a user or a benchmark starts it: the EchoServer sample's built dll,
/// or the C reference server.
/// </summary>
internal sealed partial class EchoServerProcess : IDisposable
{
    public const int Sigint = 2;
    public const int Sigterm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EchoServerProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The port from the ready line.</summary>
    public int Port { get; private set; }

    /// <summary>Everything the server wrote so far, stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>Starts <c>dotnet EchoServer.dll ARGS</c> and waits for its ready line.</summary>
    public static Task<EchoServerProcess> StartSampleAsync(params string[] arguments)
    {
        string dll = Path.Combine(RepositoryRoot, "samples", "EchoServer", "bin", Metadata("Configuration"), "net10.0", "EchoServer.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the solution");
        return StartAsync("dotnet", [dll, .. arguments]);
    }

    /// <summary>Starts <paramref name="program"/> and waits for its ready line.</summary>
    public static async Task<EchoServerProcess> StartAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var server = new EchoServerProcess(new Process { StartInfo = start });
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();

        Task exited = server._process.WaitForExitAsync();
        Task first = await Task.WhenAny(server._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(15)));
        if (first != server._ready.Task)
        {
            string why = first == exited ? $"exited with code {server._process.ExitCode}" : "printed no ready line within 15 s";
            server.Dispose();
            Assert.Fail($"{Path.GetFileName(program)} {string.Join(' ', arguments)} {why}:\n{server.Output}");
        }

        server.Port = await server._ready.Task;
        return server;
    }

    /// <summary>Sends <paramref name="signal"/> and waits (at most 10 s) for the process to exit; returns its exit code.</summary>
    public async Task<int> StopAsync(int signal = Sigterm)
    {
        Assert.That(Kill(_process.Id, signal), Is.Zero, $"kill({signal})");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server did not exit within 10 s of signal {signal}:\n{Output}");
        }

        await TestContext.Out.WriteLineAsync($"--- server (exit {_process.ExitCode})\n{Output}");
        return _process.ExitCode;
    }

    /// <summary>The <c>key=value</c> pairs of the stats line.</summary>
    public Dictionary<string, string> StatsLine()
    {
        Match line = StatsPattern().Match(Output);
        Assert.That(line.Success, Is.True, $"a stats line in:\n{Output}");
        return line.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    private static string Metadata(string key) =>
        typeof(EchoServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        Match ready = ReadyPattern().Match(line);
        if (ready.Success)
        {
            _ready.TrySetResult(int.Parse(ready.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"ready.* port=(\d+)")]
    private static partial Regex ReadyPattern();

    [GeneratedRegex(@"^stats: (.*)$", RegexOptions.Multiline)]
    private static partial Regex StatsPattern();
}
