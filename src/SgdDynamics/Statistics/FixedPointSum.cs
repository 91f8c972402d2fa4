using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace SgdDynamics.Statistics;

/// <summary>
/// An exact sum of doubles in fixed point: the total is an integer N counting units of 2^-256, so
/// integer addition makes the result independent of the order of deposits and merges (the basis of
/// bit-reproducible ensemble statistics across thread counts, batch sizes and shards).
/// </summary>
/// <remarks>
/// <para>
/// <b>Grid.</b> Every deposit is rounded toward zero to a multiple of 2^-256; magnitudes below
/// 2^-256 contribute nothing; magnitudes of 2^-204 and above (whose 53 significant bits all lie on
/// the grid) are taken exactly.
/// </para>
/// <para>
/// <b>Range and overflow.</b> A deposit with magnitude ≥ 2^255 throws <see cref="OverflowException"/>;
/// NaN and infinities throw <see cref="ArgumentException"/>. A running total may leave
/// (−2^255, 2^255) and come back without harm, so whether a sum overflows depends only on the final
/// total; it is checked when the sum is read (<see cref="ToBigInteger"/>, <see cref="ToDouble"/>,
/// <see cref="ToHexString"/> throw <see cref="OverflowException"/>; <see cref="HasOverflowed"/> asks).
/// Totals never wrap around: a running total far outside the range (beyond about 2^328) is pinned
/// as overflowed for good.
/// </para>
/// <para>
/// <b>Cost.</b> A deposit is branch-light and allocation-free: three signed 32-bit pieces added to
/// three of 17 <see cref="long"/> limbs (carry-save), with carries propagated every 2^29 deposits.
/// Not thread-safe: give each thread its own sum and merge with <see cref="Add(FixedPointSum)"/>.
/// Equality compares exact values; do not use a sum as a hash key while it is still changing.
/// </para>
/// </remarks>
public sealed class FixedPointSum : IEquatable<FixedPointSum>
{
    /// <summary>Binary digits after the point: the grid is the multiples of 2^-256.</summary>
    public const int FractionBits = FixedPointLimbs.FractionBits;

    /// <summary>Sums (and single deposits) must stay below 2^255 in magnitude.</summary>
    public const int OverflowExponent = FixedPointLimbs.OverflowExponent;

    private readonly long[] limbs = new long[FixedPointLimbs.Count];
    private long pending;

    /// <summary>Creates a zero sum.</summary>
    public FixedPointSum()
    {
    }

    /// <summary>Creates a sum holding <paramref name="value"/> rounded toward zero to the grid.</summary>
    public FixedPointSum(double value) => Add(value);

    /// <summary>Limbs in canonical form (normalises first).</summary>
    internal ReadOnlySpan<long> CanonicalLimbs
    {
        get
        {
            Normalize();
            return limbs;
        }
    }

    /// <summary>Adds <paramref name="value"/>, rounded toward zero to a multiple of 2^-256.</summary>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    /// <exception cref="OverflowException">|value| ≥ 2^255.</exception>
    public void Add(double value)
    {
        FixedPointLimbs.Deposit(ref limbs[0], value);
        if (++pending >= FixedPointLimbs.NormalizeInterval)
        {
            Normalize();
        }
    }

    /// <summary>Adds another sum exactly (merge); <paramref name="other"/> is not changed.</summary>
    public void Add(FixedPointSum other)
    {
        ArgumentNullException.ThrowIfNull(other);
        long weight = other.pending + 1; // other's limbs are bounded as if by this many deposits
        FixedPointLimbs.Merge(limbs, other.limbs);
        pending += weight;
        if (pending >= FixedPointLimbs.NormalizeInterval)
        {
            Normalize();
        }
    }

    /// <summary>Propagates carries into the canonical form; the value is unchanged.</summary>
    public void Normalize()
    {
        if (pending != 0)
        {
            FixedPointLimbs.Normalize(limbs);
            pending = 0;
        }
    }

