using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace UringScheduler.Hosting.Tests;

/// <summary>
/// Runs the EchoServer sample (sockets engine) as a child process: echoes over real loopback connections, stops on
/// SIGTERM with exit code 0 and a stats line; and drives it, and the C reference server, with the C load client of
/// the echo comparison (src/UringScheduler.Bench/perf).
/// </summary>
[TestFixture]
public sealed class EchoServerSmokeTests
{
    [TestCase("sockets")]
    [TestCase("uring")]
    [TestCase("uring-leased")]
    [CancelAfter(20_000)]
    public async Task Engine_EchoesOnThreeConnections_AndStopsOnSigtermWithStats(string engine, CancellationToken cancellationToken)
    {
        using EchoServerProcess server = await EchoServerProcess.StartSampleAsync("--port", "0", "--engine", engine, "--workers", "2");
        Assert.That(server.Port, Is.GreaterThan(0), "the ready line has the real port, not 0");

        // Three connections at once, each with its own bytes, sent in pieces larger than one receive buffer so the
        // server's loop goes round; the last connection stays open until the server is told to stop.
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        var sockets = new Socket[3];
        long sentBytes = 0;
        for (int i = 0; i < sockets.Length; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await sockets[i].ConnectAsync(endPoint, cancellationToken);
        }

        try
        {
            await Task.WhenAll(sockets.Select(async (socket, i) =>
            {
                for (int round = 0; round < 4; round++)
                {
                    byte[] message = Payload(i, round, 20_000 + (1000 * i));
                    await socket.SendAsync(message, SocketFlags.None, cancellationToken);
                    byte[] echo = new byte[message.Length];
                    int received = 0;
                    while (received < echo.Length)
                    {
                        int n = await socket.ReceiveAsync(echo.AsMemory(received), SocketFlags.None, cancellationToken);
                        Assert.That(n, Is.GreaterThan(0), $"connection {i} closed by the server after {received} bytes");
                        received += n;
                    }

                    Assert.That(echo, Is.EqualTo(message), $"connection {i}, message {round}");
                    Interlocked.Add(ref sentBytes, message.Length);
                }
            }));

            sockets[0].Shutdown(SocketShutdown.Send);
            Assert.That(await sockets[0].ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken), Is.Zero, "the server closes after the client's end");
            sockets[1].Dispose();

            Assert.That(await server.StopAsync(), Is.Zero, server.Output);
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        Dictionary<string, string> stats = server.StatsLine();
        Assert.Multiple(() =>
        {
            Assert.That(stats["engine"], Is.EqualTo(engine));
            Assert.That(stats["signal"], Is.EqualTo("SIGTERM"));
            Assert.That(stats["connections"], Is.EqualTo("3"));
            Assert.That(stats["bytes"], Is.EqualTo(sentBytes.ToString(CultureInfo.InvariantCulture)));
            long items = long.Parse(stats["threadpool_items"], CultureInfo.InvariantCulture);
            if (engine == "sockets")
            {
                Assert.That(items, Is.GreaterThan(0), "the sockets engine runs on the ThreadPool");
            }
            else
            {
                // 12 messages, each several receives and sends: anything per operation would show as dozens; start-up
                // and shutdown of the host may queue a few of their own.
                Assert.That(items, Is.LessThan(12), "the uring engines' receives and sends resume on the workers");
            }

            Assert.That(long.Parse(stats["allocated_bytes"], CultureInfo.InvariantCulture), Is.GreaterThan(0));
            Assert.That(double.Parse(stats["cpu_ms"], CultureInfo.InvariantCulture), Is.GreaterThan(0));
        });
    }

