namespace SgdDynamics.Problems;

/// <summary>The engine's limits, defined once; scenario checks, models and messages use these.</summary>
public static class Limits
{
    /// <summary>Largest dimension d (statistic codes hold coordinates in 8 bits; 64 keeps a tile's moment sums in cache).</summary>
    public const int MaxDimension = 64;

    /// <summary>Largest ensemble size: the trajectory index is one 32-bit Philox key word.</summary>
    public const long MaxTrajectories = 1L << 32;

    /// <summary>Largest divergence threshold, so that sums of x⁴ over an ensemble stay representable.</summary>
    public const double MaxDivergenceThreshold = 1e15;

    /// <summary>
    /// Largest number of grid cells, 2²⁴ (e.g. 4096 × 4096 or 16.7 M cells in 1-D): a density is 8 bytes a cell and the
    /// solvers keep several arrays of that size (2-D Fokker–Planck: a 9-point sparse matrix and its ILU factors, ~200
    /// bytes a cell), so this keeps one run within a few GiB.
    /// </summary>
    public const long MaxGridCells = 1L << 24;
}
