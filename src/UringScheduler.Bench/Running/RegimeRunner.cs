using System.Globalization;
using Spectre.Console;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;
using UringScheduler.Bench.Methods;

namespace UringScheduler.Bench.Running;

/// <summary>
/// Runs the cases of one <see cref="Regime"/> with a progress display: makes the memory cgroup if the regime has one
/// (dropping the data from the page cache first) and runs each case's loops inside it, warms the data for a cached regime, takes the page
/// cache residency before and after each case, and notes where it is not what the regime promises.
/// </summary>
internal sealed class RegimeRunner
{
    /// <summary>Below this residency a cached regime warms the data before the case.</summary>
    public const double WarmBelow = 0.95;

    /// <summary>Above this residency an uncached regime warns: reads through the page cache then measure memory.</summary>
    public const double UncachedAbove = 0.5;

    /// <summary>The data set should be at least this many times the memory limit, or much of it still fits.</summary>
    public const int MinDataToLimitRatio = 4;

    private readonly IAnsiConsole _console;
    private readonly DataSet _dataSet;

    public RegimeRunner(IAnsiConsole console, DataSet dataSet)
    {
        _console = console;
        _dataSet = dataSet;
    }

    /// <summary>Runs <paramref name="options"/>' cases in <paramref name="regime"/>; fills its results and notes.</summary>
    /// <exception cref="UsageException">The regime's cgroup cannot be made.</exception>
    public void Run(Regime regime, BenchOptions options)
    {
        MemoryCgroup? cgroup = regime.MemoryLimitBytes is long limit ? MemoryCgroup.Create(limit) : null;
        try
        {
            if (cgroup is not null)
            {
                regime.Cgroup = cgroup.RelativePath;
                regime.CgroupVersion = cgroup.Version;
                long data = _dataSet.Spec.TotalBytes;
                if (data < MinDataToLimitRatio * cgroup.LimitBytes)
                {
                    regime.Notes.Add(
                        $"warning: the data set ({SizeParser.Format(data)}) is less than {MinDataToLimitRatio}x the memory limit ({SizeParser.Format(cgroup.LimitBytes)}): much of it stays cached; use more or larger files (--files, --file-size)");
                }

                // Pages cached before are hit for free whoever holds them: drop them, so the cases read them back under the limit.
                PageCache.Drop(_dataSet);
            }

            // The process is in the cgroup while a case's loops run, not while the case is set up or torn down: what
            // is charged to it is the page cache the reads fill and what the loops touch, not the bench's own
            // per-case memory (rings, buffers, histograms), which the limit is not meant to squeeze.
            Action? enter = cgroup is null ? null : cgroup.Enter;
            Action? leave = cgroup is null ? null : () =>
            {
                regime.CgroupSeen = MemoryCgroup.CurrentPath(cgroup.Version);
                cgroup.Leave();
            };

            CaseRunner runner = new(_dataSet, options);
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
                        double before = ResidencyBefore(regime, spec, options.Direct, () =>
                        {
                            task.Description = Markup.Escape($"{spec.Name,-18} warming the page cache");
                            context.Refresh();
                        });
                        if (cgroup is not null)
                        {
                            // The previous case's garbage goes now, outside the cgroup, rather than in the middle of this one.
                            GC.Collect();
                            GC.WaitForPendingFinalizers();
                        }

                        CaseResult result = runner.Run(
                            spec,
                            (elapsed, total, rate) =>
                            {
                                task.Value = elapsed;
                                task.Description = Markup.Escape($"{spec.Name,-18} {rate,12:N0} op/s");
                                context.Refresh();
                            },
                            enter,
                            leave);
                        double after = PageCache.Residency(_dataSet);
                        task.Value = task.MaxValue;
                        task.Description = Markup.Escape(result.Failed ? $"{spec.Name,-18} failed" : $"{spec.Name,-18} {result.Throughput,12:N0} op/s");
                        task.StopTask();
                        context.Refresh();
                        regime.Results.Add(result with { CachedFraction = before, CachedFractionAfter = after, Regime = regime.Tag });
                    }
                });

            if (cgroup is not null)
            {
                regime.CgroupPeakBytes = cgroup.PeakBytes();
            }
        }
        finally
        {
            cgroup?.Dispose();
        }
    }

    /// <summary>The residency when the case starts; a cached regime warms the data first when it is short of it.</summary>
    private double ResidencyBefore(Regime regime, CaseSpec spec, bool direct, Action warming)
    {
        double residency = PageCache.Residency(_dataSet);
        bool readsData = spec.Method != "nop";
        if (!readsData)
        {
            return residency;
        }

        if (regime.ExpectsCached)
        {
            if (residency < WarmBelow)
            {
                warming();
                PageCache.Warm(_dataSet);
                double warmed = PageCache.Residency(_dataSet);
                regime.Notes.Add(warmed < WarmBelow
                    ? $"warning: {spec.Name}: only {Percent(warmed)} of the data set is in the page cache after warming it (from {Percent(residency)}): the cached regime is not what this case measured"
                    : $"{spec.Name}: warmed the data set into the page cache first ({Percent(residency)} -> {Percent(warmed)})");
                residency = warmed;
            }
        }
        else if (residency > UncachedAbove && (spec.Method == "mmap" || !direct))
        {
            regime.Notes.Add(
                $"warning: {spec.Name}: {Percent(residency)} of the data set is in the page cache at the start: this case measures memory, not the device");
        }

        return residency;
    }

    private static string Percent(double fraction) => (100 * fraction).ToString("0.#", CultureInfo.InvariantCulture) + " %";
}
