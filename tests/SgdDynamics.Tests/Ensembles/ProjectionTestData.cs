using SgdDynamics.Backends;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>Inputs and runs shared by the statistics and projection tests.</summary>
internal static class ProjectionTestData
{
    /// <summary>A three-dimensional quadratic problem with coupled Hessian, noise and starting covariance.</summary>
    public static Problem Problem3()
    {
        var hessian = new double[,] { { 1.5, 0.3, 0.0 }, { 0.3, 0.8, 0.1 }, { 0.0, 0.1, 0.4 } };
        var noise = new double[,] { { 0.6, 0.0, 0.0 }, { 0.1, 0.5, 0.0 }, { 0.0, 0.2, 0.7 } };
        var start = new double[,] { { 0.3, 0.0, 0.0 }, { 0.0, 0.2, 0.0 }, { 0.0, 0.0, 0.25 } };
        return ProblemBuilder.Quadratic(hessian, noise, learningRate: 0.1, initialMean: [1.0, -0.5, 0.8], initialCovariance: start);
    }

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> matrix of uniform entries in [−0.5, 0.5), row by row.</summary>
    public static double[,] RandomMatrix(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var v = new double[rows, columns];
        for (int a = 0; a < rows; a++)
        {
            for (int i = 0; i < columns; i++)
            {
                v[a, i] = random.NextDouble() - 0.5;
            }
        }

        return v;
    }

    /// <summary>
    /// The statistics of trajectories 0 … 255 and 256 … 299 of <paramref name="ensemble"/> solved apart on
    /// <paramref name="backend"/>, merged (the second shard first).
    /// </summary>
    public static EnsembleStatistics SolveInTwoShards(Problem problem, EnsembleAlgorithm ensemble, IEnsembleBackend backend)
    {
        EnsembleResult head = EnsembleSolver.Solve(problem, ensemble, backend, new TrajectoryRange(0, 256));
        EnsembleResult tail = EnsembleSolver.Solve(problem, ensemble, backend, new TrajectoryRange(256, 44));
        EnsembleStatistics merged = tail.Statistics.CreateEmpty();
        merged.Merge(tail.Statistics);
        merged.Merge(head.Statistics);
        return merged;
    }

    /// <summary>
    /// Asserts that <see cref="SolveInTwoShards"/> on two managed threads with one tile a batch and on
    /// <paramref name="ilgpuWhole"/> gives <paramref name="reference"/> bit for bit.
    /// </summary>
    public static void AssertShardsAgree(Problem problem, EnsembleAlgorithm ensemble, EnsembleStatistics reference, IEnsembleBackend ilgpuWhole)
    {
        using var shards = new ManagedBackend(threads: 2, tilesPerBatch: 1);
        foreach ((string label, IEnsembleBackend backend) in new (string, IEnsembleBackend)[] { ("managed", shards), ("ilgpu-cpu", ilgpuWhole) })
        {
            Bitwise.AssertSameStatistics(reference, SolveInTwoShards(problem, ensemble, backend), $"{label} shards");
        }
    }
}