    /// <summary>Resets the sum to zero.</summary>
    public void Clear()
    {
        Array.Clear(limbs);
        pending = 0;
    }

    /// <summary>An independent copy.</summary>
    public FixedPointSum Clone()
    {
        var copy = new FixedPointSum();
        limbs.CopyTo(copy.limbs, 0);
        copy.pending = pending;
        return copy;
    }

    /// <summary>True when the total lies outside (−2^255, 2^255).</summary>
    public bool HasOverflowed() => !FixedPointLimbs.IsInRange(CanonicalLimbs);

    /// <summary>The exact total scaled by 2^256, i.e. the integer N with total = N·2^-256.</summary>
    /// <exception cref="OverflowException">The total lies outside (−2^255, 2^255).</exception>
    public BigInteger ToBigInteger() => FixedPointLimbs.ToBigInteger(CheckedLimbs());

    /// <summary>The total correctly rounded to the nearest double (ties to even).</summary>
    /// <exception cref="OverflowException">The total lies outside (−2^255, 2^255).</exception>
    public double ToDouble() => ExactRational.ToDouble(ToBigInteger(), BigInteger.One << FractionBits);

    /// <summary>A sum holding N·2^-256.</summary>
    /// <exception cref="OverflowException">|N| ≥ 2^511.</exception>
    public static FixedPointSum FromBigInteger(BigInteger scaled)
    {
        var sum = new FixedPointSum();
        FixedPointLimbs.FromBigInteger(scaled, sum.limbs);
        return sum;
    }

    /// <summary>
    /// The canonical text: N (the total times 2^256) in lowercase hexadecimal without leading zeros,
    /// with a leading '-' when negative ("0" for zero; 1.0 is "1" followed by 64 zeros).
    /// </summary>
    /// <exception cref="OverflowException">The total lies outside (−2^255, 2^255).</exception>
    public string ToHexString()
    {
        var builder = new StringBuilder();
        FixedPointLimbs.AppendHex(CheckedLimbs(), builder);
        return builder.ToString();
    }

    /// <summary>Parses <see cref="ToHexString"/>'s format (upper-case digits and leading zeros accepted).</summary>
    /// <exception cref="FormatException">Malformed text or a value outside (−2^255, 2^255).</exception>
    public static FixedPointSum ParseHex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseHex(text, out FixedPointSum? sum)
            ? sum
            : throw new FormatException($"'{text}' is not a fixed-point sum (signed hexadecimal below 2^511).");
    }

    /// <summary>Parses <see cref="ToHexString"/>'s format; false when malformed or out of range.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> text, [NotNullWhen(true)] out FixedPointSum? sum)
    {
        var parsed = new FixedPointSum();
        if (FixedPointLimbs.TryParseHex(text, parsed.limbs))
        {
            sum = parsed;
            return true;
        }

        sum = null;
        return false;
    }

    /// <summary>True when both sums hold the same exact total (normalises both and compares canonical forms).</summary>
    public bool Equals(FixedPointSum? other) =>
        other is not null && (ReferenceEquals(this, other) || CanonicalLimbs.SequenceEqual(other.CanonicalLimbs));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as FixedPointSum);

    /// <inheritdoc/>
    public override int GetHashCode() => FixedPointLimbs.Hash(CanonicalLimbs);

    /// <summary>The rounded total in round-trip format, or "overflow".</summary>
    public override string ToString() =>
        HasOverflowed() ? "overflow" : ToDouble().ToString("R", CultureInfo.InvariantCulture);

    private ReadOnlySpan<long> CheckedLimbs()
    {
        ReadOnlySpan<long> limbs = CanonicalLimbs;
        return FixedPointLimbs.IsInRange(limbs)
            ? limbs
            : throw new OverflowException($"The fixed-point sum left the range (−2^{OverflowExponent}, 2^{OverflowExponent}).");
    }
}
