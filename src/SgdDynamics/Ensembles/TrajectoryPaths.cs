using SgdDynamics.Backends;
using SgdDynamics.Problems;

namespace SgdDynamics.Ensembles;

/// <summary>
/// The states of the first trajectories of an ensemble at every recorded step (their paths), as float32: for record r
/// the backend runs trajectories [0, K) through the first r + 1 records (<see cref="EnsembleModel.Through"/>) and keeps
/// their final states. A trajectory's random numbers are keyed by (seed, trajectory, step) and divergence is checked at
/// the same records, so each row is bit-identical to the full run's states at that step (the last row to its final
/// states). The cost is K·Σᵣ stepᵣ trajectory-steps: about K·R·steps/2, small for the few trajectories paths are for.
/// </summary>
public static class TrajectoryPaths
{
    /// <summary>
    /// The states of trajectories [0, <paramref name="count"/>) at every record of <paramref name="algorithm"/>, laid out
    /// (count, records, d) in C order; a diverged trajectory's states are NaN from the record at which it was found diverged.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, above the ensemble's trajectories, or the paths hold more than <see cref="Array.MaxLength"/> values.</exception>
    public static float[] Record(Problem problem, EnsembleAlgorithm algorithm, IEnsembleBackend backend, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, algorithm.Trajectories);
        var model = EnsembleModel.From(problem, algorithm);
        int d = model.Dimension;
        int records = model.RecordSteps.Length;
        long length = (long)count * records * d;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count:N0} paths × {records:N0} records × d = {d} are {length:N0} values, more than the largest array ({Array.MaxLength:N0})");
        }

        var paths = new float[length];
        var states = new float[count * d];
        var range = new TrajectoryRange(0, count);
        for (int r = 0; r < records; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            EnsembleModel through = model.Through(r + 1);
            var statistics = new EnsembleStatistics(d, through.RecordSteps, through.Plan, through.ProjectionCount, through.ProjectionPlan);
            backend.Run(through, range, statistics, null, cancellationToken, states);
            for (int k = 0; k < count; k++)
            {
                states.AsSpan(k * d, d).CopyTo(paths.AsSpan((int)((((long)k * records) + r) * d), d));
            }
        }

        return paths;
    }
}
