using System.Globalization;
using System.Text.Json;
using Mono.Unix.Native;
using Spectre.Console;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Running;

/// <summary>
/// <c>--probe-device</c>: how many reads in flight the data set's device takes before it stops getting faster.
/// <c>O_DIRECT</c> random reads through the library (the I/O scheduler off, so nothing holds them back) at depths 1,
/// 2, 4... 512, each for a short measured phase; recommends the <see cref="UringIoSchedulerOptions.DeviceCapacity"/>
/// that reaches <see cref="PeakShare"/> of the best throughput, lowered to keep p99 within the latency goal.
/// </summary>
internal sealed class DeviceProbe
{
    /// <summary>The share of the peak throughput the recommended depth must reach.</summary>
    public const double PeakShare = 0.9;

    public static readonly int[] Depths = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    private readonly IAnsiConsole _console;
    private readonly BenchOptions _options;
    private readonly DataSet _dataSet;

    public DeviceProbe(IAnsiConsole console, BenchOptions options, DataSet dataSet)
    {
        _console = console;
        _options = options with { Direct = true, IoScheduler = false };
        _dataSet = dataSet;
    }

    public int Run()
    {
        DeviceInfo device = DeviceInfo.Of(_dataSet.Spec.Directory);
        _console.Write(new Rule("[bold]uring-bench --probe-device[/]").LeftJustified());
        _console.MarkupLine(Markup.Escape(
            $"device {device.Name} (holding {_dataSet.Spec.Directory}): O_DIRECT random {_dataSet.Spec.BlockSize} B reads, I/O scheduler off, "
            + $"{_options.Warmup.TotalSeconds:0.##} s warm-up + {_options.Duration.TotalSeconds:0.##} s per depth, {_options.Workers} workers, latency goal p99 <= {_options.LatencyGoal.TotalMilliseconds:0.##} ms"));

        CaseRunner runner = new(_dataSet, _options);
        List<CaseResult> results = [];
        _console.Progress()
            .AutoRefresh(false)
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(context =>
            {
                foreach (int depth in Depths)
                {
                    ProgressTask task = context.AddTask($"depth {depth,3}", maxValue: (_options.Warmup + _options.Duration).TotalSeconds);
                    CaseResult result = runner.Run(new CaseSpec($"uring_{depth}", "uring", depth), (elapsed, _, rate) =>
                    {
                        task.Value = elapsed;
                        task.Description = Markup.Escape($"depth {depth,3} {rate,12:N0} op/s");
                        context.Refresh();
                    });
                    task.Value = task.MaxValue;
                    task.Description = Markup.Escape(result.Failed ? $"depth {depth,3} failed" : $"depth {depth,3} {result.Throughput,12:N0} op/s");
                    task.StopTask();
                    context.Refresh();
                    results.Add(result);
                    if (result.Failed)
                    {
                        break;
                    }
                }
            });

        CaseResult? failed = results.FirstOrDefault(r => r.Failed || r.Errors > 0);
        if (failed is not null)
        {
            _console.MarkupLine($"[red]{Markup.Escape($"depth {failed.Concurrency} failed: {failed.Failure ?? $"{failed.Errors} read errors"}")}[/]");
            return BenchApp.ExitFailures;
        }

        Recommendation recommendation = Recommend(results, _options.LatencyGoal);
        Table table = new() { Border = TableBorder.Rounded };
        foreach (string header in (ReadOnlySpan<string>)["depth", "throughput (op/s)", "of peak", "p50 (ns)", "p99 (ns)", "p99.9 (ns)", ""])
        {
            table.AddColumn(new TableColumn(header).RightAligned());
        }

        foreach (CaseResult r in results)
        {
            string mark = r.Concurrency == recommendation.Capacity ? "<- recommended" : r.P99Ns > _options.LatencyGoal.TotalNanoseconds ? "p99 over goal" : string.Empty;
            table.AddRow(
                r.Concurrency.ToString(CultureInfo.InvariantCulture),
                r.Throughput.ToString("N0", CultureInfo.InvariantCulture),
                (100 * r.Throughput / recommendation.PeakThroughput).ToString("0", CultureInfo.InvariantCulture) + " %",
                r.P50Ns.ToString("N0", CultureInfo.InvariantCulture),
                r.P99Ns.ToString("N0", CultureInfo.InvariantCulture),
                r.P999Ns.ToString("N0", CultureInfo.InvariantCulture),
                mark);
        }

        _console.Write(table);
        _console.MarkupLine(Markup.Escape($"recommended DeviceCapacity for {device.Name}: {recommendation.Capacity} ({recommendation.Reason})"));
        if (device.DefaultCapacity > 0)
        {
            _console.MarkupLine(Markup.Escape($"the scheduler's own default here (DeviceCapacity = 0): {device.DefaultCapacity} ({device.DefaultReason})"));
        }

        _console.MarkupLine(Markup.Escape($"configuration: \"UringScheduler\": {{ \"IoScheduler\": {{ \"DeviceCapacity\": {recommendation.Capacity} }} }}"));
        _console.MarkupLine(Markup.Escape($"in code: options.IoScheduler.DeviceCapacity = {recommendation.Capacity};"));

        try
        {
            WriteJson(_options.JsonPath, device, results, recommendation);
            _console.MarkupLine($"JSON: [link]{Markup.Escape(_options.JsonPath)}[/]");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--json: cannot write '{_options.JsonPath}': {e.Message}", e);
        }

        return BenchApp.ExitOk;
    }

