using System.Globalization;
using System.Text.Json;

namespace UringScheduler.Soak;

/// <summary>The figures of a soak, its verdict, the closing line and the JSON.</summary>
internal sealed class SoakResult
{
    public string Backend { get; set; } = "";

    public int Seed { get; set; }

    public int Workers { get; set; }

    public bool DirectIo { get; set; }

    public bool Interrupted { get; set; }

    public string? StartError { get; set; }

    public double Seconds { get; set; }

    public long Operations { get; set; }

    public long Mismatches { get; set; }

    public long UnexpectedErrors { get; set; }

    public ProcessSample? Start { get; set; }

    public ProcessSample? End { get; set; }

    public long InFlightAfterStop { get; set; }

    public long BufferOverflowRentals { get; set; }

    public List<Tally> Tallies { get; set; } = [];

    public List<KeyValuePair<string, long>> Outcomes { get; set; } = [];

    /// <summary>Failures beyond mismatches and errors: loops that never ended, buffers not returned, and the tolerances.</summary>
    public List<string> Failures { get; } = [];

    public double RssLimitMiB => Start is { } s ? s.RssMiB + Math.Max(SoakRun.RssToleranceMiB, s.RssMiB * SoakRun.RssToleranceFraction) : 0;

    /// <summary>Adds the tolerance failures; true when the soak passed.</summary>
    public bool Judge()
    {
        if (Start is { } start && End is { } end)
        {
            if (end.OwnDescriptors > start.OwnDescriptors + SoakRun.DescriptorTolerance)
            {
                Failures.Add($"descriptors grew from {start.Descriptors} to {end.Descriptors} ({start.OwnDescriptors} to {end.OwnDescriptors} " +
                    $"without the fallback I/O threads' eventfds), beyond the tolerance of +{SoakRun.DescriptorTolerance}");
            }

            if (end.RssMiB > RssLimitMiB)
            {
                Failures.Add($"resident memory grew from {start.RssMiB:F1} to {end.RssMiB:F1} MiB, beyond the tolerance of {RssLimitMiB:F1} MiB");
            }

            if (end.InFlight > start.InFlight)
            {
                Failures.Add($"operations in flight at rest grew from {start.InFlight} to {end.InFlight}");
            }
        }

        if (Operations == 0)
        {
            Failures.Add("no operation completed");
        }

        return Mismatches == 0 && UnexpectedErrors == 0 && Failures.Count == 0;
    }

    public string SummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"soak: {Operations} operations, {Mismatches} mismatches, {UnexpectedErrors} unexpected errors, fds {Start?.Descriptors ?? 0}->{End?.Descriptors ?? 0}, rss {Start?.RssMiB ?? 0:F1}->{End?.RssMiB ?? 0:F1} MiB");

    public void WriteJson(string path, bool passed)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        using FileStream stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("operations", Operations);
        json.WriteNumber("mismatches", Mismatches);
        json.WriteNumber("unexpected_errors", UnexpectedErrors);
        json.WriteNumber("fd_start", Start?.Descriptors ?? 0);
        json.WriteNumber("fd_end", End?.Descriptors ?? 0);
        json.WriteNumber("rss_start_mb", Math.Round(Start?.RssMiB ?? 0, 1));
        json.WriteNumber("rss_end_mb", Math.Round(End?.RssMiB ?? 0, 1));
        json.WriteBoolean("passed", passed);
        json.WriteString("backend", Backend);
        json.WriteNumber("workers", Workers);
        json.WriteNumber("seed", Seed);
        json.WriteNumber("duration_s", Math.Round(Seconds, 1));
        json.WriteBoolean("direct_io", DirectIo);
        json.WriteBoolean("interrupted", Interrupted);
        json.WriteNumber("fd_tolerance", SoakRun.DescriptorTolerance);
        json.WriteNumber("rss_limit_mb", Math.Round(RssLimitMiB, 1));
        json.WriteNumber("gc_heap_start_mb", Math.Round(Start?.ManagedMiB ?? 0, 1));
        json.WriteNumber("gc_heap_end_mb", Math.Round(End?.ManagedMiB ?? 0, 1));
        json.WriteNumber("gc_committed_start_mb", Math.Round(Start?.CommittedMiB ?? 0, 1));
        json.WriteNumber("gc_committed_end_mb", Math.Round(End?.CommittedMiB ?? 0, 1));
        json.WriteNumber("threads_start", Start?.Threads ?? 0);
        json.WriteNumber("threads_end", End?.Threads ?? 0);
        json.WriteNumber("fallback_io_threads_start", Start?.FallbackIoThreads ?? 0);
        json.WriteNumber("fallback_io_threads_end", End?.FallbackIoThreads ?? 0);
        json.WriteNumber("in_flight_start", Start?.InFlight ?? 0);
        json.WriteNumber("in_flight_end", End?.InFlight ?? 0);
        json.WriteNumber("in_flight_after_stop", InFlightAfterStop);
        json.WriteNumber("buffer_overflow_rentals", BufferOverflowRentals);
        json.WriteStartArray("failures");
        foreach (string failure in Failures)
        {
            json.WriteStringValue(failure);
        }

        json.WriteEndArray();
        json.WriteStartObject("mixes");
        foreach (Tally tally in Tallies)
        {
            json.WriteStartObject(tally.Name);
            json.WriteNumber("operations", tally.Operations);
            json.WriteNumber("mismatches", tally.Mismatches);
            json.WriteNumber("unexpected_errors", tally.Unexpected);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteStartObject("outcomes");
        foreach ((string name, long count) in Outcomes)
        {
            json.WriteNumber(name, count);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
