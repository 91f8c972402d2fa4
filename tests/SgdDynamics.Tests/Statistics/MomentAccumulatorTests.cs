using System.Numerics;
using System.Text.Json;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Statistics;

public class MomentAccumulatorTests
{
    private const int TileSize = 32;

    /// <summary>Partial sums of one tile of rows, in a fixed order, as the ensemble engine forms them.</summary>
    private sealed record Tile(long Count, long Diverged, double[] S1, double[] S2, double[] S3, double[] S4)
    {
        public void DepositInto(MomentAccumulator accumulator) =>
            accumulator.DepositTile(Count, Diverged, S1, S2, S3, S4);
    }

    private static Tile MakeTile(double[][] rows, int dimension)
    {
        var s1 = new double[dimension];
        var s2 = new double[MomentAccumulator.UpperTriangleLength(dimension)];
        var s3 = new double[dimension];
        var s4 = new double[dimension];
        long count = 0, diverged = 0;
        foreach (double[] x in rows)
        {
            if (!x.All(double.IsFinite))
            {
                diverged++;
                continue;
            }

            count++;
            for (int i = 0; i < dimension; i++)
            {
                s1[i] += x[i];
                s3[i] += x[i] * x[i] * x[i];
                s4[i] += x[i] * x[i] * x[i] * x[i];
                for (int j = i; j < dimension; j++)
                {
                    s2[MomentAccumulator.UpperTriangleIndex(dimension, i, j)] += x[i] * x[j];
                }
            }
        }

        return new Tile(count, diverged, s1, s2, s3, s4);
    }

    private static Tile[] MakeTiles(double[][] rows, int dimension, int tileSize) =>
        rows.Chunk(tileSize).Select(chunk => MakeTile(chunk, dimension)).ToArray();

    private static MomentAccumulator FromRows(int dimension, params double[][] rows)
    {
        var accumulator = new MomentAccumulator(dimension);
        foreach (double[] row in rows)
        {
            MakeTile([row], dimension).DepositInto(accumulator);
        }

        return accumulator;
    }

    private static long[] Bits(Moments m)
    {
        IEnumerable<double> all = m.Mean.Concat(m.Covariance.Cast<double>()).Concat(m.MeanStandardError)
            .Concat(m.VarianceStandardError).Concat(m.ThirdCentralMoment).Concat(m.FourthCentralMoment);
        return [m.Dimension, m.Count, m.Diverged, .. all.Select(BitConverter.DoubleToInt64Bits)];
    }

    private static double[][] RandomEnsemble(Random random, int count, int dimension)
    {
        var rows = new double[count][];
        for (int k = 0; k < count; k++)
        {
            rows[k] = new double[dimension];
            double common = Gaussian(random);
            for (int i = 0; i < dimension; i++)
            {
                rows[k][i] = 3.0 * (i + 1) + (0.5 + i) * common + Gaussian(random) * Math.Pow(10, i - 1);
            }

            if (random.Next(50) == 0)
            {
                rows[k][random.Next(dimension)] = random.Next(2) == 0 ? double.NaN : double.PositiveInfinity;
            }
        }

        return rows;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void TileDepositOrder_Threads_ShardsAndMergeOrder_GiveBitIdenticalMoments()
    {
        const int dimension = 3;
        var random = new Random(51);
        double[][] rows = RandomEnsemble(random, 5000, dimension);
        Tile[] tiles = MakeTiles(rows, dimension, TileSize);

        var sequential = new MomentAccumulator(dimension);
        foreach (Tile tile in tiles)
        {
            tile.DepositInto(sequential);
        }

        Moments expected = sequential.ToMoments();
        Assert.Equal(rows.Count(r => r.All(double.IsFinite)), expected.Count);
        Assert.Equal(rows.Length - expected.Count, expected.Diverged);
        Assert.True(expected.Diverged > 0);

        // Threads: per-thread accumulators merged in completion order.
        var threaded = new MomentAccumulator(dimension);
        var gate = new object();
        Parallel.For(
            0,
            tiles.Length,
            new ParallelOptions { MaxDegreeOfParallelism = 4 },
            () => new MomentAccumulator(dimension),
            (t, _, local) =>
            {
                tiles[t].DepositInto(local);
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    threaded.Merge(local);
                }
            });
        Assert.Equal(sequential, threaded);
        Assert.Equal(Bits(expected), Bits(threaded.ToMoments()));

        // Shards: contiguous tile ranges, each filled in reverse order, saved as JSON and merged in random trees.
        for (int trial = 0; trial < 4; trial++)
        {
            int shardCount = random.Next(2, 9);
            var shards = new List<MomentAccumulator>();
            for (int s = 0; s < shardCount; s++)
            {
                var shard = new MomentAccumulator(dimension);
                int from = s * tiles.Length / shardCount, to = (s + 1) * tiles.Length / shardCount;
                for (int t = to - 1; t >= from; t--)
                {
                    tiles[t].DepositInto(shard);
                }

                string json = JsonSerializer.Serialize(shard.ToDictionary());
                shards.Add(MomentAccumulator.FromDictionary(JsonSerializer.Deserialize<Dictionary<string, string>>(json)!));
            }

            while (shards.Count > 1)
            {
                int a = random.Next(shards.Count);
                MomentAccumulator left = shards[a];
                shards.RemoveAt(a);
                shards[random.Next(shards.Count)].Merge(left);
            }

            Assert.Equal(sequential, shards[0]);
            Assert.Equal(Bits(expected), Bits(shards[0].ToMoments()));
        }
    }

