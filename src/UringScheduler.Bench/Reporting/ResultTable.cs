using System.Globalization;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>
/// The seed's table as rows of text, shared by the console and the Markdown report so both always show the same
/// columns and the same rounding. The console may leave out the columns of least importance to fit its width.
/// </summary>
internal static class ResultTable
{
    public static readonly string[] Headers =
    [
        "case", "throughput (op/s)", "p50 (ns)", "p90 (ns)", "p99.9 (ns)", "p99.99 (ns)", "max (ns)",
        "cpu (ns/op)", "threadpool items", "alloc (B/op)", "errors", "others' cpu", "cached", "background (MB/s)",
    ];

    /// <summary>Short headers, same order, for a narrow terminal.</summary>
    public static readonly string[] ShortHeaders =
    [
        "case", "op/s", "p50", "p90", "p99.9", "p99.99", "max", "cpu/op", "tp items", "B/op", "err", "others", "cached", "bg MB/s",
    ];

    /// <summary>
    /// Column indexes in the order a narrow console drops them (the first one first); the case, throughput, p50,
    /// p99.9, errors and the background rate are never dropped.
    /// </summary>
    public static readonly int[] DropOrder = [8, 9, 3, 5, 11, 6, 12, 7];

    /// <summary>Index of the background column, shown only when a mixed case is in the table.</summary>
    public const int BackgroundColumn = 13;

    /// <summary>The columns to show for <paramref name="results"/>: all of them, less the background rate when no case has one.</summary>
    public static IReadOnlyList<int> Columns(IEnumerable<CaseResult> results)
    {
        bool background = results.Any(r => r.BackgroundMegabytesPerSecond is not null);
        return Enumerable.Range(0, Headers.Length).Where(i => i != BackgroundColumn || background).ToArray();
    }

    public static IEnumerable<string[]> Rows(IEnumerable<CaseResult> results) => results.Select(Row);

    /// <summary>Every column's cell (<see cref="Headers"/> order).</summary>
    public static string[] Row(CaseResult r)
    {
        string cached = Residency(r.CachedFraction, r.CachedFractionAfter);
        string background = r.BackgroundMegabytesPerSecond is double mbps ? mbps.ToString("N1", CultureInfo.InvariantCulture) : "-";
        if (r.Failed)
        {
            return [r.Name, "failed", "-", "-", "-", "-", "-", "-", "-", "-", r.Errors.ToString(CultureInfo.InvariantCulture), "-", cached, "-"];
        }

        return
        [
            r.Name,
            Integer(r.Throughput),
            Integer(r.P50Ns),
            Integer(r.P90Ns),
            Integer(r.P999Ns),
            Integer(r.P9999Ns),
            Integer(r.MaxNs),
            Integer(r.CpuNsPerOp),
            Integer(r.ThreadPoolWorkItems),
            r.AllocatedBytesPerOp.ToString(r.AllocatedBytesPerOp < 10 ? "0.00" : "N0", CultureInfo.InvariantCulture),
            Integer(r.Errors),
            r.OtherCpuPercent.ToString("0", CultureInfo.InvariantCulture) + " %",
            cached,
            background,
        ];
    }

    /// <summary>Residency at the start, and at the end when it moved by a percent or more: <c>100 %</c>, <c>3 → 12 %</c>.</summary>
    public static string Residency(double before, double after)
    {
        string start = (100 * before).ToString("0", CultureInfo.InvariantCulture);
        string end = (100 * after).ToString("0", CultureInfo.InvariantCulture);
        return start == end ? start + " %" : $"{start} → {end} %";
    }

    private static string Integer(double value) => Math.Round(value).ToString("N0", CultureInfo.InvariantCulture);
}
