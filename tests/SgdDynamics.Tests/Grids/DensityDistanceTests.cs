using SgdDynamics.Grids;
using SgdDynamics.Output;

namespace SgdDynamics.Tests.Grids;

public class DensityDistanceTests
{
    private static UniformGrid Line(double lower, double upper, int cells) => new([lower], [upper], [cells]);

    private static GridDensity Cell(UniformGrid grid, int cell)
    {
        var density = new GridDensity(grid);
        density.Mass[cell] = 1;
        return density;
    }

    [Fact]
    public void IdenticalDensitiesAreAtDistanceZero()
    {
        var grid = Line(-3, 3, 60);
        var p = GridDensity.Gaussian(grid, [0.2], new[,] { { 0.5 } });

        Assert.Equal(0.0, DensityDistance.TotalVariation(p, p.Copy()), 15);
        Assert.Equal(0.0, DensityDistance.KullbackLeibler(p, p.Copy()));
        Assert.Equal(0.0, DensityDistance.Wasserstein1(p, p.Copy()), 15);
    }

    [Theory]
    [InlineData(10, 11)]
    [InlineData(10, 17)]
    [InlineData(39, 0)]
    public void ShiftedPointMassesAreTheShiftApartInW1AndDisjointInTv(int a, int b)
    {
        var grid = Line(-2, 2, 40);
        var p = Cell(grid, a);
        var q = Cell(grid, b);

        Assert.Equal(Math.Abs(a - b) * grid.Spacing[0], DensityDistance.Wasserstein1(p, q), 12);
        Assert.Equal(1.0, DensityDistance.TotalVariation(p, q));
        Assert.Equal(double.PositiveInfinity, DensityDistance.KullbackLeibler(p, q));
    }

    [Fact]
    public void SplitMassesGiveTheExactPiecewiseLinearCdfIntegral()
    {
        // p: all mass in cell 0; q: half in cell 0 and half in cell 1 (h = 1). F_p − F_q rises to ½ over cell 0, falls to 0
        // over cell 1: ∫|ΔF| = ½·½ + ½·½ = 0.5 — the mean shift of the half that moved by one cell.
        var grid = Line(0, 4, 4);
        var p = Cell(grid, 0);
        var q = new GridDensity(grid);
        q.Mass[0] = 0.5;
        q.Mass[1] = 0.5;

        Assert.Equal(0.5, DensityDistance.Wasserstein1(p, q), 15);
        Assert.Equal(0.5, DensityDistance.TotalVariation(p, q), 15);
        Assert.Equal(Math.Log(2), DensityDistance.KullbackLeibler(p, q), 15);
        Assert.Equal(double.PositiveInfinity, DensityDistance.KullbackLeibler(q, p));
    }

    [Fact]
    public void CrossingCdfsUseTheSignChangeFormula()
    {
        // One cell (h = 2): p = q on the cell, so ΔF goes 0 → 0; then a two-cell case where ΔF goes +a → −b inside a cell.
        var grid = Line(0, 2, 2);
        var p = new GridDensity(grid);
        p.Mass[0] = 0.75;
        p.Mass[1] = 0.25;
        var q = new GridDensity(grid);
        q.Mass[0] = 0.25;
        q.Mass[1] = 0.75;

        // ΔF at edges: 0, 0.5, 0 → W1 = ½·0.5 + ½·0.5 = 0.5 (h = 1).
        Assert.Equal(0.5, DensityDistance.Wasserstein1(p, q), 15);

        var r = new GridDensity(Line(0, 3, 3));
        r.Mass[0] = 0.5;
        r.Mass[1] = 0;
        r.Mass[2] = 0.5;
        var s = new GridDensity(Line(0, 3, 3));
        s.Mass[0] = 0;
        s.Mass[1] = 1;
        s.Mass[2] = 0;

        // ΔF: 0, 0.5, −0.5, 0; the middle cell crosses zero: (0.25 + 0.25)/(2·1) = 0.25; outer cells 0.25 each.
        Assert.Equal(0.75, DensityDistance.Wasserstein1(r, s), 15);
    }

    [Fact]
    public void LostMassIsTheOutsideAtom()
    {
        var grid = Line(0, 1, 10);
        var p = Cell(grid, 3);
        var q = new GridDensity(grid) { LostMass = 0.5 };
        q.Mass[3] = 0.5;

        Assert.Equal(0.5, DensityDistance.TotalVariation(p, q), 15);
        Assert.Equal(Math.Log(2), DensityDistance.KullbackLeibler(p, q), 15);
        Assert.Equal(double.PositiveInfinity, DensityDistance.KullbackLeibler(q, p));
        Assert.Equal(0.0, DensityDistance.Wasserstein1(p, q), 15); // conditioned to the box, both sit in cell 3
    }

    [Fact]
    public void DisjointLawsHaveTotalVariationOne()
    {
        var grid = Line(0, 1, 10);
        var p = new GridDensity(grid);
        p.Mass[0] = 0.5;
        p.Mass[1] = 0.5;
        var q = new GridDensity(grid);
        q.Mass[8] = 0.25;
        q.Mass[9] = 0.75;

        Assert.Equal(1.0, DensityDistance.TotalVariation(p, q));
    }

