using System.Numerics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Statistics;

public class FixedPointVectorTests
{
    [Fact]
    public void Elements_MatchIndependentScalarSums_InAnyOrder()
    {
        var random = new Random(41);
        const int length = 7;
        double[][] rows = Enumerable.Range(0, 500).Select(_ => ExactReference.MixedMagnitudes(random, length)).ToArray();

        var forward = new FixedPointVector(length);
        foreach (double[] row in rows)
        {
            forward.Add(0, row);
        }

        var shards = new[] { new FixedPointVector(length), new FixedPointVector(length), new FixedPointVector(length) };
        foreach (double[] row in ExactReference.Shuffled(random, rows))
        {
            FixedPointVector shard = shards[random.Next(shards.Length)];
            for (int i = length - 1; i >= 0; i--)
            {
                shard.Add(i, row[i]);
            }
        }

        shards[2].Add(shards[0]);
        shards[2].Add(shards[1]);
        Assert.Equal(forward, shards[2]);

        for (int i = 0; i < length; i++)
        {
            BigInteger expected = rows.Aggregate(BigInteger.Zero, (acc, row) => acc + ExactReference.Truncated256(row[i]));
            Assert.Equal(expected, forward.ToBigInteger(i));
            Assert.Equal(expected, forward.GetSum(i).ToBigInteger());
            Assert.Equal(forward.GetSum(i).ToDouble(), forward.ToDouble(i));
            Assert.Equal(forward.GetSum(i).CanonicalLimbs.ToArray(), shards[2].CanonicalLimbs(i).ToArray());
        }
    }

    [Fact]
    public void SpanDeposit_IsAtomic()
    {
        var vector = new FixedPointVector(3);
        vector.Add(0, [1.0, 2.0, 3.0]);
        Assert.Throws<ArgumentException>(() => vector.Add(0, [4.0, double.NaN, 5.0]));
        Assert.Throws<OverflowException>(() => vector.Add(1, [4.0, 1e300]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.Add(2, [4.0, 5.0]));
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, Enumerable.Range(0, 3).Select(vector.ToDouble));
    }

    [Fact]
    public void OverflowedElement_IsFound()
    {
        var vector = new FixedPointVector(4);
        double half = Math.ScaleB(1.0, 254);
        vector.Add(0, [1.0, 2.0, half, 4.0]);
        Assert.Equal(-1, vector.FindOverflow());
        vector.Add(0, [1.0, 2.0, half, 4.0]);
        Assert.Equal(2, vector.FindOverflow());
        Assert.True(vector.HasOverflowed(2));
        Assert.Throws<OverflowException>(() => vector.ToDouble(2));
        Assert.Equal(8.0, vector.ToDouble(3));
    }

    [Fact]
    public void HexText_RoundTripsExactly()
    {
        var random = new Random(43);
        var vector = new FixedPointVector(5);
        for (int k = 0; k < 50; k++)
        {
            vector.Add(0, ExactReference.MixedMagnitudes(random, 5));
        }

        string text = vector.ToHexString();
        Assert.Equal(4, text.Count(c => c == ','));
        FixedPointVector parsed = FixedPointVector.ParseHex(text);
        Assert.Equal(vector, parsed);
        Assert.Equal(text, parsed.ToHexString());
        Assert.Equal(string.Join(',', text.Split(',')[1..3]), vector.ToHexString(1, 2));

        Assert.Equal(0, FixedPointVector.ParseHex("").Length);
        Assert.Throws<FormatException>(() => FixedPointVector.ParseHex("1,,2"));
        Assert.Throws<FormatException>(() => FixedPointVector.ParseHex("1,z"));
    }

    [Fact]
    public void MergingVectorsOfDifferentLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FixedPointVector(2).Add(new FixedPointVector(3)));
    }
}
