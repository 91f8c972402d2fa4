using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class GibbsDensityTests
{
    [Theory]
    [InlineData(1.5, 0.2, 0.7)]
    [InlineData(0.4, 0.05, 2.0)]
    [InlineData(3.0, 0.5, 0.1)]
    public void QuadraticLossGivesTheLangevinGaussian(double lambda, double eta, double s2)
    {
        double variance = QuadraticMomentTheory.LangevinStationaryVariance1D(eta, lambda, s2);
        Assert.Equal(eta * s2 / (2.0 * lambda), variance, 1e-15);
        double std = Math.Sqrt(variance);
        var gibbs = GibbsDensity.OneDimensional(x => 0.5 * lambda * x * x, eta, s2, -15.0 * std, 15.0 * std);
        Assert.Equal(eta * s2 / 2.0, gibbs.Temperature, 1e-15);
        Assert.Equal(0.5 * Math.Log(2.0 * Math.PI * variance), gibbs.LogNormaliser, 1e-12);

        for (double u = -6.0; u <= 6.0; u += 0.25)
        {
            double x = u * std;
            double normal = Math.Exp(-0.5 * u * u) / Math.Sqrt(2.0 * Math.PI * variance);
            Assert.True(Math.Abs(gibbs.Density(x) / normal - 1.0) < 1e-8, $"x = {x}: {gibbs.Density(x)} vs {normal}");
        }

        Assert.True(Math.Abs(gibbs.Mean) < 1e-10 * std);
        Assert.True(Math.Abs(gibbs.Variance / variance - 1.0) < 1e-8);
        Assert.Equal(0.0, gibbs.Density(16.0 * std));
    }

    [Fact]
    public void DoubleWellDensityNormalisesToOne()
    {
        // L = (x² − 1)² / 4, T = η σ² / 2 = 0.25
        static double Loss(double x) => 0.25 * (x * x - 1.0) * (x * x - 1.0);
        var gibbs = GibbsDensity.OneDimensional(Loss, 0.5, 1.0, -4.0, 4.0);
        Assert.Equal(0.25, gibbs.Temperature, 1e-15);

        // an independent composite Gauss–Legendre rule
        double total = 0.0;
        const int pieces = 400;
        for (int p = 0; p < pieces; p++)
        {
            double a = -4.0 + 8.0 * p / pieces, b = -4.0 + 8.0 * (p + 1) / pieces;
            total += MathNet.Numerics.Integrate.GaussLegendre(gibbs.Density, a, b, 32);
        }
        Assert.Equal(1.0, total, 1e-10);
        Assert.Equal(1.0, gibbs.Probability(-10.0, 10.0), 1e-12);
        Assert.Equal(0.5, gibbs.Probability(0.0, 4.0), 1e-12);
        Assert.True(Math.Abs(gibbs.Mean) < 1e-12);

        // p(1) / p(0) = exp((L(0) − L(1)) / T) = e
        Assert.Equal(Math.E, gibbs.Density(1.0) / gibbs.Density(0.0), 1e-13);
        Assert.Equal(gibbs.Density(-1.0), gibbs.Density(1.0), 1e-14);
        var grid = new[] { -1.0, 0.0, 1.0 };
        Assert.Equal(grid.Select(gibbs.Density), gibbs.Density(grid));
    }

    [Fact]
    public void MultiDimensionalLogDensityIsMinusTwoLossOverEtaSigmaSquared()
    {
        static double Loss(double[] x) => 0.5 * (2.0 * x[0] * x[0] + x[1] * x[1]) + 0.3 * x[0] * x[1];
        var gibbs = new GibbsDensity(Loss, 0.1, 0.8);
        double[] point = [0.7, -1.2];
        Assert.Equal(-2.0 * Loss(point) / (0.1 * 0.8), gibbs.LogUnnormalisedDensity(point), 1e-13);
        Assert.Equal(0.04, gibbs.Temperature, 1e-16);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => GibbsDensity.OneDimensional(x => x * x, 0.1, 1.0, 1.0, -1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GibbsDensity.OneDimensional(x => x * x, 0.0, 1.0, -1.0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GibbsDensity.OneDimensional(x => x * x, 0.1, -1.0, -1.0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GibbsDensity(x => x[0], 0.1, 0.0));
    }
}
