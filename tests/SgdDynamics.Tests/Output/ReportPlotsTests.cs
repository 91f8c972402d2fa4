using System.Buffers.Binary;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Output;

/// <summary>
/// <see cref="ReportPlots"/> and <see cref="DensityPlots"/>: the residuals drawn beneath a plot, the ticks of a log axis,
/// the choice of 1-D density snapshots (log-spaced in time, one curve per visibly different density), and the files written.
/// </summary>
public sealed class ReportPlotsTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Residuals_AreMeasuredOverPredictedMinusOne_WithErrorsScaledByThePrediction()
    {
        ReportPlots.Points r = ReportPlots.Residuals("r", [0.1, 0.2, 0.5], [1.1, 0.18, -0.5], [0.05, 0.01, 0.2], [1.0, 0.2, -0.25]);

        Assert.Equal([0.1, 0.2, 0.5], r.X);
        Assert.Equal(0.1, r.Y[0], 12);
        Assert.Equal(-0.1, r.Y[1], 12);
        Assert.Equal(1.0, r.Y[2], 12); // −0.5 / −0.25 − 1
        Assert.Equal(0.05, r.Error[0], 12);
        Assert.Equal(0.05, r.Error[1], 12);
        Assert.Equal(0.8, r.Error[2], 12); // SE / |prediction|: an error bar is never negative
    }

    [Fact]
    public void Residuals_WithoutARatio_AreRefused()
    {
        var zero = Assert.Throws<ArgumentException>(() => ReportPlots.Residuals("r", [1, 2], [1, 1], [0.1, 0.1], [1, 0]));
        Assert.Contains("at x = 2", zero.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ReportPlots.Residuals("r", [1, 2], [1, 1], [0.1, 0.1], [1, double.NaN]));
        Assert.Throws<ArgumentException>(() => ReportPlots.Residuals("r", [1, 2], [1], [0.1, 0.1], [1, 1]));
    }

    [Fact]
    public void LogTicks_LabelOneTwoFiveInTheDataUnits_WithMinorTicksBetween()
    {
        // [0.035, 2.5]: majors at 1, 2, 5 × 10^k; minors at the other mantissas.
        var ticks = ReportPlots.LogTicks(Math.Log10(0.035), Math.Log10(2.5));
        var majors = ticks.Where(t => t.IsMajor).ToArray();

        Assert.Equal(["0.05", "0.1", "0.2", "0.5", "1", "2"], majors.Select(t => t.Label));
        Assert.Equal(Math.Log10(0.2), majors[2].Position, 12);
        Assert.Contains(ticks, t => !t.IsMajor && Math.Abs(t.Position - Math.Log10(0.3)) < 1e-12);
        Assert.All(ticks, t => Assert.InRange(t.Position, Math.Log10(0.035), Math.Log10(2.5)));

        // About a decade: more mantissas labelled.
        Assert.Equal(["0.04", "0.05", "0.06", "0.08", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"],
            ReportPlots.LogTicks(Math.Log10(0.04), Math.Log10(0.6)).Where(t => t.IsMajor).Select(t => t.Label));

        // Many decades: decades only, far ones with an exponent; beyond 12 decades every second (third…) one.
        var wide = ReportPlots.LogTicks(-7.5, 4.2).Where(t => t.IsMajor).Select(t => t.Label).ToArray();
        Assert.Equal(["10⁻⁷", "10⁻⁶", "10⁻⁵", "10⁻⁴", "0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000"], wide);
        var wider = ReportPlots.LogTicks(-33.5, -1.5).Where(t => t.IsMajor).Select(t => t.Label).ToArray();
        Assert.Equal(["10⁻³³", "10⁻³⁰", "10⁻²⁷", "10⁻²⁴", "10⁻²¹", "10⁻¹⁸", "10⁻¹⁵", "10⁻¹²", "10⁻⁹", "10⁻⁶", "0.001"], wider);

        // Within one mantissa step the ends are labelled.
        Assert.Equal(2, ReportPlots.LogTicks(Math.Log10(1.1), Math.Log10(1.15)).Count(t => t.IsMajor));
        Assert.Throws<ArgumentException>(() => ReportPlots.LogTicks(1, 1));
    }

    [Fact]
    public void SaveWithResiduals_WritesOneImageOfBothPanels()
    {
        double[] eta = [0.05, 0.1, 0.2];
        double[] measured = [0.026, 0.052, 0.11];
        double[] predicted = [0.0256, 0.0526, 0.111];
        string path = dir["residuals.png"];
        ReportPlots.SaveWithResiduals(
            path, "title", "η", "variance",
            [new ReportPlots.Points("measured", eta, measured, [0.001, 0.001, 0.002])],
            [new ReportPlots.Curve("predicted", eta, predicted)],
            "measured / predicted − 1",
            [ReportPlots.Residuals("residual", eta, measured, [0.001, 0.001, 0.002], predicted)],
            [],
            ReportPlots.Scale.Log,
            ReportPlots.Scale.Log);

        Assert.Equal((ReportPlots.Width, ReportPlots.Height + ReportPlots.ResidualHeight), PngSize(path));
    }

    [Fact]
    public void Save_OnALogAxis_KeepsPointsBelowZeroOutButSaysSo()
    {
        string path = dir["log.png"];
        ReportPlots.Save(path, "title", "x", "y", [new ReportPlots.Points("gap", [1, 2, 3], [0.1, -0.2, 0.3], [0.05, 0.05, 0.5])], [], ReportPlots.Scale.Log, ReportPlots.Scale.Log);

        Assert.Equal((ReportPlots.Width, ReportPlots.Height), PngSize(path));
    }

    [Fact]
    public void LogSpaced_PicksTheRecordsNearestLogSpacedTimes_AlwaysTheFirstAndTheLast()
    {
        int[] steps = [.. Enumerable.Range(0, 101).Select(k => 10 * k)];

        // 0, then 7 targets 10·100^(j/6): 10, 21.5, 46.4, 100, 215, 464, 1000.
        Assert.Equal([0, 10, 20, 50, 100, 220, 460, 1000], DensityPlots.LogSpaced(steps));
        Assert.Equal([0, 10, 1000], DensityPlots.LogSpaced(steps, 3));

        // Few records: all of them; sparse early records: fewer curves rather than repeated ones.
        Assert.Equal([0, 500, 1000], DensityPlots.LogSpaced([0, 500, 1000]));
        int[] sparse = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];
        IReadOnlyList<int> picked = DensityPlots.LogSpaced(sparse);
        Assert.Equal([0, 100, 200, 300, 500, 700, 1000], picked);
    }

    [Fact]
    public void Differing_DrawsEachDensityThatMovedByALineWidth_AndOneCurveForAStationaryTail()
    {
        // 4 cells of width 1/4: density = 4 × mass.
        var grid = new UniformGrid([0.0], [1.0], [4]);
        var snapshots = new (GridRecord, GridDensity)[]
        {
            Snapshot(grid, 0, [1, 0, 0, 0]),
            Snapshot(grid, 10, [0.5, 0.5, 0, 0]),
            Snapshot(grid, 20, [0.5, 0.5 - 4e-4, 4e-4, 0]), // 1.6e-3 from step 10
            Snapshot(grid, 40, [0.25, 0.25, 0.25, 0.25]),   // moved after a plateau: drawn
            Snapshot(grid, 80, [0.25, 0.25, 0.25 + 9e-4, 0.25 - 9e-4]), // 3.6e-3 from step 40
            Snapshot(grid, 160, [0.25, 0.25, 0.25 + 7e-4, 0.25 - 7e-4]), // 2.8e-3 from step 40, 8e-4 from step 80
        };
        Assert.Equal(1.6e-3, DensityPlots.LargestDifference(snapshots[1].Item2, snapshots[2].Item2), 12);

        IReadOnlyList<DensityPlots.Drawn> drawn = DensityPlots.Differing(snapshots, 0.01);

        Assert.Equal([0, 10, 40], drawn.Select(d => d.Record.Step));
        Assert.Equal([0, 20, 160], drawn.Select(d => d.Through.Step));

        // A tighter tolerance keeps steps 20 and 80; step 160 stays within it of step 80.
        Assert.Equal([0, 10, 20, 40, 80], DensityPlots.Differing(snapshots, 1.5e-3).Select(d => d.Record.Step));

        string path = dir["density.png"];
        DensityPlots.Lines(path, "title", snapshots);
        Assert.Equal((ReportPlots.Width, ReportPlots.Height), PngSize(path));
    }

    private static (GridRecord, GridDensity) Snapshot(UniformGrid grid, int step, double[] mass)
    {
        var density = new GridDensity(grid);
        mass.CopyTo(density.Mass, 0);
        return (new GridRecord(step, 0.5 * step, mass.Sum(), 0, density.Mean(), density.Covariance()), density);
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
