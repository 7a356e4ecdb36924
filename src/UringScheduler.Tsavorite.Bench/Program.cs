using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Garnet;
using Garnet.server;
using Tsavorite.core;
using UringScheduler;
using UringScheduler.Tsavorite;

// garnet-bench: an embedded Garnet server with its storage tier on each device in turn, loaded and read by
// redis-benchmark (SET load, then GET on random keys), with the ThreadPool work items counted per phase.
if (args.Length > 0 && args[0] == "device")
{
    // garnet-bench device [devices] [threads] [seconds] [file MiB] [workers] [pin|no-pin]
    string[] deviceNames = args.Length > 1 ? args[1].Split(',') : ["uring", "randomaccess", "filestream"];
    int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
    int seconds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
    long fileMiB = args.Length > 4 ? long.Parse(args[4], CultureInfo.InvariantCulture) : 512;
    int workerCount = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
    bool pin = !(args.Length > 6 && args[6] == "no-pin");
    return DeviceBench.Run(deviceNames, Path.GetFullPath("artifacts/garnet-bench-device"), fileMiB << 20, threads, TimeSpan.FromSeconds(seconds), workerCount, pin);
}

var settings = BenchSettings.Parse(args);
if (settings is null)
{
    return 2;
}

if (!RedisBenchmark.IsInstalled())
{
    Console.Error.WriteLine("redis-benchmark not found: apt-get update && apt-get install -y redis-tools");
    return 1;
}

Console.WriteLine($"garnet-bench: devices {string.Join(",", settings.Devices)}, {settings.Keys:N0} keys x {settings.ValueSize} B " +
    $"(~{settings.Keys * (long)settings.ValueSize >> 20} MiB), log memory {settings.Memory}, page {settings.PageSize}, " +
    $"SET {settings.SetRequests:N0}, GET {settings.GetRequests:N0}, {settings.Clients} clients, workers {settings.Workers}, dir {settings.Directory}");
Console.WriteLine($"loadavg at start: {Load()}");

var results = new List<PhaseResult>();
foreach (string device in settings.Devices)
{
    results.AddRange(RunDevice(device, settings));
}

Console.WriteLine();
Console.WriteLine("| device | phase | requests/s | avg ms | p50 ms | p99 ms | max ms | server CPU us/request | TP items/request | device reads | device writes | TP items/device I/O | loadavg |");
Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
foreach (PhaseResult r in results)
{
    string perIo = r.DeviceReads + r.DeviceWrites > 0 ? (r.ThreadPoolItems / (double)(r.DeviceReads + r.DeviceWrites)).ToString("F3", CultureInfo.InvariantCulture) : "n/a";
    string reads = r.DeviceReads >= 0 ? r.DeviceReads.ToString("N0", CultureInfo.InvariantCulture) : "n/a";
    string writes = r.DeviceWrites >= 0 ? r.DeviceWrites.ToString("N0", CultureInfo.InvariantCulture) : "n/a";
    Console.WriteLine(FormattableString.Invariant(
        $"| {r.Device} | {r.Phase} | {r.RequestsPerSecond:N0} | {r.AvgMs:F3} | {r.P50Ms:F3} | {r.P99Ms:F3} | {r.MaxMs:F3} | {r.ServerCpuUsPerRequest:F1} | {r.ThreadPoolItems / (double)r.Requests:F3} | {reads} | {writes} | {perIo} | {r.LoadAverage} |"));
}

if (settings.JsonPath is not null)
{
    File.WriteAllText(settings.JsonPath, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"results written to {settings.JsonPath}");
}

return 0;