    /// <summary>
    /// The smallest depth reaching <see cref="PeakShare"/> of the peak throughput; if that depth's p99 is over the
    /// goal, the deepest shallower one within it. When no depth meets the goal, the goal is out of reach and only
    /// throughput decides.
    /// </summary>
    public static Recommendation Recommend(IReadOnlyList<CaseResult> results, TimeSpan latencyGoal)
    {
        double peak = results.Max(r => r.Throughput);
        CaseResult enough = results.Where(r => r.Throughput >= PeakShare * peak).MinBy(r => r.Concurrency)!;
        double goalNs = latencyGoal.TotalNanoseconds;
        if (enough.P99Ns <= goalNs)
        {
            return new Recommendation(enough.Concurrency, peak,
                $"the smallest depth reaching {PeakShare:P0} of the peak, {peak:N0} op/s; p99 {enough.P99Ns / 1e6:0.###} ms is within the goal");
        }

        CaseResult? withinGoal = results.Where(r => r.P99Ns <= goalNs && r.Concurrency < enough.Concurrency).MaxBy(r => r.Concurrency);
        return withinGoal is null
            ? new Recommendation(enough.Concurrency, peak,
                $"the smallest depth reaching {PeakShare:P0} of the peak, {peak:N0} op/s; no depth kept p99 within {latencyGoal.TotalMilliseconds:0.##} ms, not even 1, so the goal cannot be met here (a slow device, or a loaded machine: run again when it is quiet, or raise --latency-goal)")
            : new Recommendation(withinGoal.Concurrency, peak,
                $"the deepest depth whose p99 ({withinGoal.P99Ns / 1e6:0.###} ms) is within the goal; depth {enough.Concurrency} reaches {PeakShare:P0} of the peak but its p99 is {enough.P99Ns / 1e6:0.###} ms");
    }

    private void WriteJson(string path, DeviceInfo device, IReadOnlyList<CaseResult> results, Recommendation recommendation)
    {
        string? folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using FileStream stream = File.Create(path);
        using Utf8JsonWriter writer = new(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("tool", "uring-bench");
        writer.WriteString("mode", "probe-device");
        writer.WriteString("device", device.Name);
        writer.WriteString("data_directory", _dataSet.Spec.Directory);
        writer.WriteNumber("block_size", _dataSet.Spec.BlockSize);
        writer.WriteNumber("warmup_seconds", _options.Warmup.TotalSeconds);
        writer.WriteNumber("duration_seconds", _options.Duration.TotalSeconds);
        writer.WriteNumber("latency_goal_ms", _options.LatencyGoal.TotalMilliseconds);
        writer.WriteStartArray("depths");
        foreach (CaseResult r in results)
        {
            writer.WriteStartObject();
            writer.WriteNumber("depth", r.Concurrency);
            writer.WriteNumber("throughput", Math.Round(r.Throughput, 1));
            writer.WriteNumber("p50_ns", r.P50Ns);
            writer.WriteNumber("p99_ns", r.P99Ns);
            writer.WriteNumber("p999_ns", r.P999Ns);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("recommended_device_capacity", recommendation.Capacity);
        writer.WriteString("reason", recommendation.Reason);
        writer.WriteNumber("default_device_capacity", device.DefaultCapacity);
        writer.WriteEndObject();
    }

    internal sealed record Recommendation(int Capacity, double PeakThroughput, string Reason);

    /// <summary>The block device holding a folder, as sysfs describes it.</summary>
    private sealed record DeviceInfo(string Name, int DefaultCapacity, string DefaultReason)
    {
        public static DeviceInfo Of(string directory)
        {
            if (Syscall.stat(directory, out Stat stat) != 0)
            {
                return new DeviceInfo("(unknown)", 0, string.Empty);
            }

            ulong dev = stat.st_dev;
            ulong major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffUL);
            ulong minor = (dev & 0xff) | ((dev >> 12) & ~0xffUL);
            string sys = $"/sys/dev/block/{major}:{minor}";
            string name = ReadKey(Path.Combine(sys, "uevent"), "DEVNAME") ?? $"{major}:{minor}";

            // A partition has no queue of its own: its disk's is one level up.
            string queue = Directory.Exists(Path.Combine(sys, "queue")) ? sys : Path.Combine(sys, "..");
            if (int.TryParse(ReadText(Path.Combine(queue, "queue", "nr_requests")), NumberStyles.None, CultureInfo.InvariantCulture, out int requests))
            {
                string mq = Path.Combine(queue, "mq");
                int queues = Directory.Exists(mq) ? Math.Max(1, Directory.GetDirectories(mq).Length) : 1;
                return new DeviceInfo(name, Math.Max(1, requests * queues / 2), $"half of nr_requests {requests} x {queues} hardware queue(s)");
            }

            return new DeviceInfo(name, 0, string.Empty);
        }

        private static string? ReadText(string path)
        {
            try
            {
                return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static string? ReadKey(string path, string key) =>
            ReadText(path)?.Split('\n').Select(l => l.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == key)?[1];
    }
}
