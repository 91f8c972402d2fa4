namespace SgdDynamics.Grids;

/// <summary>
/// A uniform cell-centred grid on a box in 1 or 2 dimensions. Cell (i₀, i₁) has centre
/// <c>lower_k + (i_k + ½) h_k</c>, h_k = (upper_k − lower_k)/cells_k; cells are stored row-major with the last
/// coordinate fastest: flat index = i₀·cells₁ + i₁ in 2-D.
/// </summary>
public sealed class UniformGrid
{
    /// <summary>A grid on [lower, upper] with the given cell counts (one entry per dimension, 1 or 2 of them).</summary>
    public UniformGrid(double[] lower, double[] upper, int[] cells)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        ArgumentNullException.ThrowIfNull(cells);
        if (lower.Length is < 1 or > 2 || upper.Length != lower.Length || cells.Length != lower.Length)
        {
            throw new ArgumentException("a grid has 1 or 2 dimensions, with one lower bound, upper bound and cell count each");
        }

        for (int k = 0; k < lower.Length; k++)
        {
            if (!double.IsFinite(lower[k]) || !double.IsFinite(upper[k]) || !(upper[k] > lower[k]))
            {
                throw new ArgumentException($"dimension {k}: need finite lower < upper (got {lower[k]}, {upper[k]})");
            }

            if (cells[k] < 2)
            {
                throw new ArgumentException($"dimension {k}: need at least 2 cells (got {cells[k]})");
            }

            if (SpacingProblem(lower[k], upper[k], cells[k]) is { } problem)
            {
                throw new ArgumentException($"dimension {k}: {problem}");
            }
        }

        Lower = (double[])lower.Clone();
        Upper = (double[])upper.Clone();
        Cells = (int[])cells.Clone();
        Spacing = Enumerable.Range(0, lower.Length).Select(k => (upper[k] - lower[k]) / cells[k]).ToArray();
        Count = cells.Aggregate(1, (a, b) => checked(a * b));
        CellVolume = Spacing.Aggregate(1.0, (a, b) => a * b);
    }

    /// <summary>
    /// Why the spacing (upper − lower)/cells of one axis cannot be used, or null when it can: it must be a normal, finite
    /// double and at least 2^-40 × max(|lower|, |upper|), so that neighbouring cell centres and faces are distinct
    /// numbers (about 4000 ulps of the largest coordinate apart).
    /// </summary>
    public static string? SpacingProblem(double lower, double upper, int cells)
    {
        double width = upper - lower;
        double spacing = width / cells;
        double least = Math.ScaleB(Math.Max(Math.Abs(lower), Math.Abs(upper)), -40);
        return double.IsFinite(width) && double.IsNormal(spacing) && spacing >= least
            ? null
            : FormattableString.Invariant($"the spacing (upper − lower)/cells = ({upper:G6} − {lower:G6})/{cells} = {spacing:G6} must be a normal, finite number of at least 2^-40 × max(|lower|, |upper|) = {least:G6}, so that neighbouring cells are distinct");
    }

    /// <summary>Dimension (1 or 2).</summary>
    public int Dimension => Cells.Length;

    /// <summary>Lower corner.</summary>
    public double[] Lower { get; }

    /// <summary>Upper corner.</summary>
    public double[] Upper { get; }

    /// <summary>Cells per dimension.</summary>
    public int[] Cells { get; }

    /// <summary>Cell width per dimension.</summary>
    public double[] Spacing { get; }

    /// <summary>Total number of cells.</summary>
    public int Count { get; }

    /// <summary>Volume (length in 1-D, area in 2-D) of one cell.</summary>
    public double CellVolume { get; }

    /// <summary>Centre of cell <paramref name="index"/> along dimension <paramref name="k"/> (index along that dimension).</summary>
    public double Centre(int k, int index) => Lower[k] + (index + 0.5) * Spacing[k];

    /// <summary>Centre of the cell with flat index <paramref name="flat"/>, written into <paramref name="x"/>.</summary>
    public void Centre(int flat, Span<double> x)
    {
        if (Dimension == 1)
        {
            x[0] = Centre(0, flat);
            return;
        }

        x[0] = Centre(0, flat / Cells[1]);
        x[1] = Centre(1, flat % Cells[1]);
    }

    /// <summary>Flat index of cell (i₀, i₁).</summary>
    public int Index(int i0, int i1 = 0) => Dimension == 1 ? i0 : i0 * Cells[1] + i1;
}
