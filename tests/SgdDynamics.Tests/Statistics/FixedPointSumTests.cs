using System.Numerics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Statistics;

public class FixedPointSumTests
{
    private static readonly BigInteger One = BigInteger.One << 256;

    private static FixedPointSum SumOf(IEnumerable<double> values)
    {
        var sum = new FixedPointSum();
        foreach (double v in values)
        {
            sum.Add(v);
        }

        return sum;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ShuffledDepositOrders_GiveIdenticalCanonicalLimbsAndDouble(int seed)
    {
        var random = new Random(seed);
        double[] values = ExactReference.MixedMagnitudes(random, 5000);
        FixedPointSum reference = SumOf(values);
        long[] referenceLimbs = reference.CanonicalLimbs.ToArray();
        long referenceBits = BitConverter.DoubleToInt64Bits(reference.ToDouble());

        for (int trial = 0; trial < 5; trial++)
        {
            FixedPointSum shuffled = SumOf(ExactReference.Shuffled(random, values));
            Assert.Equal(referenceLimbs, shuffled.CanonicalLimbs.ToArray());
            Assert.Equal(referenceBits, BitConverter.DoubleToInt64Bits(shuffled.ToDouble()));
            Assert.Equal(reference, shuffled);
            Assert.Equal(reference.GetHashCode(), shuffled.GetHashCode());
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void RandomSplitAndMergeTrees_GiveIdenticalCanonicalLimbsAndDouble(int seed)
    {
        var random = new Random(seed);
        double[] values = ExactReference.MixedMagnitudes(random, 4000);
        FixedPointSum reference = SumOf(values);

        for (int trial = 0; trial < 5; trial++)
        {
            // Split a shuffled copy into random chunks, then merge the chunk sums pairwise at random.
            double[] order = ExactReference.Shuffled(random, values);
            var pool = new List<FixedPointSum>();
            for (int start = 0; start < order.Length;)
            {
                int length = Math.Min(random.Next(1, 300), order.Length - start);
                pool.Add(SumOf(order.AsSpan(start, length).ToArray()));
                start += length;
            }

            while (pool.Count > 1)
            {
                int a = random.Next(pool.Count);
                FixedPointSum left = pool[a];
                pool.RemoveAt(a);
                int b = random.Next(pool.Count);
                pool[b].Add(left);
            }

            Assert.Equal(reference.CanonicalLimbs.ToArray(), pool[0].CanonicalLimbs.ToArray());
            Assert.Equal(BitConverter.DoubleToInt64Bits(reference.ToDouble()), BitConverter.DoubleToInt64Bits(pool[0].ToDouble()));
        }
    }

    [Fact]
    public void Sum_EqualsExactBigIntegerReference()
    {
        var random = new Random(5);
        double[] values = ExactReference.MixedMagnitudes(random, 3000);
        // Add values far below the grid, subnormals and values near the top of the range.
        double[] extras =
        [
            1e-80, -3e-78, double.Epsilon, -double.Epsilon, 2.2250738585072014e-308, 0.0, -0.0,
            Math.ScaleB(1.0, -256), -Math.ScaleB(1.5, -256), Math.ScaleB(1.75, -255), Math.ScaleB(0.999, -256),
            1e70, -2e70, Math.BitDecrement(Math.ScaleB(1.0, 250)),
        ];
        double[] all = [.. values, .. extras];

        BigInteger expected = BigInteger.Zero;
        foreach (double v in all)
        {
            expected += ExactReference.Truncated256(v);
        }

        FixedPointSum sum = SumOf(all);
        Assert.Equal(expected, sum.ToBigInteger());
    }

    [Fact]
    public void Deposits_AreTruncatedTowardZeroOnTheGrid()
    {
        double unit = Math.ScaleB(1.0, -256);
        Assert.Equal(BigInteger.One, new FixedPointSum(unit).ToBigInteger());
        Assert.Equal(BigInteger.One, new FixedPointSum(1.75 * unit).ToBigInteger());
        Assert.Equal(BigInteger.MinusOne, new FixedPointSum(-1.75 * unit).ToBigInteger());
        Assert.Equal(BigInteger.Zero, new FixedPointSum(0.75 * unit).ToBigInteger());
        Assert.Equal(BigInteger.Zero, new FixedPointSum(-0.75 * unit).ToBigInteger());
        Assert.Equal(BigInteger.Zero, new FixedPointSum(double.Epsilon).ToBigInteger());
        Assert.Equal(new BigInteger(3), new FixedPointSum(3.999 * unit).ToBigInteger());
    }

    [Fact]
    public void LargeTermsCancelExactly()
    {
        FixedPointSum sum = SumOf([1e20, 1.0, -1e20]);
        Assert.Equal(One, sum.ToBigInteger());
        Assert.Equal(1.0, sum.ToDouble());

        FixedPointSum tiny = SumOf([1e30, 1e-30, -1e30]);
        Assert.Equal(ExactReference.Truncated256(1e-30), tiny.ToBigInteger());

        FixedPointSum zero = SumOf([1e25, -3.5, -1e25, 3.5]);
        Assert.Equal(BigInteger.Zero, zero.ToBigInteger());
        Assert.Equal(new FixedPointSum(), zero);
        Assert.Equal("0", zero.ToHexString());
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void ToDouble_OfTwoDeposits_EqualsIeeeAddition(int seed)
    {
        // IEEE addition is the correctly rounded exact sum, so it is an independent oracle.
        var random = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            // Magnitudes of 2^-150 and more lie exactly on the 2^-256 grid.
            double a = RandomSign(random) * (1 + random.NextDouble()) * Math.ScaleB(1.0, random.Next(-150, 200));
            double b = RandomSign(random) * (1 + random.NextDouble()) * Math.ScaleB(1.0, random.Next(-150, 200));
            if (random.Next(4) == 0)
            {
                b = -a * (1 + (random.NextDouble() - 0.5) * 1e-12); // near-cancellation
            }

            FixedPointSum sum = SumOf([a, b]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(a + b), BitConverter.DoubleToInt64Bits(sum.ToDouble()));
        }
    }

    private static double RandomSign(Random random) => random.Next(2) == 0 ? 1.0 : -1.0;

    [Fact]
    public void ToDouble_RoundsHalfToEvenAndUsesStickyBits()
    {
        double halfUlp = Math.ScaleB(1.0, -53);
        Assert.Equal(1.0, SumOf([1.0, halfUlp]).ToDouble());                          // tie → even (down)
        Assert.Equal(1.0 + Math.ScaleB(1.0, -51), SumOf([1.0 + Math.ScaleB(1.0, -52), halfUlp]).ToDouble()); // tie → even (up)
        Assert.Equal(1.0 + Math.ScaleB(1.0, -52), SumOf([1.0, halfUlp, Math.ScaleB(1.0, -200)]).ToDouble()); // above tie
        Assert.Equal(1.0, SumOf([1.0, halfUlp, -Math.ScaleB(1.0, -200)]).ToDouble());  // below tie
        Assert.Equal(-1.0, SumOf([-1.0, -halfUlp]).ToDouble());
    }

    [Fact]
    public void SingleDepositAtOrAbove2To255_Throws()
    {
        var sum = new FixedPointSum();
        double limit = Math.ScaleB(1.0, 255);
        Assert.Throws<OverflowException>(() => sum.Add(limit));
        Assert.Throws<OverflowException>(() => sum.Add(-limit));
        Assert.Throws<OverflowException>(() => sum.Add(double.MaxValue));
        Assert.Equal(BigInteger.Zero, sum.ToBigInteger());

        sum.Add(Math.BitDecrement(limit));
        Assert.False(sum.HasOverflowed());
        Assert.Equal(Math.BitDecrement(limit), sum.ToDouble());
    }

    [Fact]
    public void TotalOutsideRange_IsReportedOnRead_AndDependsOnlyOnTheFinalTotal()
    {
        double half = Math.ScaleB(1.0, 254);
        FixedPointSum sum = SumOf([half, half]);
        Assert.True(sum.HasOverflowed());
        Assert.Throws<OverflowException>(() => sum.ToBigInteger());
        Assert.Throws<OverflowException>(() => sum.ToDouble());
        Assert.Throws<OverflowException>(() => sum.ToHexString());
        Assert.Equal("overflow", sum.ToString());

        sum.Add(-half); // back in range: the intermediate excursion did no harm
        Assert.False(sum.HasOverflowed());
        Assert.Equal(half, sum.ToDouble());

        Assert.True(SumOf([-half, -half]).HasOverflowed());
        Assert.False(SumOf([-half, -Math.BitDecrement(half)]).HasOverflowed());
        Assert.True(SumOf([half, half, half, -half]).HasOverflowed());
    }

    [Fact]
    public void RangeBoundaries_AreExact()
    {
        BigInteger limit = BigInteger.One << 511;
        Assert.Equal(limit - 1, FixedPointSum.FromBigInteger(limit - 1).ToBigInteger());
        Assert.Equal(1 - limit, FixedPointSum.FromBigInteger(1 - limit).ToBigInteger());
        Assert.Throws<OverflowException>(() => FixedPointSum.FromBigInteger(limit));
        Assert.Throws<OverflowException>(() => FixedPointSum.FromBigInteger(-limit));

        FixedPointSum top = FixedPointSum.FromBigInteger(limit - 1);
        top.Add(FixedPointSum.FromBigInteger(BigInteger.One));
        Assert.True(top.HasOverflowed());

        FixedPointSum bottom = FixedPointSum.FromBigInteger(1 - limit);
        bottom.Add(FixedPointSum.FromBigInteger(BigInteger.MinusOne));
        Assert.True(bottom.HasOverflowed());
        bottom.Add(FixedPointSum.FromBigInteger(new BigInteger(2)));
        Assert.Equal(2 - limit, bottom.ToBigInteger());
    }

    [Fact]
    public void RepeatedSelfMerging_NeverWrapsBackIntoRange()
    {
        var sum = new FixedPointSum(Math.ScaleB(1.0, 200));
        for (int i = 0; i < 2000; i++)
        {
            sum.Add(sum);
            if (i > 55)
            {
                Assert.True(sum.HasOverflowed());
            }
        }

        var negative = new FixedPointSum(-1e50);
        negative.Add(sum);
        Assert.True(negative.HasOverflowed());
    }

    [Fact]
    public void ManyMergesWithoutNormalising_StayExact()
    {
        // Self-merging doubles both the value and the carry-save weight; the accumulator must
        // normalise in time so that no limb wraps.
        var random = new Random(21);
        double[] values = new double[64];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.Int64BitsToDouble(0x41EF_FFFF_FFFF_FFFFL) * (random.NextDouble() + 0.5); // full mantissas
        }

        FixedPointSum sum = SumOf(values);
        BigInteger expected = values.Aggregate(BigInteger.Zero, (acc, v) => acc + ExactReference.Truncated256(v));
        for (int i = 0; i < 60; i++)
        {
            sum.Add(sum);
        }

        Assert.Equal(expected << 60, sum.ToBigInteger());
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteDeposit_IsRejected_AndLeavesTheSumUnchanged(double bad)
    {
        FixedPointSum sum = SumOf([1.5, -2.25]);
        Assert.Throws<ArgumentException>(() => sum.Add(bad));
        Assert.Equal(-0.75, sum.ToDouble());
    }

    [Fact]
    public void HexText_RoundTripsExactly()
    {
        Assert.Equal("1" + new string('0', 64), new FixedPointSum(1.0).ToHexString());
        Assert.Equal("-1" + new string('0', 64), new FixedPointSum(-1.0).ToHexString());
        Assert.Equal("1", new FixedPointSum(Math.ScaleB(1.0, -256)).ToHexString());
        Assert.Equal("0", new FixedPointSum().ToHexString());

        var random = new Random(9);
        for (int trial = 0; trial < 200; trial++)
        {
            FixedPointSum sum = SumOf(ExactReference.MixedMagnitudes(random, random.Next(1, 40)));
            string text = sum.ToHexString();
            FixedPointSum parsed = FixedPointSum.ParseHex(text);
            Assert.Equal(sum, parsed);
            Assert.Equal(sum.CanonicalLimbs.ToArray(), parsed.CanonicalLimbs.ToArray());
            Assert.Equal(text, parsed.ToHexString());
            Assert.Equal(sum.ToBigInteger(), parsed.ToBigInteger());
        }

        BigInteger extreme = (BigInteger.One << 511) - 1;
        Assert.Equal(-extreme, FixedPointSum.ParseHex(FixedPointSum.FromBigInteger(-extreme).ToHexString()).ToBigInteger());
        Assert.Equal(new BigInteger(0xABCDEF), FixedPointSum.ParseHex("00ABCDEF").ToBigInteger());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("0x12")]
    [InlineData("12g")]
    [InlineData("+12")]
    [InlineData(" 12")]
    public void MalformedHexText_IsRejected(string text)
    {
        Assert.False(FixedPointSum.TryParseHex(text, out _));
        Assert.Throws<FormatException>(() => FixedPointSum.ParseHex(text));
    }

    [Fact]
    public void HexTextOutOfRange_IsRejected()
    {
        string limit = "8" + new string('0', 127); // 2^511
        Assert.False(FixedPointSum.TryParseHex(limit, out _));
        Assert.False(FixedPointSum.TryParseHex("-" + limit, out _));
        Assert.True(FixedPointSum.TryParseHex("7" + new string('f', 127), out FixedPointSum? below));
        Assert.Equal((BigInteger.One << 511) - 1, below.ToBigInteger());
        Assert.False(FixedPointSum.TryParseHex("1" + new string('0', 128), out _));
    }

    [Fact]
    public void Equality_ComparesExactValues()
    {
        FixedPointSum a = SumOf([1.0, 2.0, 1e-40]);
        FixedPointSum b = SumOf([1e-40, 3.0]);
        FixedPointSum c = SumOf([3.0]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.False(a.Equals(null));

        FixedPointSum clone = a.Clone();
        clone.Add(1.0);
        Assert.NotEqual(a, clone);
        clone.Clear();
        Assert.Equal(new FixedPointSum(), clone);
    }
}
