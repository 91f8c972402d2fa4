using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace SgdDynamics.Output;

/// <summary>
/// PNG plots of measured points with error bars against predicted curves, for reports (ScottPlot, headless). The legend
/// sits to the right of the data area, never over it; measured series take marker shapes in turn (filled circle, open
/// circle, …) so that series lying on each other stay visible; an axis may be logarithmic (the data are given in their own units);
/// <see cref="SaveWithResiduals"/> adds a panel of measured/predicted − 1 beneath the main plot.
/// </summary>
public static class ReportPlots
{
    /// <summary>Width of a report plot in pixels (the legend takes the right-hand part).</summary>
    public const int Width = 1100;

    /// <summary>Height of a report plot in pixels (<see cref="SaveWithResiduals"/>: the main plot; its residual panel adds <see cref="ResidualHeight"/>).</summary>
    public const int Height = 600;

    /// <summary>Height of the residual panel of <see cref="SaveWithResiduals"/> in pixels.</summary>
    public const int ResidualHeight = 260;

    /// <summary>A measured series with ±1 SE bars (<paramref name="Color"/>: null takes the next colour of the palette).</summary>
    public sealed record Points(string Label, double[] X, double[] Y, double[] Error, Color? Color = null);

    /// <summary>A predicted curve (<paramref name="Color"/>: null takes the next colour of the palette).</summary>
    public sealed record Curve(string Label, double[] X, double[] Y, Color? Color = null);

    /// <summary>How an axis maps values.</summary>
    public enum Scale
    {
        /// <summary>Linear.</summary>
        Linear,

        /// <summary>Logarithmic (base 10): positive values only, ticks at 1-2-5 × 10^k labelled in the data's units.</summary>
        Log,
    }

    /// <summary>The palette's <paramref name="index"/>-th colour, to give a measured series and its prediction the same colour.</summary>
    public static Color Colour(int index) => Palette.GetColor(index);

    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Marker shapes of the measured series in turn: series that lie on each other stay visible (an open shape around a filled one).</summary>
    private static readonly MarkerShape[] Markers =
        [MarkerShape.FilledCircle, MarkerShape.OpenCircle, MarkerShape.FilledSquare, MarkerShape.OpenSquare, MarkerShape.FilledTriangleUp, MarkerShape.OpenTriangleUp, MarkerShape.FilledDiamond, MarkerShape.OpenDiamond];

    /// <summary>
    /// Writes a plot of measured points (with ±1 SE bars) and predicted curves to <paramref name="path"/>; a series with an
    /// empty label stays out of the legend, which sits to the right of the data area.
    /// </summary>
    public static void Save(string path, string title, string xLabel, string yLabel, IEnumerable<Points> points, IEnumerable<Curve> curves, Scale xScale = Scale.Linear, Scale yScale = Scale.Linear)
    {
        Plot plot = Panel(xLabel, yLabel, points, curves, xScale, yScale, null);
        plot.Title(title);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }

