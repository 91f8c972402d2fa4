namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// Geometry and parameters of a master-equation grid, as a kernel argument: box, cells, spacing, learning rate η,
/// truncation T (windows span ± T sd), the resolution threshold r and the walls (<see cref="GridWalls"/>).
/// </summary>
public readonly struct MasterGrid
{
    /// <summary>Dimension (1 or 2).</summary>
    public readonly int Dimension;

    /// <summary>Cells along axis 0 (rows).</summary>
    public readonly int Rows;

    /// <summary>Cells along axis 1 (1 in 1-D).</summary>
    public readonly int Columns;

    /// <summary><see cref="GridWalls.Absorbing"/>, <see cref="GridWalls.Reflecting"/> or <see cref="GridWalls.Periodic"/>.</summary>
    public readonly int Walls;

    /// <summary>Lower corner, axis 0.</summary>
    public readonly double Lower0;

    /// <summary>Lower corner, axis 1.</summary>
    public readonly double Lower1;

    /// <summary>Upper corner, axis 0.</summary>
    public readonly double Upper0;

    /// <summary>Upper corner, axis 1.</summary>
    public readonly double Upper1;

    /// <summary>Spacing, axis 0.</summary>
    public readonly double H0;

    /// <summary>Spacing, axis 1.</summary>
    public readonly double H1;

    /// <summary>Learning rate η.</summary>
    public readonly double Eta;

    /// <summary>Truncation T in standard deviations.</summary>
    public readonly double Truncation;

    /// <summary>Resolution threshold r: a kernel whose (conditional) sd along an axis is below r h is a push-forward.</summary>
    public readonly double Threshold;

    /// <summary>Largest Gaussian window, in cells (larger windows are marked <see cref="MasterEquationKernels.KindTooWide"/>).</summary>
    public readonly long MaxWindowCells;

    /// <summary>Creates the description.</summary>
    public MasterGrid(
        int dimension, int rows, int columns, int walls, double lower0, double lower1, double upper0, double upper1,
        double eta, double truncation, double threshold, long maxWindowCells)
    {
        Dimension = dimension;
        Rows = rows;
        Columns = columns;
        Walls = walls;
        Lower0 = lower0;
        Lower1 = lower1;
        Upper0 = upper0;
        Upper1 = upper1;
        H0 = (upper0 - lower0) / rows;
        H1 = dimension == 2 ? (upper1 - lower1) / columns : 1.0;
        Eta = eta;
        Truncation = truncation;
        Threshold = threshold;
        MaxWindowCells = maxWindowCells;
    }

    /// <summary>Number of cells.</summary>
    public long Count => (long)Rows * Columns;
}
