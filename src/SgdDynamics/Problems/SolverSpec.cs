using SgdDynamics.Grids;

namespace SgdDynamics.Problems;

/// <summary>Which algorithm solves a problem.</summary>
public enum SolverKind
{
    /// <summary>Monte Carlo: an ensemble of SGD trajectories (the default).</summary>
    Ensemble,

    /// <summary>The master equation of discrete SGD on a grid (<see cref="MasterEquationSolver"/>).</summary>
    MasterEquation,

    /// <summary>A Fokker–Planck equation on a grid (<see cref="FokkerPlanckSolver"/>, Langevin or discrete variant).</summary>
    FokkerPlanck,
}

/// <summary>
/// A uniform grid as written in a scenario: lower and upper corners and cells per dimension (1 or 2 dimensions).
/// Value equality compares the entries.
/// </summary>
public sealed class GridSpec : IEquatable<GridSpec>
{
    /// <summary>A grid on [lower, upper] with the given cell counts (the arrays are copied).</summary>
    public GridSpec(IReadOnlyList<double> lower, IReadOnlyList<double> upper, IReadOnlyList<int> cells)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        ArgumentNullException.ThrowIfNull(cells);
        Lower = [.. lower];
        Upper = [.. upper];
        Cells = [.. cells];
    }

    /// <summary>Lower corner.</summary>
    public IReadOnlyList<double> Lower { get; }

    /// <summary>Upper corner.</summary>
    public IReadOnlyList<double> Upper { get; }

    /// <summary>Cells per dimension.</summary>
    public IReadOnlyList<int> Cells { get; }

    /// <summary>Dimension (number of entries).</summary>
    public int Dimension => Cells.Count;

    /// <summary>Total number of cells (product of <see cref="Cells"/>).</summary>
    public long Count => Cells.Aggregate(1L, (a, b) => a * b);

    /// <summary>The grid the solvers use.</summary>
    public UniformGrid ToGrid() => new([.. Lower], [.. Upper], [.. Cells]);

    /// <inheritdoc/>
    public bool Equals(GridSpec? other) =>
        other is not null && Lower.SequenceEqual(other.Lower) && Upper.SequenceEqual(other.Upper) && Cells.SequenceEqual(other.Cells);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as GridSpec);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (double v in Lower)
        {
            hash.Add(v);
        }

        foreach (double v in Upper)
        {
            hash.Add(v);
        }

        foreach (int c in Cells)
        {
            hash.Add(c);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(" × ", Enumerable.Range(0, Dimension).Select(k => $"[{Lower[k]:G6}, {Upper[k]:G6}]/{Cells[k]}"));
}

/// <summary>
/// The solver of a problem. <see cref="SolverKind.Ensemble"/> (the default) runs trajectories; with a
/// <see cref="Grid"/> and <see cref="Histogram"/> it also writes the histogram of the final states on that grid.
/// The grid solvers need a <see cref="Grid"/>; the master equation takes a <see cref="Boundary"/> and
/// <see cref="TruncationSigmas"/>, the Fokker–Planck solver a <see cref="Variant"/> and always has zero-flux
/// (reflecting) walls.
/// </summary>
/// <param name="Kind">Which solver.</param>
/// <param name="Grid">The grid (required for grid solvers, optional for ensembles).</param>
/// <param name="Variant">Fokker–Planck variant (only for <see cref="SolverKind.FokkerPlanck"/>).</param>
/// <param name="Boundary">Boundary handling of grid solvers (absorbing by default for the master equation; reflecting for Fokker–Planck).</param>
/// <param name="TruncationSigmas">Master-equation kernel window in standard deviations (default 6).</param>
/// <param name="Histogram">Ensemble only: write the final states' histogram on <see cref="Grid"/>.</param>
/// <param name="Substeps">
/// Fokker–Planck only: backward-Euler steps per SGD step (Δt = η/substeps). Backward Euler is first order in time, so a
/// density at step k carries a time error O(η/substeps) relative to the exact solution of the PDE (stationary laws carry
/// none); the default keeps it a quarter of the O(η) gap between the Fokker–Planck variants.
/// </param>
public sealed record SolverSpec(
    SolverKind Kind,
    GridSpec? Grid = null,
    FokkerPlanckVariant? Variant = null,
    GridBoundary Boundary = GridBoundary.Absorbing,
    double TruncationSigmas = SolverSpec.DefaultTruncationSigmas,
    bool Histogram = false,
    int Substeps = SolverSpec.DefaultSubsteps)
{
    /// <summary>Default backward-Euler substeps per SGD step of the Fokker–Planck solver.</summary>
    public const int DefaultSubsteps = 4;

    /// <summary>Default master-equation truncation T.</summary>
    public const double DefaultTruncationSigmas = 6;

    /// <summary>
    /// Largest number of grid cells, 2²⁴ (e.g. 4096 × 4096 or 16.7 M cells in 1-D): a density is 8 bytes a cell and the
    /// solvers keep several arrays of that size (2-D Fokker–Planck: a 9-point sparse matrix and its ILU factors, ~200
    /// bytes a cell), so this keeps one run within a few GiB.
    /// </summary>
    public const long MaxCells = 1L << 24;

    /// <summary>The default: an ensemble without histogram.</summary>
    public static SolverSpec Ensemble { get; } = new(SolverKind.Ensemble);

    /// <summary>True for the master equation and Fokker–Planck solvers.</summary>
    public bool IsGrid => Kind is SolverKind.MasterEquation or SolverKind.FokkerPlanck;
}
