using SgdDynamics.Grids;

namespace SgdDynamics.Problems;

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
        if (lower.Count != cells.Count || upper.Count != cells.Count || cells.Count is not (1 or 2))
        {
            throw new ArgumentException($"a grid has 1 or 2 dimensions with one lower, upper and cell count each (got {lower.Count}, {upper.Count}, {cells.Count})");
        }

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
