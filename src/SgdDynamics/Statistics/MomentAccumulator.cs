using System.Globalization;
using System.Numerics;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Statistics;

/// <summary>
/// Exact, mergeable raw-moment sums of one record of a d-dimensional ensemble: the trajectory count
/// n, the diverged count, S₁ = Σ xᵢ, S₂ = Σ xᵢxⱼ (upper triangle i ≤ j, row-major),
/// S₃ = Σ xᵢ³ and S₄ = Σ xᵢ⁴, each a <see cref="FixedPointSum"/>-style exact fixed-point sum. Under
/// <see cref="StatisticsPlan.Coordinates"/> S₂ holds the squares Σ xᵢ² only (length d), and the moments carry
/// variances but no covariance.
/// </summary>
/// <remarks>
/// <para>
/// The ensemble engine sums each fixed tile of trajectories in double, in a fixed order, and
/// deposits the tile's partial sums with <see cref="DepositTile"/>. Deposits are exact on the grid of
/// multiples of 2^-256 (rounded toward zero; see <see cref="FixedPointSum"/>), so the accumulated sums,
/// and therefore <see cref="ToMoments"/>, are bit-identical whatever the order of tile deposits and
/// <see cref="Merge"/> calls: independent of thread count, batch size, shard split and merge order.
/// Partial sums must be finite with magnitude below 2^255, and every total must end below 2^255.
/// Exact sums take the place of a Chan/Welford merge in double, whose rounding depends on the
/// merge order and so cannot give the same bits for every split of the ensemble.
/// </para>
/// <para>
/// Shards are saved with <see cref="ToDictionary"/> and restored exactly with <see cref="FromDictionary"/>.
/// Not thread-safe: use one accumulator per thread and merge.
/// </para>
/// </remarks>
public sealed class MomentAccumulator : IEquatable<MomentAccumulator>
{
    /// <summary>Value of the "format" entry written by <see cref="ToDictionary"/>.</summary>
    public const string FormatName = "fixed-point-moments/1";

    /// <summary>Value of the "format" entry written by <see cref="ToDictionary"/> for <see cref="StatisticsPlan.Coordinates"/> (S₂ holds d squares).</summary>
    public const string CoordinatesFormatName = "fixed-point-coordinate-moments/1";

    /// <summary>Bytes of one exact sum: 17 limbs of 64 bits (136 bytes).</summary>
    public const int BytesPerSum = FixedPointLimbs.Count * sizeof(long);

    private readonly FixedPointVector sums; // [S1 (d) | S2 (d(d+1)/2, or d squares) | S3 (d) | S4 (d)]

    /// <summary>Creates an empty full-pairs accumulator for states of dimension <paramref name="dimension"/>.</summary>
    public MomentAccumulator(int dimension)
        : this(dimension, StatisticsPlan.FullPairs)
    {
    }

