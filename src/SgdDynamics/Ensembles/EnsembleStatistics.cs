using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>
/// The streaming statistics of an ensemble run: one exact <see cref="MomentAccumulator"/> per recorded
/// step, fed with tile sums in the order of <see cref="TileLayout.Statistics"/> (S1, S2, S3, S4). Deposits
/// and merges are exact integer additions, so the result does not depend on how the trajectories were
/// split among threads, batches or shards.
/// </summary>
public sealed class EnsembleStatistics
{
    private readonly MomentAccumulator[] records;

    /// <summary>Empty statistics for dimension <paramref name="dimension"/> and the given recorded steps.</summary>
    public EnsembleStatistics(int dimension, IReadOnlyList<int> recordSteps)
    {
        Dimension = dimension;
        RecordSteps = recordSteps.ToArray();
        records = RecordSteps.Select(_ => new MomentAccumulator(dimension)).ToArray();
    }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>The recorded steps.</summary>
    public IReadOnlyList<int> RecordSteps { get; }

    /// <summary>The accumulator of record <paramref name="record"/>.</summary>
    public MomentAccumulator this[int record] => records[record];

    /// <summary>Empty statistics of the same shape (a worker's local copy).</summary>
    public EnsembleStatistics CreateEmpty() => new(Dimension, RecordSteps);

    /// <summary>Adds one tile: its valid and diverged counts and its sums in <see cref="TileLayout.Statistics"/> order.</summary>
    public void Deposit(int record, long valid, long diverged, ReadOnlySpan<double> sums)
    {
        int d = Dimension;
        int products = d * (d + 1) / 2;
        records[record].DepositTile(valid, diverged, sums[..d], sums.Slice(d, products), sums.Slice(d + products, d), sums.Slice(2 * d + products, d));
    }

    /// <summary>Adds another run's statistics (exact).</summary>
    public void Merge(EnsembleStatistics other)
    {
        for (int r = 0; r < records.Length; r++)
        {
            records[r].Merge(other.records[r]);
        }
    }
}
