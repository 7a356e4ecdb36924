using System.Globalization;
using ScottPlot;
using SkiaSharp;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>
/// One PNG comparing the cases: throughput on top, p99.9 latency below, one bar per case, in the table's units (op/s
/// and ns) on log axes, so a case a hundred times slower than another still has a visible bar.
/// </summary>
internal static class ComparisonChart
{
    public const string FileName = "comparison.png";

    /// <summary>The chart of a run's first regime is <see cref="FileName"/>; another regime's is prefixed with its tag.</summary>
    public static string FileNameFor(string? regime) => regime is null ? FileName : $"comparison-{regime}.png";

    public static void Write(string path, IReadOnlyList<CaseResult> results, int panelHeight = 420)
    {
        CaseResult[] ran = results.Where(r => !r.Failed).ToArray();

        // Wide enough that case names under the bars do not run into each other.
        int width = Math.Max(1000, 130 * ran.Length);
        Plot throughput = Panel(ran, r => r.Throughput, "throughput (op/s, log scale)", "Throughput by case (higher is better)");
        Plot tail = Panel(ran, r => r.P999Ns, "p99.9 latency (ns, log scale)", "p99.9 latency by case (lower is better)");

        // Each panel is rendered on its own surface and then stacked: rendering two plots into one canvas
        // directly lets the second one clear the first.
        using SKSurface surface = SKSurface.Create(new SKImageInfo(width, panelHeight * 2));
        surface.Canvas.Clear(SKColors.White);
        DrawPanel(surface.Canvas, throughput, width, panelHeight, 0);
        DrawPanel(surface.Canvas, tail, width, panelHeight, panelHeight);
        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream stream = File.Create(path);
        data.SaveTo(stream);
    }

    /// <summary>
    /// Bars of log10(value), labelled with the value itself; the axis ticks are the powers of ten
    /// with log-spaced minor ticks between them.
    /// </summary>
    private static Plot Panel(CaseResult[] results, Func<CaseResult, double> value, string yLabel, string title)
    {
        Plot plot = new();
        double[] values = results.Select(value).ToArray();
        double[] logs = values.Select(v => Math.Log10(Math.Max(v, 1))).ToArray();

        // Bars start a decade below the smallest value's decade, not at 1: differences stay as visible as on a linear axis.
        double bottom = logs.Length > 0 ? Math.Max(0, Math.Floor(logs.Min()) - 1) : 0;
        ScottPlot.Plottables.BarPlot bars = plot.Add.Bars(logs);
        for (int i = 0; i < values.Length; i++)
        {
            bars.Bars[i].ValueBase = bottom;
            bars.Bars[i].Label = values[i].ToString(values[i] >= 100 ? "N0" : "0.##", CultureInfo.InvariantCulture);
        }

        bars.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, results.Length).Select(i => (double)i).ToArray(), results.Select(r => r.Name).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("N0", CultureInfo.InvariantCulture),
        };
        double top = logs.Length > 0 ? Math.Ceiling(logs.Max() + 0.3) : 1;
        plot.Axes.SetLimitsY(bottom, Math.Max(top, bottom + 1));
        plot.YLabel(yLabel);
        plot.Title(title);
        return plot;
    }

    private static void DrawPanel(SKCanvas canvas, Plot plot, int width, int height, int top)
    {
        using SKSurface panel = SKSurface.Create(new SKImageInfo(width, height));
        plot.Render(panel);
        using SKImage image = panel.Snapshot();
        canvas.DrawImage(image, 0, top);
    }
}
