using ScottPlot;
using SgdDynamics.Grids;

namespace SgdDynamics.Output;

/// <summary>PNG plots of grid densities (ScottPlot, headless): line plots in 1-D, heat maps in 2-D.</summary>
public static class DensityPlots
{
    /// <summary>Most snapshots drawn per run (see <see cref="Thin"/>).</summary>
    public const int MaxPlotted = 8;

    /// <summary>
    /// The record steps to draw: all when there are at most <paramref name="max"/>, else <paramref name="max"/> of them
    /// evenly spread by index, always the first and the last.
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

    /// <summary>1-D: the densities (mass / cell width) at the cell centres, one line per snapshot, labelled by step and time.</summary>
    public static void Lines(string path, string title, IReadOnlyList<(GridRecord Record, GridDensity Density)> snapshots)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var plot = new Plot();
        double[] peaks = snapshots.Select(s => Enumerable.Range(0, s.Density.Grid.Count).Max(s.Density.Density)).ToArray();
        double rest = peaks.Skip(1).DefaultIfEmpty(0).Max();

        // A narrow start (a point mass) would flatten every later curve: clip it at the scale of the others.
        bool clipFirst = snapshots.Count > 1 && rest > 0 && peaks[0] > 3 * rest;
        for (int s = 0; s < snapshots.Count; s++)
        {
            var (record, density) = snapshots[s];
            UniformGrid grid = density.Grid;
            double[] x = Enumerable.Range(0, grid.Count).Select(i => grid.Centre(0, i)).ToArray();
            double[] y = Enumerable.Range(0, grid.Count).Select(density.Density).ToArray();
            var line = plot.Add.Scatter(x, y);
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = FormattableString.Invariant($"step {record.Step} (t = {record.Time:G4})") + (s == 0 && clipFirst ? " (clipped)" : "");
        }

        if (clipFirst)
        {
            plot.Axes.SetLimitsY(0, 1.15 * rest);
        }

        plot.Title(title);
        plot.XLabel("x");
        plot.YLabel("density");
        plot.ShowLegend(Alignment.UpperRight);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 600, ImageFormat.Png));
    }

    /// <summary>2-D: a heat map of the density over the box (x0 across, x1 up) with a colour bar.</summary>
    public static void HeatMap(string path, string title, GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        UniformGrid grid = density.Grid;
        int n0 = grid.Cells[0];
        int n1 = grid.Cells[1];
        var intensities = new double[n1, n0];
        for (int i0 = 0; i0 < n0; i0++)
        {
            for (int i1 = 0; i1 < n1; i1++)
            {
                intensities[n1 - 1 - i1, i0] = density.Density(grid.Index(i0, i1));
            }
        }

        var plot = new Plot();
        var map = plot.Add.Heatmap(intensities);
        map.Rectangle = new CoordinateRect(grid.Lower[0], grid.Upper[0], grid.Lower[1], grid.Upper[1]);
        plot.Add.ColorBar(map);
        plot.Title(title);
        plot.XLabel("x0");
        plot.YLabel("x1");
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(800, 700, ImageFormat.Png));
    }
}
