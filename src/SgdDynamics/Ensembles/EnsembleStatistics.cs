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

    /// <summary>Empty full-pairs statistics for dimension <paramref name="dimension"/> and the given recorded steps.</summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps)
        : this(dimension, recordSteps, StatisticsPlan.FullPairs)
    {
    }

    /// <summary>Empty statistics for dimension <paramref name="dimension"/>, the given recorded steps and <paramref name="plan"/>.</summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps, StatisticsPlan plan)
    {
        Dimension = dimension;
        Plan = plan;
        RecordSteps = recordSteps.ToArray();
        records = RecordSteps.Select(_ => new MomentAccumulator(dimension, plan)).ToArray();
    }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The statistics recorded (full pairs or coordinates only).</summary>
    public StatisticsPlan Plan { get; }

    /// <summary>The recorded steps.</summary>
    public IReadOnlyList<int> RecordSteps { get; }

    /// <summary>The accumulator of record <paramref name="record"/>.</summary>
    public MomentAccumulator this[int record] => records[record];

    /// <summary>Empty statistics of the same shape (a worker's local copy).</summary>
    public EnsembleStatistics CreateEmpty() => new(Dimension, RecordSteps, Plan);

    /// <summary>Adds one tile: its valid and diverged counts and its sums in <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> order.</summary>
    public void Deposit(int record, long valid, long diverged, ReadOnlySpan<double> sums)
    {
        int d = Dimension;
        int products = TileLayout.ProductCount(d, Plan);
        records[record].DepositTile(valid, diverged, sums[..d], sums.Slice(d, products), sums.Slice(d + products, d), sums.Slice(2 * d + products, d));
    }

    /// <summary>Adds another run's statistics (exact).</summary>
    /// <exception cref="ArgumentException">The plans differ.</exception>
    public void Merge(EnsembleStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Plan != Plan)
        {
            throw new ArgumentException($"cannot merge {other.Plan} statistics into {Plan} statistics", nameof(other));
        }

        for (int r = 0; r < records.Length; r++)
        {
            records[r].Merge(other.records[r]);
        }
    }
}
