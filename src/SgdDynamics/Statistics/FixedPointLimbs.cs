using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace SgdDynamics.Statistics;

/// <summary>
/// The limb arithmetic shared by <see cref="FixedPointSum"/> and <see cref="FixedPointVector"/>.
/// One sum is <see cref="Count"/> consecutive <see cref="long"/> limbs holding the integer
/// <c>N = Σ_k limb[k]·2^(32k)</c>, the represented value being <c>N·2^-256</c>.
/// </summary>
/// <remarks>
/// <para>
/// Carry-save form: a deposit splits its shifted 53-bit mantissa into three 32-bit pieces and adds
/// them, signed, to three adjacent limbs without propagating carries, so every limb changes by less
/// than 2^32 per deposit. <see cref="Normalize"/> propagates carries; afterwards limbs 0…15 lie in
/// [0, 2^32) and the top limb 16 is signed (the canonical form, unique for each N). Callers count
/// deposits since the last normalisation (a merge counts as the other side's count plus one) and
/// normalise once the count reaches <see cref="NormalizeInterval"/>; a limb then never exceeds
/// (count + 1)·2^32 ≤ (2^30 + 1)·2^32 in magnitude, far from wrapping.
/// </para>
/// <para>
/// The top limb is never touched by a deposit (the third piece of a deposit into limb 14 is zero),
/// only by carries and merges, and it is kept far from wrapping: once its magnitude exceeds 2^40
/// (|N| above 2^584, a running total beyond 2^328) it is pinned to a sentinel and the sum stays
/// overflowed for good.
/// </para>
/// </remarks>
internal static class FixedPointLimbs
{
    /// <summary>Limbs per sum: 16 payload limbs of 32 bits (bits 0…511 of N) and a signed top limb.</summary>
    public const int Count = 17;

    /// <summary>Binary digits after the point: values live on the grid of multiples of 2^-256.</summary>
    public const int FractionBits = 256;

    /// <summary>Magnitudes at or above 2^255 overflow.</summary>
    public const int OverflowExponent = 255;

    /// <summary>Deposits (or merge weight) allowed between normalisations.</summary>
    public const long NormalizeInterval = 1L << 29;

    /// <summary>2^255 as a double.</summary>
    public static readonly double OverflowLimit = Math.ScaleB(1.0, OverflowExponent);

    private const int PayloadBits = 32;
    private const long PayloadMask = 0xFFFF_FFFFL;
    private const int TopLimb = Count - 1;
    private const long SaturationBound = 1L << 40;
    private const long SaturatedTop = 1L << 61;
    private const long MantissaMask = (1L << 52) - 1;

    // Biased IEEE exponent of 2^255: every double with this biased exponent or more has |x| ≥ 2^255
    // (NaN and infinities included).
    private const int OverflowBiasedExponent = 1023 + OverflowExponent;

    /// <summary>
    /// Adds <paramref name="value"/>, rounded toward zero to a multiple of 2^-256, to the sum whose
    /// first limb is <paramref name="limbs"/>. Throws for NaN, infinities and |value| ≥ 2^255.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deposit(ref long limbs, double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biased = (int)(bits >>> 52) & 0x7FF;
        if (biased >= OverflowBiasedExponent)
        {
            ThrowInvalidDeposit(value);
        }

        long mantissa = bits & MantissaMask;
        int shift; // position in N of the mantissa's lowest bit: |value|·2^256 = mantissa·2^shift
        if (biased != 0)
        {
            mantissa |= 1L << 52;
            shift = biased - 1075 + FractionBits;
        }
        else
        {
            shift = -1074 + FractionBits;
        }

        if (shift < 0)
        {
            if (shift < -52)
            {
                return; // |value| < 2^-256: truncates to zero (also covers ±0 and subnormals)
            }

            mantissa >>= -shift; // truncation of the magnitude: rounding toward zero
            shift = 0;
        }

        ulong m = (ulong)mantissa;
        int offset = shift & (PayloadBits - 1);
        ulong low = m << offset;
        long p0 = (long)(low & PayloadMask);
        long p1 = (long)(low >> PayloadBits);
        long p2 = (long)(m >> PayloadBits >> (PayloadBits - offset)); // bits 64… of m·2^offset; 0 when offset = 0

