using SgdDynamics.Backends;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Kernels;
using SgdDynamics.Theory;
using static SgdDynamics.Tests.Ensembles.ProjectionTestData;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// Moments along given directions (<see cref="ProjectionSpec"/>): y = V(x − c) per trajectory in double from the float
/// states, its coordinate sums reduced in the tile order and accumulated exactly on every backend.
/// </summary>
public class ProjectionStatisticsTests : IClassFixture<IlgpuCpuBackends>
{
    private readonly IlgpuCpuBackends ilgpu;

    public ProjectionStatisticsTests(IlgpuCpuBackends ilgpu) => this.ilgpu = ilgpu;

    private static double[,] Identity(int d)
    {
        var v = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            v[i, i] = 1.0;
        }

        return v;
    }

    /// <summary>K random orthonormal rows of length d (Gram–Schmidt on Gaussian vectors), K ≤ d.</summary>
    private static double[,] Orthonormal(int k, int d, int seed)
    {
        var random = new Random(seed);
        var v = new double[k, d];
        for (int a = 0; a < k; a++)
        {
            for (int i = 0; i < d; i++)
            {
                v[a, i] = random.NextDouble() - 0.5;
            }

            for (int pass = 0; pass < 2; pass++)
            {
                for (int b = 0; b < a; b++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++)
                    {
                        dot += v[a, i] * v[b, i];
                    }

                    for (int i = 0; i < d; i++)
                    {
                        v[a, i] -= dot * v[b, i];
                    }
                }
            }

            double norm = 0;
            for (int i = 0; i < d; i++)
            {
                norm += v[a, i] * v[a, i];
            }

            for (int i = 0; i < d; i++)
            {
                v[a, i] /= Math.Sqrt(norm);
            }
        }

        return v;
    }

    [Fact]
    public void IdentityDirectionsAboutZeroGiveExactlyTheCoordinateSums()
    {
        // with c = 0 and the identity rows, y_k = 1·x_k + Σ 0·x_j is x_k widened to double exactly, so every tile sum is the coordinate one
        foreach (Problem problem in new[] { Problem3(), CoordinateStatisticsTests.Problem100() })
        {
            int d = problem.Dimension;
            var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { Projection = new ProjectionSpec(new double[d], Identity(d)) };
            using var backend = new ManagedBackend();
            EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
            for (int r = 0; r < result.Records.Count; r++)
            {
                Moments x = result.Records[r].Moments;
                Moments y = result.Records[r].Projected!;
                Assert.False(y.HasCovariance);
                Assert.Equal((x.Count, x.Diverged), (y.Count, y.Diverged));
                Bitwise.AssertSame(x.Mean, y.Mean, $"d = {d} record {r} mean");
                Bitwise.AssertSame(x.Variance, y.Variance, $"d = {d} record {r} variance");
                Bitwise.AssertSame(x.MeanStandardError, y.MeanStandardError, $"d = {d} record {r} mean error");
                Bitwise.AssertSame(x.VarianceStandardError, y.VarianceStandardError, $"d = {d} record {r} variance error");
                Bitwise.AssertSame(x.ThirdCentralMoment, y.ThirdCentralMoment, $"d = {d} record {r} m3");
                Bitwise.AssertSame(x.FourthCentralMoment, y.FourthCentralMoment, $"d = {d} record {r} m4");
            }

            if (d > Limits.MaxDimension)
            {
                // both are coordinates-only accumulators of the same values: equal sums
                Assert.True(result.Statistics[result.Records.Count - 1].Equals(result.Statistics.Projections(result.Records.Count - 1)));
            }
        }
    }

    [Fact]
    public void IdentityDirectionsAboutACentreShiftTheMean()
    {
        // (double)x − c is rounded, so these agree to rounding only
        Problem problem = Problem3();
        double[] c = [0.3, -0.7, 1.1];
        var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { Projection = new ProjectionSpec(c, Identity(3)) };
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        Moments x = result.Final.Moments;
        Moments y = result.Final.Projected!;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(x.Mean[i] - c[i], y.Mean[i], 1e-12);
            Assert.Equal(x.Variance[i], y.Variance[i], 1e-12);
        }
    }

    [Fact]
    public void ProjectedMeansAndVariancesAgreeWithTheExactQuadraticTheory()
    {
        Problem problem = Problem3();
        double[] c = [0.2, 0.1, -0.3];
        double[,] v = Orthonormal(3, 3, 11);
        var ensemble = new EnsembleAlgorithm(16 * 256, 40, 17, new RecordSpec(10)) { Projection = new ProjectionSpec(c, v) };
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        var theory = QuadraticMomentTheory.Recursion(problem, ensemble.RecordSteps);
        double worst = 0;
        for (int r = 1; r < result.Records.Count; r++)
        {
            Moments y = result.Records[r].Projected!;
            for (int a = 0; a < 3; a++)
            {
                double mean = 0, variance = 0;
                for (int i = 0; i < 3; i++)
                {
                    mean += v[a, i] * (theory[r].Mean[i] - c[i]);
                    for (int j = 0; j < 3; j++)
                    {
                        variance += v[a, i] * theory[r].Covariance[i, j] * v[a, j];
                    }
                }

                double zMean = (y.Mean[a] - mean) / y.MeanStandardError[a];
                double zVariance = (y.Variance[a] - variance) / y.VarianceStandardError[a];
                worst = Math.Max(worst, Math.Max(Math.Abs(zMean), Math.Abs(zVariance)));
            }
        }

        // 4 records × 3 directions × 2 scores: |z| < 4.5 fails by chance with probability about 2e-4
        Assert.InRange(worst, 0.0, 4.5);
    }

    [Fact]
    public void ProjectionsAreBitIdenticalAcrossBackendsThreadsBatchesSegmentsAndShards()
    {
        foreach (Problem problem in new[] { Problem3(), CoordinateStatisticsTests.Problem100() })
        {
            int d = problem.Dimension;
            var random = new Random(5);
            double[] c = Enumerable.Range(0, d).Select(_ => random.NextDouble() - 0.5).ToArray();
            var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { Projection = new ProjectionSpec(c, Orthonormal(Math.Min(d, 7), d, 9)) };
            EnsembleResult reference;
            using (var managed = new ManagedBackend())
            {
                reference = EnsembleSolver.Solve(problem, ensemble, managed);
            }

            var others = ilgpu.SolveOnTheOtherCpuBackends(problem, ensemble, keepFinalStates: false);
            using (var segmented = new ManagedBackend(threads: 2, tilesPerBatch: 1))
            {
                others.Add(("segments of 256", EnsembleSolver.SolveInSegments(problem, ensemble, segmented, segmentLimit: 256)));
            }

            foreach ((string label, EnsembleResult result) in others)
            {
                AssertSameProjections(reference, result.Statistics, $"d = {d} managed vs {label}");
                Bitwise.AssertSameMoments(reference.Final.Projected!, result.Final.Projected!, $"d = {d} managed vs {label} moments");
            }

            foreach ((string label, IEnsembleBackend backend) in new (string, IEnsembleBackend)[] { ("ilgpu-cpu", ilgpu.Whole) })
            {
                EnsembleStatistics merged = SolveInTwoShards(problem, ensemble, backend);
                AssertSameProjections(reference, merged, $"d = {d} {label} shards");
            }
        }
    }

    [Fact]
    public void ShapesAreCheckedAndStatisticsWithDifferentProjectionsDoNotMerge()
    {
        Assert.Throws<ArgumentException>(() => new ProjectionSpec(new double[3], new double[2, 4]));
        Assert.Throws<ArgumentException>(() => new ProjectionSpec(new double[3], new double[0, 3]));
        Assert.Throws<ArgumentException>(() => new ProjectionSpec([double.NaN, 0, 0], Identity(3)));
        var wrong = new EnsembleAlgorithm(300, 20, 3) { Projection = new ProjectionSpec(new double[2], Identity(2)) };
        Assert.Throws<ArgumentException>(() => EnsembleModel.From(Problem3(), wrong));
        var with = new EnsembleStatistics(3, [0, 5], SgdDynamics.Kernels.Statistics.StatisticsPlan.FullPairs, 2);
        var without = new EnsembleStatistics(3, [0, 5], SgdDynamics.Kernels.Statistics.StatisticsPlan.FullPairs);
        Assert.Throws<ArgumentException>(() => with.Merge(without));
        Assert.Throws<InvalidOperationException>(() => without.Projections(0));
        using var backend = new ManagedBackend();
        Assert.Null(EnsembleSolver.Solve(Problem3(), new EnsembleAlgorithm(300, 5, 1), backend).Final.Projected);
    }

    private static void AssertSameProjections(EnsembleResult reference, EnsembleStatistics actual, string where)
    {
        Bitwise.AssertSameStatistics(reference.Statistics, actual, where);
        Assert.Equal(reference.Statistics.ProjectionCount, actual.ProjectionCount);
        for (int r = 0; r < reference.Records.Count; r++)
        {
            Assert.True(reference.Statistics.Projections(r).Equals(actual.Projections(r)), $"{where}: projections of record {r}");
        }
    }
}
