using System.Numerics;

namespace SgdDynamics.Tests.Statistics;

/// <summary>Independent exact arithmetic on doubles used as test oracles.</summary>
internal static class ExactReference
{
    /// <summary>x·2^1074 as an exact integer (every finite double is a multiple of 2^-1074).</summary>
    public static BigInteger Scaled1074(double x)
    {
        if (x == 0)
        {
            return BigInteger.Zero;
        }

        long bits = BitConverter.DoubleToInt64Bits(x);
        int biased = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & ((1L << 52) - 1);
        int exponent = biased == 0 ? 1 : biased; // subnormals share the smallest exponent
        if (biased != 0)
        {
            mantissa |= 1L << 52;
        }

        // |x| = mantissa·2^(exponent − 1075), so |x|·2^1074 = mantissa·2^(exponent − 1).
        BigInteger magnitude = new BigInteger(mantissa) << (exponent - 1);
        return x < 0 ? -magnitude : magnitude;
    }

    /// <summary>x·2^256 truncated toward zero.</summary>
    public static BigInteger Truncated256(double x) =>
        BigInteger.Divide(Scaled1074(x), BigInteger.One << (1074 - 256)); // BigInteger division truncates

    /// <summary>Random doubles of both signs with magnitudes log-uniform in [1e-30, 1e30].</summary>
    public static double[] MixedMagnitudes(Random random, int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            double magnitude = Math.Pow(10, random.NextDouble() * 60 - 30);
            values[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }

        return values;
    }

    /// <summary>Fisher–Yates shuffle into a new array.</summary>
    public static T[] Shuffled<T>(Random random, T[] values)
    {
        var copy = (T[])values.Clone();
        random.Shuffle(copy);
        return copy;
    }
}