    [Fact]
    public void GaussianAgainstShiftedGaussianMatchesTheAnalyticKlAndW1()
    {
        // KL(N(μ₁, s²) ‖ N(μ₂, s²)) = (μ₁ − μ₂)²/(2s²); W1 between translates = |μ₁ − μ₂|.
        var grid = Line(-12, 12, 4800);
        double s2 = 1, shift = 0.5;
        var p = GridDensity.Gaussian(grid, [0.0], new[,] { { s2 } });
        var q = GridDensity.Gaussian(grid, [shift], new[,] { { s2 } });

        Assert.Equal(shift * shift / (2 * s2), DensityDistance.KullbackLeibler(p, q), 6);
        Assert.Equal(shift * shift / (2 * s2), DensityDistance.KullbackLeibler(q, p), 6);
        Assert.Equal(shift, DensityDistance.Wasserstein1(p, q), 6);

        // TV between translates: 2Φ(|Δμ|/(2s)) − 1.
        double tv = 2 * MathNet.Numerics.Distributions.Normal.CDF(0, 1, shift / 2) - 1;
        Assert.Equal(tv, DensityDistance.TotalVariation(p, q), 5);
    }

    [Fact]
    public void DifferentGridsAreRejected()
    {
        var p = Cell(Line(0, 1, 10), 0);
        var q = Cell(Line(0, 1, 11), 0);
        var r = Cell(Line(0, 1.5, 10), 0);

        Assert.Throws<ArgumentException>(() => DensityDistance.TotalVariation(p, q));
        Assert.Throws<ArgumentException>(() => DensityDistance.KullbackLeibler(p, r));
        Assert.Throws<ArgumentException>(() => DensityDistance.Wasserstein1(p, r));
        Assert.True(DensityDistance.SameGrid(p.Grid, Line(0, 1, 10)));
    }

    [Fact]
    public void Wasserstein1IsOneDimensionalOnly()
    {
        var grid = new UniformGrid([0, 0], [1, 1], [4, 4]);
        var p = Cell(grid, 0);

        Assert.Throws<ArgumentException>(() => DensityDistance.Wasserstein1(p, p));
        Assert.Equal(0.0, DensityDistance.TotalVariation(p, p));
    }

    [Fact]
    public void HistogramCountsCellsOutsideAndDiverged()
    {
        var grid = new UniformGrid([0, 0], [2, 1], [2, 2]);
        float[] samples =
        [
            0.5f, 0.25f,          // cell (0, 0)
            1.5f, 0.75f,          // cell (1, 1)
            2.0f, 1.0f,           // on the upper faces: cell (1, 1)
            0.0f, 0.9f,           // cell (0, 1)
            2.5f, 0.5f,           // outside
            float.NaN, 0.5f,      // diverged
            0.5f, float.PositiveInfinity, // diverged
            -0.1f, 0.5f,          // outside
        ];

        var h = GridDensity.Histogram(grid, samples, out long outside, out long diverged);

        Assert.Equal(2, outside);
        Assert.Equal(2, diverged);
        Assert.Equal([1 / 8.0, 1 / 8.0, 0, 2 / 8.0], h.Mass);
        Assert.Equal(4 / 8.0, h.LostMass);
        Assert.Throws<ArgumentException>(() => GridDensity.Histogram(grid, [1f, 2f, 3f], out _, out _));
    }

    [Fact]
    public void DensityCsvRoundTripsExactly()
    {
        var grid1 = Line(-1.1, 2.3, 17);
        var p = GridDensity.Gaussian(grid1, [0.3], new[,] { { 0.7 } });
        p.LostMass = 1.25e-7;
        var grid2 = new UniformGrid([-1, 0.5], [1, 2], [5, 7]);
        var q = GridDensity.Gaussian(grid2, [0, 1], new[,] { { 0.3, 0.1 }, { 0.1, 0.2 } });

        foreach (var (density, step) in new[] { (p, 12), (q, 0) })
        {
            var text = DensityCsv.Format(density, step, step * 0.1, "test", [new("samples", "7")]);
            var read = DensityCsv.Parse(text, "mem");

            Assert.True(DensityDistance.SameGrid(density.Grid, read.Density.Grid));
            Assert.Equal(density.Mass, read.Density.Mass);
            Assert.Equal(density.LostMass, read.Density.LostMass);
            Assert.Equal(step, read.Step);
            Assert.Equal("7", read.Header["samples"]);
            Assert.Equal("test", read.Header["source"]);
        }

        string header = DensityCsv.Format(q, 0, 0, "test").Split('\n').First(l => !l.StartsWith('#'));
        Assert.Equal("x0,x1,density,mass", header);
    }

    [Theory]
    [InlineData("x,density\n0,1\n")]
    [InlineData("# sgdyn-density: 1\n# lower: 0\n# upper: 1\n# cells: 2\nx,density,mass\n0.25,1,0.5\n")]
    [InlineData("# sgdyn-density: 1\n# lower: 0\n# upper: 1\n# cells: 2\nx,density,mass\n0.25,1,0.5\n0.75,1,abc\n")]
    [InlineData("# sgdyn-density: 1\n# lower: 0\n# cells: 2\nx,density,mass\n0.25,1,0.5\n0.75,1,0.5\n")]
    public void MalformedDensityCsvIsRejected(string text)
    {
        Assert.Throws<InvalidDataException>(() => DensityCsv.Parse(text, "bad.csv"));
    }
}