    [Fact]
    public void Covariance_WithHugeMeanAndTinyVariance_IsExact()
    {
        // float32 states near 1e6 are multiples of 2^-4, so products and tile sums of 32 of them are
        // exact in double: the deposited sums are exact and so must the covariance be.
        const int dimension = 2;
        const int n = 4096;
        var random = new Random(61);
        var rows = new double[n][];
        for (int k = 0; k < n; k++)
        {
            double z1 = Gaussian(random), z2 = Gaussian(random);
            rows[k] = [(float)(1e6 + 0.3 * z1), (float)(1e6 + 0.2 * z1 + 0.1 * z2)];
        }

        var accumulator = new MomentAccumulator(dimension);
        foreach (Tile tile in MakeTiles(rows, dimension, TileSize))
        {
            tile.DepositInto(accumulator);
        }

        Moments moments = accumulator.ToMoments();

        // Reference: exact integers K = 16x in BigInteger, C = (n ΣKᵢKⱼ − ΣKᵢ ΣKⱼ) / (n(n−1)·256), divided in decimal.
        BigInteger[][] k16 = rows.Select(r => r.Select(x => new BigInteger(x * 16)).ToArray()).ToArray();
        for (int i = 0; i < dimension; i++)
        {
            BigInteger sumI = k16.Aggregate(BigInteger.Zero, (acc, r) => acc + r[i]);
            Assert.Equal((double)((decimal)sumI / (16m * n)), moments.Mean[i], 1e-15 * 1e6);
            for (int j = 0; j < dimension; j++)
            {
                BigInteger sumJ = k16.Aggregate(BigInteger.Zero, (acc, r) => acc + r[j]);
                BigInteger sumIJ = k16.Aggregate(BigInteger.Zero, (acc, r) => acc + r[i] * r[j]);
                decimal exact = (decimal)(n * sumIJ - sumI * sumJ) / ((decimal)n * (n - 1) * 256m);
                double reference = (double)exact;
                Assert.True(Math.Abs(moments.Covariance[i, j] - reference) <= 1e-12 * Math.Abs(reference),
                    $"C[{i},{j}] = {moments.Covariance[i, j]:R}, reference {reference:R}");

                // The textbook one-pass formula in double loses essentially every digit here.
                double s1i = rows.Sum(r => r[i]), s1j = rows.Sum(r => r[j]), s2 = rows.Sum(r => r[i] * r[j]);
                double naive = (n * s2 - s1i * s1j) / ((double)n * (n - 1));
                Assert.True(Math.Abs(naive - reference) > 1e-6 * Math.Abs(reference),
                    $"naive C[{i},{j}] = {naive:R} unexpectedly accurate against {reference:R}");
            }
        }

        Assert.InRange(moments.Covariance[0, 0], 0.07, 0.11);
        Assert.InRange(moments.Covariance[0, 1], 0.04, 0.08);
    }

