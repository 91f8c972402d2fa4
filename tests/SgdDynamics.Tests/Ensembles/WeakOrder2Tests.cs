using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The weak order 2.0 substeps of the SDE models on a linear SDE with multiplicative noise, the fluctuating landscape
/// with mean gradient c₀ + c₁x and envelope e₀ + e₁x: <c>dX = −(c₀ + c₁X)dt + √η s(e₀ + e₁X) dW</c>, s² = Σ A_k²/6.
/// One substep of either scheme is <c>Y' = P(Y) + Q(Y) z + R(Y)(z² − 1)</c> with P, Q, R affine in Y (read off the scheme's
/// formula at z = 0, ±1), so its first two moments follow an exact recursion: the engine's ensemble matches it
/// (z-scores), and against the SDE's exact moments (a linear ODE) the recursion's error at a fixed time falls as δ² for
/// weak order 2 and as δ for Euler–Maruyama.
/// </summary>
[Collection(EnsembleCollection.Name)]
public class WeakOrder2Tests
{
    private const double C0 = 0.3, C1 = 1.5, E0 = 1.0, E1 = 0.6, Eta = 0.2;

    private static readonly FluctuatingLandscapeSpec Linear = new(
        Vector<double>.Build.DenseOfArray([C0, C1]),
        Vector<double>.Build.DenseOfArray([E0, E1]),
        Vector<double>.Build.DenseOfArray([0.6, 0.3]),
        2.0);

    private static readonly double S = Math.Sqrt((0.36 + 0.09) / 6);

    /// <summary>One substep of the scheme from y with normal z, in double (the kernel's formula).</summary>
    private static double Substep(bool weak, int m, double y, double z)
    {
        double delta = Eta / m, s = Eta / Math.Sqrt(m);
        double A(double x) => -(C0 + (C1 * x));
        double B(double x) => S * (E0 + (E1 * x));
        if (!weak)
        {
            return y + (delta * A(y)) + (s * B(y) * z);
        }

        double basePoint = y + (delta * A(y)), spread = s * B(y);
        double bar = basePoint + (spread * z), plus = B(basePoint + spread), minus = B(basePoint - spread);
        return y + (delta / 2 * (A(bar) + A(y))) + (s / 4 * (plus + minus + (2 * B(y))) * z) + (s / 4 * (plus - minus) * ((z * z) - 1));
    }

    /// <summary>Mean and second moment after <paramref name="substeps"/> substeps from the point x₀, exactly.</summary>
    private static (double Mean, double Second) SchemeMoments(bool weak, int m, double x0, int substeps)
    {
        // Y' = P + Qz + R(z² − 1), each affine: coefficient pairs (slope, intercept) from y = 0, 1 and z = 0, ±1
        (double Slope, double Intercept) Part(Func<double, double> f) => (f(1) - f(0), f(0));
        var p = Part(y => (Substep(weak, m, y, 1) + Substep(weak, m, y, -1)) / 2);
        var q = Part(y => (Substep(weak, m, y, 1) - Substep(weak, m, y, -1)) / 2);
        var r = Part(y => ((Substep(weak, m, y, 1) + Substep(weak, m, y, -1)) / 2) - Substep(weak, m, y, 0));
        double Square((double Slope, double Intercept) c, double m1, double m2) =>
            (c.Slope * c.Slope * m2) + (2 * c.Slope * c.Intercept * m1) + (c.Intercept * c.Intercept);
        double mean = x0, second = x0 * x0;
        for (int k = 0; k < substeps; k++)
        {
            double nextMean = (p.Slope * mean) + p.Intercept;
            second = Square(p, mean, second) + Square(q, mean, second) + (2 * Square(r, mean, second));
            mean = nextMean;
        }

        return (mean, second);
    }

    /// <summary>The SDE's exact mean and second moment at time T (RK4 on the moment ODEs, 20,000 steps).</summary>
    private static (double Mean, double Second) ExactMoments(double x0, double time)
    {
        double m1 = x0, m2 = x0 * x0, h = time / 20_000;
        (double, double) F(double a, double b) =>
            (-(C0 + (C1 * a)), (-2 * ((C0 * a) + (C1 * b))) + (Eta * S * S * ((E0 * E0) + (2 * E0 * E1 * a) + (E1 * E1 * b))));
        for (int i = 0; i < 20_000; i++)
        {
            var (k1a, k1b) = F(m1, m2);
            var (k2a, k2b) = F(m1 + (h / 2 * k1a), m2 + (h / 2 * k1b));
            var (k3a, k3b) = F(m1 + (h / 2 * k2a), m2 + (h / 2 * k2b));
            var (k4a, k4b) = F(m1 + (h * k3a), m2 + (h * k3b));
            m1 += h / 6 * (k1a + (2 * k2a) + (2 * k3a) + k4a);
            m2 += h / 6 * (k1b + (2 * k2b) + (2 * k3b) + k4b);
        }

        return (m1, m2);
    }

