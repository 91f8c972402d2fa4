using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Tests.Ensembles;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

/// <summary>
/// The one-step noise law of the fluctuating landscape: the exact law of one mode A·u·c (distribution function, density,
/// support), the lattice law of the sum (mass 1, variance Σ A²/6 up to the lattice's rounding), and the engine's one-step
/// ensemble against it — a Kolmogorov–Smirnov test, from two starting points, which also shows that the law does not
/// depend on x.
/// </summary>
[Collection(EnsembleCollection.Name)]
public class FluctuatingNoiseLawTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void OneModeHasTheExactDistributionFunctionAndDensity(double amplitude)
    {
        Assert.Equal(0.0, FluctuatingNoiseLaw.ModeCdf(-amplitude, amplitude), 15);
        Assert.Equal(0.5, FluctuatingNoiseLaw.ModeCdf(0, amplitude), 15);
        Assert.Equal(1.0, FluctuatingNoiseLaw.ModeCdf(amplitude, amplitude), 15);
        Assert.Equal(1.0, FluctuatingNoiseLaw.ModeCdf(3 * amplitude, amplitude), 15);
        foreach (double r in new[] { 0.01, 0.2, 0.5, 0.9, 0.99 })
        {
            // the density artanh(√(1 − r²))/(πA) as the central difference of the distribution function
            double y = r * amplitude, dy = 1e-6 * amplitude;
            double density = (FluctuatingNoiseLaw.ModeCdf(y + dy, amplitude) - FluctuatingNoiseLaw.ModeCdf(y - dy, amplitude)) / (2 * dy);
            double expected = Math.Atanh(Math.Sqrt(1 - (r * r))) / (Math.PI * amplitude);
            Assert.Equal(expected, density, 6 - (int)Math.Ceiling(Math.Log10(expected + 1)));
            Assert.Equal(1 - FluctuatingNoiseLaw.ModeCdf(-y, amplitude), FluctuatingNoiseLaw.ModeCdf(y, amplitude), 14);
        }
    }

    [Fact]
    public void TheLatticeLawHasMassOneAndTheExactVarianceUpToItsRounding()
    {
        double[] amplitudes = [0.5, 0.125, 0.05555555555555555, 0.03125];
        double h = 1e-4;
        FluctuatingNoiseLaw law = FluctuatingNoiseLaw.Of(amplitudes, h);
        Assert.Equal(1.0, law.Masses.Sum(), 12);
        double variance = law.Masses.Select((m, i) => m * Math.Pow((i - law.HalfWidth) * h, 2)).Sum();
        Assert.Equal(amplitudes.Sum(a => a * a) / 6, law.Variance, 15);

        // each rounded term L_k = Y_k + δ_k, |δ_k| ≤ h/2: |Var L_k − Var Y_k| ≤ 2σ_k h/2 + h²/4
        double bound = amplitudes.Sum(a => (Math.Sqrt(a * a / 6) * h) + (h * h / 4));
        Assert.True(Math.Abs(variance - law.Variance) <= bound, $"lattice variance {variance:R}, exact {law.Variance:R}, bound {bound:E2}");
        Assert.Equal(0.0, law.Cdf(-0.8));
        Assert.Equal(1.0, law.Cdf(0.8));
        Assert.Equal(0.5, law.Cdf(-h / 2) + (law.Masses[law.HalfWidth] / 2), 12);
    }

    [Theory]
    [InlineData(0.4)]
    [InlineData(-1.1)]
    public void OneEnsembleStepFollowsTheLawOfTheNoiseAtEveryStart(double x0)
    {
        // One SGD step of η = 0.1 from x0 on m = 4x³ − 0.6x + 0.15, e = 1 + 0.1x², A = (0.5, 0.125, 0.0556), P = 2:
        // S = (x0 − η m(x0) − x1)/(η e(x0)) over 2^19 trajectories against the lattice law (h = 2e-5). Kolmogorov–Smirnov
        // at level 0.001: √n·sup|F_n − F| < 1.949, widened by √n times the largest lattice displacement bound
        // F_L(s + Kh/2) − F_L(s − Kh/2) (about 1e-4 here); the float rounding of x1 moves S by about 1e-5 h-units.
        var landscape = new FluctuatingLandscapeSpec(
            Vector<double>.Build.DenseOfArray([0.15, -0.6, 0, 4]),
            Vector<double>.Build.DenseOfArray([1, 0, 0.1]),
            Vector<double>.Build.DenseOfArray([0.5, 0.125, 0.05555555555555555]),
            2.0);
        const double eta = 0.1;
        const int n = 1 << 19;
        Problem problem = ProblemBuilder.Of(landscape, new SgdSpec(eta), [x0]);
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(n, steps: 1, seed: 8, new RecordSpec(1)), backend, keepFinalStates: true);
        float x = (float)x0;
        double shift = x - (eta * landscape.MeanGradientAt(x));
        double scale = eta * landscape.EnvelopeAt(x);
        double[] s = [.. Enumerable.Range(0, n).Select(t => (shift - result.FinalState(t)[0]) / scale).Order()];

        FluctuatingNoiseLaw law = FluctuatingNoiseLaw.Of(landscape.Amplitudes.ToArray(), 2e-5);
        double d = 0, displacement = 0;
        for (int i = 0; i < n; i++)
        {
            double f = law.Cdf(s[i]);
            d = Math.Max(d, Math.Max(((i + 1.0) / n) - f, f - ((double)i / n)));
            displacement = Math.Max(displacement, law.Cdf(s[i] + law.CdfErrorBound) - law.Cdf(s[i] - law.CdfErrorBound));
        }

        double statistic = Math.Sqrt(n) * d;
        double critical = 1.949 + (Math.Sqrt(n) * displacement);
        Assert.True(statistic < critical, $"x0 = {x0}: √n·D = {statistic:F3} ≥ {critical:F3} (lattice displacement {displacement:E2})");
    }
}
