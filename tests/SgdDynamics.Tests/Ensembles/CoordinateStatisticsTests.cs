using SgdDynamics.Backends;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Observers;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Kernels;
using SgdDynamics.Theory;
using static SgdDynamics.Tests.Ensembles.ProjectionTestData;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// Ensembles above <see cref="Limits.MaxDimension"/> record coordinates only (Σxᵢ, Σxᵢ², Σxᵢ³, Σxᵢ⁴): the sums are exact and
/// order-independent on every backend, the moments carry variances and no covariance, and the outputs say so.
/// </summary>
public class CoordinateStatisticsTests : IClassFixture<IlgpuCpuBackends>
{
    private const int D = 100;

    private readonly IlgpuCpuBackends ilgpu;

    public CoordinateStatisticsTests(IlgpuCpuBackends ilgpu) => this.ilgpu = ilgpu;

    /// <summary>
    /// A 100-D quadratic with a diagonal Hessian (curvatures 0.2 … 2), diagonal additive noise, curvature noise on every
    /// coordinate and a Gaussian start, built in code (the scenario reader caps d at 64).
    /// </summary>
    public static Problem Problem100()
    {
        var hessian = new double[D, D];
        var noise = new double[D, D];
        var start = new double[D, D];
        var mean = new double[D];
        for (int i = 0; i < D; i++)
        {
            hessian[i, i] = 0.2 + 1.8 * i / (D - 1);
            noise[i, i] = 0.5 + 0.01 * i;
            start[i, i] = 0.25;
            mean[i] = 1.0 - 0.02 * i;
        }

        return ProblemBuilder.Quadratic(hessian, noise, learningRate: 0.1, initialMean: mean,
            curvatureNoiseStd: Enumerable.Repeat(0.2, D).ToArray(), initialCovariance: start);
    }

    private static EnsembleAlgorithm Small(uint seed = 3) => new(300, 20, seed, new RecordSpec(5));

    [Fact]
    public void TheCodesHoldCoordinatesUpTo4095AndThePlanFollowsTheDimension()
    {
        int code = TileLayout.Encode(TileLayout.Fourth, 4095, 4094);
        Assert.Equal((TileLayout.Fourth, 4095, 4094), (TileLayout.KindOf(code), TileLayout.FirstOf(code), TileLayout.SecondOf(code)));
        Assert.Equal(4 * 4096, TileLayout.Statistics(4096, StatisticsPlan.Coordinates).Length);
        Assert.Equal(TileLayout.Statistics(64), TileLayout.Statistics(64, StatisticsPlan.FullPairs));
        Assert.Equal(3 * 64 + 64 * 65 / 2, TileLayout.StatisticCount(64));
        Assert.Equal(StatisticsPlan.FullPairs, Limits.StatisticsPlanFor(64));
        Assert.Equal(StatisticsPlan.Coordinates, Limits.StatisticsPlanFor(65));

        var model = EnsembleModel.From(Problem100(), Small());
        Assert.Equal(StatisticsPlan.Coordinates, model.Plan);
        Assert.Equal(4 * D, model.StatisticCount);
    }

    [Fact]
    public void CoordinateStatisticsAreBitIdenticalAcrossBackendsThreadsBatchesAndShards()
    {
        Problem problem = Problem100();
        EnsembleAlgorithm ensemble = Small();
        EnsembleResult reference;
        using (var managed = new ManagedBackend())
        {
            reference = EnsembleSolver.Solve(problem, ensemble, managed, keepFinalStates: true);
        }

        Moments final = reference.Final.Moments;
        Assert.False(final.HasCovariance);
        Assert.Throws<InvalidOperationException>(() => final.Covariance);
        Assert.Equal(D, final.Variance.Length);
        Assert.All(final.Variance, v => Assert.InRange(v, 1e-3, 10.0));
        Assert.Equal(300, final.Count);

        var others = ilgpu.SolveOnTheOtherCpuBackends(problem, ensemble, keepFinalStates: true);
        foreach ((string label, EnsembleResult result) in others)
        {
            Bitwise.AssertSame(reference.FinalStates!, result.FinalStates!, $"managed vs {label} final states");
            Bitwise.AssertSameStatistics(reference.Statistics, result.Statistics, $"managed vs {label}");
        }

        AssertShardsAgree(problem, ensemble, reference.Statistics, ilgpu.Whole);
    }

