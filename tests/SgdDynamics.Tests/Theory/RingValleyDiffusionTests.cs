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

public class RingValleyRadialLawTests
{
    [Fact]
    public void SmallNoiseRadialLawIsTheLinearisedOne()
    {
        // Near r = 1 the radial map is r' ≈ 1 + (1 − 2ηλ)(r − 1) + ησξ_r (+ O(s²/r) Rice drift), so the radial variance is
        // ησ²/(2λ'(2 − ηλ')) with λ' = 2λ, up to O(ησ²) anharmonic and Rice corrections; with ησ² = 0.002 they are below 2%.
        double lambda = 1, sigma = 0.2, eta = 0.05;
        var (radii, weights, escape) = RingValleyDiffusion.StationaryRadialLaw(lambda, sigma, eta, 2, 800);
        Assert.True(escape < 1e-12);
        Assert.Equal(1, weights.Sum(), 12);
        double mean = radii.Zip(weights, (r, w) => r * w).Sum();
        double variance = radii.Zip(weights, (r, w) => (r - mean) * (r - mean) * w).Sum();
        double linear = eta * sigma * sigma / (2 * lambda * (2 - 2 * eta * lambda));
        Assert.Equal(1, mean, 0.01);
        Assert.InRange(variance / linear, 0.98, 1.02);
        double d = RingValleyDiffusion.AngularDiffusion(radii, weights, lambda, sigma, eta);
        Assert.InRange(d / RingValleyDiffusion.LeadingOrder(sigma, eta), 0.99, 1.01);
    }
}
