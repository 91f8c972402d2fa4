using System.Globalization;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;
using SgdDynamics.Theory;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// Monte-Carlo ensembles against the exact moment recursion (<see cref="QuadraticMomentTheory.Recursion"/>)
/// at every recorded step.
/// <para>
/// Standard errors (see <see cref="StatisticalChecks"/>): means use <see cref="Moments.MeanStandardError"/>
/// and variances <see cref="Moments.VarianceStandardError"/> = √((m₄ − m₂²)/n), both z-tests with |z| &lt; 5
/// and N ≥ 2^17 = 131072 (false alarm 5.7e-7 per comparison). Off-diagonal covariances use batch means over
/// K = 64 disjoint, equal, tile-aligned shards of ≥ 2048 trajectories: Student-t with 63 degrees of freedom
/// and the critical value with the same 5.7e-7 two-sided tail (t* = 5.57). Each test makes at most 165
/// comparisons (Bonferroni: family-wise false alarm ≤ 1e-4, asserted &lt; 1e-3). Linear-Gaussian cases (no
/// curvature noise) also test the third and fourth central moments against their Gaussian values
/// (<see cref="CompareGaussianShape"/>).
/// </para>
/// <para>
/// Parameters are exactly representable in float32 where the model allows, so the float32 kernels and the
/// double theory describe the same problem (noise factors are rounded to float32: a relative 1e-7 change of
/// Σ, far below the ~1e-3 relative standard errors). Curvature-noise strengths keep the Kesten tail index
/// well above 8, so the fourth moments behind the variance standard errors are finite and well estimated.
/// Sizes are set for the test command (Release; the engine and kernel projects are optimised in every
/// configuration), where this class takes ~6 s on two cores.
/// </para>
/// </summary>
[Collection(EnsembleCollection.Name)]
public class EnsembleTheoryAgreementTests(ITestOutputHelper output)
{
    private const int Shards = 64;

