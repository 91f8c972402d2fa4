using System.Globalization;
using MathNet.Numerics.Distributions;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// An ensemble run as <see cref="Shards"/> disjoint, equal, tile-aligned <see cref="TrajectoryRange"/>s
/// (the batches of the batch-means method), with the exactly merged statistics of the whole ensemble.
/// </summary>
internal sealed class ShardedEnsemble
{
    private ShardedEnsemble(Problem problem, EnsembleAlgorithm algorithm, int shards, EnsembleStatistics merged, Moments[][] perShard)
    {
        Problem = problem;
        Algorithm = algorithm;
        Shards = shards;
        Merged = merged;
        Total = Enumerable.Range(0, merged.RecordSteps.Count).Select(r => merged[r].ToMoments()).ToArray();
        PerShard = perShard;
    }

    public Problem Problem { get; }

    /// <summary>The ensemble that was split into shards.</summary>
    public EnsembleAlgorithm Algorithm { get; }

    public int Shards { get; }

    /// <summary>The exact merge of every shard's statistics (the whole ensemble).</summary>
    public EnsembleStatistics Merged { get; }

    /// <summary>Moments of the whole ensemble, per record.</summary>
    public Moments[] Total { get; }

    /// <summary>Moments of each shard, [shard][record].</summary>
    public Moments[][] PerShard { get; }

    public IReadOnlyList<int> RecordSteps => Merged.RecordSteps;

    /// <summary>Runs <paramref name="problem"/> with <paramref name="ensemble"/> as <paramref name="shards"/> equal ranges on the managed backend (all cores).</summary>
    public static ShardedEnsemble Run(Problem problem, EnsembleAlgorithm ensemble, int shards)
    {
        long n = ensemble.Trajectories;
        Assert.True(n % shards == 0, "the ensemble must split into equal shards");
        long size = n / shards;
        Assert.True(size % TileLayout.TileSize == 0, "shards must start at multiples of the tile size");

        using var backend = new SgdDynamics.Backends.Managed.ManagedBackend();
        var merged = new EnsembleStatistics(problem.Dimension, ensemble.RecordSteps);
        var perShard = new Moments[shards][];
        for (int k = 0; k < shards; k++)
        {
            EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend, new TrajectoryRange(k * size, size));
            Assert.Equal(size, result.Range.Count);
            merged.Merge(result.Statistics);
            perShard[k] = result.Records.Select(r => r.Moments).ToArray();
        }

        return new ShardedEnsemble(problem, ensemble, shards, merged, perShard);
    }

    /// <summary>Per-shard estimates of one statistic at one record.</summary>
    public double[] ShardValues(int record, Func<Moments, double> statistic) =>
        PerShard.Select(s => statistic(s[record])).ToArray();
}

/// <summary>
/// Collects Monte-Carlo comparisons of estimates with exact values and asserts them all at once.
/// Every comparison has the same per-comparison false-alarm probability α₁ = P(|Z| ≥ 5) = 5.73e-7 of a
/// standard normal Z:
/// <list type="bullet">
/// <item><see cref="Normal"/>: z = (estimate − exact)/SE with a closed-form standard error
/// (<see cref="Moments.MeanStandardError"/>, <see cref="Moments.VarianceStandardError"/>), N ≥ 10⁵, |z| &lt; 5;</item>
/// <item><see cref="BatchMeans"/>: the K per-shard estimates θ̂ₖ (disjoint shards, so independent) give
/// t = (mean θ̂ₖ − exact)/(sd θ̂ₖ/√K), Student-t with K − 1 degrees of freedom; |t| &lt; t*, t* the
/// Student-t quantile with the same two-sided tail α₁ (distribution-free apart from the CLT inside each shard).</item>
/// </list>
/// <see cref="AssertAll"/> also checks the Bonferroni bound: comparisons × α₁ &lt; 10⁻³ per test.
/// </summary>
internal sealed class StatisticalChecks
{
    public const double ZLimit = 5.0;

    /// <summary>Largest family-wise false-alarm probability (Bonferroni) allowed per test.</summary>
    public const double FamilyBudget = 1e-3;

