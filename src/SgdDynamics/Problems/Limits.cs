namespace SgdDynamics.Problems;

/// <summary>The engine's limits, defined once; scenario checks, models and messages use these.</summary>
public static class Limits
{
    /// <summary>Largest dimension d (statistic codes hold coordinates in 8 bits; 64 keeps a tile's moment sums in cache).</summary>
    public const int MaxDimension = 64;

    /// <summary>
    /// Largest state dimension of an ensemble (statistic codes hold coordinates in 12 bits). Above
    /// <see cref="MaxDimension"/> an ensemble records coordinates only (<see cref="Kernels.Statistics.StatisticsPlan.Coordinates"/>):
    /// means, variances and per-coordinate moments, no covariances. Landscapes keep their own caps.
    /// </summary>
    public const int MaxStateDimension = 4096;

    /// <summary>The statistics an ensemble of dimension <paramref name="dimension"/> records: full pairs up to <see cref="MaxDimension"/>, coordinates only above.</summary>
    public static Kernels.Statistics.StatisticsPlan StatisticsPlanFor(int dimension) =>
        dimension <= MaxDimension ? Kernels.Statistics.StatisticsPlan.FullPairs : Kernels.Statistics.StatisticsPlan.Coordinates;

    /// <summary>Largest ensemble size: the trajectory index is one 32-bit Philox key word.</summary>
    public const long MaxTrajectories = 1L << 32;

    /// <summary>Largest divergence threshold, so that sums of x⁴ over an ensemble stay representable.</summary>
    public const double MaxDivergenceThreshold = 1e15;

    /// <summary>
    /// Largest number of grid cells, 2²⁴ (e.g. 4096 × 4096 or 16.7 M cells in 1-D). The peak memory of a run is measured at
    /// about 800 bytes a cell for the 2-D Fokker–Planck solver (a 9-point sparse matrix, its ILU factors, the Krylov vectors,
    /// the density files and plots; 3.2 GiB at 2048²), so 4096² needs about 13 GiB; the command line estimates each run's
    /// memory before it starts and refuses one that does not fit (README, "Resource limits").
    /// </summary>
    public const long MaxGridCells = 1L << 24;
}
