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

    /// <summary>A copy (masses and lost mass) on the same grid.</summary>
    public GridDensity Copy()
    {
        var copy = new GridDensity(Grid) { LostMass = LostMass };
        Mass.CopyTo(copy.Mass, 0);
        return copy;
    }

    /// <summary>
    /// The histogram of <paramref name="samples"/> (n points of dimension d stored one after the other, AoS
    /// <c>[x₀₀, x₀₁, x₁₀, …]</c>) on <paramref name="grid"/>: cell mass = (samples in the cell)/n. Cells are half-open,
    /// <c>[lower + i h, lower + (i + 1) h)</c>, with the upper face of the box included in the last cell. Finite samples
    /// outside the box are counted in <paramref name="outside"/>, samples with a NaN or infinite coordinate (diverged
    /// trajectories) in <paramref name="diverged"/>; both together are the <see cref="LostMass"/>
    /// <c>(outside + diverged)/n</c>, so mass on the grid + lost mass = 1.
    /// </summary>
    /// <exception cref="ArgumentException">The sample length is not a positive multiple of the grid dimension.</exception>
    public static GridDensity Histogram(UniformGrid grid, ReadOnlySpan<float> samples, out long outside, out long diverged)
    {
        ArgumentNullException.ThrowIfNull(grid);
        int d = grid.Dimension;
        if (samples.Length == 0 || samples.Length % d != 0)
        {
            throw new ArgumentException($"need n·{d} sample coordinates with n ≥ 1 (got {samples.Length})", nameof(samples));
        }

        long n = samples.Length / d;
        var counts = new long[grid.Count];
        outside = 0;
        diverged = 0;
        Span<int> index = stackalloc int[2];
        for (long s = 0; s < n; s++)
        {
            ReadOnlySpan<float> x = samples.Slice((int)(s * d), d);
            bool finite = true;
            bool inside = true;
            for (int k = 0; k < d; k++)
            {
                double v = x[k];
                if (!double.IsFinite(v))
                {
                    finite = false;
                    break;
                }

                if (v < grid.Lower[k] || v > grid.Upper[k])
                {
                    inside = false;
                    continue;
                }

                int i = (int)Math.Floor((v - grid.Lower[k]) / grid.Spacing[k]);
                index[k] = Math.Clamp(i, 0, grid.Cells[k] - 1);
            }

            if (!finite)
            {
                diverged++;
            }
            else if (!inside)
            {
                outside++;
            }
            else
            {
                counts[grid.Index(index[0], d == 2 ? index[1] : 0)]++;
            }
        }

        var density = new GridDensity(grid);
        for (int c = 0; c < grid.Count; c++)
        {
            density.Mass[c] = counts[c] / (double)n;
        }

        density.LostMass = (outside + diverged) / (double)n;
        return density;
    }
}
