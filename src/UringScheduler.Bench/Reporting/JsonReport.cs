using System.Text.Json;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>
/// Writes the results as JSON: an object with run information and a <c>cases</c> array whose entries carry the keys
/// docs/benchmarks.md documents as stable (plus a few extra ones). Written by hand with <see cref="Utf8JsonWriter"/> so the key names
/// are plain to see here and cannot drift with a serializer setting.
/// </summary>
internal static class JsonReport
{
    /// <summary>The keys every case must have: the stable ones that tools reading the JSON rely on.</summary>
    public static readonly string[] RequiredCaseKeys =
    [
        "name", "method", "concurrency", "ops", "seconds", "throughput", "p50_ns", "p90_ns", "p999_ns", "p9999_ns",
        "max_ns", "cpu_ns_per_op", "threadpool_work_items", "allocated_bytes_per_op", "errors", "cached_fraction",
    ];

    public static void Write(string path, RunInfo info, IReadOnlyList<CaseResult> results)
    {
        string? folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using FileStream stream = File.Create(path);
        Write(stream, info, results);
    }

    public static void Write(Stream stream, RunInfo info, IReadOnlyList<CaseResult> results)
    {
        using Utf8JsonWriter writer = new(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("tool", "uring-bench");
        writer.WriteString("started_utc", info.StartedUtc);
        writer.WriteString("command", info.CommandLine);

        writer.WriteStartObject("machine");
        writer.WriteNumber("processors", info.ProcessorCount);
        writer.WriteString("cpu", info.CpuModel);
        writer.WriteString("kernel", info.Kernel);
        writer.WriteString("runtime", info.Runtime);
        writer.WriteEndObject();

        writer.WriteStartObject("data");
        writer.WriteString("directory", info.Options.Data.Directory);
        writer.WriteNumber("files", info.Options.Data.FileCount);
        writer.WriteNumber("file_size", info.Options.Data.FileSize);
        writer.WriteNumber("block_size", info.Options.Data.BlockSize);
        writer.WriteBoolean("direct", info.Options.Direct);
        writer.WriteBoolean("verify", info.Options.Verify);
        writer.WriteEndObject();

        writer.WriteNumber("warmup_seconds", info.Options.Warmup.TotalSeconds);
        writer.WriteNumber("duration_seconds", info.Options.Duration.TotalSeconds);
        writer.WriteNumber("workers", info.Options.Workers);
        writer.WriteString("io_scheduler", info.Options.IoScheduler ? "on" : "off");
        if (info.Options.MemoryLimit is long limit)
        {
            writer.WriteNumber("memory_limit_bytes", limit);
        }
        else
        {
            writer.WriteNull("memory_limit_bytes");
        }

        writer.WriteStartArray("regimes");
        foreach (Running.Regime regime in info.Regimes)
        {
            writer.WriteStartObject();
            writer.WriteString("name", regime.Name);
            writer.WriteNumber("warmup_seconds", regime.Warmup.TotalSeconds);
            writer.WriteNumber("duration_seconds", regime.Duration.TotalSeconds);
            if (regime.MemoryLimitBytes is long regimeLimit)
            {
                writer.WriteNumber("memory_limit_bytes", regimeLimit);
                writer.WriteString("cgroup", regime.Cgroup);
                writer.WriteNumber("cgroup_version", regime.CgroupVersion);
                writer.WriteString("cgroup_seen", regime.CgroupSeen);
                writer.WriteNumber("cgroup_peak_bytes", regime.CgroupPeakBytes);
            }

            writer.WriteStartArray("notes");
            foreach (string note in regime.Notes)
            {
                writer.WriteStringValue(note);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("cases");
        foreach (CaseResult r in results)
        {
            writer.WriteStartObject();
            writer.WriteString("name", r.Name);
            writer.WriteString("method", r.Method);
            writer.WriteNumber("concurrency", r.Concurrency);
            writer.WriteNumber("ops", r.Ops);
            writer.WriteNumber("seconds", Math.Round(r.Seconds, 6));
            writer.WriteNumber("throughput", Math.Round(r.Throughput, 1));
            writer.WriteNumber("p50_ns", r.P50Ns);
            writer.WriteNumber("p90_ns", r.P90Ns);
            writer.WriteNumber("p999_ns", r.P999Ns);
            writer.WriteNumber("p9999_ns", r.P9999Ns);
            writer.WriteNumber("max_ns", r.MaxNs);
            writer.WriteNumber("cpu_ns_per_op", Math.Round(r.CpuNsPerOp, 1));
            writer.WriteNumber("threadpool_work_items", r.ThreadPoolWorkItems);
            writer.WriteNumber("allocated_bytes_per_op", Math.Round(r.AllocatedBytesPerOp, 3));
            writer.WriteNumber("errors", r.Errors);
            writer.WriteNumber("cached_fraction", Math.Round(r.CachedFraction, 4));
            if (r.BackgroundMegabytesPerSecond is double background)
            {
                writer.WriteNumber("background_mb_per_s", Math.Round(background, 2));
            }

            // Extras beyond the fixed keys.
            writer.WriteNumber("p99_ns", r.P99Ns);
            writer.WriteNumber("workers", r.Workers);
            writer.WriteNumber("other_cpu_percent", Math.Round(r.OtherCpuPercent, 1));
            writer.WriteNumber("cached_fraction_after", Math.Round(r.CachedFractionAfter, 4));
            if (r.IoScheduler is bool ioScheduler)
            {
                writer.WriteString("io_scheduler", ioScheduler ? "on" : "off");
            }

            if (r.Regime is not null)
            {
                writer.WriteString("regime", r.Regime);
            }

            if (r.Backend is not null)
            {
                writer.WriteString("backend", r.Backend);
            }

            writer.WriteStartArray("ops_per_second");
            foreach (long ops in r.OpsPerSecond)
            {
                writer.WriteNumberValue(ops);
            }

            writer.WriteEndArray();
            if (r.Failure is not null)
            {
                writer.WriteString("failure", r.Failure);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
