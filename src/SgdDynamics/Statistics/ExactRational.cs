using System.Numerics;

namespace SgdDynamics.Statistics;

/// <summary>Correctly rounded conversion of exact rationals to <see cref="double"/>.</summary>
internal static class ExactRational
{
    /// <summary>
    /// <c>numerator / denominator</c> rounded to the nearest double, ties to even (IEEE 754
    /// round-to-nearest), including subnormal results; ±∞ beyond the double range.
    /// </summary>
    public static double ToDouble(BigInteger numerator, BigInteger denominator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(denominator.Sign, nameof(denominator));
        if (numerator.IsZero)
        {
            return 0.0;
        }

        bool negative = numerator.Sign < 0;
        BigInteger a = BigInteger.Abs(numerator);
        long lengthDifference = a.GetBitLength() - denominator.GetBitLength();
        if (lengthDifference > 1100)
        {
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        if (lengthDifference < -1100)
        {
            return negative ? -0.0 : 0.0;
        }

        // Scale so that the integer quotient q = ⌊a·2^shift / b⌋ lies in [2^54, 2^56).
        int shift = 55 - (int)lengthDifference;
        BigInteger scaledNumerator = shift >= 0 ? a << shift : a;
        BigInteger scaledDenominator = shift >= 0 ? denominator : denominator << -shift;
        BigInteger quotient = BigInteger.DivRem(scaledNumerator, scaledDenominator, out BigInteger remainder);
        ulong q = (ulong)quotient;
        bool sticky = !remainder.IsZero;

        int length = 64 - BitOperations.LeadingZeroCount(q);
        int exponent = length - 1 - shift; // a/b lies in [2^exponent, 2^(exponent+1))
        if (exponent > 1023)
        {
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        // Significant bits a double keeps at this exponent: 53 when normal, fewer when subnormal.
        int keep = exponent >= -1022 ? 53 : 53 - (-1022 - exponent);
        if (keep < 0)
        {
            return negative ? -0.0 : 0.0; // below half the smallest subnormal
        }

        int drop = length - keep;
        ulong mantissa = q >> drop;
        ulong rest = q & ((1UL << drop) - 1);
        ulong half = 1UL << (drop - 1);
        if (rest > half || (rest == half && (sticky || (mantissa & 1) != 0)))
        {
            mantissa++; // may reach 2^53, still exact; ScaleB then yields the next binade or ∞
        }

        double result = Math.ScaleB(mantissa, drop - shift);
        return negative ? -result : result;
    }
}
