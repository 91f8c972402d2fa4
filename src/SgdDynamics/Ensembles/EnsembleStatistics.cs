using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>
/// The streaming statistics of an ensemble run: one exact <see cref="MomentAccumulator"/> per recorded
/// step, fed with tile sums in the order of <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> (S1, S2, S3, S4). Deposits
/// and merges are exact integer additions, so the result does not depend on how the trajectories were
/// split among threads, batches or shards.
/// </summary>
public sealed class EnsembleStatistics
{
    private readonly MomentAccumulator[] records;
    private readonly MomentAccumulator[] projections;

    /// <summary>Empty full-pairs statistics for dimension <paramref name="dimension"/> and the given recorded steps.</summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps)
        : this(dimension, recordSteps, StatisticsPlan.FullPairs)
    {
    }

    /// <summary>Empty statistics for dimension <paramref name="dimension"/>, the given recorded steps and <paramref name="plan"/>.</summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps, StatisticsPlan plan)
        : this(dimension, recordSteps, plan, 0)
    {
    }

    /// <summary>
    /// Empty statistics as <see cref="EnsembleStatistics(int, IReadOnlyList{int}, StatisticsPlan)"/>, with
    /// <paramref name="projections"/> projected coordinates (0: none; see <see cref="ProjectionSpec"/>) recorded per coordinate.
    /// </summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps, StatisticsPlan plan, int projections)
        : this(dimension, recordSteps, plan, projections, StatisticsPlan.Coordinates)
    {
    }

    /// <summary>
    /// Empty statistics as <see cref="EnsembleStatistics(int, IReadOnlyList{int}, StatisticsPlan)"/>, with
    /// <paramref name="projections"/> projected coordinates (0: none; see <see cref="ProjectionSpec"/>) recorded under
    /// <paramref name="projectionPlan"/> (<see cref="StatisticsPlan.FullPairs"/>: with their covariance).
    /// </summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps, StatisticsPlan plan, int projections, StatisticsPlan projectionPlan)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(projections);
        Dimension = dimension;
        Plan = plan;
        ProjectionCount = projections;
        ProjectionPlan = projectionPlan;
        RecordSteps = recordSteps.ToArray();
        records = RecordSteps.Select(_ => new MomentAccumulator(dimension, plan)).ToArray();
        this.projections = projections == 0
            ? []
            : RecordSteps.Select(_ => new MomentAccumulator(ProjectionCount, projectionPlan)).ToArray();
    }

    /// <summary>The second moments of the projections: all pairs (their covariance) or the squares only.</summary>
    public StatisticsPlan ProjectionPlan { get; }

    /// <summary>Number K of projected coordinates recorded (0: none).</summary>
    public int ProjectionCount { get; }

    /// <summary>The exact sums of the projections at record <paramref name="record"/>.</summary>
    /// <exception cref="InvalidOperationException">No projections are recorded.</exception>
    public MomentAccumulator Projections(int record) =>
        ProjectionCount == 0 ? throw new InvalidOperationException("no projections are recorded") : projections[record];

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The statistics recorded (full pairs or coordinates only).</summary>
    public StatisticsPlan Plan { get; }

    /// <summary>The recorded steps.</summary>
    public IReadOnlyList<int> RecordSteps { get; }

    /// <summary>The accumulator of record <paramref name="record"/>.</summary>
    public MomentAccumulator this[int record] => records[record];

    /// <summary>Empty statistics of the same shape (a worker's local copy).</summary>
    public EnsembleStatistics CreateEmpty() => new(Dimension, RecordSteps, Plan, ProjectionCount, ProjectionPlan);

    /// <summary>Adds one tile: its valid and diverged counts and its sums in <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> order.</summary>
    public void Deposit(int record, long valid, long diverged, ReadOnlySpan<double> sums)
    {
        int d = Dimension;
        int products = TileLayout.ProductCount(d, Plan);
        records[record].DepositTile(valid, diverged, sums[..d], sums.Slice(d, products), sums.Slice(d + products, d), sums.Slice(2 * d + products, d));
    }

    /// <summary>
    /// Adds one tile of projections: its valid and diverged counts and the sums of <see cref="ProjectionSpec"/> in the
    /// order of <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> for K coordinates and <see cref="ProjectionPlan"/>
    /// (Σy, then Σy_a y_b for a ≤ b or Σy², then Σy³, Σy⁴).
    /// </summary>
    public void DepositProjections(int record, long valid, long diverged, ReadOnlySpan<double> sums)
    {
        int k = ProjectionCount;
        int products = TileLayout.ProductCount(k, ProjectionPlan);
        Projections(record).DepositTile(valid, diverged, sums[..k], sums.Slice(k, products), sums.Slice(k + products, k), sums.Slice(2 * k + products, k));
    }

    /// <summary>Adds another run's statistics (exact).</summary>
    /// <exception cref="ArgumentException">The plans, the numbers of projections or their plans differ.</exception>
    public void Merge(EnsembleStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Plan != Plan)
        {
            throw new ArgumentException($"cannot merge {other.Plan} statistics into {Plan} statistics", nameof(other));
        }

        if (other.ProjectionCount != ProjectionCount || other.ProjectionPlan != ProjectionPlan)
        {
            throw new ArgumentException($"cannot merge statistics with {other.ProjectionCount} projections ({other.ProjectionPlan}) into ones with {ProjectionCount} ({ProjectionPlan})", nameof(other));
        }

        for (int r = 0; r < records.Length; r++)
        {
            records[r].Merge(other.records[r]);
            if (ProjectionCount > 0)
            {
                projections[r].Merge(other.projections[r]);
            }
        }
    }
}
