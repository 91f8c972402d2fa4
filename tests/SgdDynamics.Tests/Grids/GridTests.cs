using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Grids;

public class GridTests
{
    [Fact]
    public void CellCentresAndFlatIndicesFollowTheRowMajorLayout()
    {
        var grid = new UniformGrid([-1.0, 0.0], [1.0, 3.0], [4, 3]);
        Assert.Equal(12, grid.Count);
        Assert.Equal(0.5, grid.Spacing[0], 15);
        Assert.Equal(1.0, grid.Spacing[1], 15);
        Assert.Equal(0.5, grid.CellVolume, 15);
        Span<double> x = stackalloc double[2];
        grid.Centre(grid.Index(2, 1), x);
        Assert.Equal(0.25, x[0], 15);
        Assert.Equal(1.5, x[1], 15);
        Assert.Equal(7, grid.Index(2, 1));
    }

    [Theory]
    [InlineData(new double[] { 1.0 }, new double[] { 0.0 }, new int[] { 8 })]
    [InlineData(new double[] { 0.0 }, new double[] { 1.0 }, new int[] { 1 })]
    [InlineData(new double[] { 0.0, 0.0 }, new double[] { 1.0 }, new int[] { 8, 8 })]
    public void InconsistentGridsAreRejected(double[] lower, double[] upper, int[] cells) =>
        Assert.Throws<ArgumentException>(() => new UniformGrid(lower, upper, cells));

    [Fact]
    public void PointMassSitsInTheCellHoldingThePoint()
    {
        var grid = new UniformGrid([-2.0], [2.0], [8]);
        GridDensity density = GridDensity.PointMass(grid, [0.3]);
        Assert.Equal(1.0, density.TotalMass, 15);
        Assert.Equal(1.0, density.Mass[4], 15);
        Assert.Equal(0.25, density.Mean()[0], 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => GridDensity.PointMass(grid, [2.5]));
    }

    /// <summary>A Gaussian sampled at cell centres has mean and covariance equal to N(μ, C) up to O(h²) (h²/12 per axis from the cells).</summary>
    [Fact]
    public void GaussianDensityHasTheRequestedMoments()
    {
        var grid = new UniformGrid([-6.0, -6.0], [6.0, 6.0], [240, 240]);
        GridDensity density = GridDensity.Gaussian(grid, [0.5, -0.25], new[,] { { 1.0, 0.3 }, { 0.3, 0.5 } });
        Assert.Equal(1.0, density.TotalMass, 12);
        double[] mean = density.Mean();
        double[,] covariance = density.Covariance();
        Assert.Equal(0.5, mean[0], 6);
        Assert.Equal(-0.25, mean[1], 6);
        Assert.Equal(1.0, covariance[0, 0], 3);
        Assert.Equal(0.3, covariance[0, 1], 3);
        Assert.Equal(0.5, covariance[1, 1], 3);
    }

    [Fact]
    public void LandscapesGiveGradientsNoiseAndLoss()
    {
        Problem problem = ProblemBuilder.Quadratic(new[,] { { 2.0, 0.5 }, { 0.5, 1.0 } }, new[,] { { 1.0, 0.3 }, { 0.3, 0.5 } }, 0.1, [0.0, 0.0],
            linearTerm: [0.1, 0.0], curvatureNoiseStd: [0.3, 0.0]);
        GridLandscape quadratic = GridLandscape.From(problem.Quadratic);
        double[] x = [1.0, -2.0];
        var g = new double[2];
        var sigma = new double[4];
        quadratic.MeanGradient(x, g);
        quadratic.NoiseCovariance(x, sigma);
        Assert.Equal(2.0 - 1.0 + 0.1, g[0], 15);
        Assert.Equal(0.5 - 2.0, g[1], 15);
        Assert.Equal(1.0 + 0.09, sigma[0], 15);
        Assert.Equal(0.3, sigma[1], 15);
        Assert.Equal(0.5, sigma[3], 15);
        Assert.Equal(0.5 * (2.0 - 2 * 0.5 * 2.0 + 4.0) + 0.1, quadratic.Loss(x), 15);

        GridLandscape well = GridLandscape.DoubleWell(0.2);
        var g1 = new double[1];
        well.MeanGradient([2.0], g1);
        Assert.Equal(6.0, g1[0], 15);
        Assert.Equal(2.25, well.Loss([2.0]), 15);

        GridLandscape ring = GridLandscape.RingValley(2.0, 0.1);
        ring.MeanGradient([3.0, 4.0], g);
        Assert.Equal(2.0 * 24 * 3.0, g[0], 12);
        Assert.Equal(2.0 * 24 * 4.0, g[1], 12);
        Assert.Equal(2.0 * 576 / 4, ring.Loss([3.0, 4.0]), 12);
    }
}
