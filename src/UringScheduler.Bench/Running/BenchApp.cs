using System.CommandLine;
using Spectre.Console;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Methods;
using UringScheduler.Bench.Reporting;

namespace UringScheduler.Bench.Running;

/// <summary>
/// The whole tool: parse, prepare the data, run the cases with a progress display, then print and write the results.
/// Exit codes: 0 all cases ran without errors; 1 a case failed or read wrong data; 2 bad usage (one line on stderr).
/// </summary>
internal sealed class BenchApp
{
    public const int ExitOk = 0;
    public const int ExitFailures = 1;
    public const int ExitUsage = 2;

    private readonly IAnsiConsole _console;
    private readonly TextWriter _error;

    public BenchApp(IAnsiConsole console, TextWriter error)
    {
        _console = console;
        _error = error;
    }

    /// <summary>Runs with the process's console.</summary>
    public static int RunConsole(string[] args)
    {
        IAnsiConsole console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // Piped into a file or tee: Spectre would assume 80 columns and wrap the table.
            console.Profile.Width = 200;
        }

        return new BenchApp(console, Console.Error).Run(args);
    }

    public int Run(string[] args)
    {
        CommandLine commandLine = new();
        ParseResult parse = commandLine.Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            return UsageError(parse.Errors[0].Message);
        }

        int exitCode = ExitOk;
        bool ran = false;
        commandLine.Root.SetAction(result =>
        {
            ran = true;
            try
            {
                exitCode = Execute(commandLine.Bind(result, args));
            }
            catch (UsageException e)
            {
                exitCode = UsageError(e.Message);
            }

            return exitCode;
        });

        // Help and version print through System.CommandLine's own actions; everything else lands in ours above.
        int invoked = parse.Invoke(new InvocationConfiguration { Output = _console.Profile.Out.Writer, Error = _error });
        return ran ? exitCode : invoked;
    }

    private int UsageError(string message)
    {
        _error.WriteLine($"uring-bench: error: {message.ReplaceLineEndings(" ")}");
        return ExitUsage;
    }

    private int Execute(BenchOptions options)
    {
        DateTime started = DateTime.UtcNow;
        DataSet dataSet = PrepareData(options);
        RunInfo info = RunInfo.Capture(options, dataSet, started);
        ConsoleReport.WriteHeader(_console, info);

        CaseRunner runner = new(dataSet, options);
        List<CaseResult> results = [];
        _console.Progress()
            .AutoRefresh(false)
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                foreach (CaseSpec spec in options.Cases)
                {
                    ProgressTask task = context.AddTask(Markup.Escape(spec.Name), maxValue: (options.Warmup + options.Duration).TotalSeconds);
                    context.Refresh();
                    CaseResult result = runner.Run(spec, (elapsed, total, rate) =>
                    {
                        task.Value = elapsed;
                        task.Description = Markup.Escape($"{spec.Name,-18} {rate,12:N0} op/s");
                        context.Refresh();
                    });
                    task.Value = task.MaxValue;
                    task.Description = Markup.Escape(result.Failed ? $"{spec.Name,-18} failed" : $"{spec.Name,-18} {result.Throughput,12:N0} op/s");
                    task.StopTask();
                    context.Refresh();
                    results.Add(result);
                }
            });

        _console.WriteLine();
        ConsoleReport.WriteResults(_console, results);

        try
        {
            JsonReport.Write(options.JsonPath, info, results);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--json: cannot write '{options.JsonPath}': {e.Message}", e);
        }

        try
        {
            ReportWriter.Write(options.ReportDirectory, info, results, options.JsonPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--report: cannot write into '{options.ReportDirectory}': {e.Message}", e);
        }

        _console.MarkupLine($"JSON: [link]{Markup.Escape(options.JsonPath)}[/]");
        _console.MarkupLine($"report: [link]{Markup.Escape(Path.Combine(options.ReportDirectory, MarkdownReport.FileName))}[/]");

        return results.Any(r => r.Failed || r.Errors > 0) ? ExitFailures : ExitOk;
    }

    private DataSet PrepareData(BenchOptions options)
    {
        DataSet? dataSet = null;
        Manifest? manifest = Manifest.TryRead(options.Data.Directory);
        if (manifest is not null && manifest.Matches(options.Data))
        {
            return DataSet.OpenOrCreate(options.Data);
        }

        _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(Markup.Escape($"generating {options.Data.FileCount} × {SizeParser.Format(options.Data.FileSize)} in {options.Data.Directory}"), maxValue: options.Data.TotalBytes);
                dataSet = DataSet.OpenOrCreate(options.Data, (written, _) => task.Value = written);
                task.StopTask();
            });
        return dataSet!;
    }
}