    [Fact]
    public void WeakOrder2ErrorFallsAsDeltaSquaredAndEulerMaruyamasAsDelta()
    {
        // 10 SGD steps (T = 10η = 2) from x₀ = 1.2 with m = 1, 2, 4, 8 substeps: the error of the second moment halves
        // (Euler–Maruyama) or quarters (weak order 2) with each doubling of m
        var exact = ExactMoments(1.2, 10 * Eta);
        foreach (bool weak in new[] { false, true })
        {
            double previous = double.NaN;
            foreach (int m in new[] { 1, 2, 4, 8 })
            {
                var scheme = SchemeMoments(weak, m, 1.2, 10 * m);
                double error = Math.Abs(scheme.Second - exact.Second) + Math.Abs(scheme.Mean - exact.Mean);
                if (!double.IsNaN(previous))
                {
                    double ratio = previous / error;
                    double expected = weak ? 4 : 2;
                    Assert.True(Math.Abs(ratio - expected) < 0.25 * expected, $"{(weak ? "weak order 2" : "Euler–Maruyama")}, m = {m}: error ratio {ratio:F3}, expected {expected}");
                }

                previous = error;
            }
        }
    }

    [Theory]
    [InlineData("langevin", 1)]
    [InlineData("langevin", 3)]
    public void TheEnsembleFollowsTheSchemesExactMomentRecursion(string model, int substeps)
    {
        // 2^20 trajectories from x₀ = 1.2, 30 steps, records every 10: mean and variance z-scores against the recursion
        // (|z| < 5 each, 6 scores)
        DynamicsSpec dynamics = new LangevinSpec(Eta, substeps, SdeScheme.WeakOrder2);
        Assert.Equal("langevin", model);
        Problem problem = ProblemBuilder.Of(Linear, dynamics, [1.2]);
        var ensemble = new EnsembleAlgorithm(1 << 20, steps: 30, seed: 19, new RecordSpec(10));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        foreach (EnsembleRecord record in result.Records.Skip(1))
        {
            var (mean, second) = SchemeMoments(weak: true, substeps, 1.2, record.Step * substeps);
            double variance = second - (mean * mean);
            Moments moments = record.Moments;
            double zMean = (moments.Mean[0] - mean) / moments.MeanStandardError[0];
            double zVariance = (moments.Covariance[0, 0] - variance) / moments.VarianceStandardError[0];
            Assert.True(Math.Abs(zMean) < 5 && Math.Abs(zVariance) < 5, $"step {record.Step}: mean {moments.Mean[0]:R} vs {mean:R} (z = {zMean:F2}), variance {moments.Covariance[0, 0]:R} vs {variance:R} (z = {zVariance:F2})");
        }
    }

    [Fact]
    public void TheSchemeIsReadWrittenAndRefusedWhereItDoesNotApply()
    {
        const string head = """{"initial": {"point": [1]}, "ensemble": {"trajectories": 100, "steps": 10, "seed": 1}, "optimizer": {"type": "sgd", "learningRate": 0.2}, """;
        Scenario scenario = ScenarioLoader.Parse(head + """ "landscape": {"type": "doubleWell", "noiseStd": 0.5}, "dynamics": {"type": "sme2", "substeps": 4, "scheme": "weakOrder2"}}""");
        Assert.Equal(new Sme2Spec(0.2, 4, SdeScheme.WeakOrder2), scenario.Problem.Dynamics);
        string written = ScenarioWriter.ToJson(scenario);
        Assert.Contains("\"scheme\": \"weakOrder2\"", written, StringComparison.Ordinal);
        Assert.Equal(scenario.Problem.Dynamics, ScenarioLoader.Parse(written).Problem.Dynamics);

        // a 2-D landscape, and a 1-D quadratic with curvature noise (two noise normals), are refused
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(
            """{"initial": {"point": [1, 0]}, "ensemble": {"trajectories": 100, "steps": 10, "seed": 1}, "optimizer": {"type": "sgd", "learningRate": 0.2}, """ +
            """ "landscape": {"type": "ringValley", "dimension": 2, "curvature": 1, "noiseStd": 0.2}, "dynamics": {"type": "langevin", "scheme": "weakOrder2"}}"""));
        Assert.Contains("$.dynamics.scheme", error.Message, StringComparison.Ordinal);
        Assert.Contains("one dimension and one noise normal", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(head +
            """ "landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]], "curvatureNoiseStd": [0.5]}, "dynamics": {"type": "smf", "scheme": "weakOrder2"}}"""));
        Assert.Contains("2 noise normals", error.Message, StringComparison.Ordinal);

        // the library refuses the same problem
        var problem = ProblemBuilder.Of(new RingValleyLandscapeSpec(2, 1, 0.2), new LangevinSpec(0.2, 1, SdeScheme.WeakOrder2), [1.0, 0.0]);
        using var backend = new ManagedBackend();
        Assert.Throws<ArgumentException>(() => EnsembleSolver.Solve(problem, new EnsembleAlgorithm(64, 2, 1, new RecordSpec(1)), backend));
    }
}
