using Spectre.Console;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>The console side: run header, the results table, and failed cases with their reason.</summary>
internal static class ConsoleReport
{
    public static void WriteHeader(IAnsiConsole console, RunInfo info)
    {
        console.Write(new Rule("[bold]uring-bench[/]").LeftJustified());
        Grid grid = new();
        grid.AddColumn(new GridColumn().NoWrap());
        grid.AddColumn();
        grid.AddRow("machine", Markup.Escape($"{info.ProcessorCount} CPUs ({info.CpuModel}), Linux {info.Kernel}, {info.Runtime}"));
        grid.AddRow("data", Markup.Escape(info.DataDescription + (info.DataGenerated ? " (generated now)" : " (reused)")));
        grid.AddRow("cases", Markup.Escape($"{string.Join(",", info.Options.Cases.Select(c => c.Name))}: {info.Options.Warmup.TotalSeconds:0.##} s warm-up + {info.Options.Duration.TotalSeconds:0.##} s each, {info.Options.Workers} workers for uring/nop"));
        console.Write(grid);
        console.WriteLine();
    }

    public static Table BuildTable(IReadOnlyList<CaseResult> results)
    {
        Table table = new() { Border = TableBorder.Rounded };
        for (int i = 0; i < ResultTable.Headers.Length; i++)
        {
            TableColumn column = new(ResultTable.Headers[i]);
            table.AddColumn(i == 0 ? column.LeftAligned() : column.RightAligned());
        }

        foreach (CaseResult result in results)
        {
            string[] cells = ResultTable.Row(result);
            string style = result.Failed || result.Errors > 0 ? "red" : "default";
            table.AddRow(cells.Select(c => new Markup(Markup.Escape(c), new Style(foreground: style == "red" ? Color.Red : null))));
        }

        return table;
    }

    /// <summary>Which backend the runtime cases ran on; loud when it was the fallback, since then they measure no io_uring.</summary>
    public static IEnumerable<string> BackendNotes(IReadOnlyList<CaseResult> results)
    {
        foreach (IGrouping<string, CaseResult> group in results.Where(r => r.Backend is not null).GroupBy(r => r.Backend!))
        {
            string cases = string.Join(", ", group.Select(r => r.Name));
            yield return group.Key == nameof(UringBackend.IoUring)
                ? $"backend: io_uring ({cases})"
                : $"backend: {group.Key} ({cases}): io_uring is not usable here, these cases do not measure io_uring";
        }
    }

    public static void WriteResults(IAnsiConsole console, IReadOnlyList<CaseResult> results)
    {
        console.Write(BuildTable(results));
        foreach (string line in BackendNotes(results))
        {
            console.MarkupLine(Markup.Escape(line));
        }

        foreach (CaseResult failed in results.Where(r => r.Failed))
        {
            console.MarkupLine($"[red]{Markup.Escape(failed.Name)} failed:[/] {Markup.Escape(failed.Failure ?? string.Empty)}");
        }
    }
}
