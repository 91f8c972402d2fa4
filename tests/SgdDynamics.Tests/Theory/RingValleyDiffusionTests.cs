using MathNet.Numerics.Distributions;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class RingValleyDiffusionTests
{
    [Theory]
    [InlineData(0.7)]
    [InlineData(2.0)]
    [InlineData(6.0)]
    public void OffsetNormalMeanCosineMatchesMonteCarlo(double a)
    {
        // 4·10⁶ samples of cos φ (|cos φ| ≤ 1): SE ≤ 1/√n = 5e-4; bound 5 SE.
        var rng = new Random(11);
        const int n = 4_000_000;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double x = a + Normal.Sample(rng, 0, 1), y = Normal.Sample(rng, 0, 1);
            sum += x / Math.Sqrt(x * x + y * y);
        }

        Assert.InRange(RingValleyDiffusion.OffsetNormalMeanCosine(a) - sum / n, -5.0 / Math.Sqrt(n), 5.0 / Math.Sqrt(n));
    }

    [Fact]
    public void OffsetNormalMeanCosineHasItsLimits()
    {
        Assert.Equal(0, RingValleyDiffusion.OffsetNormalMeanCosine(0));
        Assert.Equal(-RingValleyDiffusion.OffsetNormalMeanCosine(3), RingValleyDiffusion.OffsetNormalMeanCosine(-3), 15);

        // Large offset: 1 − 1/(2a²) + O(a⁻⁴), and no overflow of the Bessel functions at a = 10⁴.
        foreach (double a in new[] { 50.0, 1e4 })
        {
            Assert.Equal(1 - 1 / (2 * a * a), RingValleyDiffusion.OffsetNormalMeanCosine(a), 2 / Math.Pow(a, 4));
        }
    }

    [Fact]
    public void AngularDiffusionReducesToLeadingOrderOnTheRing()
    {
        // All mass at r = 1 (ρ = 1): D_θ = −ln C(1/(ησ))/η = ησ²/2 (1 + O(η²σ²)).
        double eta = 0.01, sigma = 1;
        double d = RingValleyDiffusion.AngularDiffusion([1.0], [1.0], curvature: 2, noiseStd: sigma, learningRate: eta);
        Assert.Equal(RingValleyDiffusion.LeadingOrder(sigma, eta), d, 2 * eta * eta * sigma * sigma * RingValleyDiffusion.LeadingOrder(sigma, eta));
        Assert.Throws<ArgumentException>(() => RingValleyDiffusion.AngularDiffusion([1.0], [0.0], 1, 1, 0.1));
    }
}
