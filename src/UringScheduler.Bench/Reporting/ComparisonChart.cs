using System.Globalization;
using ScottPlot;
using SkiaSharp;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Reporting;

/// <summary>One PNG comparing the cases: throughput on top, p99.9 latency below, one bar per case.</summary>
internal static class ComparisonChart
{
    public const string FileName = "comparison.png";

    public static void Write(string path, IReadOnlyList<CaseResult> results, int panelHeight = 420)
    {
        CaseResult[] ran = results.Where(r => !r.Failed).ToArray();

        // Wide enough that case names under the bars do not run into each other.
        int width = Math.Max(1000, 130 * ran.Length);
        Plot throughput = Panel(ran, r => r.Throughput, "throughput (op/s)", "Throughput by case (higher is better)");
        Plot tail = Panel(ran, r => r.P999Ns / 1000.0, "p99.9 latency (µs)", "p99.9 latency by case (lower is better)");

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

    private static Plot Panel(CaseResult[] results, Func<CaseResult, double> value, string yLabel, string title)
    {
        Plot plot = new();
        double[] values = results.Select(value).ToArray();
        ScottPlot.Plottables.BarPlot bars = plot.Add.Bars(values);
        foreach (Bar bar in bars.Bars)
        {
            bar.Label = bar.Value.ToString(bar.Value >= 100 ? "N0" : "0.##", CultureInfo.InvariantCulture);
        }

        bars.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, results.Length).Select(i => (double)i).ToArray(), results.Select(r => r.Name).ToArray());
        plot.Axes.Margins(bottom: 0, top: 0.15);
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
