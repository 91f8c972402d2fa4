using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>
/// Directions along which an ensemble also records moments: for K directions v_k (rows of <see cref="Directions"/>,
/// K × d) and a centre c, each trajectory's projections y_k = Σ_i v_ki (x_i − c_i), computed in double from the float32
/// state in the fixed order i = 0 … d − 1 (the same host code on every backend), with their tile sums Σy, Σy², Σy³,
/// Σy⁴ reduced in the order of <see cref="TileLayout"/> and accumulated exactly, like the coordinate statistics.
/// The directions need not be unit vectors; they are used as given.
/// </summary>
public sealed class ProjectionSpec
{
    private readonly double[] centre;
    private readonly double[] directions;

    /// <summary>K directions (rows of <paramref name="directions"/>, K × d) about <paramref name="centre"/> (length d).</summary>
    /// <exception cref="ArgumentException">The shapes disagree, K is outside 1 … <see cref="TileLayout.MaxCoordinates"/> or a value is not finite.</exception>
    public ProjectionSpec(double[] centre, double[,] directions)
    {
        ArgumentNullException.ThrowIfNull(centre);
        ArgumentNullException.ThrowIfNull(directions);
        int k = directions.GetLength(0);
        int d = directions.GetLength(1);
        if (d != centre.Length || d < 1)
        {
            throw new ArgumentException($"the directions have {d} coordinates, the centre {centre.Length}", nameof(directions));
        }

        if (k < 1 || k > TileLayout.MaxCoordinates)
        {
            throw new ArgumentException($"between 1 and {TileLayout.MaxCoordinates} directions (got {k})", nameof(directions));
        }

        this.centre = (double[])centre.Clone();
        this.directions = new double[k * d];
        for (int a = 0; a < k; a++)
        {
            for (int i = 0; i < d; i++)
            {
                this.directions[a * d + i] = directions[a, i];
            }
        }

        if (!this.centre.All(double.IsFinite) || !this.directions.All(double.IsFinite))
        {
            throw new ArgumentException("the centre and the directions must be finite", nameof(directions));
        }

        Count = k;
        Dimension = d;
    }

    /// <summary>Number K of directions.</summary>
    public int Count { get; }

    /// <summary>Dimension d of a state.</summary>
    public int Dimension { get; }

    /// <summary>The centre c (a copy).</summary>
    public double[] Centre => (double[])centre.Clone();

    /// <summary>The directions, K × d (a copy).</summary>
    public double[,] Directions
    {
        get
        {
            var copy = new double[Count, Dimension];
            for (int a = 0; a < Count; a++)
            {
                for (int i = 0; i < Dimension; i++)
                {
                    copy[a, i] = directions[a * Dimension + i];
                }
            }

            return copy;
        }
    }

    /// <summary>Statistics per record: K sums, K squares, K cubes, K fourth powers.</summary>
    internal int StatisticCount => 4 * Count;

    /// <summary>
    /// The tile sums of the projections in the order of <see cref="TileLayout.Statistics(int, StatisticsPlan)"/> with
    /// <see cref="StatisticsPlan.Coordinates"/> for K coordinates: <paramref name="state"/>[i·TileSize + s] is coordinate i
    /// of slot s widened from float (read only for included slots), <paramref name="included"/> which slots count (valid, not diverged);
    /// <paramref name="y"/> is scratch of K·<see cref="TileLayout.TileSize"/>.
    /// </summary>
    internal void TileSums(ReadOnlySpan<double> state, ReadOnlySpan<bool> included, Span<double> y, Span<double> sums)
    {
        const int tile = TileLayout.TileSize;
        int d = Dimension;
        var x = new double[d];
        for (int slot = 0; slot < tile; slot++)
        {
            if (!included[slot])
            {
                for (int a = 0; a < Count; a++)
                {
                    y[a * tile + slot] = 0.0;
                }

                continue;
            }

            for (int i = 0; i < d; i++)
            {
                x[i] = state[i * tile + slot] - centre[i];
            }

            for (int a = 0; a < Count; a++)
            {
                ReadOnlySpan<double> v = directions.AsSpan(a * d, d);
                double acc = 0.0;
                for (int i = 0; i < d; i++)
                {
                    acc += v[i] * x[i];
                }

                y[a * tile + slot] = acc;
            }
        }

        for (int kind = 0; kind < 4; kind++)
        {
            for (int a = 0; a < Count; a++)
            {
                sums[kind * Count + a] = TileSum(y.Slice(a * tile, tile), kind + TileLayout.Sum);
            }
        }
    }

    /// <summary>The tile sum of one kind in the canonical order of <see cref="TileLayout"/> (eight partial sums, then <see cref="TileLayout.Combine"/>).</summary>
    private static double TileSum(ReadOnlySpan<double> y, int kind)
    {
        Span<double> partial = stackalloc double[8];
        partial.Clear();
        for (int block = 0; block < TileLayout.TileSize; block += TileLayout.BlockSize)
        {
            for (int j = 0; j < 8; j++)
            {
                partial[j] += Value(kind, y[block + j]) + Value(kind, y[block + j + 8]);
            }
        }

        return TileLayout.Combine(partial[0], partial[1], partial[2], partial[3], partial[4], partial[5], partial[6], partial[7]);
    }

    private static double Value(int kind, double a)
    {
        if (kind == TileLayout.Sum)
        {
            return a;
        }

        if (kind == TileLayout.Product)
        {
            return a * a;
        }

        double square = a * a;
        return kind == TileLayout.Cube ? square * a : square * square;
    }
}
