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
        grid.AddRow("cases", Markup.Escape($"{string.Join(",", info.Options.Cases.Select(c => c.Name))}: {info.Options.Warmup.TotalSeconds:0.##} s warm-up + {info.Options.Duration.TotalSeconds:0.##} s each, {info.Options.Workers} workers for uring/nop/mixed"));
        grid.AddRow("settings", Markup.Escape(info.SettingsDescription));
        console.Write(grid);
        console.WriteLine();
    }

    /// <summary>
    /// The results table. With <paramref name="maxWidth"/>, fitted to it: short headers first, then columns left out
    /// in <see cref="ResultTable.DropOrder"/>; <paramref name="leftOut"/> says how many.
    /// </summary>
    public static Table BuildTable(IReadOnlyList<CaseResult> results, int? maxWidth, out int leftOut)
    {
        List<int> columns = [.. ResultTable.Columns(results)];
        string[][] rows = ResultTable.Rows(results).ToArray();
        string[] headers = ResultTable.Headers;
        leftOut = 0;
        if (maxWidth is int max && Width(columns, headers, rows) > max)
        {
            headers = ResultTable.ShortHeaders;
            foreach (int drop in ResultTable.DropOrder)
            {
                if (Width(columns, headers, rows) <= max)
                {
                    break;
                }

                if (columns.Remove(drop))
                {
                    leftOut++;
                }
            }
        }

        Table table = new() { Border = TableBorder.Rounded };
        foreach (int i in columns)
        {
            TableColumn column = new TableColumn(Markup.Escape(headers[i])).NoWrap();
            table.AddColumn(i == 0 ? column.LeftAligned() : column.RightAligned());
        }

        for (int r = 0; r < rows.Length; r++)
        {
            Style style = results[r].Failed || results[r].Errors > 0 ? new Style(foreground: Color.Red) : Style.Plain;
            table.AddRow(columns.Select(i => new Markup(Markup.Escape(rows[r][i]), style)));
        }

        return table;
    }

    public static Table BuildTable(IReadOnlyList<CaseResult> results) => BuildTable(results, null, out _);

    // Rounded border: "│ " before each cell, " " after it, and a closing "│".
    private static int Width(List<int> columns, string[] headers, string[][] rows) =>
        1 + columns.Sum(i => 3 + Math.Max(headers[i].Length, rows.Length == 0 ? 0 : rows.Max(row => row[i].Length)));

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

    /// <summary>
    /// The table of one regime (titled when the run has more than one), fitted to <paramref name="maxWidth"/> when
    /// given, then backend notes, failures and the regime's notes (warming, residency warnings).
    /// </summary>
    public static void WriteResults(IAnsiConsole console, Running.Regime regime, bool titled, int? maxWidth = null)
    {
        if (titled)
        {
            console.MarkupLine($"[bold]{Markup.Escape(regime.Description)}[/]");
        }

        Table table = BuildTable(regime.Results, maxWidth, out int leftOut);
        if (maxWidth is null)
        {
            // Not fitted (output redirected): the whole table on one line per row, whatever width the console assumes.
            int width = console.Profile.Width;
            console.Profile.Width = Math.Max(width, 1000);
            console.Write(table);
            console.Profile.Width = width;
        }
        else
        {
            console.Write(table);
        }

        if (leftOut > 0)
        {
            console.MarkupLine(Markup.Escape($"({leftOut} columns left out to fit the terminal; report.md and the JSON have them all)"));
        }

        foreach (string line in BackendNotes(regime.Results))
        {
            console.MarkupLine(Markup.Escape(line));
        }

        foreach (CaseResult failed in regime.Results.Where(r => r.Failed))
        {
            console.MarkupLine($"[red]{Markup.Escape(failed.Name)} failed:[/] {Markup.Escape(failed.Failure ?? string.Empty)}");
        }

        foreach (string note in regime.Notes)
        {
            console.MarkupLine(note.StartsWith("warning:", StringComparison.Ordinal) ? $"[yellow]{Markup.Escape(note)}[/]" : Markup.Escape(note));
        }
    }
}