    public static readonly double PerComparisonAlpha = 2.0 * MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.0, -ZLimit);

    private readonly List<Comparison> comparisons = [];
    private readonly List<string> failures = [];

    private sealed record Comparison(string Kind, string Label, double Score, double Limit);

    /// <summary>Student-t critical value with the two-sided tail <see cref="PerComparisonAlpha"/>.</summary>
    public static double StudentLimit(int degreesOfFreedom) =>
        StudentT.InvCDF(0.0, 1.0, degreesOfFreedom, 1.0 - PerComparisonAlpha / 2.0);

    /// <summary>
    /// z-test with a closed-form standard error. A zero standard error (a point start: every trajectory
    /// equal) demands the exact value up to float rounding of the start.
    /// </summary>
    public void Normal(string kind, string label, double estimate, double exact, double standardError)
    {
        if (!double.IsFinite(estimate) || !double.IsFinite(standardError) || !double.IsFinite(exact))
        {
            failures.Add($"{label}: estimate {estimate}, exact {exact}, SE {standardError} not finite");
            return;
        }

        if (standardError == 0.0)
        {
            double tolerance = 1e-6 * Math.Max(1.0, Math.Abs(exact)); // float32 start, no spread
            if (Math.Abs(estimate - exact) > tolerance)
            {
                failures.Add($"{label}: zero spread but estimate {estimate:R} ≠ exact {exact:R}");
            }

            return;
        }

        Add(kind, label, (estimate - exact) / standardError, ZLimit);
    }

    /// <summary>Batch-means t-test over independent per-shard estimates.</summary>
    public void BatchMeans(string kind, string label, double[] shardEstimates, double exact)
    {
        int k = shardEstimates.Length;
        double mean = shardEstimates.Average();
        double sd = Math.Sqrt(shardEstimates.Sum(v => (v - mean) * (v - mean)) / (k - 1));
        if (!double.IsFinite(mean) || !double.IsFinite(sd) || !double.IsFinite(exact))
        {
            failures.Add($"{label}: batch mean {mean}, sd {sd}, exact {exact} not finite");
            return;
        }

        if (sd == 0.0)
        {
            if (Math.Abs(mean - exact) > 1e-6 * Math.Max(1.0, Math.Abs(exact)))
            {
                failures.Add($"{label}: zero spread but estimate {mean:R} ≠ exact {exact:R}");
            }

            return;
        }

        Add(kind, label, (mean - exact) / (sd / Math.Sqrt(k)), StudentLimit(k - 1));
    }

    /// <summary>The largest |score| of a kind (for power checks and reports).</summary>
    public double MaxAbs(string kind) => comparisons.Where(c => c.Kind == kind).Select(c => Math.Abs(c.Score)).DefaultIfEmpty(0.0).Max();

    /// <summary>Writes the score ranges and asserts every comparison and the Bonferroni budget.</summary>
    public void AssertAll(ITestOutputHelper output, string test)
    {
        int m = comparisons.Count;
        foreach (var group in comparisons.GroupBy(c => c.Kind))
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{test}: {group.Key}: {group.Count()} comparisons, score in [{group.Min(c => c.Score):F2}, {group.Max(c => c.Score):F2}], max |score| {group.Max(c => Math.Abs(c.Score)):F2} (limit {group.First().Limit:F2})"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{test}: {m} comparisons, family-wise false alarm ≤ {m * PerComparisonAlpha:E2}"));
        foreach (string f in failures)
        {
            output.WriteLine("FAIL " + f);
        }

        Assert.True(m > 0, "no statistical comparison was made");
        Assert.True(m * PerComparisonAlpha < FamilyBudget, $"{m} comparisons exceed the Bonferroni budget");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
    }

    private void Add(string kind, string label, double score, double limit)
    {
        comparisons.Add(new Comparison(kind, label, score, limit));
        if (!(Math.Abs(score) < limit))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{label}: {kind} score {score:F2} outside ±{limit:F2}"));
        }
    }
}

/// <summary>Bitwise comparisons of statistics and moments.</summary>
internal static class Bitwise
{
    public static bool Same(double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    /// <summary>Asserts that two <see cref="Moments"/> are identical bit for bit (NaN payloads included).</summary>
    public static void AssertSameMoments(Moments expected, Moments actual, string where)
    {
        Assert.Equal(expected.Dimension, actual.Dimension);
        Assert.True(expected.Count == actual.Count, $"{where}: Count {actual.Count} ≠ {expected.Count}");
        Assert.True(expected.Diverged == actual.Diverged, $"{where}: Diverged {actual.Diverged} ≠ {expected.Diverged}");
        AssertSame(expected.Mean, actual.Mean, where + " Mean");
        AssertSame(expected.MeanStandardError, actual.MeanStandardError, where + " MeanStandardError");
        AssertSame(expected.VarianceStandardError, actual.VarianceStandardError, where + " VarianceStandardError");
        AssertSame(expected.ThirdCentralMoment, actual.ThirdCentralMoment, where + " ThirdCentralMoment");
        AssertSame(expected.FourthCentralMoment, actual.FourthCentralMoment, where + " FourthCentralMoment");
        AssertSame(expected.Variance, actual.Variance, where + " Variance");
        Assert.Equal(expected.HasCovariance, actual.HasCovariance);
        if (expected.HasCovariance)
        {
            AssertSame(expected.Covariance.Cast<double>().ToArray(), actual.Covariance.Cast<double>().ToArray(), where + " Covariance");
        }
    }

    public static void AssertSame(double[] expected, double[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Same(expected[i], actual[i]), $"{where}[{i}]: {actual[i]:R} ≠ {expected[i]:R}");
        }
    }

    public static void AssertSame(float[] expected, float[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{where}[{i}]: {actual[i]:R} ≠ {expected[i]:R}");
        }
    }

    /// <summary>Asserts equal statistics (<see cref="MomentAccumulator.Equals(MomentAccumulator)"/>) and bit-identical moments at every record.</summary>
    public static void AssertSameStatistics(EnsembleStatistics expected, EnsembleStatistics actual, string where)
    {
        Assert.Equal(expected.RecordSteps, actual.RecordSteps);
        for (int r = 0; r < expected.RecordSteps.Count; r++)
        {
            Assert.True(expected[r].Equals(actual[r]), $"{where}: accumulator of record {r} (step {expected.RecordSteps[r]}) differs");
            AssertSameMoments(expected[r].ToMoments(), actual[r].ToMoments(), $"{where} record {r}");
        }
    }
}

/// <summary>
/// The ensemble test classes share one xunit collection, so they run one after another: each run already
/// uses every core, and ILGPU's CPU accelerator (spinning worker threads) slows down badly when it has to
/// share the cores with a concurrent managed-backend run.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EnsembleCollection
{
    public const string Name = "Ensembles (sequential: each run uses every core)";
}
