using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace SgdDynamics.Statistics;

/// <summary>
/// A fixed-length vector of exact fixed-point sums stored in one flat <see cref="long"/> array
/// (17 limbs per sum, adjacent sums adjacent in memory). Each element follows the rules of
/// <see cref="FixedPointSum"/>: deposits are rounded toward zero to multiples of 2^-256, a deposit
/// with magnitude ≥ 2^255 throws <see cref="OverflowException"/>, NaN and infinities throw
/// <see cref="ArgumentException"/>, and a total outside (−2^255, 2^255) is reported when read.
/// </summary>
/// <remarks>
/// The result is independent of the order of deposits and merges. Span deposits are atomic: every
/// value is checked before any is added. Not thread-safe: merge per-thread vectors with
/// <see cref="Add(FixedPointVector)"/>.
/// </remarks>
public sealed class FixedPointVector : IEquatable<FixedPointVector>
{
    private const int Stride = FixedPointLimbs.Count;
    private readonly long[] limbs;
    private long pending;

    /// <summary>Creates <paramref name="length"/> zero sums.</summary>
    public FixedPointVector(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        limbs = new long[checked(length * Stride)];
    }

    /// <summary>Number of sums.</summary>
    public int Length { get; }

    /// <summary>Adds <paramref name="value"/> to sum <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    /// <exception cref="OverflowException">|value| ≥ 2^255.</exception>
    public void Add(int index, double value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
        FixedPointLimbs.Deposit(ref limbs[index * Stride], value);
        CountDeposits(1);
    }

    /// <summary>
    /// Adds <c>values[i]</c> to sum <c>start + i</c> for every i; nothing is added unless all values
    /// are valid.
    /// </summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    /// <exception cref="OverflowException">A value has magnitude ≥ 2^255.</exception>
    public void Add(int start, ReadOnlySpan<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(values.Length, Length - start, nameof(values));
        FixedPointLimbs.Validate(values, nameof(values));
        AddValidated(start, values);
    }

    /// <summary>Adds every sum of <paramref name="other"/> exactly (merge); <paramref name="other"/> is not changed.</summary>
    public void Add(FixedPointVector other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Length != Length)
        {
            throw new ArgumentException($"Cannot merge a vector of {other.Length} sums into one of {Length}.", nameof(other));
        }

        long weight = other.pending + 1;
        for (int offset = 0; offset < limbs.Length; offset += Stride)
        {
            FixedPointLimbs.Merge(limbs.AsSpan(offset, Stride), other.limbs.AsSpan(offset, Stride));
        }