    [Fact]
    public void Moments_OfHandMadeSets_MatchKnownValues()
    {
        Moments a = FromRows(1, [1.0], [2.0], [3.0], [4.0]).ToMoments();
        Assert.Equal(4, a.Count);
        Assert.Equal(2.5, a.Mean[0]);
        Assert.Equal(5.0 / 3.0, a.Covariance[0, 0]);
        Assert.Equal(Math.Sqrt(5.0 / 12.0), a.MeanStandardError[0]);
        Assert.Equal(0.0, a.ThirdCentralMoment[0]);
        Assert.Equal(2.5625, a.FourthCentralMoment[0]);      // (2·1.5⁴ + 2·0.5⁴)/4
        Assert.Equal(0.5, a.VarianceStandardError[0]);       // √((2.5625 − 1.25²)/4)

        Moments b = FromRows(1, [0.0], [0.0], [0.0], [1.0]).ToMoments();
        Assert.Equal(0.25, b.Mean[0]);
        Assert.Equal(0.25, b.Covariance[0, 0]);
        Assert.Equal(0.25, b.MeanStandardError[0]);
        Assert.Equal(3.0 / 32.0, b.ThirdCentralMoment[0]);
        Assert.Equal(21.0 / 256.0, b.FourthCentralMoment[0]);
        Assert.Equal(Math.Sqrt(3.0 / 256.0), b.VarianceStandardError[0]); // √((21/256 − (3/16)²)/4)

        Moments c = FromRows(2, [1.0, 2.0], [2.0, 4.0], [3.0, 5.0]).ToMoments();
        Assert.Equal(new[] { 2.0, 11.0 / 3.0 }, c.Mean);
        Assert.Equal(1.0, c.Covariance[0, 0]);
        Assert.Equal(1.5, c.Covariance[0, 1]);
        Assert.Equal(1.5, c.Covariance[1, 0]);
        Assert.Equal(7.0 / 3.0, c.Covariance[1, 1]);
        Assert.Equal(Math.Sqrt(1.0 / 3.0), c.MeanStandardError[0]);
    }

    [Fact]
    public void CentralMoments_AroundAHugeMean_CancelExactly()
    {
        // x⁴ of 4096 ± 1 is exact in double, so the raw sums are exact and m₄ must come out exactly.
        Moments m = FromRows(1, [4095.0], [4096.0], [4096.0], [4097.0]).ToMoments();
        Assert.Equal(4096.0, m.Mean[0]);
        Assert.Equal(2.0 / 3.0, m.Covariance[0, 0]);
        Assert.Equal(0.0, m.ThirdCentralMoment[0]);
        Assert.Equal(0.5, m.FourthCentralMoment[0]);
        Assert.Equal(0.25, m.VarianceStandardError[0]);
        Assert.Equal(Math.Sqrt(1.0 / 6.0), m.MeanStandardError[0]);
    }

    [Fact]
    public void EmptyAndSingleTrajectory_GiveNaNWithoutThrowing()
    {
        var empty = new MomentAccumulator(2);
        empty.DepositTile(0, 3, [0, 0], [0, 0, 0], [0, 0], [0, 0]);
        Moments none = empty.ToMoments();
        Assert.Equal(0, none.Count);
        Assert.Equal(3, none.Diverged);
        Assert.All(Bits(none).Skip(3), bits => Assert.True(double.IsNaN(BitConverter.Int64BitsToDouble(bits))));

        Moments one = FromRows(2, [1.5, -2.0]).ToMoments();
        Assert.Equal(1, one.Count);
        Assert.Equal(new[] { 1.5, -2.0 }, one.Mean);
        Assert.All(one.Covariance.Cast<double>(), c => Assert.True(double.IsNaN(c)));
        Assert.All(one.MeanStandardError, e => Assert.True(double.IsNaN(e)));
        Assert.All(one.VarianceStandardError, e => Assert.True(double.IsNaN(e)));
        Assert.Equal(new[] { 0.0, 0.0 }, one.ThirdCentralMoment);
        Assert.Equal(new[] { 0.0, 0.0 }, one.FourthCentralMoment);
    }

