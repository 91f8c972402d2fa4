using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>Moments of the ensemble at one recorded step (time t = step·η).</summary>
public sealed record EnsembleRecord(int Step, double Time, Moments Moments);

/// <summary>The outcome of an ensemble run.</summary>
public sealed record EnsembleResult(
    Problem Problem,
    EnsembleAlgorithm Algorithm,
    string Backend,
    string Device,
    TrajectoryRange Range,
    IReadOnlyList<EnsembleRecord> Records,
    EnsembleStatistics Statistics,
    double Seconds,
    float[]? FinalStates = null)
{
    /// <summary>The last record.</summary>
    public EnsembleRecord Final => Records[^1];

    /// <summary>Trajectory-steps simulated per second of wall time (statistics included).</summary>
    public double TrajectoryStepsPerSecond => Range.Count * (double)Algorithm.Steps / Seconds;

    /// <summary>Last state of trajectory <paramref name="trajectory"/> (an index inside <see cref="Range"/>), when kept.</summary>
    public ReadOnlySpan<float> FinalState(long trajectory) =>
        FinalStates is null
            ? throw new InvalidOperationException("final states were not kept: solve with keepFinalStates")
            : FinalStates.AsSpan((int)((trajectory - Range.First) * Problem.Dimension), Problem.Dimension);

    /// <summary>The first recorded step with a diverged trajectory, or null.</summary>
    public int? FirstDivergedStep => Records.FirstOrDefault(r => r.Moments.Diverged > 0)?.Step;
}

/// <summary>
/// Monte-Carlo solver: <c>Solve(problem, algorithm, backend)</c> runs the ensemble and streams its statistics
/// (docs/architecture.md, "Data flow": problem, algorithm and device are separate values).
/// </summary>
public static class EnsembleSolver
{
    /// <summary>
    /// Runs <paramref name="problem"/> with the ensemble <paramref name="algorithm"/> on <paramref name="backend"/>: all trajectories, or those of
    /// <paramref name="range"/> (whose first index must be a multiple of <see cref="TileLayout.TileSize"/>).
    /// <paramref name="progress"/> receives completed trajectory-steps, from any thread.
    /// <paramref name="keepFinalStates"/> keeps every trajectory's last state (Count·d floats) in the result.
    /// </summary>
    public static EnsembleResult Solve(
        Problem problem,
        EnsembleAlgorithm algorithm,
        IEnsembleBackend backend,
        TrajectoryRange? range = null,
        Action<long>? progress = null,
        CancellationToken cancellationToken = default,
        bool keepFinalStates = false)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        TrajectoryRange r = range ?? new TrajectoryRange(0, algorithm.Trajectories);
        if (r.First < 0 || r.Count < 1 || r.End > algorithm.Trajectories)
        {
            throw new ArgumentOutOfRangeException(nameof(range), $"range [{r.First}, {r.End}) is not inside the ensemble of {algorithm.Trajectories}");
        }

        if (r.End > 1L << 32)
        {
            throw new ArgumentOutOfRangeException(nameof(range), "trajectory indices are 32-bit Philox key words: at most 2^32 trajectories");
        }

        if (r.First % TileLayout.TileSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(range), $"range must start at a multiple of {TileLayout.TileSize}");
        }

        var model = EnsembleModel.From(problem, algorithm);
        var statistics = new EnsembleStatistics(model.Dimension, model.RecordSteps);
        float[]? finalStates = keepFinalStates ? new float[checked((int)(r.Count * model.Dimension))] : null;
        var clock = Stopwatch.StartNew();
        backend.Run(model, r, statistics, progress, cancellationToken, finalStates);
        double seconds = clock.Elapsed.TotalSeconds;
        var records = model.RecordSteps
            .Select((step, i) => new EnsembleRecord(step, step * problem.Dynamics.LearningRate, statistics[i].ToMoments()))
            .ToArray();
        return new EnsembleResult(problem, algorithm, backend.Name, backend.Device, r, records, statistics, seconds, finalStates);
    }
}
