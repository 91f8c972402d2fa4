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
        double d = RingValleyDiffusion.AngularDiffusionFirstOrder([1.0], [1.0], curvature: 2, noiseStd: sigma, learningRate: eta);
        Assert.Equal(RingValleyDiffusion.LeadingOrder(sigma, eta), d, 2 * eta * eta * sigma * sigma * RingValleyDiffusion.LeadingOrder(sigma, eta));
        Assert.Throws<ArgumentException>(() => RingValleyDiffusion.AngularDiffusionFirstOrder([1.0], [0.0], 1, 1, 0.1));
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
        double d = RingValleyDiffusion.AngularDiffusionFirstOrder(radii, weights, lambda, sigma, eta);
        Assert.InRange(d / RingValleyDiffusion.LeadingOrder(sigma, eta), 0.99, 1.01);
    }
}

public class RingValleyAngularDiffusionExactTests
{
    [Fact]
    public void ExactCoefficientMatchesADoublePrecisionSimulation()
    {
        // λ = σ = 1, η = 0.1: the tilted-kernel eigenvalue gives D_θ ≈ 0.0581, the first-order formula ≈ 0.0599, ησ²/2 = 0.05.
        // Simulation: 20 independent batches of 20000 trajectories from (1, 0); per batch D = −ln(m₃₀₀/m₁₀₀)/(200η) with
        // m_k the mean of cos θ_k (the radius has relaxed by step 100: radial contraction 0.8 per step). SE = sd/√20 over
        // batches; bound 5 SE (Student-t(19) false-alarm rate ≈ 1e-4).
        double lambda = 1, sigma = 1, eta = 0.1;
        double exact = RingValleyDiffusion.AngularDiffusionExact(lambda, sigma, eta, 3, 600);
        var (radii, weights, _) = RingValleyDiffusion.StationaryRadialLaw(lambda, sigma, eta, 3, 600);
        double firstOrder = RingValleyDiffusion.AngularDiffusionFirstOrder(radii, weights, lambda, sigma, eta);

        const int batches = 20, perBatch = 20_000;
        var estimates = new double[batches];
        for (int b = 0; b < batches; b++)
        {
            var rng = new Random(1000 + b);
            var x = Enumerable.Repeat(1.0, perBatch).ToArray();
            var y = new double[perBatch];
            double early = 0;
            for (int k = 0; k < 300; k++)
            {
                if (k == 100)
                {
                    early = MeanCosine(x, y);
                }

                for (int i = 0; i < perBatch; i++)
                {
                    double f = lambda * (x[i] * x[i] + y[i] * y[i] - 1);
                    double z1 = Normal.Sample(rng, 0, 1), z2 = Normal.Sample(rng, 0, 1);
                    x[i] -= eta * (f * x[i] + sigma * z1);
                    y[i] -= eta * (f * y[i] + sigma * z2);
                }
            }

            estimates[b] = -Math.Log(MeanCosine(x, y) / early) / (200 * eta);
        }

        double mean = estimates.Average();
        double se = Math.Sqrt(estimates.Sum(e => (e - mean) * (e - mean)) / (batches - 1) / batches);
        Assert.InRange(exact - mean, -5 * se, 5 * se);

        // The deterministic gaps the class remarks state: first order 3% above, ησ²/2 14% below the exact value.
        Assert.InRange(firstOrder / exact - 1, 0.025, 0.035);
        Assert.InRange(1 - RingValleyDiffusion.LeadingOrder(sigma, eta) / exact, 0.13, 0.15);
    }

    private static double MeanCosine(double[] x, double[] y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] / Math.Sqrt(x[i] * x[i] + y[i] * y[i]);
        }

        return sum / x.Length;
    }
}