    /// <summary>
    /// As <see cref="Save"/>, with a residual panel beneath on the same x axis (linear in y): the <paramref name="residuals"/>
    /// (from <see cref="Residuals"/>) and <paramref name="residualCurves"/> (other predictions relative to the reference one)
    /// around a dashed zero line, which is the reference prediction itself. The panel's y range fits the residuals, their
    /// error bars and zero; a curve that leaves it says so in its legend entry.
    /// </summary>
    public static void SaveWithResiduals(
        string path,
        string title,
        string xLabel,
        string yLabel,
        IEnumerable<Points> points,
        IEnumerable<Curve> curves,
        string residualLabel,
        IEnumerable<Points> residuals,
        IEnumerable<Curve> residualCurves,
        Scale xScale = Scale.Linear,
        Scale yScale = Scale.Linear)
    {
        Plot main = Panel(xLabel, yLabel, points, curves, xScale, yScale, null);
        main.Title(title);
        AxisLimits limits = main.Axes.GetLimits();
        Plot lower = Panel(xLabel, residualLabel, residuals, residualCurves, xScale, Scale.Linear, (limits.Left, limits.Right), pointsSetY: true);
        lower.Add.HorizontalLine(0, 1.5f, Colors.Black, LinePattern.Dashed);

        // Align the two data areas: measure each layout at its size, then fix both to the wider margins left and right.
        main.RenderInMemory(Width, Height);
        lower.RenderInMemory(Width, ResidualHeight);
        PixelPadding a = Margins(main.LastRender), b = Margins(lower.LastRender);
        float left = Math.Max(a.Left, b.Left), right = Math.Max(a.Right, b.Right);
        main.Layout.Fixed(new PixelPadding(left, right, a.Bottom, a.Top));
        lower.Layout.Fixed(new PixelPadding(left, right, b.Bottom, b.Top));

        var figure = new Multiplot(main);
        figure.AddPlot(lower);
        figure.Layout = new StackedRows([Height, ResidualHeight]);
        using Image image = figure.Render(Width, Height + ResidualHeight);
        AtomicFile.WriteAllBytes(path, image.GetImageBytes(ImageFormat.Png, 100));
    }

    /// <summary>
    /// The residuals of measured values against a prediction: <c>measured/predicted − 1</c> with error bars
    /// <c>SE/predicted</c>, at the same x.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays differ in length, or a prediction is zero or not finite (no ratio exists).</exception>
    public static Points Residuals(string label, double[] x, double[] measured, double[] standardError, double[] predicted, Color? color = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(standardError);
        ArgumentNullException.ThrowIfNull(predicted);
        if (measured.Length != x.Length || standardError.Length != x.Length || predicted.Length != x.Length)
        {
            throw new ArgumentException($"x, measured, standardError and predicted differ in length ({x.Length}, {measured.Length}, {standardError.Length}, {predicted.Length})");
        }

        for (int i = 0; i < predicted.Length; i++)
        {
            if (predicted[i] == 0 || !double.IsFinite(predicted[i]))
            {
                throw new ArgumentException(FormattableString.Invariant($"prediction {predicted[i]} at x = {x[i]}: measured/predicted does not exist"), nameof(predicted));
            }
        }

        return new Points(
            label,
            [.. x],
            [.. measured.Select((m, i) => (m / predicted[i]) - 1)],
            [.. standardError.Select((e, i) => e / Math.Abs(predicted[i]))],
            color);
    }

    /// <summary>
    /// The ticks of a base-10 log axis over [<paramref name="lower"/>, <paramref name="upper"/>] (log₁₀ units): labelled
    /// majors at m × 10^k — every mantissa m on a span under 0.7 decades, 1–6 and 8 up to 1.2, 1, 2, 5 up to 2.5, decades
    /// beyond (every n-th decade beyond 12 decades) — and minors at the other mantissas (none beyond 8 decades, the
    /// unlabelled decades beyond 12); labels are in the data's units.
    /// </summary>
    public static Tick[] LogTicks(double lower, double upper)
    {
        if (!(upper > lower) || !double.IsFinite(lower) || !double.IsFinite(upper))
        {
            throw new ArgumentException(FormattableString.Invariant($"log axis range [{lower}, {upper}] is empty or not finite"));
        }

        double span = upper - lower;
        int[] majors = span <= 0.7 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : span <= 1.2 ? [1, 2, 3, 4, 5, 6, 8] : span <= 2.5 ? [1, 2, 5] : [1];
        bool minors = span <= 8;
        int every = Math.Max(1, (int)Math.Ceiling(span / 12)); // beyond 12 decades, label every second, third… decade
        var ticks = new List<Tick>();
        for (int k = (int)Math.Floor(lower); k <= (int)Math.Ceiling(upper); k++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double position = Math.Log10(m) + k;
                if (position < lower || position > upper)
                {
                    continue;
                }

                if (m == 1 && every > 1 && k % every != 0)
                {
                    ticks.Add(Tick.Minor(position));
                }
                else if (majors.Contains(m))
                {
                    ticks.Add(Tick.Major(position, LogLabel(m, k)));
                }
                else if (minors)
                {
                    ticks.Add(Tick.Minor(position));
                }
            }
        }