    /// <summary>Creates an empty accumulator for states of dimension <paramref name="dimension"/> recording <paramref name="plan"/>.</summary>
    public MomentAccumulator(int dimension, StatisticsPlan plan)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        Plan = plan;
        sums = new FixedPointVector(checked(3 * dimension + SecondMomentLength(dimension, plan)));
    }

    private MomentAccumulator(int dimension, StatisticsPlan plan, long count, long diverged, FixedPointVector sums)
    {
        Dimension = dimension;
        Plan = plan;
        Count = count;
        Diverged = diverged;
        this.sums = sums;
    }

    /// <summary>Dimension d of a state.</summary>
    public int Dimension { get; }

    /// <summary>The second moments held: all pairs (covariance) or the squares only (variances).</summary>
    public StatisticsPlan Plan { get; }

    /// <summary>Number of non-diverged trajectories deposited.</summary>
    public long Count { get; private set; }

    /// <summary>Number of diverged trajectories (excluded from the sums).</summary>
    public long Diverged { get; private set; }

    private int TriangleLength => SecondMomentLength(Dimension, Plan);

    private bool Pairs => Plan == StatisticsPlan.FullPairs;

    private int S2Offset => Dimension;

    private int S3Offset => Dimension + TriangleLength;

    private int S4Offset => 2 * Dimension + TriangleLength;

    private static int SecondMomentLength(int dimension, StatisticsPlan plan) =>
        plan == StatisticsPlan.FullPairs ? UpperTriangleLength(dimension) : dimension;

    /// <summary>Position of Σ xᵢ² among the S₂ sums.</summary>
    private int SquareIndex(int i) => Pairs ? UpperTriangleIndex(Dimension, i, i) : i;

    /// <summary>Length d(d+1)/2 of the S₂ upper triangle.</summary>
    public static int UpperTriangleLength(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        return checked(dimension * (dimension + 1) / 2);
    }

    /// <summary>
    /// Position of Σ xᵢxⱼ in the row-major upper triangle (i ≤ j): i·d − i(i−1)/2 + (j − i).
    /// The indices may be given in either order.
    /// </summary>
    public static int UpperTriangleIndex(int dimension, int i, int j)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfNegative(j);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, dimension);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(j, dimension);
        if (i > j)
        {
            (i, j) = (j, i);
        }

        return i * dimension - i * (i - 1) / 2 + (j - i);
    }

    /// <summary>
    /// Deposits one tile: <paramref name="count"/> non-diverged trajectories with partial sums
    /// <paramref name="s1"/> (d), <paramref name="s2"/> (d(d+1)/2, see <see cref="UpperTriangleIndex"/>; d squares
    /// under <see cref="StatisticsPlan.Coordinates"/>),
    /// <paramref name="s3"/> (d) and <paramref name="s4"/> (d), and <paramref name="diverged"/> excluded
    /// ones. Atomic: nothing changes unless every argument is valid.
    /// </summary>
    /// <exception cref="ArgumentException">A length is wrong or a partial sum is NaN or infinite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    /// <exception cref="OverflowException">A partial sum has magnitude ≥ 2^255, or a count overflows.</exception>
    public void DepositTile(
        long count,
        long diverged,
        ReadOnlySpan<double> s1,
        ReadOnlySpan<double> s2,
        ReadOnlySpan<double> s3,
        ReadOnlySpan<double> s4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(diverged);
        CheckLength(s1, Dimension, nameof(s1));
        CheckLength(s2, TriangleLength, nameof(s2));
        CheckLength(s3, Dimension, nameof(s3));
        CheckLength(s4, Dimension, nameof(s4));
        FixedPointLimbs.Validate(s1, nameof(s1));
        FixedPointLimbs.Validate(s2, nameof(s2));
        FixedPointLimbs.Validate(s3, nameof(s3));
        FixedPointLimbs.Validate(s4, nameof(s4));
        long newCount = checked(Count + count);
        long newDiverged = checked(Diverged + diverged);

        sums.AddValidated(0, s1);
        sums.AddValidated(S2Offset, s2);
        sums.AddValidated(S3Offset, s3);
        sums.AddValidated(S4Offset, s4);
        Count = newCount;
        Diverged = newDiverged;
    }

    /// <summary>Adds the counts and sums of <paramref name="other"/> exactly; <paramref name="other"/> is not changed.</summary>
    /// <exception cref="ArgumentException">The dimensions or plans differ.</exception>
    /// <exception cref="OverflowException">A count overflows.</exception>
    public void Merge(MomentAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension)
        {
            throw new ArgumentException(
                $"Cannot merge moments of dimension {other.Dimension} into dimension {Dimension}.", nameof(other));
        }

        if (other.Plan != Plan)
        {
            throw new ArgumentException($"Cannot merge {other.Plan} moments into {Plan} moments.", nameof(other));
        }

        long newCount = checked(Count + other.Count);
        long newDiverged = checked(Diverged + other.Diverged);
        sums.Add(other.sums);
        Count = newCount;
        Diverged = newDiverged;
    }

    /// <summary>An independent copy.</summary>
    public MomentAccumulator Clone() => new(Dimension, Plan, Count, Diverged, sums.Clone());

    /// <summary>
    /// The moments (see <see cref="Moments"/> for the formulas), each computed exactly from the sums
    /// in rational arithmetic and correctly rounded to double.
    /// </summary>
    /// <exception cref="OverflowException">A sum ended outside (−2^255, 2^255).</exception>
    public Moments ToMoments()
    {
        int d = Dimension;
        int overflowed = sums.FindOverflow();
        if (overflowed >= 0)
        {
            throw new OverflowException(
                $"Moment sum {DescribeSum(overflowed)} left the fixed-point range (−2^{FixedPointSum.OverflowExponent}, 2^{FixedPointSum.OverflowExponent}).");
        }

        var mean = new double[d];
        double[,]? covariance = Pairs ? new double[d, d] : null;
        var variance = new double[d];
        var meanError = new double[d];
        var varianceError = new double[d];
        var third = new double[d];
        var fourth = new double[d];
        long n = Count;
        if (n == 0)
        {
            Array.Fill(mean, double.NaN);
            Fill(covariance, double.NaN);
            Array.Fill(variance, double.NaN);
            Array.Fill(meanError, double.NaN);
            Array.Fill(varianceError, double.NaN);
            Array.Fill(third, double.NaN);
            Array.Fill(fourth, double.NaN);
            return Result();
        }

        // Each sum is A·2^-256 with A an integer; every formula below is a ratio of integers.
        const int f = FixedPointSum.FractionBits;
        var a1 = new BigInteger[d];
        for (int i = 0; i < d; i++)
        {
            a1[i] = sums.ToBigInteger(i);
            mean[i] = ExactRational.ToDouble(a1[i], (BigInteger)n << f);
        }

        BigInteger bn = n;

        // A coordinate whose spread lies within the resolution of the sums (see ZeroSpread) has every central
        // moment, its covariances and its standard errors exactly 0.
        var zeroSpread = new bool[d];
        for (int i = 0; i < d; i++)
        {
            zeroSpread[i] = ZeroSpread(bn, a1[i], sums.ToBigInteger(S2Offset + SquareIndex(i)));
        }

        if (n >= 2 && covariance is null)
        {
            BigInteger varianceDenominator = bn * (bn - 1) << (2 * f);
            for (int i = 0; i < d; i++)
            {
                BigInteger a2 = sums.ToBigInteger(S2Offset + i);
                variance[i] = zeroSpread[i] ? 0.0 : ExactRational.ToDouble((bn * a2 << f) - a1[i] * a1[i], varianceDenominator);
            }
        }
        else if (covariance is null)
        {
            Array.Fill(variance, double.NaN);
        }
        else if (n >= 2)
        {
            // C = (n S2 − S1 S1ᵀ)/(n(n−1)) = (n A2 2^256 − A1 A1ᵀ) / (n(n−1) 2^512).
            BigInteger covarianceDenominator = bn * (bn - 1) << (2 * f);
            for (int i = 0; i < d; i++)
            {
                for (int j = i; j < d; j++)
                {
                    BigInteger a2 = sums.ToBigInteger(S2Offset + UpperTriangleIndex(d, i, j));
                    double c = zeroSpread[i] || zeroSpread[j]
                        ? 0.0
                        : ExactRational.ToDouble((bn * a2 << f) - a1[i] * a1[j], covarianceDenominator);

                    covariance[i, j] = c;
                    covariance[j, i] = c;
                }
            }
        }
        else
        {
            Fill(covariance, double.NaN);
        }

        for (int i = 0; i < d; i++)
        {
            if (zeroSpread[i])
            {
                meanError[i] = n >= 2 ? 0.0 : double.NaN;
                varianceError[i] = n >= 2 ? 0.0 : double.NaN;
                continue;
            }

            BigInteger s1 = a1[i];
            BigInteger s2 = sums.ToBigInteger(S2Offset + SquareIndex(i));
            BigInteger s3 = sums.ToBigInteger(S3Offset + i);
            BigInteger s4 = sums.ToBigInteger(S4Offset + i);

            // Scaled numerators: m2 = p2 / (n² 2^512), m3 = p3 / (n³ 2^768), m4 = p4 / (n⁴ 2^1024).
            BigInteger s1Squared = s1 * s1;
            BigInteger p2 = (bn * s2 << f) - s1Squared;
            BigInteger p3 = (bn * bn * s3 << (2 * f)) - (3 * bn * s1 * s2 << f) + 2 * s1Squared * s1;
            BigInteger p4 = (bn * bn * bn * s4 << (3 * f)) - (4 * bn * bn * s1 * s3 << (2 * f))
                + (6 * bn * s1Squared * s2 << f) - 3 * s1Squared * s1Squared;

            BigInteger n2 = bn * bn;
            third[i] = ExactRational.ToDouble(p3, n2 * bn << (3 * f));
            fourth[i] = ExactRational.ToDouble(p4, n2 * n2 << (4 * f));
            if (n >= 2)
            {
                // Cᵢᵢ/n = p2 / (n²(n−1) 2^512).
                meanError[i] = Math.Sqrt(NonNegative(ExactRational.ToDouble(p2, n2 * (bn - 1) << (2 * f))));
                // (m4 − m2²)/n = (p4 − p2²) / (n⁵ 2^1024).
                varianceError[i] = Math.Sqrt(NonNegative(ExactRational.ToDouble(p4 - p2 * p2, n2 * n2 * bn << (4 * f))));
            }
            else
            {
                meanError[i] = double.NaN;
                varianceError[i] = double.NaN;
            }
        }

        return Result();

        Moments Result()
        {
            if (covariance is null)
            {
                return Moments.CoordinatesOnly(d, n, Diverged, mean, variance, meanError, varianceError, third, fourth);
            }

            return new Moments(d, n, Diverged, mean, covariance, meanError, varianceError, third, fourth);
        }
    }

    /// <summary>
    /// The exact state as strings, for JSON shard files: "format" (<see cref="FormatName"/>),
    /// "dimension", "count", "diverged" (decimal integers), and "s1", "s2", "s3", "s4" (comma-separated
    /// sums, each the total times 2^256 as signed lowercase hexadecimal, see
    /// <see cref="FixedPointSum.ToHexString"/>).
    /// </summary>
    /// <exception cref="OverflowException">A sum lies outside (−2^255, 2^255).</exception>
    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        int d = Dimension;
        int t = TriangleLength;
        return new Dictionary<string, string>
        {
            ["format"] = Pairs ? FormatName : CoordinatesFormatName,
            ["dimension"] = d.ToString(CultureInfo.InvariantCulture),
            ["count"] = Count.ToString(CultureInfo.InvariantCulture),
            ["diverged"] = Diverged.ToString(CultureInfo.InvariantCulture),
            ["s1"] = sums.ToHexString(0, d),
            ["s2"] = sums.ToHexString(S2Offset, t),
            ["s3"] = sums.ToHexString(S3Offset, d),
            ["s4"] = sums.ToHexString(S4Offset, d),
        };
    }

    /// <summary>Restores an accumulator written by <see cref="ToDictionary"/>.</summary>
    /// <exception cref="FormatException">An entry is missing or malformed, or lengths disagree with the dimension.</exception>
    public static MomentAccumulator FromDictionary(IReadOnlyDictionary<string, string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        string format = Entry(entries, "format");
        if (format != FormatName && format != CoordinatesFormatName)
        {
            throw new FormatException($"Unknown moment format '{format}'; expected '{FormatName}' or '{CoordinatesFormatName}'.");
        }

        int dimension = int.TryParse(Entry(entries, "dimension"), NumberStyles.None, CultureInfo.InvariantCulture, out int dim) && dim > 0
            ? dim
            : throw new FormatException("Entry 'dimension' must be a positive integer.");
        var accumulator = new MomentAccumulator(dimension, format == FormatName ? StatisticsPlan.FullPairs : StatisticsPlan.Coordinates)
        {
            Count = ParseCount(entries, "count"),
            Diverged = ParseCount(entries, "diverged"),
        };
        accumulator.ReadSlice(entries, "s1", 0, dimension);
        accumulator.ReadSlice(entries, "s2", accumulator.S2Offset, accumulator.TriangleLength);
        accumulator.ReadSlice(entries, "s3", accumulator.S3Offset, dimension);
        accumulator.ReadSlice(entries, "s4", accumulator.S4Offset, dimension);
        return accumulator;
    }

    /// <summary>True when both hold the same dimension, counts and exact sums.</summary>
    public bool Equals(MomentAccumulator? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (other.Dimension == Dimension && other.Plan == Plan && other.Count == Count && other.Diverged == Diverged && sums.Equals(other.sums)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MomentAccumulator);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Dimension, Plan, Count, Diverged, sums.GetHashCode());

    private void ReadSlice(IReadOnlyDictionary<string, string> entries, string key, int offset, int length)
    {
        FixedPointVector slice;
        try
        {
            slice = FixedPointVector.ParseHex(Entry(entries, key));
        }
        catch (FormatException e)
        {
            throw new FormatException($"Entry '{key}': {e.Message}", e);
        }

        if (slice.Length != length)
        {
            throw new FormatException($"Entry '{key}' holds {slice.Length} sums; dimension {Dimension} needs {length}.");
        }

        sums.CopyFrom(slice, offset);
    }

    private static string Entry(IReadOnlyDictionary<string, string> entries, string key) =>
        entries.TryGetValue(key, out string? value) ? value : throw new FormatException($"Entry '{key}' is missing.");

    private static long ParseCount(IReadOnlyDictionary<string, string> entries, string key) =>
        long.TryParse(Entry(entries, key), NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new FormatException($"Entry '{key}' must be a non-negative integer.");

    private static void CheckLength(ReadOnlySpan<double> values, int expected, string name)
    {
        if (values.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} partial sums, got {values.Length}.", name);
        }
    }

    private static void Fill(double[,]? matrix, double value)
    {
        if (matrix is null)
        {
            return;
        }

        for (int i = 0; i < matrix.GetLength(0); i++)
        {
            for (int j = 0; j < matrix.GetLength(1); j++)
            {
                matrix[i, j] = value;
            }
        }
    }

    private static double NonNegative(double x) => x < 0 ? 0.0 : x;

    /// <summary>
    /// True when n S₂ − S₁² of one coordinate (A₁ = S₁·2^256, A₂ = S₂·2^256) is within what the truncation of the
    /// deposits can produce from a spread of zero: each deposit moves a sum by less than 2^-256 and there are at
    /// most n deposits, so |δS_k| &lt; n·2^-256 and |δ(n S₂ − S₁²)| &lt; n²·2^-256 + 2n|S₁|·2^-256 + n²·2^-512.
    /// Scaled by 2^512 the test is exact in integers.
    /// </summary>
    private static bool ZeroSpread(BigInteger n, BigInteger a1, BigInteger a2)
    {
        const int f = FixedPointSum.FractionBits;
        BigInteger p2 = (n * a2 << f) - a1 * a1;
        BigInteger bound = (n * n << f) + 2 * n * BigInteger.Abs(a1) + n * n;
        return BigInteger.Abs(p2) <= bound;
    }

    private string DescribeSum(int index)
    {
        int d = Dimension;
        if (index < S2Offset)
        {
            return $"S1[{index}]";
        }

        if (index < S3Offset && !Pairs)
        {
            return $"S2[{index - S2Offset},{index - S2Offset}]";
        }

        if (index < S3Offset)
        {
            int k = index - S2Offset;
            int i = 0;
            while (k >= d - i)
            {
                k -= d - i;
                i++;
            }

            return $"S2[{i},{i + k}]";
        }

        return index < S4Offset ? $"S3[{index - S3Offset}]" : $"S4[{index - S4Offset}]";
    }
}
