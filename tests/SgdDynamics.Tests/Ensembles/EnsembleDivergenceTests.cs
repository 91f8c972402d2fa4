using System.Globalization;
using MathNet.Numerics;
using MathNet.Numerics.Distributions;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The divergence check: a trajectory with a non-finite coordinate or some |x_i| above the threshold at a
/// record is counted in <see cref="Moments.Diverged"/> from then on and excluded from every moment.
/// </summary>
[Collection(EnsembleCollection.Name)]
public class EnsembleDivergenceTests(ITestOutputHelper output)
{
    [Fact]
    public void UnstableLearningRateDivergesAtThePredictedRate()
    {
        // λ = 1, η = 5/2 > 2/λ, no gradient noise, x₀ ~ N(0, 1): x_k = (−3/2)^k x₀, so a trajectory is
        // flagged at record k exactly when |x₀| > T·(2/3)^k (T = 10¹²), an event of probability
        // p_k = erfc(T (2/3)^k / √2). The diverged count is Binomial(N, p_k): each record is an exact
        // two-sided binomial test at level 5.7e-7 (the |z| < 5 normal tail); 46 records, family-wise
        // false alarm ≤ 2.6e-5. Float32 rounding of −1.5x (≤ 6e-8 relative per step) moves the
        // boundary by ≤ 5e-6 relative, far below the binomial spread.
        const long n = 1L << 17;
        const double threshold = EnsembleAlgorithm.DefaultDivergenceThreshold;
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 0.0 } },
            learningRate: 2.5,
            initialMean: [0.0],
            initialCovariance: new double[,] { { 1.0 } });
        var ensemble = new EnsembleAlgorithm(trajectories: n, steps: 90, seed: 31, record: new RecordSpec(2));
        using var backend = new ManagedBackend();
        var result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);

        AssertDivergenceInvariants(result);
        int tests = 0;
        double minZ = double.PositiveInfinity, maxZ = double.NegativeInfinity;
        foreach (var record in result.Records)
        {
            double p = SpecialFunctions.Erfc(threshold * Math.Pow(2.0 / 3.0, record.Step) / Math.Sqrt(2.0));
            long diverged = record.Moments.Diverged;
            double lower = Binomial.CDF(p, (int)n, diverged);                                   // P(D ≤ observed)
            double upper = diverged == 0 ? 1.0 : 1.0 - Binomial.CDF(p, (int)n, diverged - 1); // P(D ≥ observed)
            double pValue = Math.Min(1.0, 2.0 * Math.Min(lower, upper));
            Assert.True(pValue >= StatisticalChecks.PerComparisonAlpha, $"step {record.Step}: {diverged} diverged, expected {n * p:F1} (p-value {pValue:E2})");
            tests++;
            if (n * p * (1 - p) > 0)
            {
                double z = (diverged - n * p) / Math.Sqrt(n * p * (1 - p));
                minZ = Math.Min(minZ, z);
                maxZ = Math.Max(maxZ, z);
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tests} binomial tests; z of the diverged counts in [{minZ:F2}, {maxZ:F2}]"));
        Assert.True(tests * StatisticalChecks.PerComparisonAlpha < StatisticalChecks.FamilyBudget);

        // The run went through the whole transition: nothing at first, (almost) everything at the end.
        Assert.Equal(0, result.Records[0].Moments.Diverged);
        Assert.InRange(result.Records.First(r => r.Step == 68).Moments.Diverged, n / 10, n - n / 10);
        Assert.Equal(n, result.Final.Moments.Diverged + result.Final.Moments.Count);
        Assert.True(result.Final.Moments.Count > 0);
        Assert.True(result.FirstDivergedStep is > 40 and < 68, $"first diverged step {result.FirstDivergedStep}");
    }

    [Fact]
    public void CurvatureNoiseMakesAFractionDivergeAndTheRestStaysInTheMoments()
    {
        // x ← x − η((λ + aζ)x + σξ), η = 1/2, λ = 1, a = 6: the multiplier 1/2 − 3ζ has a positive Lyapunov
        // exponent (E ln|1/2 − 3ζ| ≈ 0.47), so log|x| random-walks upwards and trajectories cross 10¹² at
        // random times. Exact invariants only (no statistics).
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 1.0 } },
            learningRate: 0.5,
            initialMean: [1.0],
            curvatureNoiseStd: [6.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: 1L << 15, steps: 100, seed: 32, record: new RecordSpec(5));
        using var backend = new ManagedBackend();
        var result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);

        AssertDivergenceInvariants(result);
        long n = ensemble.Trajectories;
        Assert.Equal(0, result.Records[0].Moments.Diverged);
        Assert.Contains(result.Records, r => r.Moments.Diverged > n / 10 && r.Moments.Count > n / 10);
        Assert.InRange(result.Final.Moments.Diverged, 1, n - 1);
        output.WriteLine(string.Join(", ", result.Records.Select(r => $"{r.Step}:{r.Moments.Diverged}")));
    }

    [Fact]
    public void EveryTrajectoryDivergingGivesNaNMomentsAndNoException()
    {
        // x ← x − 3x = −2x from x₀ = 1, no noise: |x_k| = 2^k crosses 10¹² between steps 39 and 40, so every
        // trajectory is kept up to the record at 35 and none from the record at 40 on.
        const long n = 1000; // not a multiple of the tile size: padding must not count
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 0.0 } },
            learningRate: 3.0,
            initialMean: [1.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: n, steps: 60, seed: 33, record: new RecordSpec(5));
        using var backend = new ManagedBackend();
        var result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);

        AssertDivergenceInvariants(result);
        Assert.Equal(40, result.FirstDivergedStep);
        foreach (var record in result.Records)
        {
            Moments m = record.Moments;
            if (record.Step <= 35)
            {
                Assert.Equal(n, m.Count);
                Assert.Equal(0, m.Diverged);
                Assert.Equal(Math.Pow(-2.0, record.Step), m.Mean[0]);
                Assert.Equal(0.0, m.Covariance[0, 0]);
            }
            else
            {
                Assert.Equal(0, m.Count);
                Assert.Equal(n, m.Diverged);
                AssertAllNaN(m);
            }
        }

        Assert.All(result.FinalStates!, x => Assert.True(float.IsNaN(x)));
    }

    [Fact]
    public void StartingBeyondTheThresholdDivergesAtStepZero()
    {
        // A point start at 20 with threshold 10: flagged before the first step, Count = 0 at every record.
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 1.0 } },
            learningRate: 0.1,
            initialMean: [20.0]);
        var ensemble = new EnsembleAlgorithm(trajectories: 700, steps: 10, seed: 34, record: new RecordSpec(5), divergenceThreshold: 10);
        using var backend = new ManagedBackend();
        var result = EnsembleSolver.Solve(problem, ensemble, backend);
        Assert.Equal(0, result.FirstDivergedStep);
        Assert.All(result.Records, r =>
        {
            Assert.Equal(0, r.Moments.Count);
            Assert.Equal(700, r.Moments.Diverged);
            AssertAllNaN(r.Moments);
        });
    }

    [Fact]
    public void CustomThresholdFlagsTrajectoriesWithACoordinateAboveIt()
    {
        // A flat 2-D landscape (H = 0) with noise Σ = diag(1, 4), η = 1/2, from 0: a random walk. With
        // threshold 10, the trajectories flagged by record k must be exactly those whose state, at some
        // record ≤ k, had |x_i| > 10 in some coordinate i — read from runs of the same trajectories (same
        // seed: trajectory t at step k does not depend on the run length) with the default threshold.
        const long n = 1L << 14;
        const int steps = 64, every = 8;
        var problem = ProblemBuilder.Quadratic(
            hessian: new double[2, 2],
            noiseCovariance: ProblemBuilder.Diagonal(1.0, 4.0),
            learningRate: 0.5,
            initialMean: [0.0, 0.0]);
        EnsembleAlgorithm Ensemble(int length, double threshold) =>
            new(trajectories: n, steps: length, seed: 35, record: new RecordSpec(every), divergenceThreshold: threshold);

        using var backend = new ManagedBackend();
        var flaggedRun = EnsembleSolver.Solve(problem, Ensemble(steps, 10.0), backend, keepFinalStates: true);
        AssertDivergenceInvariants(flaggedRun);

        var flagged = new bool[n];
        bool onlyFirst = false, onlySecond = false;
        for (int r = 1; r < flaggedRun.Records.Count; r++)
        {
            int k = flaggedRun.Records[r].Step;
            var free = EnsembleSolver.Solve(problem, Ensemble(k, EnsembleAlgorithm.DefaultDivergenceThreshold), backend, keepFinalStates: true);
            Assert.Equal(0, free.Final.Moments.Diverged);
            for (long t = 0; t < n; t++)
            {
                ReadOnlySpan<float> x = free.FinalState(t);
                bool first = Math.Abs(x[0]) > 10f, second = Math.Abs(x[1]) > 10f;
                if (!flagged[t] && (first || second))
                {
                    flagged[t] = true;
                    onlyFirst |= first && !second;
                    onlySecond |= second && !first;
                }
            }

            long expected = flagged.LongCount(f => f);
            Assert.True(expected == flaggedRun.Records[r].Moments.Diverged, $"step {k}: {flaggedRun.Records[r].Moments.Diverged} flagged, {expected} had |x_i| > 10");
        }

        Assert.True(onlyFirst && onlySecond, "both coordinates should trip the threshold on their own");
        Assert.InRange(flaggedRun.Final.Moments.Diverged, n / 20, n / 2);

        // The survivors are exactly the trajectories never flagged, with their free-run states.
        var last = EnsembleSolver.Solve(problem, Ensemble(steps, EnsembleAlgorithm.DefaultDivergenceThreshold), backend, keepFinalStates: true);
        for (long t = 0; t < n; t++)
        {
            ReadOnlySpan<float> kept = flaggedRun.FinalState(t);
            if (flagged[t])
            {
                Assert.True(float.IsNaN(kept[0]) && float.IsNaN(kept[1]));
            }
            else
            {
                Assert.True(kept.SequenceEqual(last.FinalState(t)), $"trajectory {t} changed under the threshold");
            }
        }
    }

    /// <summary>
    /// Exact invariants of a run with divergence: Count + Diverged = N at every record, Diverged
    /// non-decreasing, survivors' moments finite, and the final moments those of exactly the non-NaN
    /// final states (NaN states = Diverged, survivors within the threshold, mean = their mean).
    /// </summary>
    private static void AssertDivergenceInvariants(EnsembleResult result)
    {
        long n = result.Algorithm.Trajectories;
        int d = result.Problem.Dimension;
        long previous = 0;
        foreach (var record in result.Records)
        {
            Moments m = record.Moments;
            Assert.Equal(n, m.Count + m.Diverged);
            Assert.True(m.Diverged >= previous, $"step {record.Step}: diverged count fell from {previous} to {m.Diverged}");
            previous = m.Diverged;
            if (m.Count >= 2)
            {
                Assert.All(m.Mean, v => Assert.True(double.IsFinite(v)));
                Assert.All(m.Covariance.Cast<double>(), v => Assert.True(double.IsFinite(v)));
                Assert.All(m.FourthCentralMoment, v => Assert.True(double.IsFinite(v)));
            }
        }

        float[] states = result.FinalStates!;
        float bound = (float)result.Algorithm.DivergenceThreshold;
        long nanTrajectories = 0;
        var sum = new double[d];
        var scale = new double[d];
        for (long t = 0; t < n; t++)
        {
            ReadOnlySpan<float> x = result.FinalState(t);
            bool anyNaN = false, allNaN = true;
            foreach (float v in x)
            {
                anyNaN |= float.IsNaN(v);
                allNaN &= float.IsNaN(v);
            }

            Assert.Equal(anyNaN, allNaN);
            if (anyNaN)
            {
                nanTrajectories++;
                continue;
            }

            for (int i = 0; i < d; i++)
            {
                Assert.True(Math.Abs(x[i]) <= bound, $"survivor {t} has |x_{i}| = {Math.Abs(x[i])} above {bound}");
                sum[i] += x[i];
                scale[i] += Math.Abs(x[i]);
            }
        }

        Assert.Equal(states.Length, n * d);
        Moments final = result.Final.Moments;
        Assert.Equal(final.Diverged, nanTrajectories);
        long survivors = n - nanTrajectories;
        for (int i = 0; i < d && survivors > 0; i++)
        {
            // Double summation of ≤ 2^17 terms: error ≤ n·2^-53·Σ|x| (the exact-sum mean is correctly rounded).
            double tolerance = 1e-10 * scale[i] / survivors + 1e-300;
            Assert.True(Math.Abs(sum[i] / survivors - final.Mean[i]) <= tolerance, $"mean[{i}] {final.Mean[i]:R} is not the survivors' mean {sum[i] / survivors:R}");
        }
    }

    private static void AssertAllNaN(Moments m)
    {
        Assert.All(m.Mean, v => Assert.True(double.IsNaN(v)));
        Assert.All(m.Covariance.Cast<double>(), v => Assert.True(double.IsNaN(v)));
        Assert.All(m.MeanStandardError, v => Assert.True(double.IsNaN(v)));
        Assert.All(m.VarianceStandardError, v => Assert.True(double.IsNaN(v)));
        Assert.All(m.ThirdCentralMoment, v => Assert.True(double.IsNaN(v)));
        Assert.All(m.FourthCentralMoment, v => Assert.True(double.IsNaN(v)));
    }
}