        long sign = bits >> 63; // 0 or -1: (p ^ sign) - sign negates when negative
        ref long target = ref Unsafe.Add(ref limbs, shift >> 5);
        target += (p0 ^ sign) - sign;
        Unsafe.Add(ref target, 1) += (p1 ^ sign) - sign;
        Unsafe.Add(ref target, 2) += (p2 ^ sign) - sign;
    }

    /// <summary>Throws unless every value can be deposited (finite, |x| &lt; 2^255).</summary>
    public static void Validate(ReadOnlySpan<double> values, string paramName)
    {
        foreach (double value in values)
        {
            if (!(Math.Abs(value) < OverflowLimit))
            {
                ThrowInvalidDeposit(value, paramName);
            }
        }
    }

    /// <summary>Adds the limbs of <paramref name="source"/> to <paramref name="target"/> (one sum each).</summary>
    public static void Merge(Span<long> target, ReadOnlySpan<long> source)
    {
        for (int k = 0; k < Count; k++)
        {
            target[k] += source[k];
        }

        target[TopLimb] = Saturate(target[TopLimb]);
    }

    /// <summary>Propagates carries of one sum, bringing it to canonical form.</summary>
    public static void Normalize(Span<long> limbs)
    {
        long carry = 0;
        for (int k = 0; k < TopLimb; k++)
        {
            long v = limbs[k] + carry;
            limbs[k] = v & PayloadMask;
            carry = v >> PayloadBits; // arithmetic shift: floor division, so negative carries work
        }

        limbs[TopLimb] = Saturate(limbs[TopLimb] + carry);
    }

    /// <summary>True when the canonical sum lies in (−2^511, 2^511), i.e. its value in (−2^255, 2^255).</summary>
    public static bool IsInRange(ReadOnlySpan<long> canonical)
    {
        long top = canonical[TopLimb];
        long high = canonical[TopLimb - 1];
        const long half = 1L << 31;
        if (top == 0)
        {
            return high < half;
        }

        if (top == -1)
        {
            // N = −2^512 + high·2^480 + rest, rest in [0, 2^480): N > −2^511 ⇔ high·2^480 + rest > 2^511.
            return high > half || (high == half && canonical[..(TopLimb - 1)].ContainsAnyExcept(0L));
        }

        return false;
    }

    /// <summary>The integer N of an in-range canonical sum.</summary>
    public static BigInteger ToBigInteger(ReadOnlySpan<long> canonical)
    {
        Span<byte> bytes = stackalloc byte[Count * 4];
        for (int k = 0; k < Count; k++)
        {
            // Limbs 0…15 are in [0, 2^32); the top limb is 0 or −1, whose low 32 bits sign-extend.
            BitConverter.TryWriteBytes(bytes.Slice(4 * k, 4), (uint)canonical[k]);
        }

        return new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
    }

    /// <summary>Writes the canonical limbs of N, which must lie in (−2^511, 2^511).</summary>
    public static void FromBigInteger(BigInteger n, Span<long> limbs)
    {
        if (BigInteger.Abs(n).GetBitLength() > 2 * OverflowExponent + 1) // |N| ≥ 2^511
        {
            throw new OverflowException($"Fixed-point sums hold magnitudes below 2^{OverflowExponent}.");
        }

        Span<byte> bytes = stackalloc byte[Count * 4];
        bytes.Fill(n.Sign < 0 ? (byte)0xFF : (byte)0);
        n.TryWriteBytes(bytes, out _, isUnsigned: false, isBigEndian: false);
        for (int k = 0; k < TopLimb; k++)
        {
            limbs[k] = BitConverter.ToUInt32(bytes.Slice(4 * k, 4));
        }

        limbs[TopLimb] = BitConverter.ToInt32(bytes.Slice(4 * TopLimb, 4));
    }

    /// <summary>Hash of canonical limbs.</summary>
    public static int Hash(ReadOnlySpan<long> canonical)
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(canonical));
        return hash.ToHashCode();
    }

    /// <summary>Lowercase hexadecimal of N ("0", "1f…", "-1f…") for an in-range canonical sum.</summary>
    public static void AppendHex(ReadOnlySpan<long> canonical, StringBuilder builder)
    {
        Span<long> magnitude = stackalloc long[Count];
        canonical.CopyTo(magnitude);
        if (canonical[TopLimb] < 0)
        {
            builder.Append('-');
            for (int k = 0; k < Count; k++)
            {
                magnitude[k] = -magnitude[k];
            }

            Normalize(magnitude);
        }

        int top = TopLimb - 1;
        while (top > 0 && magnitude[top] == 0)
        {
            top--;
        }

        builder.Append(((uint)magnitude[top]).ToString("x", CultureInfo.InvariantCulture));
        for (int k = top - 1; k >= 0; k--)
        {
            builder.Append(((uint)magnitude[k]).ToString("x8", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Parses the text written by <see cref="AppendHex"/> (upper-case digits and leading zeros are
    /// accepted) into canonical limbs; false when malformed or out of range.
    /// </summary>
    public static bool TryParseHex(ReadOnlySpan<char> text, Span<long> limbs)
    {
        limbs[..Count].Clear();
        bool negative = text.Length > 0 && text[0] == '-';
        ReadOnlySpan<char> digits = negative ? text[1..] : text;
        if (digits.IsEmpty)
        {
            return false;
        }

        digits = digits.TrimStart('0');
        const int maxDigits = (TopLimb * PayloadBits) / 4; // 128 hex digits: bits 0…511
        if (digits.Length > maxDigits)
        {
            return false;
        }

        int limb = 0;
        for (int end = digits.Length; end > 0; end -= 8, limb++)
        {
            int start = Math.Max(0, end - 8);
            if (!uint.TryParse(digits[start..end], NumberStyles.AllowHexSpecifier,
                    CultureInfo.InvariantCulture, out uint payload))
            {
                return false;
            }

            limbs[limb] = payload;
        }

        if (negative)
        {
            for (int k = 0; k < Count; k++)
            {
                limbs[k] = -limbs[k];
            }

            Normalize(limbs);
        }

        return IsInRange(limbs);
    }

    private static long Saturate(long top) =>
        top > SaturationBound || top < -SaturationBound ? SaturatedTop : top;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidDeposit(double value, string? paramName = null)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentException(
                $"Cannot deposit {value}: exclude diverged trajectories (NaN, infinity) before depositing.",
                paramName ?? nameof(value));
        }

        throw new OverflowException(
            $"Cannot deposit {value:R}: fixed-point sums hold magnitudes below 2^{OverflowExponent}.");
    }
}
