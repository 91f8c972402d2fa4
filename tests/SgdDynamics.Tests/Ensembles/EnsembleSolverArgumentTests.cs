using SgdDynamics.Backends;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>Range checks of <see cref="EnsembleSolver.Solve"/>: tile-aligned start, inside the ensemble, not empty.</summary>
[Collection(EnsembleCollection.Name)]
public class EnsembleSolverArgumentTests
{
    private const long Trajectories = 1000;

    private static Problem Small() => ProblemBuilder.Quadratic(
        hessian: new double[,] { { 1.0 } },
        noiseCovariance: new double[,] { { 1.0 } },
        learningRate: 0.1,
        initialMean: [1.0]);

    /// <summary>The ensemble that runs <see cref="Small"/>: <see cref="Trajectories"/> trajectories, 4 steps, seed 9.</summary>
    private static EnsembleAlgorithm Ensemble() => new(Trajectories, steps: 4, seed: 9);

    [Theory]
    [InlineData(100, 256)]   // start not a multiple of 256
    [InlineData(1, 10)]
    [InlineData(255, 100)]
    [InlineData(384, 100)]   // a multiple of 128, not of 256
    [InlineData(-256, 256)]  // negative start
    [InlineData(0, 1001)]    // past the end
    [InlineData(768, 233)]   // aligned, but ends at 1001
    [InlineData(1024, 1)]    // aligned, starts past the end
    [InlineData(0, 0)]       // empty
    [InlineData(256, -5)]    // negative count
    public void RangeThatIsMisalignedOutsideOrEmptyThrows(long first, long count)
    {
        using var backend = new ManagedBackend(1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EnsembleSolver.Solve(Small(), Ensemble(), backend, new TrajectoryRange(first, count)));
        Assert.Equal("range", e.ParamName);
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(0, 1)]
    [InlineData(256, 744)]
    [InlineData(768, 232)]
    [InlineData(512, 100)]
    public void AlignedRangeInsideTheEnsembleRuns(long first, long count)
    {
        using var backend = new ManagedBackend(1);
        var result = EnsembleSolver.Solve(Small(), Ensemble(), backend, new TrajectoryRange(first, count));
        Assert.Equal(new TrajectoryRange(first, count), result.Range);
        Assert.All(result.Records, r => Assert.Equal(count, r.Moments.Count + r.Moments.Diverged));
    }

    [Fact]
    public void NoRangeMeansTheWholeEnsemble()
    {
        using var backend = new ManagedBackend(1);
        var result = EnsembleSolver.Solve(Small(), Ensemble(), backend);
        Assert.Equal(new TrajectoryRange(0, Trajectories), result.Range);
        Assert.Equal(Trajectories, result.Final.Moments.Count);
    }
}
