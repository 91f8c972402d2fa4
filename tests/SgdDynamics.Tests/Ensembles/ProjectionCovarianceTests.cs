using SgdDynamics.Backends;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Kernels;
using static SgdDynamics.Tests.Ensembles.ProjectionTestData;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The covariance of projections (<see cref="ProjectionSpec.Covariance"/>) and the full covariance of the state above
/// <see cref="Limits.MaxDimension"/> (<see cref="EnsembleAlgorithm.FullCovariance"/>): pair sums from the vectorised host
/// routine (<see cref="TileMoments"/>) in the canonical tile order, equal to the scalar definition bit for bit, to the
/// covariance of the final states to rounding, and identical on every backend, thread count, lane width and shard split.
/// </summary>
public class ProjectionCovarianceTests : IClassFixture<IlgpuCpuBackends>
{
    private const int Tile = TileLayout.TileSize;

    private readonly IlgpuCpuBackends ilgpu;

    public ProjectionCovarianceTests(IlgpuCpuBackends ilgpu) => this.ilgpu = ilgpu;

    private static double[] RandomVector(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5)];
    }

    /// <summary>The same moments without the covariance (as coordinates-only statistics report them).</summary>
    private static Moments WithoutCovariance(Moments m) =>
        Moments.CoordinatesOnly(m.Dimension, m.Count, m.Diverged, m.Mean, m.Variance, m.MeanStandardError, m.VarianceStandardError, m.ThirdCentralMoment, m.FourthCentralMoment);

    /// <summary>The sample covariance (n − 1) of rows of <paramref name="samples"/> (n × K), two-pass in double.</summary>
    private static double[,] SampleCovariance(double[,] samples)
    {
        int n = samples.GetLength(0), k = samples.GetLength(1);
        var mean = new double[k];
        for (int t = 0; t < n; t++)
        {
            for (int a = 0; a < k; a++)
            {
                mean[a] += samples[t, a] / n;
            }
        }

        var covariance = new double[k, k];
        for (int t = 0; t < n; t++)
        {
            for (int a = 0; a < k; a++)
            {
                for (int b = 0; b < k; b++)
                {
                    covariance[a, b] += (samples[t, a] - mean[a]) * (samples[t, b] - mean[b]) / (n - 1);
                }
            }
        }

        return covariance;
    }

    /// <summary>y = V(x − c) of every final state, in double.</summary>
    private static double[,] Projections(EnsembleResult result, ProjectionSpec spec)
    {
        long n = result.Range.Count;
        double[,] v = spec.Directions;
        double[] c = spec.Centre;
        var y = new double[n, spec.Count];
        for (long t = 0; t < n; t++)
        {
            ReadOnlySpan<float> x = result.FinalState(t);
            for (int a = 0; a < spec.Count; a++)
            {
                double acc = 0;
                for (int i = 0; i < spec.Dimension; i++)
                {
                    acc += v[a, i] * (x[i] - c[i]);
                }

                y[t, a] = acc;
            }
        }

        return y;
    }

    private static void AssertClose(double[,] expected, double[,] actual, double relative, string where)
    {
        int k = expected.GetLength(0);
        Assert.Equal(k, actual.GetLength(0));
        double scale = 0;
        for (int a = 0; a < k; a++)
        {
            scale = Math.Max(scale, Math.Abs(expected[a, a]));
        }

        for (int a = 0; a < k; a++)
        {
            for (int b = 0; b < k; b++)
            {
                Assert.True(Math.Abs(expected[a, b] - actual[a, b]) <= relative * scale, $"{where}[{a},{b}]: {actual[a, b]:R} vs {expected[a, b]:R}");
                Assert.True(Bitwise.Same(actual[a, b], actual[b, a]), $"{where}: not symmetric at [{a},{b}]");
            }
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(4, 7)]
    [InlineData(13, 29)]
    [InlineData(5, 200)]
    public void TheVectorisedTileSumsEqualTheScalarDefinitionBitForBit(int k, int d)
    {
        // every lane width; K not a multiple of the row group; excluded slots in the middle and at the end
        double[,] v = RandomMatrix(k, d, 3 + k);
        double[] c = RandomVector(d, 5);
        var random = new Random(9);
        var state = new double[d * Tile];
        var included = new bool[Tile];
        for (int s = 0; s < Tile; s++)
        {
            included[s] = s % 37 != 5 && s < 250;
            for (int i = 0; i < d; i++)
            {
                state[(i * Tile) + s] = (float)(random.NextDouble() * 6 - 3);
            }
        }

        var flat = new double[k * d];
        Buffer.BlockCopy(v, 0, flat, 0, flat.Length * sizeof(double));
        var y = new double[k * Tile];
        for (int s = 0; s < Tile; s++)
        {
            for (int a = 0; a < k; a++)
            {
                double acc = 0.0;
                for (int i = 0; i < d; i++)
                {
                    acc += flat[(a * d) + i] * (state[(i * Tile) + s] - c[i]);
                }

                y[(a * Tile) + s] = included[s] ? acc : 0.0;
            }
        }

        bool wide = TileMoments.Wide;
        try
        {
            foreach (bool width in new[] { false, true })
            {
                TileMoments.Wide = width;
                foreach (bool covariance in new[] { false, true })
                {
                    var spec = new ProjectionSpec(c, v, covariance);
                    double[] expected = ScalarSums(y, k, spec.Plan);
                    var sums = new double[spec.StatisticCount];
                    var scratch = new double[spec.ScratchLength];
                    Array.Fill(scratch, double.NaN);
                    spec.TileSums(state, included, new double[d * Tile], scratch, sums);
                    Bitwise.AssertSame(expected, sums, $"K = {k}, d = {d}, wide {width}, covariance {covariance}");
                }
            }
        }
        finally
        {
            TileMoments.Wide = wide;
        }
    }

    /// <summary>The tile sums by their definition (TileLayout), one statistic at a time.</summary>
    private static double[] ScalarSums(double[] y, int k, StatisticsPlan plan)
    {
        int[] codes = TileLayout.Statistics(k, plan);
        var sums = new double[codes.Length];
        for (int n = 0; n < codes.Length; n++)
        {
            int kind = TileLayout.KindOf(codes[n]), i = TileLayout.FirstOf(codes[n]), j = TileLayout.SecondOf(codes[n]);
            var partial = new double[8];
            for (int block = 0; block < Tile; block += TileLayout.BlockSize)
            {
                for (int lane = 0; lane < 8; lane++)
                {
                    partial[lane] += Value(kind, y[(i * Tile) + block + lane], y[(j * Tile) + block + lane])
                        + Value(kind, y[(i * Tile) + block + lane + 8], y[(j * Tile) + block + lane + 8]);
                }
            }

            sums[n] = TileLayout.Combine(partial[0], partial[1], partial[2], partial[3], partial[4], partial[5], partial[6], partial[7]);
        }

        return sums;

        static double Value(int kind, double a, double b)
        {
            double square = a * a;
            return kind switch
            {
                TileLayout.Sum => a,
                TileLayout.Product => a * b,
                TileLayout.Cube => square * a,
                _ => square * square,
            };
        }
    }

    [Fact]
    public void TheProjectionCovarianceIsTheCovarianceOfTheProjectedFinalStates()
    {
        foreach (Problem problem in new[] { Problem3(), CoordinateStatisticsTests.Problem100() })
        {
            int d = problem.Dimension;
            int k = Math.Min(d, 6);
            var spec = new ProjectionSpec(RandomVector(d, 2), RandomMatrix(k, d, 4), covariance: true);
            var ensemble = new EnsembleAlgorithm(700, 20, 3, new RecordSpec(5)) { Projection = spec };
            using var backend = new ManagedBackend();
            EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
            Moments y = result.Final.Projected!;
            Assert.True(y.HasCovariance);
            Assert.Equal(k, y.Dimension);
            Assert.Equal(StatisticsPlan.FullPairs, result.Statistics.ProjectionPlan);
            Assert.All(result.Records, r => Assert.True(r.Projected!.HasCovariance));

            // to rounding: the run sums (float x − c)·v in double per tile, the reference in another order
            AssertClose(SampleCovariance(Projections(result, spec)), y.Covariance, 1e-11, $"d = {d} covariance");
            for (int a = 0; a < k; a++)
            {
                Assert.True(Bitwise.Same(y.Covariance[a, a], y.Variance[a]), $"d = {d}: variance {a} is the covariance's diagonal");
            }

            // the same directions without the covariance: the same sums of y, y², y³, y⁴, so the same moments bit for bit
            var without = ensemble with { Projection = new ProjectionSpec(spec.Centre, spec.Directions) };
            Moments plain = EnsembleSolver.Solve(problem, without, backend).Final.Projected!;
            Assert.False(plain.HasCovariance);
            Bitwise.AssertSameMoments(plain, WithoutCovariance(y), $"d = {d}: moments without the covariance");
        }
    }

    [Fact]
    public void TheProjectionCovarianceIsBitIdenticalAcrossBackendsThreadsLaneWidthsSegmentsAndShards()
    {
        foreach (Problem problem in new[] { Problem3(), CoordinateStatisticsTests.Problem100() })
        {
            int d = problem.Dimension;
            var spec = new ProjectionSpec(RandomVector(d, 6), RandomMatrix(Math.Min(d, 9), d, 8), covariance: true);
            var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { Projection = spec };
            EnsembleResult reference;
            using (var managed = new ManagedBackend())
            {
                reference = EnsembleSolver.Solve(problem, ensemble, managed);
            }

            var others = ilgpu.SolveOnTheOtherCpuBackends(problem, ensemble, keepFinalStates: false);
            using (var segmented = new ManagedBackend(threads: 2, tilesPerBatch: 1))
            {
                others.Add(("segments of 256", EnsembleSolver.SolveInSegments(problem, ensemble, segmented, segmentLimit: 256)));
                bool wide = TileMoments.Wide;
                TileMoments.Wide = !wide;
                try
                {
                    others.Add(($"host routine wide {!wide}", EnsembleSolver.Solve(problem, ensemble, segmented)));
                }
                finally
                {
                    TileMoments.Wide = wide;
                }
            }

            foreach ((string label, EnsembleResult result) in others)
            {
                AssertSameProjections(reference.Statistics, result.Statistics, $"d = {d} managed vs {label}");
            }

            EnsembleStatistics merged = SolveInTwoShards(problem, ensemble, ilgpu.Whole);
            AssertSameProjections(reference.Statistics, merged, $"d = {d} ilgpu-cpu shards");
        }
    }

    [Fact]
    public void TheFullCovarianceAbove64CoordinatesIsTheCovarianceOfTheFinalStates()
    {
        Problem problem = CoordinateStatisticsTests.Problem100();
        var coordinates = new EnsembleAlgorithm(700, 20, 3, new RecordSpec(5));
        var full = coordinates with { FullCovariance = true };
        var model = EnsembleModel.From(problem, full);
        Assert.Equal(StatisticsPlan.FullPairs, model.Plan);
        Assert.True(model.HostStateSums);
        Assert.False(EnsembleModel.From(Problem3(), full).HostStateSums);

        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, full, backend, keepFinalStates: true);
        Moments m = result.Final.Moments;
        Assert.True(m.HasCovariance);
        Assert.Equal(StatisticsPlan.FullPairs, result.Statistics.Plan);

        var states = new double[result.Range.Count, 100];
        for (long t = 0; t < result.Range.Count; t++)
        {
            for (int i = 0; i < 100; i++)
            {
                states[t, i] = result.FinalState(t)[i];
            }
        }

        AssertClose(SampleCovariance(states), m.Covariance, 1e-11, "covariance");

        // the means, variances and per-coordinate moments are those of the coordinates-only run, bit for bit
        EnsembleResult plain = EnsembleSolver.Solve(problem, coordinates, backend);
        for (int r = 0; r < result.Records.Count; r++)
        {
            Moments a = plain.Records[r].Moments, b = result.Records[r].Moments;
            Assert.False(a.HasCovariance);
            Bitwise.AssertSameMoments(a, WithoutCovariance(b), $"record {r}");
        }

        // an identity projection about 0 with its covariance is the state itself: the same exact sums
        var identity = new double[100, 100];
        for (int i = 0; i < 100; i++)
        {
            identity[i, i] = 1.0;
        }

        var both = full with { Projection = new ProjectionSpec(new double[100], identity, covariance: true) };
        EnsembleResult withIdentity = EnsembleSolver.Solve(problem, both, backend);
        for (int r = 0; r < withIdentity.Records.Count; r++)
        {
            Assert.True(withIdentity.Statistics[r].Equals(withIdentity.Statistics.Projections(r)), $"record {r}: identity projections");
            Assert.True(withIdentity.Statistics[r].Equals(result.Statistics[r]), $"record {r}: state sums");
        }
    }

    [Fact]
    public void TheFullCovarianceAbove64IsBitIdenticalAcrossBackendsThreadsAndShards()
    {
        Problem problem = CoordinateStatisticsTests.Problem100();
        var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { FullCovariance = true };
        EnsembleResult reference;
        using (var managed = new ManagedBackend())
        {
            reference = EnsembleSolver.Solve(problem, ensemble, managed);
        }

        Assert.True(reference.Final.Moments.HasCovariance);
        foreach ((string label, EnsembleResult result) in ilgpu.SolveOnTheOtherCpuBackends(problem, ensemble, keepFinalStates: false))
        {
            Bitwise.AssertSameStatistics(reference.Statistics, result.Statistics, $"managed vs {label}");
        }

        AssertShardsAgree(problem, ensemble, reference.Statistics, ilgpu.Whole);
    }

    [Fact]
    public void StatisticsWithAndWithoutTheProjectionCovarianceDoNotMerge()
    {
        var with = new EnsembleStatistics(3, [0, 5], StatisticsPlan.FullPairs, 2, StatisticsPlan.FullPairs);
        var without = new EnsembleStatistics(3, [0, 5], StatisticsPlan.FullPairs, 2);
        Assert.Equal(StatisticsPlan.Coordinates, without.ProjectionPlan);
        Assert.Throws<ArgumentException>(() => with.Merge(without));
        Assert.Equal(StatisticsPlan.FullPairs, with.CreateEmpty().ProjectionPlan);
        var spec = new ProjectionSpec(new double[3], RandomMatrix(2, 3, 1), covariance: true);
        Assert.Equal(3 * 2 + 3, spec.SumsPerRecord);
        Assert.Equal(8, new ProjectionSpec(new double[3], RandomMatrix(2, 3, 1)).SumsPerRecord);
        Assert.Equal(spec, new ProjectionSpec(new double[3], RandomMatrix(2, 3, 1), covariance: true));
        Assert.NotEqual(spec, new ProjectionSpec(new double[3], RandomMatrix(2, 3, 1)));
        Assert.NotEqual(spec, new ProjectionSpec(new double[3], RandomMatrix(2, 3, 1), covariance: true) { CentreIsInitialMean = true });
    }

    private static void AssertSameProjections(EnsembleStatistics expected, EnsembleStatistics actual, string where)
    {
        Bitwise.AssertSameStatistics(expected, actual, where);
        Assert.Equal(expected.ProjectionPlan, actual.ProjectionPlan);
        for (int r = 0; r < expected.RecordSteps.Count; r++)
        {
            Assert.True(expected.Projections(r).Equals(actual.Projections(r)), $"{where}: projections of record {r}");
            Bitwise.AssertSameMoments(expected.Projections(r).ToMoments(), actual.Projections(r).ToMoments(), $"{where}: projected moments of record {r}");
        }
    }
}
