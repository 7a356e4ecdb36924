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
        md.AppendLine(CultureInfo.InvariantCulture, $"- settings: {info.SettingsDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- JSON: [{Path.GetFileName(jsonPath)}]({Link(reportDirectory, jsonPath)})");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        md.AppendLine("Latencies are per read in nanoseconds, measured from submission to completion as the loop sees it. cpu is the");
        md.AppendLine("process's user+system time per operation; threadpool items and allocated bytes are process-wide deltas over the");
        md.AppendLine("measured phase (the progress display's own allocations excluded). others' cpu is the CPU time the rest of the");
        md.AppendLine("machine (other processes, hypervisor steal) used meanwhile, in percent of all CPUs: when it is high, the case ran");
        md.AppendLine("under someone else's load and its figures are not representative. cached is the share of the data set in the");
        md.AppendLine("page cache when the case started (and when it ended, if that differs). background is what the background writer of");
        md.AppendLine("a mixed case wrote, in MB/s; the latencies of a mixed case are its foreground reads'.");
        md.AppendLine();
        List<(string? Tag, string? Title, IReadOnlyList<CaseResult> Results, IReadOnlyList<string> Notes)> sections = info.Regimes.Count > 1
            ? info.Regimes.Select(r => (r.Tag, (string?)r.Description, (IReadOnlyList<CaseResult>)r.Results, (IReadOnlyList<string>)r.Notes)).ToList()
            : [(null, null, results, info.Regimes.Count == 1 ? info.Regimes[0].Notes : [])];
        foreach ((string? _, string? title, IReadOnlyList<CaseResult> sectionResults, IReadOnlyList<string> notes) in sections)
        {
            if (title is not null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"### {title}");
                md.AppendLine();
            }

            AppendTable(md, sectionResults);
            md.AppendLine();
            foreach (string line in ConsoleReport.BackendNotes(sectionResults))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
            }

            foreach (CaseResult failed in sectionResults.Where(r => r.Failed))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- **{failed.Name} failed**: {failed.Failure}");
            }

            foreach (string note in notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }

            md.AppendLine();
        }

        if (results.Any(r => !r.Failed))
        {
            md.AppendLine("## Comparison");
            md.AppendLine();
            foreach ((string? tag, string? title, IReadOnlyList<CaseResult> sectionResults, IReadOnlyList<string> _) in sections)
            {
                if (sectionResults.Any(r => !r.Failed))
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"![throughput and p99.9 by case{(title is null ? string.Empty : ", " + title)}]({ComparisonChart.FileNameFor(tag)})");
                    md.AppendLine();
                }
            }

            md.AppendLine("## Latency heatmaps");
            md.AppendLine();
            md.AppendLine("x: second of the measured phase; y: latency (log scale, quarter-octave buckets); colour: log10 of the operations in the cell.");
            md.AppendLine();
            foreach (CaseResult result in results.Where(r => !r.Failed))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"### {(result.Regime is null ? string.Empty : result.Regime + " ")}{result.Name}");
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
        IReadOnlyList<int> columns = ResultTable.Columns(results);
        md.AppendLine("| " + string.Join(" | ", columns.Select(i => ResultTable.Headers[i])) + " |");
        md.AppendLine("|" + string.Concat(columns.Select(i => i == 0 ? " --- |" : " ---: |")));
        foreach (string[] row in ResultTable.Rows(results))
        {
            md.AppendLine("| " + string.Join(" | ", columns.Select(i => row[i])) + " |");
        }
    }

    private static string Link(string from, string to)
    {
        string relative = Path.GetRelativePath(from, to);
        return relative.Replace('\\', '/');
    }
}
