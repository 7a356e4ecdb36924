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

    public static void WriteResults(IAnsiConsole console, IReadOnlyList<CaseResult> results)
    {
        console.Write(BuildTable(results));
        foreach (CaseResult failed in results.Where(r => r.Failed))
        {
            console.MarkupLine($"[red]{Markup.Escape(failed.Name)} failed:[/] {Markup.Escape(failed.Failure ?? string.Empty)}");
        }
    }
}
