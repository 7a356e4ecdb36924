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

    /// <summary>The default run's memory-limited table uses a limit of at least this, even on a small data set.</summary>
    public const long MinDefaultMemoryLimit = 64L << 20;

    // The second table's cases are shorter, to keep the default run near three minutes.
    private static readonly TimeSpan s_memoryLimitedWarmup = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_memoryLimitedDuration = TimeSpan.FromSeconds(5);

    private readonly IAnsiConsole _console;
    private readonly TextWriter _error;
    private readonly bool _fitTable;

    /// <param name="console">Where the progress and the tables go.</param>
    /// <param name="error">Where usage errors go.</param>
    /// <param name="fitTable">Fit the results table to the console's width (a terminal); false keeps every column (output redirected).</param>
    public BenchApp(IAnsiConsole console, TextWriter error, bool fitTable = true)
    {
        _console = console;
        _error = error;
        _fitTable = fitTable;
    }

    private int? TableWidth => _fitTable ? _console.Profile.Width : null;

    /// <summary>Runs with the process's console.</summary>
    public static int RunConsole(string[] args)
    {
        IAnsiConsole console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // Piped into a file or tee: Spectre would assume 80 columns and wrap the table.
            console.Profile.Width = 200;
        }

        return new BenchApp(console, Console.Error, fitTable: !Console.IsOutputRedirected).Run(args);
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
        if (options.ProbeDevice)
        {
            return new DeviceProbe(_console, options, dataSet).Run();
        }

        RunInfo info = RunInfo.Capture(options, dataSet, started);
        ConsoleReport.WriteHeader(_console, info);

        RegimeRunner runner = new(_console, dataSet);
        Regime first = new()
        {
            Name = options.MemoryLimit is not null ? Regime.MemoryLimited : options.Direct ? Regime.Direct : Regime.Cached,
            Warmup = options.Warmup,
            Duration = options.Duration,
            MemoryLimitBytes = options.MemoryLimit,
        };
        info.Regimes.Add(first);
        runner.Run(first, options);
        _console.WriteLine();
        ConsoleReport.WriteResults(_console, first, titled: options.AddMemoryLimitedRegime, TableWidth);

        if (options.AddMemoryLimitedRegime && first.Name == Regime.Cached)
        {
            RunMemoryLimited(info, runner, dataSet);
        }

        IReadOnlyList<CaseResult> results = info.Regimes.SelectMany(r => r.Results).ToList();
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

    /// <summary>The default run's memory limit for a data set of <paramref name="dataBytes"/>: an eighth of it in whole MiB, at least <see cref="MinDefaultMemoryLimit"/>.</summary>
    public static long DefaultMemoryLimit(long dataBytes) => Math.Max(MinDefaultMemoryLimit, dataBytes / 8 / (1 << 20) * (1 << 20));

    /// <summary>
    /// The default run's second table: the same cases in a memory cgroup an eighth of the data set (at least
    /// <see cref="MinDefaultMemoryLimit"/>), shorter per case, so the run shows the data-larger-than-memory side too.
    /// </summary>
    private void RunMemoryLimited(RunInfo info, RegimeRunner runner, DataSet dataSet)
    {
        Regime first = info.Regimes[0];
        if (!MemoryCgroup.LooksPossible())
        {
            const string Skipped = "memory-limited table skipped: it needs a memory cgroup (run as root with a cgroup memory controller), or run it yourself with --memory-limit SIZE";
            _console.MarkupLine(Markup.Escape(Skipped));
            first.Notes.Add(Skipped);
            return;
        }

        long data = dataSet.Spec.TotalBytes;
        long limit = DefaultMemoryLimit(data);
        BenchOptions options = info.Options with
        {
            Warmup = s_memoryLimitedWarmup,
            Duration = s_memoryLimitedDuration,
            MemoryLimit = limit,
        };
        Regime regime = new()
        {
            Name = Regime.MemoryLimited,
            Tag = Regime.MemoryLimited,
            Warmup = options.Warmup,
            Duration = options.Duration,
            MemoryLimitBytes = limit,
        };
        string announcement =
            $"memory-limited: the same cases in a memory cgroup of {SizeParser.Format(limit)} (the data set, {SizeParser.Format(data)}, is {data / (double)limit:0.#}x that), "
            + $"{options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s each";
        _console.MarkupLine(Markup.Escape(announcement));
        try
        {
            runner.Run(regime, options);
        }
        catch (UsageException e)
        {
            string skipped = $"memory-limited table skipped: {e.Message}";
            _console.MarkupLine(Markup.Escape(skipped));
            first.Notes.Add(skipped);
            return;
        }

        info.Regimes.Add(regime);
        _console.WriteLine();
        ConsoleReport.WriteResults(_console, regime, titled: true, TableWidth);

        // Printed above the table on the console; in the report and the JSON it goes with the table's notes.
        regime.Notes.Insert(0, announcement);
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
