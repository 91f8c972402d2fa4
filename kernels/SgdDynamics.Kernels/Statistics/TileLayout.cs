namespace SgdDynamics.Kernels.Statistics;

/// <summary>
/// The canonical reduction order of ensemble statistics. Trajectories are grouped in tiles of
/// <see cref="TileSize"/> consecutive indices (aligned to multiples of it) and blocks of
/// <see cref="BlockSize"/>. A tile's sum of a per-trajectory quantity p is
/// <c>acc_k = Σ_{b=0..15} (p[16b + k] + p[16b + k + 8])</c> for k = 0..7 (b in order), then
/// <c>((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7))</c>, in double.
/// Every backend reduces in this order, so a tile's sums depend only on its trajectories; tiles are then
/// added exactly (fixed point), so the totals do not depend on threads, batches or shards.
/// Diverged and padding trajectories contribute 0.
/// </summary>
public static class TileLayout
{
    /// <summary>Trajectories per tile.</summary>
    public const int TileSize = 256;

    /// <summary>Trajectories per block (one 16-wide SIMD lane group).</summary>
    public const int BlockSize = 16;

    /// <summary>Blocks per tile.</summary>
    public const int BlocksPerTile = TileSize / BlockSize;

    /// <summary>Kind of statistic: Σ x_i.</summary>
    public const int Sum = 1;

    /// <summary>Kind of statistic: Σ x_i x_j (i ≤ j).</summary>
    public const int Product = 2;

    /// <summary>Kind of statistic: Σ x_i³.</summary>
    public const int Cube = 3;

    /// <summary>Kind of statistic: Σ x_i⁴.</summary>
    public const int Fourth = 4;

    /// <summary>Largest coordinate index plus one that a statistic code holds (12 bits per coordinate).</summary>
    public const int MaxCoordinates = 1 << CoordinateBits;

    private const int CoordinateBits = 12;

    private const int CoordinateMask = MaxCoordinates - 1;

    /// <summary>Number of statistics for dimension d: d sums, d(d+1)/2 products, d cubes, d fourth powers.</summary>
    public static int StatisticCount(int d) => StatisticCount(d, StatisticsPlan.FullPairs);

    /// <summary>
    /// Number of statistics for dimension d under <paramref name="plan"/>: d sums, d(d+1)/2 products (full pairs) or d
    /// squares (coordinates only), d cubes, d fourth powers.
    /// </summary>
    public static int StatisticCount(int d, StatisticsPlan plan) => 3 * d + ProductCount(d, plan);

    /// <summary>Number of second-moment statistics: d(d+1)/2 for full pairs, d for coordinates only.</summary>
    public static int ProductCount(int d, StatisticsPlan plan) => plan == StatisticsPlan.FullPairs ? d * (d + 1) / 2 : d;

    /// <summary>Encodes statistic (kind, i, j) as one int: kind &lt;&lt; 24 | j &lt;&lt; 12 | i.</summary>
    public static int Encode(int kind, int i, int j) => kind << (2 * CoordinateBits) | j << CoordinateBits | i;

    /// <summary>Kind of an encoded statistic.</summary>
    public static int KindOf(int code) => code >> (2 * CoordinateBits);

    /// <summary>First coordinate of an encoded statistic.</summary>
    public static int FirstOf(int code) => code & CoordinateMask;

    /// <summary>Second coordinate of an encoded statistic.</summary>
    public static int SecondOf(int code) => (code >> CoordinateBits) & CoordinateMask;

    /// <summary>
    /// The statistics of dimension d in output order: S1 (i), S2 (i ≤ j, row-major upper triangle),
    /// S3 (i), S4 (i).
    /// </summary>
    public static int[] Statistics(int d) => Statistics(d, StatisticsPlan.FullPairs);

    /// <summary>
    /// The statistics of dimension d under <paramref name="plan"/> in output order: S1 (i), S2 (full pairs: i ≤ j,
    /// row-major upper triangle; coordinates only: (i, i)), S3 (i), S4 (i).
    /// </summary>
    public static int[] Statistics(int d, StatisticsPlan plan)
    {
        if (d < 1 || d > MaxCoordinates)
        {
            throw new ArgumentOutOfRangeException(nameof(d), $"dimension must be between 1 and {MaxCoordinates} (got {d})");
        }

        var codes = new int[StatisticCount(d, plan)];
        int n = 0;
        for (int i = 0; i < d; i++)
        {
            codes[n++] = Encode(Sum, i, i);
        }

        for (int i = 0; i < d; i++)
        {
            if (plan == StatisticsPlan.FullPairs)
            {
                for (int j = i; j < d; j++)
                {
                    codes[n++] = Encode(Product, i, j);
                }
            }
            else
            {
                codes[n++] = Encode(Product, i, i);
            }
        }

        for (int i = 0; i < d; i++)
        {
            codes[n++] = Encode(Cube, i, i);
        }

        for (int i = 0; i < d; i++)
        {
            codes[n++] = Encode(Fourth, i, i);
        }

        return codes;
    }

    /// <summary>The per-trajectory value of a statistic: x_i, x_i x_j, x_i²·x_i or x_i²·x_i² (products in double).</summary>
    public static double Value(int kind, float xi, float xj)
    {
        double a = xi;
        if (kind == Sum)
        {
            return a;
        }

        if (kind == Product)
        {
            return a * xj;
        }

        double square = a * a;
        return kind == Cube ? square * a : square * square;
    }

    /// <summary>The final combination of the eight partial sums.</summary>
    public static double Combine(double a0, double a1, double a2, double a3, double a4, double a5, double a6, double a7) =>
        ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
}
