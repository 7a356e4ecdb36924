using System.Globalization;
using ScottPlot;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>
/// A latency heatmap per case: x = second of the measured phase, y = latency on a log scale (quarter-octave buckets),
/// colour = log10 of the number of operations in that cell, so the rare slow tail stays visible next to the bulk.
/// </summary>
internal static class HeatmapChart
{
    public static string FileName(CaseResult result) =>
        result.Regime is null ? $"heatmap-{result.Name}.png" : $"heatmap-{result.Regime}-{result.Name}.png";

    public static void Write(string path, CaseResult result, int width = 900, int height = 500)
    {
        Plot plot = Build(result);
        plot.SavePng(path, width, height);
    }

    public static Plot Build(CaseResult result)
    {
        long[,] counts = result.Heatmap;
        int windows = counts.GetLength(0);
        (int low, int high) = UsedBuckets(counts);

        // ScottPlot draws row 0 at the top: put the slowest bucket there.
        int rows = high - low + 1;
        double[,] cells = new double[rows, windows];
        for (int row = 0; row < rows; row++)
        {
            int bucket = high - row;
            for (int w = 0; w < windows; w++)
            {
                long count = counts[w, bucket];
                cells[row, w] = count > 0 ? Math.Log10(count) : double.NaN;
            }
        }

        Plot plot = new();
        ScottPlot.Plottables.Heatmap heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Turbo();
        heatmap.NaNCellColor = Colors.White;

        // Empty cells are NaN (drawn white); without a manual range the NaNs poison the automatic colour range.
        double maxCell = 0;
        foreach (double cell in cells)
        {
            if (!double.IsNaN(cell))
            {
                maxCell = Math.Max(maxCell, cell);
            }
        }

        heatmap.ManualRange = new ScottPlot.Range(0, Math.Max(maxCell, 1));

        // y is in log2(ns): bucket b spans [MinOctave + b/4, MinOctave + (b+1)/4).
        double bottom = LatencyBuckets.MinOctave + (low / (double)LatencyBuckets.PerOctave);
        double top = LatencyBuckets.MinOctave + ((high + 1) / (double)LatencyBuckets.PerOctave);
        heatmap.Rectangle = new CoordinateRect(0, windows, bottom, top);

        ScottPlot.Panels.ColorBar colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = "log10(operations)";

        (double[] positions, string[] labels) = LatencyTicks(bottom, top);
        plot.Axes.Left.SetTicks(positions, labels);
        plot.Axes.SetLimits(0, windows, bottom, top);
        plot.XLabel("second of the measured phase");
        plot.YLabel("latency");
        plot.Title($"{(result.Regime is null ? string.Empty : result.Regime + " ")}{result.Name}: {result.Throughput:N0} op/s, p50 {Nanoseconds(result.P50Ns)}, p99.9 {Nanoseconds(result.P999Ns)}");
        return plot;
    }

    /// <summary>The first and last bucket with any count, widened by one each side; the whole range when empty.</summary>
    private static (int Low, int High) UsedBuckets(long[,] counts)
    {
        int low = int.MaxValue;
        int high = -1;
        for (int w = 0; w < counts.GetLength(0); w++)
        {
            for (int b = 0; b < counts.GetLength(1); b++)
            {
                if (counts[w, b] > 0)
                {
                    low = Math.Min(low, b);
                    high = Math.Max(high, b);
                }
            }
        }

        if (high < 0)
        {
            return (0, LatencyBuckets.Count - 1);
        }

        return (Math.Max(0, low - 1), Math.Min(LatencyBuckets.Count - 1, high + 1));
    }

    /// <summary>Ticks at 1, 2 and 5 times each power of ten that fall in [bottom, top] (log2 ns units).</summary>
    private static (double[] Positions, string[] Labels) LatencyTicks(double bottom, double top)
    {
        List<double> positions = [];
        List<string> labels = [];
        for (double decade = 1; decade < 1e12; decade *= 10)
        {
            foreach (int factor in (ReadOnlySpan<int>)[1, 2, 5])
            {
                double ns = decade * factor;
                double y = Math.Log2(ns);
                if (y >= bottom && y <= top)
                {
                    positions.Add(y);
                    labels.Add(Nanoseconds((long)ns));
                }
            }
        }

        return (positions.ToArray(), labels.ToArray());
    }

    public static string Nanoseconds(long ns) => ns switch
    {
        < 1_000 => ns.ToString(CultureInfo.InvariantCulture) + " ns",
        < 1_000_000 => (ns / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + " µs",
        < 1_000_000_000 => (ns / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " ms",
        _ => (ns / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " s",
    };
}
