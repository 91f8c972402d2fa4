using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Backends;

/// <summary>
/// Trajectories [<see cref="First"/>, <see cref="First"/> + <see cref="Count"/>) of an ensemble. Trajectory i
/// has Philox key (seed, i) whatever range it is run in; <see cref="First"/> is a multiple of the tile size
/// so a range's statistics merge exactly with its neighbours'.
/// </summary>
public readonly record struct TrajectoryRange(long First, long Count)
{
    /// <summary>One past the last trajectory.</summary>
    public long End => First + Count;
}

/// <summary>
/// A compute backend for ensembles: runs the trajectories of a range through every recorded step and
/// deposits their tile sums into the statistics. Backends differ in where the shared kernel physics runs,
/// never in what it computes.
/// </summary>
public interface IEnsembleBackend : IDisposable
{
    /// <summary>Backend name as the command line takes it (managed, ilgpu-cpu, cuda, opencl).</summary>
    string Name { get; }

    /// <summary>The device that runs it, in words.</summary>
    string Device { get; }

    /// <summary>The device value the backend runs on.</summary>
    ComputeDevice ComputeDevice { get; }

    /// <summary>
    /// The fewest trajectories (a multiple of <see cref="TileLayout.TileSize"/>) a range should hold to keep the device
    /// busy: the smallest segment <see cref="EnsembleSolver.SolveInSegments"/> hands to <see cref="Run"/>.
    /// </summary>
    long MinimumSegment { get; }

    /// <summary>
    /// Runs <paramref name="range"/> of <paramref name="model"/>, depositing into <paramref name="statistics"/>;
    /// <paramref name="progress"/> receives completed trajectory-steps (from any thread). When
    /// <paramref name="finalStates"/> is given (length Count·d) it receives every trajectory's last state,
    /// trajectory-major: coordinate i of trajectory First + t at <c>[t·d + i]</c> (NaN when diverged).
    /// </summary>
    void Run(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates = null);
}
