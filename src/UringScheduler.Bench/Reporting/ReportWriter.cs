using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>Writes the report folder: one heatmap per case that ran, the comparison chart, and report.md.</summary>
internal static class ReportWriter
{
    /// <summary>Writes everything; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string directory, RunInfo info, IReadOnlyList<CaseResult> results, string jsonPath)
    {
        Directory.CreateDirectory(directory);
        List<string> written = [];
        foreach (CaseResult result in results.Where(r => !r.Failed))
        {
            string path = Path.Combine(directory, HeatmapChart.FileName(result));
            HeatmapChart.Write(path, result);
            written.Add(path);
        }

        foreach (IGrouping<string?, CaseResult> regime in results.GroupBy(r => r.Regime))
        {
            if (regime.Any(r => !r.Failed))
            {
                string comparison = Path.Combine(directory, ComparisonChart.FileNameFor(regime.Key));
                ComparisonChart.Write(comparison, regime.ToList());
                written.Add(comparison);
            }
        }

        string markdown = Path.Combine(directory, MarkdownReport.FileName);
        File.WriteAllText(markdown, MarkdownReport.Build(info, results, jsonPath, directory));
        written.Add(markdown);
        return written;
    }
}