        if (ticks.Count(t => t.IsMajor) < 2)
        {
            // A span within one mantissa step: label its ends.
            ticks.Add(Tick.Major(lower, Math.Pow(10, lower).ToString("G3", CultureInfo.InvariantCulture)));
            ticks.Add(Tick.Major(upper, Math.Pow(10, upper).ToString("G3", CultureInfo.InvariantCulture)));
        }

        return [.. ticks];
    }

    /// <summary><c>m × 10^k</c> in plain decimals for 10⁻³ ≤ value &lt; 10⁵, else with a superscript exponent.</summary>
    private static string LogLabel(int m, int k)
    {
        if (k is >= -3 and <= 4)
        {
            return ((decimal)m * (decimal)Math.Pow(10, k)).ToString(CultureInfo.InvariantCulture);
        }

        string exponent = string.Concat(k.ToString(CultureInfo.InvariantCulture).Select(c => c == '-' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']));
        return m == 1 ? $"10{exponent}" : $"{m}×10{exponent}";
    }

    /// <summary>One plot: curves, then points with bars; limits from the data (5% margins), log axes transformed; the legend outside on the right.</summary>
    private static Plot Panel(string xLabel, string yLabel, IEnumerable<Points> points, IEnumerable<Curve> curves, Scale xScale, Scale yScale, (double Left, double Right)? xLimits, bool pointsSetY = false)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(curves);
        var plot = new Plot();
        int colour = 0;
        var xs = new List<double>();
        var ys = new List<double>();
        var curveYs = new List<double>();
        var lines = new List<(ScottPlot.Plottables.Scatter Line, double[] Y)>();
        bool labelled = false;
        foreach (Curve curve in curves)
        {
            int[] shown = [.. Enumerable.Range(0, curve.X.Length).Where(i => Representable(curve.X[i], xScale) && Representable(curve.Y[i], yScale))];
            double[] x = [.. shown.Select(i => Map(curve.X[i], xScale))];
            double[] y = [.. shown.Select(i => Map(curve.Y[i], yScale))];
            var line = plot.Add.Scatter(x, y, curve.Color ?? Colour(colour));
            colour++;
            line.LegendText = curve.Label;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            labelled |= curve.Label.Length > 0;
            xs.AddRange(x);
            curveYs.AddRange(y);
            lines.Add((line, y));
        }

        var bars = new List<(double[] Y, double[] Down)>();
        int pointSeries = 0;
        foreach (Points series in points)
        {
            int[] shown = [.. Enumerable.Range(0, series.X.Length).Where(i => Representable(series.X[i], xScale) && Representable(series.Y[i], yScale))];
            int hidden = series.X.Length - shown.Length;
            double[] x = [.. shown.Select(i => Map(series.X[i], xScale))];
            double[] y = [.. shown.Select(i => Map(series.Y[i], yScale))];
            double[] up = [.. shown.Select(i => Map(series.Y[i] + series.Error[i], yScale) - Map(series.Y[i], yScale))];

            // On a log axis a bar reaching zero or below has no lower end: it runs to the bottom of the plot (set below).
            double[] down = [.. shown.Select(i => yScale == Scale.Log && series.Y[i] - series.Error[i] <= 0
                ? double.PositiveInfinity
                : Map(series.Y[i], yScale) - Map(series.Y[i] - series.Error[i], yScale))];
            Color color = series.Color ?? Colour(colour);
            colour++;
            var scatter = plot.Add.Scatter(x, y, color);
            scatter.LegendText = series.Label.Length == 0 || hidden == 0 ? series.Label
                : series.Label + FormattableString.Invariant($" ({hidden} not shown: ≤ 0 on a log axis)");
            scatter.LineWidth = 0;
            scatter.MarkerShape = Markers[pointSeries % Markers.Length];
            scatter.MarkerSize = scatter.MarkerShape == MarkerShape.FilledCircle ? 7 : 9;
            pointSeries++;
            labelled |= series.Label.Length > 0;
            if (series.Error.Any(e => e > 0))
            {
                var errorBar = plot.Add.ErrorBar(x, y, up);
                errorBar.YErrorNegative = down;
                errorBar.Color = color;
                bars.Add((y, down));
            }

            xs.AddRange(x);
            ys.AddRange(y);
            ys.AddRange(y.Select((v, i) => v + up[i]));
            ys.AddRange(y.Select((v, i) => v - down[i]));
        }

        (double xLow, double xHigh) = xLimits ?? Range(xs);
        (double yLow, double yHigh) = pointsSetY ? Range([.. ys, 0]) : Range([.. ys, .. curveYs]);
        foreach ((var line, double[] y) in lines)
        {
            if (line.LegendText.Length > 0 && y.Any(v => v < yLow || v > yHigh))
            {
                line.LegendText += " (leaves the panel)";
            }
        }

        foreach ((double[] y, double[] down) in bars)
        {
            for (int i = 0; i < y.Length; i++)
            {
                down[i] = double.IsPositiveInfinity(down[i]) ? y[i] - yLow : down[i];
            }
        }

        plot.Axes.SetLimits(xLow, xHigh, yLow, yHigh);
        if (xScale == Scale.Log)
        {
            plot.Axes.Bottom.TickGenerator = new NumericManual(LogTicks(xLow, xHigh));
        }

        if (yScale == Scale.Log)
        {
            plot.Axes.Left.TickGenerator = new NumericManual(LogTicks(yLow, yHigh));
        }

        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (labelled)
        {
            plot.ShowLegend(Edge.Right);
        }

        return plot;
    }

    private static bool Representable(double value, Scale scale) => double.IsFinite(value) && (scale == Scale.Linear || value > 0);

    private static double Map(double value, Scale scale) => scale switch
    {
        Scale.Linear => value,
        Scale.Log => value > 0 ? Math.Log10(value) : double.NegativeInfinity,
        _ => throw new ArgumentOutOfRangeException(nameof(scale), scale, "unknown axis scale"),
    };

    /// <summary>The finite values' range widened by 5% each side (a single value: ±0.5, or ±10% of it).</summary>
    private static (double Low, double High) Range(IEnumerable<double> values)
    {
        double[] finite = [.. values.Where(double.IsFinite)];
        if (finite.Length == 0)
        {
            return (0, 1);
        }

        double low = finite.Min(), high = finite.Max();
        double margin = high > low ? 0.05 * (high - low) : low == 0 ? 0.5 : 0.1 * Math.Abs(low);
        return (low - margin, high + margin);
    }

    private static PixelPadding Margins(RenderDetails render) => new(
        render.DataRect.Left - render.FigureRect.Left,
        render.FigureRect.Right - render.DataRect.Right,
        render.FigureRect.Bottom - render.DataRect.Bottom,
        render.DataRect.Top - render.FigureRect.Top);

    /// <summary>Subplots stacked top to bottom, full width, with heights in proportion to the given weights.</summary>
    private sealed class StackedRows(double[] weights) : IMultiplotLayout
    {
        public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
        {
            double total = weights.Sum();
            var rectangles = new PixelRect[subplots.Count];
            float top = figureRect.Top;
            for (int i = 0; i < rectangles.Length; i++)
            {
                float height = (float)(figureRect.Height * weights[Math.Min(i, weights.Length - 1)] / total);
                rectangles[i] = new PixelRect(figureRect.Left, figureRect.Right, top + height, top);
                top += height;
            }

            return rectangles;
        }
    }
}