    [Fact]
    public void MeansAndVariancesAgreeWithTheExactQuadraticTheory()
    {
        Problem problem = Problem100();
        var ensemble = new EnsembleAlgorithm(8 * 256, 30, 17, new RecordSpec(10));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        var theory = QuadraticMomentTheory.Recursion(problem, ensemble.RecordSteps);
        double worst = 0;
        for (int r = 0; r < result.Records.Count; r++)
        {
            Moments m = result.Records[r].Moments;
            Assert.Equal(theory[r].Step, result.Records[r].Step);
            for (int i = 0; i < D; i++)
            {
                double zMean = (m.Mean[i] - theory[r].Mean[i]) / m.MeanStandardError[i];
                double zVariance = (m.Variance[i] - theory[r].Covariance[i, i]) / m.VarianceStandardError[i];
                worst = Math.Max(worst, Math.Max(Math.Abs(zMean), Math.Abs(zVariance)));
            }
        }

        // 4 records × 100 coordinates × 2 scores: |z| < 5 fails by chance with probability about 5e-4
        Assert.InRange(worst, 0.0, 5.0);
    }

    [Fact]
    public void OutputsWriteMeansAndVariancesAndSayTheCovarianceWasNotRecorded()
    {
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(Problem100(), Small(), backend);
        string[] lines = EnsembleOutput.TimeSeries(result).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string expectedHeader = "step,time,count,diverged"
            + string.Concat(Enumerable.Range(0, D).Select(i => $",mean_{i}"))
            + string.Concat(Enumerable.Range(0, D).Select(i => $",var_{i}"));
        Assert.Equal(expectedHeader, lines[0]);
        Assert.Equal(result.Records.Count + 1, lines.Length);
        Assert.All(lines, l => Assert.Equal(4 + 2 * D, l.Split(',').Length));

        var record = EnsembleOutput.Record(result.Final);
        Assert.Equal("not recorded (d = 100 > 64)", record["covariance"]!.GetValue<string>());
        Assert.Equal(D, record["variance"]!.AsArray().Count);
        Assert.Empty(EnsembleObservations.Modes(result));
        Assert.Equal(VarianceSeries.FromRecords(result.Records, 3).Variances, result.Records.Select(r => r.Moments.Variance[3]).ToArray());
    }

    [Fact]
    public void A64DimensionalEnsembleStillRecordsFullPairs()
    {
        const int d = 64;
        var hessian = new double[d, d];
        var noise = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            hessian[i, i] = 1.0;
            noise[i, i] = 1.0;
        }

        Problem problem = ProblemBuilder.Quadratic(hessian, noise, 0.1, new double[d]);
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(300, 5, 1, new RecordSpec(5)), backend);
        Assert.Equal(StatisticsPlan.FullPairs, result.Statistics.Plan);
        Moments m = result.Final.Moments;
        Assert.True(m.HasCovariance);
        Assert.Equal(Enumerable.Range(0, d).Select(i => m.Covariance[i, i]), m.Variance);
        Assert.Contains(",cov_63_63", EnsembleOutput.TimeSeries(result).Split('\n')[0], StringComparison.Ordinal);
        Assert.Equal(MomentAccumulator.FormatName, result.Statistics[0].ToDictionary()["format"]);
    }

    [Fact]
    public void CoordinateAccumulatorsRoundTripThroughTheirDictionaryAndDoNotMixWithFullPairs()
    {
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(Problem100(), Small(), backend);
        MomentAccumulator accumulator = result.Statistics[1];
        var entries = accumulator.ToDictionary();
        Assert.Equal(MomentAccumulator.CoordinatesFormatName, entries["format"]);
        MomentAccumulator back = MomentAccumulator.FromDictionary(entries);
        Assert.Equal(StatisticsPlan.Coordinates, back.Plan);
        Assert.True(back.Equals(accumulator));
        Bitwise.AssertSameMoments(accumulator.ToMoments(), back.ToMoments(), "round trip");
        Assert.Throws<ArgumentException>(() => new MomentAccumulator(D).Merge(accumulator));
        Assert.False(new MomentAccumulator(D).Equals(new MomentAccumulator(D, StatisticsPlan.Coordinates)));
    }
}
