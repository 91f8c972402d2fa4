using ScottPlot;

namespace SgdDynamics.Output;

/// <summary>PNG plots of measured points with error bars against predicted curves, for reports (ScottPlot, headless).</summary>
public static class ReportPlots
{
    /// <summary>A measured series with error bars.</summary>
    public sealed record Points(string Label, double[] X, double[] Y, double[] Error);

    /// <summary>A predicted curve.</summary>
    public sealed record Curve(string Label, double[] X, double[] Y);

    /// <summary>
    /// Writes a plot of measured points (with ±1 SE bars) and predicted curves to <paramref name="path"/>; a series with an
    /// empty label stays out of the legend; the legend sits in the <paramref name="legend"/> corner (default upper left).
    /// </summary>
    public static void Save(string path, string title, string xLabel, string yLabel, IEnumerable<Points> points, IEnumerable<Curve> curves, Alignment? legend = null)
    {
        var plot = new Plot();
        foreach (Curve curve in curves)
        {
            var line = plot.Add.Scatter(curve.X, curve.Y);
            line.LegendText = curve.Label;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }

        foreach (Points series in points)
        {
            var scatter = plot.Add.Scatter(series.X, series.Y);
            scatter.LegendText = series.Label;
            scatter.LineWidth = 0;
            scatter.MarkerSize = 7;
            var bars = plot.Add.ErrorBar(series.X, series.Y, series.Error);
            bars.Color = scatter.Color;
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(legend ?? Alignment.UpperLeft);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 600, ImageFormat.Png));
    }
}
