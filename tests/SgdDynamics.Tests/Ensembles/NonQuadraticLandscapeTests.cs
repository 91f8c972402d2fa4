using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The double well and the ring valley run through the ensemble solver: trajectories stepped by hand (in float, with the
/// update written out here, and in double), stationarity identities that hold exactly, and the deterministic ring valley.
/// </summary>
public class NonQuadraticLandscapeTests
{
    /// <summary>Unit roundoff of float.</summary>
    private const double FloatEpsilon = 1.0 / (1 << 24);

    /// <summary>Normal <paramref name="n"/> of step <paramref name="step"/> of a trajectory (counter (step, n/4, dynamics stream)).</summary>
    private static float Normal(uint seed, uint trajectory, uint step, int n)
    {
        new PhiloxNormals<FloatLane>(seed, trajectory).Four(step, (uint)(n / 4), Philox4x32.DynamicsStream, out var z0, out var z1, out var z2, out var z3);
        return FloatLane.ToFloat((n % 4) switch { 0 => z0, 1 => z1, 2 => z2, _ => z3 });
    }

    [Fact]
    public void DoubleWell_TrajectoriesEqualTheUpdateWrittenOutByHand()
    {
        // g = (x² − 1)·x + σ z (σ z added by a fused multiply-add), x ← x − η g (fused): bit for bit in float; and a double
        // run with the same normals and the same (float-rounded) σ, η stays within a first-order rounding bound.
        const double sigma = 0.4, eta = 0.1;
        const int steps = 50;
        Problem problem = ProblemBuilder.DoubleWell(sigma, eta, x0: 0.3);
        var ensemble = new EnsembleAlgorithm(trajectories: 64, steps: steps, seed: 31, record: new RecordSpec(10));
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        float s = (float)sigma, e = (float)eta;
        foreach (uint t in new uint[] { 0, 17, 31, 32, 63 })
        {
            float x = 0.3f;
            double xd = (float)0.3, bound = 0;
            for (uint k = 0; k < steps; k++)
            {
                float z = Normal(31, t, k, 0);
                float g = MathF.FusedMultiplyAdd(s, z, (x * x - 1f) * x);
                x = MathF.FusedMultiplyAdd(-e, g, x);

                double gd = (xd * xd - 1) * xd + (double)s * z;
                double next = xd - (double)e * gd;
                // error propagation: |∂x'/∂x| = |1 − η(3x² − 1)| (plus the second-order term), and each float step
                // rounds ≤ 4 operations, each by at most ε·(|x| + η|g| + |g|)
                bound = bound * (Math.Abs(1 - e * (3 * xd * xd - 1)) + e * (6 * Math.Abs(xd) + 3 * bound) * bound)
                    + 4 * FloatEpsilon * (Math.Abs(next) + Math.Abs(gd) * (1 + e) + Math.Abs(xd) + 1);
                xd = next;
            }

            float engine = result.FinalState(t)[0];
            Assert.True(BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(engine), $"trajectory {t}: by hand {x:R}, engine {engine:R}");
            Assert.True(Math.Abs(engine - xd) <= bound, $"trajectory {t}: float {engine:R} vs double {xd:R}, bound {bound:E2}");
            Assert.True(bound < 1e-4, $"trajectory {t}: the rounding bound {bound:E2} is not small");
        }
    }

    [Fact]
    public void RingValley_TrajectoriesEqualTheUpdateWrittenOutByHand()
    {
        // r = |x|² − 1 accumulated with fused multiply-adds from −1, f = λ r, g_i = f x_i + σ z_i, x_i ← x_i − η g_i
        const int d = 3;
        const double lambda = 1.5, sigma = 0.3, eta = 0.05;
        const int steps = 30;
        double[] x0 = [0.6, -0.8, 0.3];
        Problem problem = ProblemBuilder.RingValley(d, lambda, sigma, eta, x0);
        var ensemble = new EnsembleAlgorithm(trajectories: 40, steps: steps, seed: 32, record: new RecordSpec(7));
        EnsembleResult result;
        using (var backend = new ManagedBackend(forceVector256: true))
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        float l = (float)lambda, s = (float)sigma, e = (float)eta;
        foreach (uint t in new uint[] { 0, 15, 16, 39 })
        {
            float[] x = x0.Select(v => (float)v).ToArray();
            double[] xd = x.Select(v => (double)v).ToArray();
            var g = new float[d];
            for (uint k = 0; k < steps; k++)
            {
                float r2 = -1f;
                double r2d = -1;
                for (int i = 0; i < d; i++)
                {
                    r2 = MathF.FusedMultiplyAdd(x[i], x[i], r2);
                    r2d += xd[i] * xd[i];
                }

                float factor = l * r2;
                for (int i = 0; i < d; i++)
                {
                    float z = Normal(32, t, k, i);
                    g[i] = MathF.FusedMultiplyAdd(s, z, factor * x[i]);
                    xd[i] -= (double)e * ((double)l * r2d * xd[i] + (double)s * z);
                }

                for (int i = 0; i < d; i++)
                {
                    x[i] = MathF.FusedMultiplyAdd(-e, g[i], x[i]);
                }
            }

            ReadOnlySpan<float> engine = result.FinalState(t);
            for (int i = 0; i < d; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(x[i]) == BitConverter.SingleToInt32Bits(engine[i]), $"trajectory {t}, x{i}: by hand {x[i]:R}, engine {engine[i]:R}");

                // the map is a contraction across the valley and neutral along it (|∂x'/∂x| ≤ 1 + 2ηλ|x|² here), so
                // 30 steps of float rounding stay far below 1e-5
                Assert.True(Math.Abs(engine[i] - xd[i]) <= 1e-5, $"trajectory {t}, x{i}: float {engine[i]:R} vs double {xd[i]:R}");
            }
        }
    }

    [Fact]
    public void DoubleWell_StationaryLawInTheRightWell_SatisfiesTheExactMomentIdentities()
    {
        // η = 0.01, σ = 0.2, x₀ = 1 (the minimum, curvature λ = L''(1) = 2), 2000 steps: the linear relaxation factor is
        // (1 − ηλ)^2000 = 0.98^2000 ≈ 3e-18, so the final law is stationary; escaping over the barrier has a rate of
        // order exp(−2ΔL/(ησ²)) = exp(−1250): no trajectory leaves the right well.
        const double sigma = 0.2, eta = 0.01;
        const int n = 1 << 16;
        Problem problem = ProblemBuilder.DoubleWell(sigma, eta, x0: 1.0);
        var ensemble = new EnsembleAlgorithm(trajectories: n, steps: 2000, seed: 33);
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        Assert.Equal(0, result.Final.Moments.Diverged);
        float[] x = result.FinalStates!;
        Assert.All(x, v => Assert.True(v > 0.5f, $"a trajectory left the right well: {v}"));

        // The kernel uses the float-rounded constants.
        double s = (float)sigma, e = (float)eta;
        double maxAbs = x.Max(v => Math.Abs((double)v));

        // (1) Exact identity: with f(x) = x³ − x, E[x_{k+1}] = E[x_k] − η E[f(x_k)] (E ξ = 0), so E[f(x)] = 0 in the
        // stationary law. Tolerance: 5 Monte-Carlo standard errors of the sample mean of f, plus a bound on float
        // rounding: each step rounds x by at most a few ε|x|, which can shift E[f] by at most that over η.
        (double meanF, double seF) = MeanAndError(x, v => v * v * v - v);
        double roundingF = 4 * FloatEpsilon * maxAbs * (1 + e * 2) / e;
        Assert.True(Math.Abs(meanF) <= 5 * seF + roundingF, $"E[x³ − x] = {meanF:E3} ± {seF:E2} (rounding allowance {roundingF:E2})");

        // (2) Exact identity for the second moment about 1: with u = x − 1, E[u_{k+1}²] = E[(u − η f)²] + η²σ², so in
        // the stationary law E[h] = ησ² with h = 2 u f(x) − η f(x)². Tolerance: 5 SE of the sample mean of h, plus
        // rounding (each step changes E[u²] by at most 2 E|u|·4ε|x| + (4ε|x|)², over η).
        (double meanH, double seH) = MeanAndError(x, v => 2 * (v - 1) * (v * v * v - v) - e * (v * v * v - v) * (v * v * v - v));
        double meanAbsU = x.Average(v => Math.Abs(v - 1.0));
        double step = 4 * FloatEpsilon * maxAbs;
        double roundingH = (2 * meanAbsU * step + step * step) / e;
        Assert.True(Math.Abs(meanH - e * s * s) <= 5 * seH + roundingH, $"E[h] = {meanH:E5} ± {seH:E2}, ησ² = {e * s * s:E5}");

        // (3) The linearisation: the variance is ησ²/(λ(2 − ηλ)) with λ = 2 up to the nonlinear terms of (2): writing
        // f = 2u + 3u² + u³, (2) reads (4 − 4η) E[u²] = ησ² − 6E[u³] − 2E[u⁴] + η(E[f²] − 4E[u²]), so the correction
        // is at most (6|E u³| + 2E u⁴ + η|E f² − 4E u²|)/(4 − 4η), measured here; the variance about the mean differs
        // from E[u²] by the squared mean shift. Tolerance: 5 SE of the variance plus that correction.
        var moments = result.Final.Moments;
        double variance = moments.Covariance[0, 0];
        double linear = e * s * s / (2 * (2 - e * 2));
        double eu3 = x.Average(v => Math.Pow(v - 1.0, 3));
        double eu4 = x.Average(v => Math.Pow(v - 1.0, 4));
        double eu2 = x.Average(v => Math.Pow(v - 1.0, 2));
        double ef2 = x.Average(v => Math.Pow((double)v * v * v - v, 2));
        double correction = (6 * Math.Abs(eu3) + 2 * eu4 + e * Math.Abs(ef2 - 4 * eu2)) / (4 - 4 * e) + Math.Pow(moments.Mean[0] - 1, 2);
        Assert.True(correction < 0.01 * linear, $"the nonlinear correction {correction:E2} is not small against {linear:E3}");
        Assert.True(
            Math.Abs(variance - linear) <= 5 * moments.VarianceStandardError[0] + correction,
            $"Var x = {variance:E5} ± {moments.VarianceStandardError[0]:E2}, linearised ησ²/(λ(2 − ηλ)) = {linear:E5}, correction bound {correction:E2}");

        // (4) The mean stays at the minimum up to the shift E[u] = −(3E[u²] + E[u³])/2 that (1) implies.
        double shift = -(3 * eu2 + eu3) / 2;
        Assert.True(Math.Abs(moments.Mean[0] - (1 + shift)) <= 5 * moments.MeanStandardError[0] + roundingF, $"mean {moments.Mean[0]:R}, expected 1 + {shift:E3}");
        Assert.True(Math.Abs(moments.Mean[0] - 1) < 1e-3);
    }

    [Fact]
    public void RingValley_WithoutNoise_IsDeterministicAndConvergesToTheUnitSphere()
    {
        // σ = 0: x_{k+1} = (1 − ηλ(|x_k|² − 1)) x_k exactly, so every trajectory is the same, the direction x/|x| never
        // changes, and the radius follows r' = r(1 − ηλ(r² − 1)), whose fixed point r = 1 attracts with factor 1 − 2ηλ
        // = 0.8 per step (0.8^300 ≈ 1e-29: only float rounding is left).
        const int d = 4;
        const double lambda = 1.0, eta = 0.1;
        double[] x0 = [0.3, -0.2, 0.1, 0.4];
        Problem problem = ProblemBuilder.RingValley(d, lambda, 0.0, eta, x0);
        var ensemble = new EnsembleAlgorithm(trajectories: 1000, steps: 300, seed: 34, record: new RecordSpec(10));
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        double r0 = Math.Sqrt(x0.Sum(v => v * v));
        var radius = new double[ensemble.Steps + 1];
        radius[0] = r0;
        for (int k = 0; k < ensemble.Steps; k++)
        {
            radius[k + 1] = radius[k] * (1 - eta * lambda * (radius[k] * radius[k] - 1));
        }

        ReadOnlySpan<float> first = result.FinalState(0);
        for (long t = 1; t < 1000; t++)
        {
            Assert.True(first.SequenceEqual(result.FinalState(t)), $"trajectory {t} differs from trajectory 0");
        }

        double r = Math.Sqrt(first.ToArray().Sum(v => (double)v * v));
        Assert.True(Math.Abs(r - 1) <= 1e-6, $"|x| = {r:R}");
        Assert.True(Math.Abs(radius[^1] - 1) <= 1e-12);
        for (int i = 0; i < d; i++)
        {
            Assert.True(Math.Abs(first[i] / r - x0[i] / r0) <= 1e-6, $"direction changed in x{i}: {first[i] / r:R} vs {x0[i] / r0:R}");
        }

        // every record: zero spread and the mean on the radius recursion
        foreach (EnsembleRecord record in result.Records)
        {
            double rk = Math.Sqrt(record.Moments.Mean.Sum(v => v * v));
            Assert.True(Math.Abs(rk - radius[record.Step]) <= 1e-5 * radius[record.Step], $"step {record.Step}: |mean| = {rk:R}, recursion {radius[record.Step]:R}");
            for (int i = 0; i < d; i++)
            {
                Assert.Equal(0.0, record.Moments.Covariance[i, i]);
            }
        }
    }

    private static (double Mean, double StandardError) MeanAndError(float[] values, Func<double, double> h)
    {
        double mean = values.Average(v => h(v));
        double variance = values.Sum(v => Math.Pow(h(v) - mean, 2)) / (values.Length - 1);
        return (mean, Math.Sqrt(variance / values.Length));
    }
}