    [TestCase("sockets")]
    [TestCase("uring")]
    [CancelAfter(20_000)]
    public async Task EchoLoad_BuiltWithGcc_DrivesTheEngineForOneSecond(string engine, CancellationToken cancellationToken)
    {
        string bin = Directory.CreateTempSubdirectory("echo-load-test-").FullName;
        try
        {
            await BuildEchoProgramsAsync(bin, cancellationToken);

            using EchoServerProcess server = await EchoServerProcess.StartSampleAsync("--port", "0", "--engine", engine, "--workers", "2");
            string json = Path.Combine(bin, "load.json");
            (int loadExit, string loadOutput) = await RunAsync(
                Path.Combine(bin, "echo-load"),
                ["-p", server.Port.ToString(CultureInfo.InvariantCulture), "-c", "4", "-s", "512", "-d", "1", "-w", "0.2", "-t", "2", "-j", json],
                [],
                cancellationToken);
            Assert.That(loadExit, Is.Zero, $"echo-load:\n{loadOutput}");
            Assert.That(loadOutput, Does.Match(@"result requests_per_sec=\d+ requests=\d+ .* errors=0 connections=4 size=512 threads=2"));

            using JsonDocument result = JsonDocument.Parse(await File.ReadAllTextAsync(json, cancellationToken));
            JsonElement root = result.RootElement;
            long requests = root.GetProperty("requests").GetInt64();
            long total = root.GetProperty("total_requests").GetInt64();
            Assert.Multiple(() =>
            {
                Assert.That(requests, Is.GreaterThan(0));
                Assert.That(total, Is.GreaterThanOrEqualTo(requests));
                Assert.That(root.GetProperty("errors").GetInt64(), Is.Zero);
                Assert.That(root.GetProperty("connected").GetInt32(), Is.EqualTo(4));
                Assert.That(root.GetProperty("p50_ns").GetInt64(), Is.GreaterThan(0));
                Assert.That(root.GetProperty("p99_ns").GetInt64(), Is.GreaterThanOrEqualTo(root.GetProperty("p50_ns").GetInt64()));
                Assert.That(root.GetProperty("max_ns").GetInt64(), Is.GreaterThanOrEqualTo(root.GetProperty("p999_ns").GetInt64()));
            });

            Assert.That(await server.StopAsync(), Is.Zero, server.Output);
            Dictionary<string, string> stats = server.StatsLine();
            Assert.That(stats["connections"], Is.EqualTo("4"));

            // Every completed request was echoed in full; requests cut off by the client's end add at most one message each.
            long bytes = long.Parse(stats["bytes"], CultureInfo.InvariantCulture);
            Assert.That(bytes, Is.InRange(total * 512, (total + 4) * 512));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task EchoEpoll_ReferenceServer_EchoesUnderEchoLoad_AndReportsOnSigint(CancellationToken cancellationToken)
    {
        string bin = Directory.CreateTempSubdirectory("echo-epoll-test-").FullName;
        try
        {
            await BuildEchoProgramsAsync(bin, cancellationToken);
            using EchoServerProcess server = await EchoServerProcess.StartAsync(Path.Combine(bin, "echo-epoll"), ["-p", "0", "-t", "2"]);
            (int loadExit, string loadOutput) = await RunAsync(
                Path.Combine(bin, "echo-load"),
                ["-p", server.Port.ToString(CultureInfo.InvariantCulture), "-c", "3", "-s", "4096", "-d", "0.5", "-w", "0.1", "-t", "2"],
                [],
                cancellationToken);
            Assert.That(loadExit, Is.Zero, $"echo-load:\n{loadOutput}");
            Assert.That(loadOutput, Does.Match(@"errors=0 connections=3 size=4096 threads=2"));

            Assert.That(await server.StopAsync(EchoServerProcess.Sigint), Is.Zero, server.Output);
            Dictionary<string, string> stats = server.StatsLine();
            Assert.That(stats["engine"], Is.EqualTo("c-epoll"));
            Assert.That(stats["signal"], Is.EqualTo("SIGINT"));
            Assert.That(stats["connections"], Is.EqualTo("3"));
            Assert.That(long.Parse(stats["bytes"], CultureInfo.InvariantCulture), Is.GreaterThan(0));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    // Builds echo-load and echo-epoll with build-echo.sh into BIN. No gcc is a failure, not a reason to skip.
    private static async Task BuildEchoProgramsAsync(string bin, CancellationToken cancellationToken)
    {
        await RequireGccAsync(cancellationToken);
        string script = Path.Combine(EchoServerProcess.RepositoryRoot, "src", "UringScheduler.Bench", "perf", "build-echo.sh");
        (int exit, string output) = await RunAsync("bash", [script], new() { ["ECHO_BIN_DIR"] = bin }, cancellationToken);
        Assert.That(exit, Is.Zero, $"build-echo.sh:\n{output}");
    }

    private static byte[] Payload(int connection, int round, int length)
    {
        byte[] bytes = new byte[length];
        new Random(HashCode.Combine(connection, round)).NextBytes(bytes);
        return bytes;
    }

    private static async Task RequireGccAsync(CancellationToken cancellationToken)
    {
        try
        {
            (int exit, string output) = await RunAsync("gcc", ["--version"], [], cancellationToken);
            Assert.That(exit, Is.Zero, $"gcc --version failed:\n{output}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"gcc is not on PATH ({e.Message}): this test builds echo-load.c with it; install it (apt-get install -y gcc)");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string output = await stdout + await stderr;
        await TestContext.Out.WriteLineAsync($"--- {Path.GetFileName(file)} {string.Join(' ', arguments)} (exit {process.ExitCode})\n{output}");
        return (process.ExitCode, output);
    }
}
