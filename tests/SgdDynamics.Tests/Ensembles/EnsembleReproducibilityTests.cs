using SgdDynamics.Backends;
using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// Same seed, same statistics, bit for bit: whatever the thread count, batch size, SIMD lane width,
/// ILGPU chunking or shard split (counter-based Philox keyed by (seed, trajectory), canonical tile sums,
/// exact fixed-point merges). Checked with <see cref="SgdDynamics.Statistics.MomentAccumulator.Equals(SgdDynamics.Statistics.MomentAccumulator)"/>
/// at every record, bitwise equality of every <see cref="SgdDynamics.Statistics.Moments"/> array, and
/// bitwise equality of every trajectory's final state. These are exact, not statistical, checks.
/// </summary>
[Collection(EnsembleCollection.Name)]
public class EnsembleReproducibilityTests
{
    /// <summary>37 full tiles and a partial one, so padding lanes are exercised too.</summary>
    private const long Trajectories = 37 * 256 + 100;

    public static TheoryData<string> ProblemNames => ["sgd-3d", "heavy-ball-2d", "sgd-diverging"];

    public static TheoryData<string, string> ProblemsAndBackends
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string problem in new[] { "sgd-3d", "heavy-ball-2d", "sgd-diverging" })
            {
                foreach (string backend in BackendNames)
                {
                    data.Add(problem, backend);
                }
            }

            return data;
        }
    }

    private static readonly string[] BackendNames =
    [
        "managed threads=2 tiles=3",
        "managed threads=3 tiles=64",
        "managed threads=2 tiles=1",
        "managed threads=1 tiles=1 vector256",
        "managed threads=3 tiles=3 vector256",
        "ilgpu-cpu",
        "ilgpu-cpu chunk=256",
    ];

    /// <summary>The reference: one thread, one tile per batch, widest lanes.</summary>
    private static IEnsembleBackend Reference() => new ManagedBackend(threads: 1, tilesPerBatch: 1);

    private static IEnsembleBackend Open(string name) => name switch
    {
        "managed threads=2 tiles=3" => new ManagedBackend(2, 3),
        "managed threads=3 tiles=64" => new ManagedBackend(3, 64),
        "managed threads=2 tiles=1" => new ManagedBackend(2, 1),
        "managed threads=1 tiles=1 vector256" => new ManagedBackend(1, 1, forceVector256: true),
        "managed threads=3 tiles=3 vector256" => new ManagedBackend(3, 3, forceVector256: true),
        "ilgpu-cpu" => IlgpuBackend.Open("ilgpu-cpu"),
        "ilgpu-cpu chunk=256" => IlgpuBackend.Open("ilgpu-cpu", 256),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>
    /// Problems that touch every code path: dense H, full Σ, curvature noise, a linear term, a correlated
    /// Gaussian start, heavy ball, and a low divergence threshold that removes trajectories as they go;
    /// each with its ensemble of <see cref="Trajectories"/> trajectories from <paramref name="seed"/>.
    /// Records at 0, 7, 14, 21, 28 and 30 (a short last interval).
    /// </summary>
    internal static (Problem Problem, EnsembleAlgorithm Ensemble) Make(string name, uint seed) => name switch
    {
        "sgd-3d" => (
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 1.5, 0.4, -0.2 }, { 0.4, 1.0, 0.3 }, { -0.2, 0.3, 0.6 } },
                noiseCovariance: new[,] { { 1.0, 0.5, 0.2 }, { 0.5, 0.8, -0.3 }, { 0.2, -0.3, 0.5 } },
                learningRate: 0.2,
                initialMean: [1.0, -2.0, 0.5],
                linearTerm: [0.1, -0.2, 0.3],
                curvatureNoiseStd: [0.3, 0.0, 0.2],
                initialCovariance: new[,] { { 0.5, 0.1, 0.0 }, { 0.1, 0.3, 0.05 }, { 0.0, 0.05, 0.2 } }),
            Ensemble(seed)),
        "heavy-ball-2d" => (
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 1.0, 0.25 }, { 0.25, 0.5 } },
                noiseCovariance: new[,] { { 0.5, -0.125 }, { -0.125, 0.25 } },
                learningRate: 0.3,
                initialMean: [2.0, -1.0],
                curvatureNoiseStd: [0.2, 0.25],
                momentum: 0.6,
                initialCovariance: new[,] { { 0.25, 0.0625 }, { 0.0625, 0.125 } }),
            Ensemble(seed)),
        "sgd-diverging" => (
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 1.0, 0.25 }, { 0.25, 0.5 } },
                noiseCovariance: new[,] { { 1.0, 0.0 }, { 0.0, 1.0 } },
                learningRate: 0.5,
                initialMean: [0.0, 0.5],
                curvatureNoiseStd: [1.5, 0.0],
                initialCovariance: new[,] { { 1.0, 0.0 }, { 0.0, 1.0 } }),
            Ensemble(seed, divergenceThreshold: 2.5)),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary><see cref="Trajectories"/> trajectories from <paramref name="seed"/>, 30 steps, a record every 7 steps.</summary>
    private static EnsembleAlgorithm Ensemble(uint seed, double divergenceThreshold = EnsembleAlgorithm.DefaultDivergenceThreshold) =>
        new(Trajectories, steps: 30, seed, new RecordSpec(7), divergenceThreshold);

    [Theory]
    [MemberData(nameof(ProblemsAndBackends))]
    public void SameSeedGivesBitIdenticalStatisticsOnEveryConfiguration(string problemName, string backendName)
    {
        var (problem, ensemble) = Make(problemName, seed: 2024);
        EnsembleResult expected;
        using (var reference = Reference())
        {
            expected = EnsembleSolver.Solve(problem, ensemble, reference, keepFinalStates: true);
        }

        if (problemName == "sgd-diverging")
        {
            // The divergence path is really taken: some trajectories are removed, some remain.
            Assert.InRange(expected.Final.Moments.Diverged, 1, Trajectories - 1);
        }

        using var backend = Open(backendName);
        var actual = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);

        AssertSameResult(expected, actual, backendName);
    }

    [Fact]
    public void ForcedVector256LanesReallyChangeTheLaneWidthOnThisMachine()
    {
        // Guards the meaning of the Vector512-versus-Vector256 comparison above: on an AVX-512 machine the
        // default backend uses Vector512 lanes and the forced one Vector256.
        using var wide = new ManagedBackend(1, 1);
        using var narrow = new ManagedBackend(1, 1, forceVector256: true);
        Assert.Contains("Vector256", narrow.Device, StringComparison.Ordinal);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.Contains("Vector512", wide.Device, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(ProblemNames))]
    public void ShardSplitMergesToTheSingleRun(string problemName)
    {
        var (problem, ensemble) = Make(problemName, seed: 77);
        using var reference = Reference();
        var single = EnsembleSolver.Solve(problem, ensemble, reference, keepFinalStates: true);
        long n = ensemble.Trajectories;

        // [0, 512) + [512, N): merged in both orders.
        var head = EnsembleSolver.Solve(problem, ensemble, reference, new TrajectoryRange(0, 512), keepFinalStates: true);
        var tail = EnsembleSolver.Solve(problem, ensemble, reference, new TrajectoryRange(512, n - 512), keepFinalStates: true);
        Assert.Equal(512, head.Range.Count);
        Assert.Equal(n - 512, tail.Range.Count);

        var forward = new EnsembleStatistics(problem.Dimension, ensemble.RecordSteps);
        forward.Merge(head.Statistics);
        forward.Merge(tail.Statistics);
        Bitwise.AssertSameStatistics(single.Statistics, forward, "head+tail");

        var backward = new EnsembleStatistics(problem.Dimension, ensemble.RecordSteps);
        backward.Merge(tail.Statistics);
        backward.Merge(head.Statistics);
        Bitwise.AssertSameStatistics(single.Statistics, backward, "tail+head");

        // A shard's trajectories are the single run's: same final states, index for index.
        Bitwise.AssertSame(single.FinalStates!, [.. head.FinalStates!, .. tail.FinalStates!], "final states of the shards");
        Bitwise.AssertSame(single.FinalStates.AsSpan(512 * problem.Dimension).ToArray(), tail.FinalStates!, "tail final states");
        Assert.True(tail.FinalState(512).SequenceEqual(single.FinalState(512)));

        // Three uneven shards, each on a different backend (ILGPU on a range that starts inside the
        // ensemble and runs in several chunks), merged in a scrambled order.
        using var ilgpu = IlgpuBackend.Open("ilgpu-cpu", 1024);
        using var narrow = new ManagedBackend(2, 2, forceVector256: true);
        var a = EnsembleSolver.Solve(problem, ensemble, narrow, new TrajectoryRange(0, 1024));
        var b = EnsembleSolver.Solve(problem, ensemble, ilgpu, new TrajectoryRange(1024, 4096), keepFinalStates: true);
        var c = EnsembleSolver.Solve(problem, ensemble, reference, new TrajectoryRange(5120, n - 5120));
        Bitwise.AssertSame(single.FinalStates.AsSpan(1024 * problem.Dimension, 4096 * problem.Dimension).ToArray(), b.FinalStates!, "ILGPU shard final states");
        var scrambled = new EnsembleStatistics(problem.Dimension, ensemble.RecordSteps);
        scrambled.Merge(c.Statistics);
        scrambled.Merge(a.Statistics);
        scrambled.Merge(b.Statistics);
        Bitwise.AssertSameStatistics(single.Statistics, scrambled, "three shards on three backends");
    }

    [Theory]
    [MemberData(nameof(ProblemNames))]
    public void RepeatedRunsAreIdenticalAndADifferentSeedDiffers(string problemName)
    {
        using var backend = new ManagedBackend();
        EnsembleResult Run(uint seed)
        {
            var (problem, ensemble) = Make(problemName, seed);
            return EnsembleSolver.Solve(problem, ensemble, backend);
        }

        var first = Run(5);
        var again = Run(5);
        AssertSameResult(first, again, "second run");

        var other = Run(6);
        for (int r = 0; r < first.Records.Count; r++)
        {
            // Every record starts from a random Gaussian law, so every record's sums differ.
            Assert.False(first.Statistics[r].Equals(other.Statistics[r]), $"record {r}: seeds 5 and 6 gave equal statistics");
            Assert.NotEqual(first.Records[r].Moments.Mean[0], other.Records[r].Moments.Mean[0]);
        }
    }

    private static void AssertSameResult(EnsembleResult expected, EnsembleResult actual, string where)
    {
        Assert.Equal(expected.Range, actual.Range);
        Bitwise.AssertSameStatistics(expected.Statistics, actual.Statistics, where);
        Assert.Equal(expected.Records.Count, actual.Records.Count);
        for (int r = 0; r < expected.Records.Count; r++)
        {
            Assert.Equal(expected.Records[r].Step, actual.Records[r].Step);
            Assert.Equal(expected.Records[r].Time, actual.Records[r].Time);
            Bitwise.AssertSameMoments(expected.Records[r].Moments, actual.Records[r].Moments, $"{where} record {r}");
        }

        if (expected.FinalStates is not null && actual.FinalStates is not null)
        {
            Bitwise.AssertSame(expected.FinalStates, actual.FinalStates, $"{where} final states");
        }
    }
}
