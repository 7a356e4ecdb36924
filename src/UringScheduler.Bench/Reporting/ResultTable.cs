using System.Globalization;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>
/// The seed's table as rows of text, shared by the console and the Markdown report so both always show the same
/// columns and the same rounding.
/// </summary>
internal static class ResultTable
{
    public static readonly string[] Headers =
    [
        "case", "throughput (op/s)", "p50 (ns)", "p90 (ns)", "p99.9 (ns)", "p99.99 (ns)", "max (ns)",
        "cpu (ns/op)", "threadpool items", "alloc (B/op)", "errors", "others' cpu",
    ];

    public static IEnumerable<string[]> Rows(IEnumerable<CaseResult> results) => results.Select(Row);

    public static string[] Row(CaseResult r)
    {
        if (r.Failed)
        {
            return [r.Name, "failed", "-", "-", "-", "-", "-", "-", "-", "-", r.Errors.ToString(CultureInfo.InvariantCulture), "-"];
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
        ];
    }

    private static string Integer(double value) => Math.Round(value).ToString("N0", CultureInfo.InvariantCulture);
}