static IEnumerable<PhaseResult> RunDevice(string device, BenchSettings settings)
{
    string directory = Path.Combine(settings.Directory, device);
    if (Directory.Exists(directory))
    {
        Directory.Delete(directory, recursive: true);
    }

    Directory.CreateDirectory(directory);
    UringRuntime? runtime = device == "uring"
        ? new UringRuntime(new UringRuntimeOptions { WorkerCount = settings.Workers, PinWorkersToCpus = settings.Pin })
        : null;
    UringNamedDeviceFactoryCreator? creator = runtime is null ? null : new UringNamedDeviceFactoryCreator(runtime);
    var options = new GarnetServerOptions
    {
        EndPoints = [new IPEndPoint(IPAddress.Loopback, settings.Port)],
        EnableStorageTier = true,
        LogDir = Path.Combine(directory, "log"),
        CheckpointDir = Path.Combine(directory, "checkpoint"),
        LogMemorySize = settings.Memory,
        PageSize = settings.PageSize,
        SegmentSize = settings.SegmentSize,
        IndexMemorySize = settings.IndexSize,
        QuietMode = true,
    };
    switch (device)
    {
        case "uring":
            options.DeviceFactoryCreator = creator;
            break;
        case "randomaccess":
            options.DeviceType = DeviceType.RandomAccess;
            break;
        case "filestream":
            options.DeviceType = DeviceType.FileStream;
            break;
        default:
            throw new ArgumentException($"unknown device '{device}' (uring, randomaccess, filestream)");
    }

    var results = new List<PhaseResult>();
    using (var server = new GarnetServer(options))
    {
        server.Start();
        Console.WriteLine($"[{device}] server ready on 127.0.0.1:{settings.Port}");
        results.Add(Phase(device, "SET", settings, creator, $"-t set -n {settings.SetRequests} -r {settings.Keys} -d {settings.ValueSize}", settings.SetRequests));
        long onDisk = Directory.EnumerateFiles(Path.Combine(directory, "log"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"[{device}] log on disk after SET: {onDisk >> 20} MiB");

        // Devices that read through the page cache would serve the GETs from memory: evict the log's pages first, so
        // every device starts the GET phase from the disk (a buffered device's cache warms up again while it runs).
        PageCache.Evict(Path.Combine(directory, "log"));
        results.Add(Phase(device, "GET", settings, creator, $"-t get -n {settings.GetRequests} -r {settings.Keys}", settings.GetRequests));

        // The same GETs on a key that does not exist: served from the hash index with no device I/O, they show what
        // the server and its network layer cost (ThreadPool items included) without the device.
        results.Add(Phase(device, "GET-no-io", settings, creator, $"-t get -n {settings.GetRequests / 2}", settings.GetRequests / 2));
    }

    runtime?.Dispose();
    Directory.Delete(directory, recursive: true);
    return results;
}

static PhaseResult Phase(string device, string phase, BenchSettings settings, UringNamedDeviceFactoryCreator? creator, string workload, long requests)
{
    (long reads0, long writes0) = creator?.CompletedOperations() ?? (-1, -1);
    long items0 = ThreadPool.CompletedWorkItemCount;
    TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    string load = Load();
    RedisBenchmark.Result r = RedisBenchmark.Run(settings.Port, settings.Clients, workload);
    long items = ThreadPool.CompletedWorkItemCount - items0;
    double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / requests;
    (long reads1, long writes1) = creator?.CompletedOperations() ?? (-1, -1);
    var result = new PhaseResult(device, phase, requests, r.RequestsPerSecond, r.AvgMs, r.P50Ms, r.P99Ms, r.MaxMs, cpuUs, items,
        creator is null ? -1 : reads1 - reads0, creator is null ? -1 : writes1 - writes0, load);
    Console.WriteLine(FormattableString.Invariant($"[{device}] {phase}: {r.RequestsPerSecond:N0} req/s, p50 {r.P50Ms:F3} ms, p99 {r.P99Ms:F3} ms, {cpuUs:F1} us server CPU/request, {items:N0} ThreadPool items, loadavg {load}"));
    return result;
}

static string Load() => File.ReadAllText("/proc/loadavg").Trim();

internal sealed record PhaseResult(string Device, string Phase, long Requests, double RequestsPerSecond, double AvgMs, double P50Ms, double P99Ms, double MaxMs,
    double ServerCpuUsPerRequest, long ThreadPoolItems, long DeviceReads, long DeviceWrites, string LoadAverage);

internal static partial class PageCache
{
    private const int PosixFadvDontNeed = 4;

    public static void Evict(string directory)
    {
        foreach (string path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            _ = Fsync((int)handle.DangerousGetHandle());
            _ = PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadvDontNeed);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);
}

internal static class RedisBenchmark
{
    public readonly record struct Result(double RequestsPerSecond, double AvgMs, double P50Ms, double P99Ms, double MaxMs);

    public static bool IsInstalled()
    {
        try
        {
            using Process? p = Process.Start(new ProcessStartInfo("redis-benchmark", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            p?.WaitForExit();
            return p is { ExitCode: 0 };
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public static Result Run(int port, int clients, string workload)
    {
        var psi = new ProcessStartInfo("redis-benchmark", $"-h 127.0.0.1 -p {port} -c {clients} --csv {workload}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process p = Process.Start(psi)!;
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        p.BeginErrorReadLine();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-benchmark failed ({p.ExitCode}): {stderr}");
        }

        // --csv: a header line, then "TEST","rps","avg","min","p50","p95","p99","max".
        string line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => !l.StartsWith("\"test\"", StringComparison.Ordinal));
        string[] f = line.Split(',').Select(s => s.Trim('"', '\r')).ToArray();
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        return new Result(D(1), D(2), D(4), D(6), D(7));
    }
}

internal sealed class BenchSettings
{
    public string[] Devices { get; private set; } = ["uring", "randomaccess", "filestream"];
    public int Keys { get; private set; } = 96_000;
    public int ValueSize { get; private set; } = 4096;
    public string Memory { get; private set; } = "32m";
    public string PageSize { get; private set; } = "1m";
    public string SegmentSize { get; private set; } = "256m";
    public string IndexSize { get; private set; } = "16m";
    public long SetRequests { get; private set; }
    public long GetRequests { get; private set; } = 200_000;
    public int Clients { get; private set; } = 32;
    public int Workers { get; private set; } = Environment.ProcessorCount;
    public bool Pin { get; private set; } = true;
    public int Port { get; private set; } = 6391;
    public string Directory { get; private set; } = Path.GetFullPath("artifacts/garnet-bench");
    public string? JsonPath { get; private set; }

    public static BenchSettings? Parse(string[] args)
    {
        var s = new BenchSettings();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--devices": s.Devices = Next().Split(','); break;
                case "--keys": s.Keys = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--value-size": s.ValueSize = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--memory": s.Memory = Next(); break;
                case "--page-size": s.PageSize = Next(); break;
                case "--segment-size": s.SegmentSize = Next(); break;
                case "--index": s.IndexSize = Next(); break;
                case "--set-requests": s.SetRequests = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--get-requests": s.GetRequests = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--clients": s.Clients = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--workers": s.Workers = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--no-pin": s.Pin = false; break;
                case "--port": s.Port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--dir": s.Directory = Path.GetFullPath(Next()); break;
                case "--json": s.JsonPath = Next(); break;
                default:
                    Console.Error.WriteLine("usage: garnet-bench [--devices uring,randomaccess,filestream] [--keys N] [--value-size B] [--memory 32m] " +
                        "[--page-size 1m] [--segment-size 256m] [--index 16m] [--set-requests N (default 3 x keys)] [--get-requests N] [--clients N] " +
                        "[--workers N] [--no-pin] [--port N] [--dir PATH] [--json PATH]");
                    return null;
            }
        }

        if (s.SetRequests == 0)
        {
            s.SetRequests = 3L * s.Keys;
        }

        return s;
    }
}
