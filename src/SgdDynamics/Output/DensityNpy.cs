using System.Globalization;
using SgdDynamics.Data;
using SgdDynamics.Grids;

namespace SgdDynamics.Output;

/// <summary>
/// The density snapshots for NumPy, beside the density CSV files (<see cref="DensityCsv"/>): <c>density_&lt;step&gt;.npy</c>
/// holds the density (mass / cell volume, the CSV's <c>density</c> column) as a float64 array of the grid's shape
/// (cells₀[, cells₁]; C order, the CSV's cell order), and <c>grid.npz</c> the grid: <c>lower</c>, <c>upper</c>, <c>spacing</c>
/// (d,) float64, <c>cells</c> (d,) int64, and per axis k the cell centres <c>centres_k</c> (cells_k,) and cell edges
/// <c>edges_k</c> (cells_k + 1,) float64. The mass off the grid (lost mass) is in the CSV's header and in the time series.
/// </summary>
public static class DensityNpy
{
    /// <summary>The grid file's name.</summary>
    public const string GridFile = "grid.npz";

    /// <summary>The file name of the snapshot at <paramref name="step"/>: <c>density_&lt;step&gt;.npy</c>.</summary>
    public static string FileName(int step) => string.Create(CultureInfo.InvariantCulture, $"density_{step}.npy");

    /// <summary>Writes <paramref name="density"/> as <see cref="FileName"/>(<paramref name="step"/>) into <paramref name="directory"/>; returns the name.</summary>
    public static string Write(string directory, GridDensity density, int step)
    {
        ArgumentNullException.ThrowIfNull(density);
        UniformGrid grid = density.Grid;
        string name = FileName(step);
        // streamed in pieces: a snapshot of a large grid costs a 512 KiB buffer, not a second copy of the density
        NpyFile.CheckShape(grid.Cells, grid.Count);
        AtomicFile.Write(Path.Combine(directory, name), stream =>
        {
            NpyFile.WriteHeader<double>(stream, grid.Cells);
            var piece = new double[Math.Min(grid.Count, PieceValues)];
            for (int start = 0; start < grid.Count; start += piece.Length)
            {
                int n = Math.Min(piece.Length, grid.Count - start);
                for (int c = 0; c < n; c++)
                {
                    piece[c] = density.Density(start + c);
                }

                NpyFile.WriteValues<double>(stream, piece.AsSpan(0, n));
            }
        });
        return name;
    }

    /// <summary>Values converted and written at a time by <see cref="Write"/>.</summary>
    private const int PieceValues = 1 << 16;

    /// <summary>Writes <see cref="GridFile"/> for <paramref name="grid"/> into <paramref name="directory"/>.</summary>
    public static void WriteGrid(string directory, UniformGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var npz = new NpzWriter()
            .Add("lower", grid.Lower)
            .Add("upper", grid.Upper)
            .Add("spacing", grid.Spacing)
            .Add("cells", grid.Cells.Select(c => (long)c).ToArray());
        for (int k = 0; k < grid.Dimension; k++)
        {
            int axis = k;
            npz.Add($"centres_{k}", Enumerable.Range(0, grid.Cells[k]).Select(i => grid.Centre(axis, i)).ToArray());
            npz.Add($"edges_{k}", Enumerable.Range(0, grid.Cells[k] + 1).Select(i => i == grid.Cells[axis] ? grid.Upper[axis] : grid.Lower[axis] + (i * grid.Spacing[axis])).ToArray());
        }

        npz.Save(Path.Combine(directory, GridFile));
    }
}
