using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace UringKv.Tests;

/// <summary>The built UringKv.dll run as a child process (dotnet UringKv.dll ...), for crash and signal tests.</summary>
internal sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(string directory, string durability = "always", int workers = 2)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "UringKv.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { dll, "--port", "0", "--dir", directory, "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--durability", durability })
        {
            info.ArgumentList.Add(arg);
        }

        var server = new ServerProcess(Process.Start(info)!);
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data, ready);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data, ready);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        Task exited = server._process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            server.Kill();
            Assert.Fail($"the server did not get ready:\n{server.Output}");
        }

        server.Port = await ready.Task;
        return server;
    }

    private void OnLine(string? line, TaskCompletionSource<int> ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        Match match = ReadyLine().Match(line);
        if (match.Success)
        {
            ready.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>SIGKILL: no chance to flush anything.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, then waits for the process to end; returns its exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        Assert.That(SendSignal(_process.Id, 15), Is.EqualTo(0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"ready.*\(port (\d+)\)")]
    private static partial Regex ReadyLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
