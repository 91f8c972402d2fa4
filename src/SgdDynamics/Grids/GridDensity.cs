namespace SgdDynamics.Grids;

/// <summary>
/// A probability distribution on a grid as the probability mass of each cell (density = mass / cell volume),
/// in double, plus the mass that has left the box (absorbing boundaries) — reported, never renormalised away.
/// </summary>
public sealed class GridDensity
{
    /// <summary>A zero density on <paramref name="grid"/>.</summary>
    public GridDensity(UniformGrid grid)
    {
        Grid = grid;
        Mass = new double[grid.Count];
    }

    /// <summary>The grid.</summary>
    public UniformGrid Grid { get; }

    /// <summary>Probability mass per cell (flat index).</summary>
    public double[] Mass { get; }

    /// <summary>Mass that has left through the boundary so far.</summary>
    public double LostMass { get; set; }

    /// <summary>Total mass on the grid.</summary>
    public double TotalMass => Mass.Sum();

    /// <summary>Density (mass / cell volume) of cell <paramref name="flat"/>.</summary>
    public double Density(int flat) => Mass[flat] / Grid.CellVolume;

    /// <summary>Mean of x over the grid mass (normalised by the mass on the grid).</summary>
    public double[] Mean()
    {
        int d = Grid.Dimension;
        var mean = new double[d];
        Span<double> x = stackalloc double[d];
        double total = 0;
        for (int c = 0; c < Grid.Count; c++)
        {
            Grid.Centre(c, x);
            for (int i = 0; i < d; i++)
            {
                mean[i] += Mass[c] * x[i];
            }

            total += Mass[c];
        }

        for (int i = 0; i < d; i++)
        {
            mean[i] /= total;
        }

        return mean;
    }

    /// <summary>
    /// Covariance of x over the grid mass (cell centres; no Sheppard correction: a cell-centred quadrature of the
    /// density's second moment, accurate to O(h²)).
    /// </summary>
    public double[,] Covariance()
    {
        int d = Grid.Dimension;
        double[] mean = Mean();
        var covariance = new double[d, d];
        Span<double> x = stackalloc double[d];
        double total = 0;
        for (int c = 0; c < Grid.Count; c++)
        {
            Grid.Centre(c, x);
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    covariance[i, j] += Mass[c] * (x[i] - mean[i]) * (x[j] - mean[j]);
                }
            }

            total += Mass[c];
        }

        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                covariance[i, j] /= total;
            }
        }

        return covariance;
    }

    /// <summary>A point mass at <paramref name="point"/>: all mass in the cell containing it.</summary>
    public static GridDensity PointMass(UniformGrid grid, ReadOnlySpan<double> point)
    {
        var density = new GridDensity(grid);
        int[] index = new int[grid.Dimension];
        for (int k = 0; k < grid.Dimension; k++)
        {
            int i = (int)Math.Floor((point[k] - grid.Lower[k]) / grid.Spacing[k]);
            if (i < 0 || i >= grid.Cells[k])
            {
                throw new ArgumentOutOfRangeException(nameof(point), $"coordinate {k} = {point[k]} is outside the grid [{grid.Lower[k]}, {grid.Upper[k]}]");
            }

            index[k] = i;
        }

        density.Mass[grid.Index(index[0], grid.Dimension == 2 ? index[1] : 0)] = 1.0;
        return density;
    }

    /// <summary>A Gaussian N(mean, covariance) integrated cell by cell at the cell centres and normalised to mass 1 on the grid.</summary>
    public static GridDensity Gaussian(UniformGrid grid, double[] mean, double[,] covariance)
    {
        int d = grid.Dimension;
        var sigma = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(covariance);
        var precision = sigma.Inverse();
        var density = new GridDensity(grid);
        Span<double> x = stackalloc double[d];
        double total = 0;
        for (int c = 0; c < grid.Count; c++)
        {
            grid.Centre(c, x);
            double q = 0;
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    q += (x[i] - mean[i]) * precision[i, j] * (x[j] - mean[j]);
                }
            }

            density.Mass[c] = Math.Exp(-0.5 * q);
            total += density.Mass[c];
        }

        for (int c = 0; c < grid.Count; c++)
        {
            density.Mass[c] /= total;
        }

        return density;
    }
}
