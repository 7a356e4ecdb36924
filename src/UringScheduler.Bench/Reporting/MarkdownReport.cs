using System.Globalization;
using System.Text;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary><c>report.md</c>: how the run was made, the table, and links to the charts beside it.</summary>
internal static class MarkdownReport
{
    public const string FileName = "report.md";

    public static string Build(RunInfo info, IReadOnlyList<CaseResult> results, string jsonPath, string reportDirectory)
    {
        StringBuilder md = new();
        md.AppendLine("# uring-bench report");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- started: {info.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC");
        md.AppendLine(CultureInfo.InvariantCulture, $"- command: `{info.CommandLine}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {info.ProcessorCount} CPUs ({info.CpuModel}), Linux {info.Kernel}, {info.Runtime}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- data: {info.DataDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- per case: {info.Options.Warmup.TotalSeconds:0.##} s warm-up (not measured) + {info.Options.Duration.TotalSeconds:0.##} s measured; uring/nop on {info.Options.Workers} workers");
        md.AppendLine(CultureInfo.InvariantCulture, $"- JSON: [{Path.GetFileName(jsonPath)}]({Link(reportDirectory, jsonPath)})");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine("Latencies are per read in nanoseconds, measured from submission to completion as the loop sees it. cpu is the");
        md.AppendLine("process's user+system time per operation; threadpool items and allocated bytes are process-wide deltas over the");
        md.AppendLine("measured phase (the progress display's own allocations excluded). others' cpu is the CPU time the rest of the");
        md.AppendLine("machine (other processes, hypervisor steal) used meanwhile, in percent of all CPUs: when it is high, the case ran");
        md.AppendLine("under someone else's load and its figures are not representative.");
        md.AppendLine();
        AppendTable(md, results);

        foreach (string line in ConsoleReport.BackendNotes(results))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        foreach (CaseResult failed in results.Where(r => r.Failed))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{failed.Name} failed**: {failed.Failure}");
        }

        md.AppendLine();
        if (results.Any(r => !r.Failed))
        {
            md.AppendLine("## Comparison");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![throughput and p99.9 by case]({ComparisonChart.FileName})");
            md.AppendLine();
            md.AppendLine("## Latency heatmaps");
            md.AppendLine();
            md.AppendLine("x: second of the measured phase; y: latency (log scale, quarter-octave buckets); colour: log10 of the operations in the cell.");
            md.AppendLine();
            foreach (CaseResult result in results.Where(r => !r.Failed))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"### {result.Name}");
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"![{result.Name} latency heatmap]({HeatmapChart.FileName(result)})");
                md.AppendLine();
            }
        }

        return md.ToString();
    }

    /// <summary>The table in Markdown, the same rows the console shows.</summary>
    public static void AppendTable(StringBuilder md, IReadOnlyList<CaseResult> results)
    {
        md.AppendLine("| " + string.Join(" | ", ResultTable.Headers) + " |");
        md.AppendLine("|" + string.Concat(ResultTable.Headers.Select((_, i) => i == 0 ? " --- |" : " ---: |")));
        foreach (string[] row in ResultTable.Rows(results))
        {
            md.AppendLine("| " + string.Join(" | ", row) + " |");
        }
    }

    private static string Link(string from, string to)
    {
        string relative = Path.GetRelativePath(from, to);
        return relative.Replace('\\', '/');
    }
}