    [Fact]
    public void InvalidTiles_AreRejected_AndLeaveTheAccumulatorUnchanged()
    {
        MomentAccumulator accumulator = FromRows(2, [1.0, 2.0], [3.0, 5.0]);
        MomentAccumulator before = accumulator.Clone();

        Assert.Throws<ArgumentException>(() => accumulator.DepositTile(1, 0, [1, 2], [1, 2, 4], [1, double.NaN], [1, 16]));
        Assert.Throws<ArgumentException>(() => accumulator.DepositTile(1, 0, [1, 2], [1, 2], [1, 8], [1, 16]));
        Assert.Throws<ArgumentException>(() => accumulator.DepositTile(1, 0, [1, 2, 3], [1, 2, 4], [1, 8], [1, 16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.DepositTile(-1, 0, [1, 2], [1, 2, 4], [1, 8], [1, 16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.DepositTile(1, -1, [1, 2], [1, 2, 4], [1, 8], [1, 16]));
        Assert.Throws<OverflowException>(() => accumulator.DepositTile(1, 0, [1, 2], [1, 2, 4], [1, 8], [1, 1e300]));
        Assert.Throws<OverflowException>(() => accumulator.DepositTile(long.MaxValue, 0, [1, 2], [1, 2, 4], [1, 8], [1, 16]));
        Assert.Throws<ArgumentException>(() => accumulator.Merge(new MomentAccumulator(3)));

        Assert.Equal(before, accumulator);
    }

    [Fact]
    public void OverflowedSum_IsReportedByName()
    {
        var accumulator = new MomentAccumulator(2);
        double half = Math.ScaleB(1.0, 254);
        accumulator.DepositTile(1, 0, [1, 1], [1, half, 1], [1, 1], [1, 1]);
        accumulator.DepositTile(1, 0, [1, 1], [1, half, 1], [1, 1], [1, 1]);
        OverflowException e = Assert.Throws<OverflowException>(() => accumulator.ToMoments());
        Assert.Contains("S2[0,1]", e.Message);
    }

    [Fact]
    public void Dictionary_RoundTripsExactly_ThroughJson()
    {
        var random = new Random(71);
        const int dimension = 4;
        var accumulator = new MomentAccumulator(dimension);
        foreach (Tile tile in MakeTiles(RandomEnsemble(random, 700, dimension), dimension, TileSize))
        {
            tile.DepositInto(accumulator);
        }

        IReadOnlyDictionary<string, string> entries = accumulator.ToDictionary();
        Assert.Equal(MomentAccumulator.FormatName, entries["format"]);
        Assert.Equal("4", entries["dimension"]);
        Assert.Equal(10, entries["s2"].Split(',').Length);

        string json = JsonSerializer.Serialize(entries);
        MomentAccumulator restored = MomentAccumulator.FromDictionary(JsonSerializer.Deserialize<Dictionary<string, string>>(json)!);
        Assert.Equal(accumulator, restored);
        Assert.Equal(accumulator.GetHashCode(), restored.GetHashCode());
        Assert.Equal(Bits(accumulator.ToMoments()), Bits(restored.ToMoments()));
        Assert.Equal(json, JsonSerializer.Serialize(restored.ToDictionary()));
    }

    [Theory]
    [InlineData("format", "other/1")]
    [InlineData("dimension", "0")]
    [InlineData("count", "-1")]
    [InlineData("diverged", "x")]
    [InlineData("s1", "1,2,3")]
    [InlineData("s2", "1,2,q")]
    [InlineData("s4", null)]
    public void MalformedDictionary_IsRejected(string key, string? value)
    {
        var entries = new Dictionary<string, string>(FromRows(2, [1.0, 2.0]).ToDictionary());
        if (value is null)
        {
            entries.Remove(key);
        }
        else
        {
            entries[key] = value;
        }

        Assert.Throws<FormatException>(() => MomentAccumulator.FromDictionary(entries));
    }

    [Fact]
    public void UpperTriangleIndex_IsRowMajorOverIAtMostJ()
    {
        const int d = 4;
        int expected = 0;
        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                Assert.Equal(expected, MomentAccumulator.UpperTriangleIndex(d, i, j));
                Assert.Equal(expected, MomentAccumulator.UpperTriangleIndex(d, j, i));
                expected++;
            }
        }

        Assert.Equal(expected, MomentAccumulator.UpperTriangleLength(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => MomentAccumulator.UpperTriangleIndex(d, 0, d));
    }
}