        CountDeposits(weight);
    }

    /// <summary>Propagates carries of every sum into canonical form; values are unchanged.</summary>
    public void Normalize()
    {
        if (pending != 0)
        {
            for (int offset = 0; offset < limbs.Length; offset += Stride)
            {
                FixedPointLimbs.Normalize(limbs.AsSpan(offset, Stride));
            }

            pending = 0;
        }
    }

    /// <summary>Resets every sum to zero.</summary>
    public void Clear()
    {
        Array.Clear(limbs);
        pending = 0;
    }

    /// <summary>An independent copy.</summary>
    public FixedPointVector Clone()
    {
        var copy = new FixedPointVector(Length);
        limbs.CopyTo(copy.limbs, 0);
        copy.pending = pending;
        return copy;
    }

    /// <summary>True when sum <paramref name="index"/> lies outside (−2^255, 2^255).</summary>
    public bool HasOverflowed(int index) => !FixedPointLimbs.IsInRange(CanonicalLimbs(index));

    /// <summary>Index of the first sum outside (−2^255, 2^255), or −1 when none is.</summary>
    public int FindOverflow()
    {
        for (int i = 0; i < Length; i++)
        {
            if (HasOverflowed(i))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Sum <paramref name="index"/> scaled by 2^256: the integer N with total = N·2^-256.</summary>
    /// <exception cref="OverflowException">The total lies outside (−2^255, 2^255).</exception>
    public BigInteger ToBigInteger(int index) => FixedPointLimbs.ToBigInteger(CheckedLimbs(index));

    /// <summary>Sum <paramref name="index"/> correctly rounded to the nearest double (ties to even).</summary>
    /// <exception cref="OverflowException">The total lies outside (−2^255, 2^255).</exception>
    public double ToDouble(int index) =>
        ExactRational.ToDouble(ToBigInteger(index), BigInteger.One << FixedPointSum.FractionBits);

    /// <summary>A copy of sum <paramref name="index"/>.</summary>
    public FixedPointSum GetSum(int index) => FixedPointSum.FromBigInteger(ToBigInteger(index));

    /// <summary>The sums in <see cref="FixedPointSum.ToHexString"/>'s format, separated by commas.</summary>
    /// <exception cref="OverflowException">A total lies outside (−2^255, 2^255).</exception>
    public string ToHexString() => ToHexString(0, Length);

    /// <summary>
    /// Sums <paramref name="start"/> … <paramref name="start"/> + <paramref name="count"/> − 1 in
    /// <see cref="FixedPointSum.ToHexString"/>'s format, separated by commas.
    /// </summary>
    /// <exception cref="OverflowException">A total lies outside (−2^255, 2^255).</exception>
    public string ToHexString(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length - start);
        var builder = new StringBuilder();
        for (int i = start; i < start + count; i++)
        {
            if (i > start)
            {
                builder.Append(',');
            }

            FixedPointLimbs.AppendHex(CheckedLimbs(i), builder);
        }

        return builder.ToString();
    }

    /// <summary>Parses <see cref="ToHexString()"/>'s format (the empty string is the empty vector).</summary>
    /// <exception cref="FormatException">Malformed text or a value outside (−2^255, 2^255).</exception>
    public static FixedPointVector ParseHex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return new FixedPointVector(0);
        }

        var vector = new FixedPointVector(text.AsSpan().Count(',') + 1);
        int index = 0;
        foreach (Range range in text.AsSpan().Split(','))
        {
            if (!FixedPointLimbs.TryParseHex(text.AsSpan(range), vector.limbs.AsSpan(index * Stride, Stride)))
            {
                throw new FormatException(
                    $"Element {index} of a fixed-point vector is not a signed hexadecimal integer below 2^511.");
            }

            index++;
        }

        return vector;
    }

    /// <summary>True when both vectors have the same length and the same exact totals.</summary>
    public bool Equals(FixedPointVector? other)
    {
        if (other is null || other.Length != Length)
        {
            return false;
        }

        if (ReferenceEquals(this, other))
        {
            return true;
        }

        Normalize();
        other.Normalize();
        return limbs.AsSpan().SequenceEqual(other.limbs);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as FixedPointVector);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        Normalize();
        return FixedPointLimbs.Hash(limbs);
    }

    /// <summary>Canonical limbs of sum <paramref name="index"/> (normalises first).</summary>
    internal ReadOnlySpan<long> CanonicalLimbs(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
        Normalize();
        return limbs.AsSpan(index * Stride, Stride);
    }

    /// <summary>Overwrites sums <paramref name="start"/> … with the sums of <paramref name="source"/>.</summary>
    internal void CopyFrom(FixedPointVector source, int start)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(source.Length, Length - start, nameof(source));
        source.Normalize(); // canonical limbs are below 2^32, within every pending-count bound here
        source.limbs.CopyTo(limbs, start * Stride);
    }

    /// <summary>Span deposit without validation: the caller has checked every value.</summary>
    internal void AddValidated(int start, ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        ref long first = ref limbs[start * Stride];
        for (int i = 0; i < values.Length; i++)
        {
            FixedPointLimbs.Deposit(ref Unsafe.Add(ref first, i * Stride), values[i]);
        }

        CountDeposits(1);
    }

    private void CountDeposits(long weight)
    {
        pending += weight;
        if (pending >= FixedPointLimbs.NormalizeInterval)
        {
            Normalize();
        }
    }

    private ReadOnlySpan<long> CheckedLimbs(int index)
    {
        ReadOnlySpan<long> limbs = CanonicalLimbs(index);
        return FixedPointLimbs.IsInRange(limbs)
            ? limbs
            : throw new OverflowException(
                $"Fixed-point sum {index} left the range (−2^{FixedPointSum.OverflowExponent}, 2^{FixedPointSum.OverflowExponent}).");
    }
}