    [Fact]
    public void AdditiveNoise1DMatchesTheoryAtEveryRecord()
    {
        // x ← x − η(λx + σξ), λ = 1, η = 1/4, σ² = 1, x₀ = 2: mean 2(3/4)^k, variance η²σ²(1 − A^{2k})/(1 − A²).
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 1.0 } },
            learningRate: 0.25,
            initialMean: [2.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 18, steps: 60, seed: 101, record: new RecordSpec(6));
        var (run, checks) = CompareWithTheory(problem, ensemble);
        CompareGaussianShape(run, checks);

        // The closed forms agree with the recursion the ensemble was compared with.
        foreach (var record in QuadraticMomentTheory.Recursion(problem, ensemble.RecordSteps))
        {
            int k = record.Step;
            Assert.Equal(2.0 * Math.Pow(0.75, k), record.Mean[0], 1e-12);
            Assert.Equal(0.0625 * (1.0 - Math.Pow(0.75, 2 * k)) / (1.0 - 0.5625), record.Covariance[0, 0], 1e-12);
        }

        checks.AssertAll(output, nameof(AdditiveNoise1DMatchesTheoryAtEveryRecord));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DenseHessianWithFullNoiseCovariance3DMatchesTheory(bool fullRankNoise)
    {
        // Non-diagonal H; a full Σ (Cholesky factor) or a rank-2 Σ (the symmetric square root: a dense,
        // non-triangular factor); a correlated Gaussian start (full rank, or rank 2 with a dense factor).
        // Every mean coordinate and every covariance entry i ≤ j, plus m₃ and m₄ (the law is Gaussian).
        double[,] hessian = { { 1.5, 0.4, -0.2 }, { 0.4, 1.0, 0.3 }, { -0.2, 0.3, 0.6 } };
        double[,] sigma = fullRankNoise
            ? new[,] { { 1.0, 0.5, 0.2 }, { 0.5, 0.8, -0.3 }, { 0.2, -0.3, 0.5 } }
            : OuterSum([1.0, 0.5, -0.5], [0.0, 0.75, 0.5]); // rank 2
        double[,] initialCovariance = fullRankNoise
            ? new[,] { { 0.5, 0.125, 0.0 }, { 0.125, 0.25, 0.0625 }, { 0.0, 0.0625, 0.25 } }
            : OuterSum([0.5, 0.25, 0.0], [0.0, 0.25, -0.5]); // rank 2: a dense initial factor too
        var problem = ProblemBuilder.Quadratic(
            hessian: hessian,
            noiseCovariance: sigma,
            learningRate: 0.25,
            initialMean: [1.0, -2.0, 0.5],
            initialCovariance: initialCovariance);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 17, steps: 60, seed: 202, record: new RecordSpec(6));
        Assert.Equal(fullRankNoise, problem.Quadratic.NoiseFactorIsLowerTriangular);
        Assert.Equal(fullRankNoise, problem.Initial.FactorIsLowerTriangular);
        var (run, checks) = CompareWithTheory(problem, ensemble);
        CompareGaussianShape(run, checks);
        checks.AssertAll(output, $"{nameof(DenseHessianWithFullNoiseCovariance3DMatchesTheory)}(fullRank: {fullRankNoise})");
    }

    [Fact]
    public void CurvatureNoise1DMatchesTheoryAndIsDistinguishable()
    {
        // x ← x − η((λ + aζ)x + σξ), λ = 1, a = 1, η = 1/8, σ² = 1/2, x₀ = 3. The multiplier 7/8 − ζ/8 has
        // tail index ≈ 14 (E|7/8 − ζ/8|^p = 1), so eighth moments are finite.
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 0.5 } },
            learningRate: 0.125,
            initialMean: [3.0],
            curvatureNoiseStd: [1.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 18, steps: 80, seed: 303, record: new RecordSpec(8));
        var (run, checks) = CompareWithTheory(problem, ensemble);
        checks.AssertAll(output, nameof(CurvatureNoise1DMatchesTheoryAndIsDistinguishable));

        // Power: the same data reject the theory without curvature noise.
        AssertRejectsTheoryWithoutCurvature(run, checks);
    }

    [Fact]
    public void CurvatureNoiseOnOneCoordinate2DMatchesTheory()
    {
        // Curvature noise a = (1/2, 0) on coordinate 0 only, coupled to coordinate 1 through a non-diagonal H.
        var problem = ProblemBuilder.Quadratic(
            hessian: new[,] { { 1.0, 0.25 }, { 0.25, 0.5 } },
            noiseCovariance: new[,] { { 0.5, 0.125 }, { 0.125, 0.25 } },
            learningRate: 0.25,
            initialMean: [3.0, -2.0],
            curvatureNoiseStd: [0.5, 0.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 17, steps: 60, seed: 404, record: new RecordSpec(6));
        var (run, checks) = CompareWithTheory(problem, ensemble);
        checks.AssertAll(output, nameof(CurvatureNoiseOnOneCoordinate2DMatchesTheory));
        AssertRejectsTheoryWithoutCurvature(run, checks);
    }

    [Fact]
    public void FlatDirectionVarianceGrowsByEtaSquaredSigmaSquaredPerStep()
    {
        // H = diag(0, 1): coordinate 0 is flat, its update is −η(Lξ)₀, so from a point start its variance is
        // exactly k η² Σ₀₀ after k steps (Σ₀₀ = σ² = 1/2).
        const double eta = 0.25, sigma00 = 0.5;
        var problem = ProblemBuilder.Quadratic(
            hessian: ProblemBuilder.Diagonal(0.0, 1.0),
            noiseCovariance: new[,] { { sigma00, 0.2 }, { 0.2, 1.0 } },
            learningRate: eta,
            initialMean: [0.0, 1.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 17, steps: 128, seed: 505, record: new RecordSpec(16));
        var run = ShardedEnsemble.Run(problem, ensemble, Shards);
        var checks = new StatisticalChecks();
        CompareWithTheory(run, checks);
        CompareGaussianShape(run, checks);

        // The explicit law k η² σ² (the theory agrees with it to rounding), z-test with VarianceStandardError.
        var theory = QuadraticMomentTheory.Recursion(problem, ensemble.RecordSteps);
        for (int r = 0; r < run.RecordSteps.Count; r++)
        {
            int k = run.RecordSteps[r];
            double exact = k * eta * eta * sigma00;
            Assert.Equal(exact, theory[r].Covariance[0, 0], 1e-12);
            Moments m = run.Total[r];
            checks.Normal("flat variance", $"step {k} Var x0 vs k·η²σ²", m.Covariance[0, 0], exact, m.VarianceStandardError[0]);
            checks.Normal("flat mean", $"step {k} mean x0 vs 0", m.Mean[0], 0.0, m.MeanStandardError[0]);
        }

        checks.AssertAll(output, nameof(FlatDirectionVarianceGrowsByEtaSquaredSigmaSquaredPerStep));
    }

    [Fact]
    public void LinearTermDrivesTheMean()
    {
        // g = Hx + b + Lξ with H having a flat coordinate 0: its mean drifts linearly, m₀(k) = 1 − kηb₀;
        // coordinates 1, 2 relax to −H⁻¹b on that block.
        const double eta = 0.25;
        double[] b = [0.25, 0.5, -1.0];
        var problem = ProblemBuilder.Quadratic(
            hessian: new[,] { { 0.0, 0.0, 0.0 }, { 0.0, 1.0, 0.25 }, { 0.0, 0.25, 0.5 } },
            noiseCovariance: new[,] { { 0.25, 0.0, 0.0 }, { 0.0, 0.5, 0.125 }, { 0.0, 0.125, 0.5 } },
            learningRate: eta,
            initialMean: [1.0, 0.0, 0.0],
            linearTerm: b);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 17, steps: 80, seed: 606, record: new RecordSpec(8));
        var run = ShardedEnsemble.Run(problem, ensemble, Shards);
        var checks = new StatisticalChecks();
        CompareWithTheory(run, checks);
        CompareGaussianShape(run, checks);
        for (int r = 0; r < run.RecordSteps.Count; r++)
        {
            int k = run.RecordSteps[r];
            Moments m = run.Total[r];
            checks.Normal("drift mean", $"step {k} mean x0 vs 1 − kηb0", m.Mean[0], 1.0 - k * eta * b[0], m.MeanStandardError[0]);
        }

        // The drift is resolved: coordinate 0 moves by 80·η·b₀ = 5, over 1000 standard errors of its mean
        // (the stiff block relaxes towards −H⁻¹b = (−8/7, 18/7), checked through the theory above).
        Moments final = run.Total[^1];
        Assert.True(Math.Abs(final.Mean[0] - run.Total[0].Mean[0]) > 1000 * final.MeanStandardError[0]);
        checks.AssertAll(output, nameof(LinearTermDrivesTheMean));
    }

    [Fact]
    public void HeavyBall1DMatchesTheory()
    {
        // v ← βv − η(λx + σξ), x ← x + v, β = 3/4, η = 1/8, λ = 1, σ² = 1, x₀ = 2, v₀ = 0.
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 1.0 } },
            learningRate: 0.125,
            initialMean: [2.0],
            momentum: 0.75);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 18, steps: 60, seed: 707, record: new RecordSpec(6));
        Assert.IsType<HeavyBallSpec>(problem.Dynamics);
        var (run, checks) = CompareWithTheory(problem, ensemble);
        CompareGaussianShape(run, checks);
        checks.AssertAll(output, nameof(HeavyBall1DMatchesTheory));
    }

    [Fact]
    public void HeavyBall2DMatchesTheory()
    {
        // Heavy ball on a non-diagonal H with full Σ, a correlated Gaussian start and weak curvature noise
        // on coordinate 1 (a = 1/4); 78 steps, so the last record interval is short (72 → 78).
        var problem = ProblemBuilder.Quadratic(
            hessian: new[,] { { 1.0, 0.25 }, { 0.25, 0.5 } },
            noiseCovariance: new[,] { { 0.5, -0.125 }, { -0.125, 0.25 } },
            learningRate: 0.25,
            initialMean: [2.0, -1.0],
            curvatureNoiseStd: [0.0, 0.25],
            momentum: 0.5,
            initialCovariance: new[,] { { 0.25, 0.0625 }, { 0.0625, 0.125 } });
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 17, steps: 78, seed: 808, record: new RecordSpec(8));
        CompareWithTheory(problem, ensemble).Checks.AssertAll(output, nameof(HeavyBall2DMatchesTheory));
    }

    private static (ShardedEnsemble Run, StatisticalChecks Checks) CompareWithTheory(Problem problem, EnsembleAlgorithm ensemble)
    {
        var run = ShardedEnsemble.Run(problem, ensemble, Shards);
        var checks = new StatisticalChecks();
        CompareWithTheory(run, checks);
        return (run, checks);
    }

    /// <summary>
    /// Every record: count (all N kept, none diverged), each mean coordinate (z, MeanStandardError), each
    /// variance (z, VarianceStandardError) and each covariance i &lt; j (batch means over the shards).
    /// </summary>
    private static void CompareWithTheory(ShardedEnsemble run, StatisticalChecks checks)
    {
        Problem problem = run.Problem;
        var theory = QuadraticMomentTheory.Recursion(problem, run.Algorithm.RecordSteps);
        Assert.Equal(run.RecordSteps, theory.Select(t => t.Step));
        int d = problem.Dimension;
        for (int r = 0; r < theory.Count; r++)
        {
            int k = theory[r].Step;
            Moments m = run.Total[r];
            Assert.Equal(run.Algorithm.Trajectories, m.Count);
            Assert.Equal(0, m.Diverged);
            for (int i = 0; i < d; i++)
            {
                checks.Normal("mean", Label(k, "mean", i), m.Mean[i], theory[r].Mean[i], m.MeanStandardError[i]);
                checks.Normal("variance", Label(k, "var", i, i), m.Covariance[i, i], theory[r].Covariance[i, i], m.VarianceStandardError[i]);
                for (int j = i + 1; j < d; j++)
                {
                    (int ii, int jj) = (i, j);
                    checks.BatchMeans("covariance (batch means)", Label(k, "cov", i, j), run.ShardValues(r, s => s.Covariance[ii, jj]), theory[r].Covariance[i, j]);
                }
            }
        }
    }

    /// <summary>
    /// Without curvature noise the dynamics are linear with Gaussian noise and a Gaussian (or point) start,
    /// so every coordinate is exactly Gaussian: m₃ = 0 and m₄ = 3σ⁴ with σ² the exact variance. Sampling
    /// errors of the population central moments of a Gaussian sample: Var m₃ ≈ 6σ⁶/n and
    /// Var m₄ ≈ (μ₈ − μ₄²)/n = 96σ⁸/n (z-tests, |z| &lt; 5). Checks <see cref="Moments.ThirdCentralMoment"/>
    /// and <see cref="Moments.FourthCentralMoment"/> and the Gaussianity of the float32 Box–Muller normals.
    /// </summary>
    private static void CompareGaussianShape(ShardedEnsemble run, StatisticalChecks checks)
    {
        Assert.True(run.Problem.Quadratic.CurvatureNoiseStd.All(a => a == 0.0));
        var theory = QuadraticMomentTheory.Recursion(run.Problem, run.Algorithm.RecordSteps);
        for (int r = 0; r < theory.Count; r++)
        {
            Moments m = run.Total[r];
            double n = m.Count;
            for (int i = 0; i < run.Problem.Dimension; i++)
            {
                double v = theory[r].Covariance[i, i];
                string at = $"step {theory[r].Step}";
                checks.Normal("third central moment", $"{at} m3[{i}]", m.ThirdCentralMoment[i], 0.0, Math.Sqrt(6.0 * v * v * v / n));
                checks.Normal("fourth central moment", $"{at} m4[{i}]", m.FourthCentralMoment[i], 3.0 * v * v, Math.Sqrt(96.0 * v * v * v * v / n));
            }
        }
    }

    /// <summary>
    /// Power check: the variances, z-tested against the theory with a = 0, must leave ±10 at some record
    /// (twice the acceptance limit), while every one passed |z| &lt; 5 against the theory with curvature noise.
    /// </summary>
    private void AssertRejectsTheoryWithoutCurvature(ShardedEnsemble run, StatisticalChecks passed)
    {
        Problem problem = run.Problem;
        var withoutCurvature = problem with
        {
            Landscape = problem.Quadratic with
            {
                CurvatureNoiseStd = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(problem.Dimension),
            },
        };
        var theory = QuadraticMomentTheory.Recursion(withoutCurvature, run.Algorithm.RecordSteps);
        double worst = 0.0;
        for (int r = 1; r < theory.Count; r++)
        {
            Moments m = run.Total[r];
            for (int i = 0; i < problem.Dimension; i++)
            {
                worst = Math.Max(worst, Math.Abs((m.Covariance[i, i] - theory[r].Covariance[i, i]) / m.VarianceStandardError[i]));
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"power: max |z| of the variances against the theory without curvature noise {worst:F1} (against the right theory {passed.MaxAbs("variance"):F2})"));
        Assert.True(worst > 10.0, $"the test cannot tell curvature noise apart: max |z| = {worst}");
    }

    private static string Label(int step, string what, int i, int j = -1) =>
        j < 0 ? $"step {step} {what}[{i}]" : $"step {step} {what}[{i},{j}]";

    /// <summary>u uᵀ + w wᵀ (a rank-2 covariance).</summary>
    private static double[,] OuterSum(double[] u, double[] w)
    {
        int d = u.Length;
        var m = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                m[i, j] = u[i] * u[j] + w[i] * w[j];
            }
        }

        return m;
    }
}
