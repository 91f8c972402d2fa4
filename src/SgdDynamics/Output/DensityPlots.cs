using ScottPlot;
using SgdDynamics.Grids;

namespace SgdDynamics.Output;

/// <summary>PNG plots of grid densities (ScottPlot, headless): line plots in 1-D, heat maps in 2-D.</summary>
public static class DensityPlots
{
    /// <summary>Most snapshots drawn per run (see <see cref="LogSpaced"/>).</summary>
    public const int MaxPlotted = 8;

    /// <summary>
    /// The record steps to keep (the density files under a cap): all when there are at most <paramref name="max"/>, else
    /// <paramref name="max"/> of them evenly spread by index, always the first and the last.
    /// </summary>
    public static IReadOnlyList<int> Thin(IReadOnlyList<int> steps, int max = MaxPlotted)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count <= max)
        {
            return [.. steps];
        }

        return Enumerable.Range(0, max)
            .Select(i => steps[(int)Math.Round(i * (steps.Count - 1) / (double)(max - 1))])
            .Distinct()
            .ToArray();
    }

    /// <summary>
    /// The record steps to plot: all when there are at most <paramref name="max"/>, else step 0 (when recorded) and the
    /// rest log-spaced in time (t = kη, so in step) from the first positive record to the last, each the record nearest
    /// its target in log step, so that early, fast changes get as many curves as late, slow ones. Always the first and the
    /// last; fewer than <paramref name="max"/> where two targets fall on the same record.
    /// </summary>
    public static IReadOnlyList<int> LogSpaced(IReadOnlyList<int> steps, int max = MaxPlotted)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 3);
        if (steps.Count <= max)
        {
            return [.. steps];
        }

        int[] positive = [.. steps.Where(s => s > 0)];
        var chosen = new SortedSet<int>();
        if (positive.Length < steps.Count)
        {
            chosen.Add(steps[0]);
        }

        int targets = max - chosen.Count;
        double first = Math.Log(positive[0]), last = Math.Log(positive[^1]);
        for (int j = 0; j < targets; j++)
        {
            double target = first + (j * (last - first) / (targets - 1));
            chosen.Add(positive.MinBy(s => Math.Abs(Math.Log(s) - target)));
        }

        return [.. chosen];
    }

    /// <summary>
    /// The largest difference between two densities drawn as one curve, as a fraction of the y axis: a 2-pixel line on
    /// the data area (about 450 pixels high) of <see cref="Lines"/>.
    /// </summary>
    public const double LineWidthFraction = 1.0 / 200;

    /// <summary>A curve of the overlay: the snapshot drawn, and the last record of the run of later snapshots it stands for.</summary>
    public sealed record Drawn(GridRecord Record, GridDensity Density, GridRecord Through);

    /// <summary>
    /// The snapshots worth drawing, in order: the first, then each whose density differs from the last one drawn by at
    /// least <paramref name="tolerance"/> (density units) in some cell. A snapshot left out lies within the tolerance of
    /// the curve before it, which records the last such step in <see cref="Drawn.Through"/> (a stationary tail becomes one curve).
    /// </summary>
    public static IReadOnlyList<Drawn> Differing(IReadOnlyList<(GridRecord Record, GridDensity Density)> snapshots, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var drawn = new List<Drawn>();
        foreach (var (record, density) in snapshots)
        {
            if (drawn.Count > 0 && LargestDifference(drawn[^1].Density, density) < tolerance)
            {
                drawn[^1] = drawn[^1] with { Through = record };
            }
            else
            {
                drawn.Add(new Drawn(record, density, record));
            }
        }

        return drawn;
    }

    /// <summary>The largest |p(x) − q(x)| over the cells of two densities on the same grid.</summary>
    public static double LargestDifference(GridDensity p, GridDensity q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        if (!DensityDistance.SameGrid(p.Grid, q.Grid))
        {
            throw new ArgumentException("the densities lie on different grids", nameof(q));
        }

        return Enumerable.Range(0, p.Grid.Count).Max(c => Math.Abs(p.Density(c) - q.Density(c)));
    }

    /// <summary>
    /// 1-D: the densities (mass / cell width) at the cell centres, one line per snapshot that differs from the one before
    /// by a line width (<see cref="Differing"/>, <see cref="LineWidthFraction"/> of the y axis), labelled by step and
    /// time; a narrow start is clipped at the scale of the rest; the legend sits to the right of the data area.
    /// </summary>
    public static void Lines(string path, string title, IReadOnlyList<(GridRecord Record, GridDensity Density)> snapshots)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        double[] peaks = snapshots.Select(s => Enumerable.Range(0, s.Density.Grid.Count).Max(s.Density.Density)).ToArray();
        double rest = peaks.Skip(1).DefaultIfEmpty(0).Max();

        // A narrow start (a point mass) would flatten every later curve: clip it at the scale of the others.
        bool clipFirst = snapshots.Count > 1 && rest > 0 && peaks[0] > 3 * rest;
        double top = clipFirst ? 1.15 * rest : peaks.DefaultIfEmpty(0).Max();
        IReadOnlyList<Drawn> drawn = Differing(snapshots, LineWidthFraction * top);
        var plot = new Plot();
        for (int s = 0; s < drawn.Count; s++)
        {
            var (record, density, through) = drawn[s];
            UniformGrid grid = density.Grid;
            double[] x = Enumerable.Range(0, grid.Count).Select(i => grid.Centre(0, i)).ToArray();
            double[] y = Enumerable.Range(0, grid.Count).Select(density.Density).ToArray();
            var line = plot.Add.Scatter(x, y);
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = FormattableString.Invariant($"step {record.Step} (t = {record.Time:G4})")
                + (through.Step != record.Step ? FormattableString.Invariant($", unchanged to step {through.Step}") : "")
                + (s == 0 && clipFirst ? " (clipped)" : "");
        }

        if (clipFirst)
        {
            plot.Axes.SetLimitsY(0, top);
        }

        plot.Title(title);
        plot.XLabel("x");
        plot.YLabel("density p(x)");
        plot.ShowLegend(Edge.Right);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(ReportPlots.Width, ReportPlots.Height, ImageFormat.Png));
    }

    /// <summary>Cells per axis up to which a heat map shows every cell; a larger grid is shown as block means.</summary>
    public const int MaxHeatMapCells = 512;

    /// <summary>
    /// 2-D: a heat map of the density over the box (x0 across, x1 up) with a labelled colour bar. Beyond
    /// <see cref="MaxHeatMapCells"/> cells along an axis (more than the picture's pixels), each pixel is the mean density of a
    /// block of f₀ × f₁ cells (f = ⌈cells / <see cref="MaxHeatMapCells"/>⌉; the last block of an axis may be narrower), and the
    /// colour bar's label says so: the picture then costs at most 512² values, not a copy of the whole grid.
    /// </summary>
    public static void HeatMap(string path, string title, GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        UniformGrid grid = density.Grid;
        int n0 = grid.Cells[0];
        int n1 = grid.Cells[1];
        int f0 = (n0 + MaxHeatMapCells - 1) / MaxHeatMapCells;
        int f1 = (n1 + MaxHeatMapCells - 1) / MaxHeatMapCells;
        int b0 = (n0 + f0 - 1) / f0;
        int b1 = (n1 + f1 - 1) / f1;
        var intensities = new double[b1, b0];
        for (int k0 = 0; k0 < b0; k0++)
        {
            for (int k1 = 0; k1 < b1; k1++)
            {
                double sum = 0;
                int count = 0;
                for (int i0 = k0 * f0; i0 < Math.Min(n0, (k0 + 1) * f0); i0++)
                {
                    for (int i1 = k1 * f1; i1 < Math.Min(n1, (k1 + 1) * f1); i1++)
                    {
                        sum += density.Density(grid.Index(i0, i1));
                        count++;
                    }
                }

                intensities[b1 - 1 - k1, k0] = sum / count;
            }
        }

        var plot = new Plot();
        var map = plot.Add.Heatmap(intensities);
        map.Rectangle = new CoordinateRect(grid.Lower[0], grid.Upper[0], grid.Lower[1], grid.Upper[1]);
        // The colour bar measures its tick labels on a guessed 400-pixel axis: at most 6 ticks keep the labels it draws on
        // the real axis as wide as those it measured, so that its label clears them.
        var colourBar = plot.Add.ColorBar(map);
        colourBar.Label = f0 * f1 == 1 ? "density p(x0, x1)" : $"density p(x0, x1), mean over {f0} × {f1} cells";
        colourBar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { MaxTickCount = 6 };
        plot.Title(title);
        plot.XLabel("x0");
        plot.YLabel("x1");
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(800, 700, ImageFormat.Png));
    }
}
