using System.Numerics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Statistics;

public class ExactRationalTests
{
    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void RatioOfDoubles_EqualsIeeeDivision(int seed)
    {
        // IEEE division is correctly rounded, so a / b is the oracle for the exact ratio of a and b,
        // including subnormal results and overflow to infinity.
        var random = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            double a = RandomDouble(random);
            double b = RandomDouble(random);
            double expected = a / b;
            BigInteger numerator = ExactReference.Scaled1074(a);
            BigInteger denominator = ExactReference.Scaled1074(b);
            if (denominator.Sign < 0)
            {
                (numerator, denominator) = (-numerator, -denominator);
            }

            double actual = ExactRational.ToDouble(numerator, denominator);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
        }
    }

    [Fact]
    public void SmallRatios_AreCorrectlyRounded()
    {
        Assert.Equal(1.0 / 3.0, ExactRational.ToDouble(1, 3));
        Assert.Equal(-2.0 / 3.0, ExactRational.ToDouble(-2, 3));
        Assert.Equal(5.0 / 12.0, ExactRational.ToDouble(5, 12));
        Assert.Equal(0.0, ExactRational.ToDouble(0, 7));
        Assert.Equal(double.Epsilon, ExactRational.ToDouble(1, BigInteger.One << 1074));
        Assert.Equal(0.0, ExactRational.ToDouble(1, BigInteger.One << 1075)); // tie with 0 → even
        Assert.Equal(double.Epsilon, ExactRational.ToDouble(3, BigInteger.One << 1076));
        Assert.Equal(double.PositiveInfinity, ExactRational.ToDouble(BigInteger.One << 1024, 1));
        Assert.Equal(double.MaxValue, ExactRational.ToDouble(ExactReference.Scaled1074(double.MaxValue), BigInteger.One << 1074));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExactRational.ToDouble(1, 0));
    }

    private static double RandomDouble(Random random)
    {
        long bits = random.NextInt64();
        double x = BitConverter.Int64BitsToDouble(bits);
        return double.IsFinite(x) && x != 0 ? x : 1.0;
    }
}
