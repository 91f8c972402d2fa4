namespace SgdDynamics.Kernels.Statistics;

/// <summary>Which second moments an ensemble records (see <see cref="TileLayout.Statistics(int, StatisticsPlan)"/>).</summary>
public enum StatisticsPlan
{
    /// <summary>Σ x_i x_j for every pair i ≤ j: the full covariance (d(d+1)/2 sums).</summary>
    FullPairs,

    /// <summary>Σ x_i² per coordinate only: means, variances and per-coordinate moments, no covariances (d sums).</summary>
    Coordinates,
}
