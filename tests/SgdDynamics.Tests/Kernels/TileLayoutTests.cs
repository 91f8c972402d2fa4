using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Kernels;

/// <summary>The canonical statistic order and reduction order of <see cref="TileLayout"/>.</summary>
public class TileLayoutTests
{
    [Fact]
    public void ConstantsDescribeSixteenBlocksOfSixteen()
    {
        Assert.Equal(256, TileLayout.TileSize);
        Assert.Equal(16, TileLayout.BlockSize);
        Assert.Equal(16, TileLayout.BlocksPerTile);
        Assert.Equal(TileLayout.TileSize, TileLayout.BlockSize * TileLayout.BlocksPerTile);
    }

    [Fact]
    public void StatisticsOfDimensionThreeAreSumsProductsCubesFourthPowers()
    {
        int[] expected =
        [
            TileLayout.Encode(TileLayout.Sum, 0, 0), TileLayout.Encode(TileLayout.Sum, 1, 1), TileLayout.Encode(TileLayout.Sum, 2, 2),
            TileLayout.Encode(TileLayout.Product, 0, 0), TileLayout.Encode(TileLayout.Product, 0, 1), TileLayout.Encode(TileLayout.Product, 0, 2),
            TileLayout.Encode(TileLayout.Product, 1, 1), TileLayout.Encode(TileLayout.Product, 1, 2),
            TileLayout.Encode(TileLayout.Product, 2, 2),
            TileLayout.Encode(TileLayout.Cube, 0, 0), TileLayout.Encode(TileLayout.Cube, 1, 1), TileLayout.Encode(TileLayout.Cube, 2, 2),
            TileLayout.Encode(TileLayout.Fourth, 0, 0), TileLayout.Encode(TileLayout.Fourth, 1, 1), TileLayout.Encode(TileLayout.Fourth, 2, 2),
        ];
        Assert.Equal(expected, TileLayout.Statistics(3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(64)]
    public void StatisticsMatchTheIndependentOrderAndTheAccumulatorLayout(int d)
    {
        int[] codes = TileLayout.Statistics(d);
        Assert.Equal(3 * d + d * (d + 1) / 2, TileLayout.StatisticCount(d));
        Assert.Equal(TileLayout.StatisticCount(d), codes.Length);
        Assert.Equal(codes.Length, codes.Distinct().Count());

        // the same order as the independent description used by the agreement tests
        var documented = DocumentedOrder.Statistics(d);
        Assert.Equal(documented.Length, codes.Length);
        for (int s = 0; s < codes.Length; s++)
        {
            Assert.Equal(documented[s], (TileLayout.KindOf(codes[s]), TileLayout.FirstOf(codes[s]), TileLayout.SecondOf(codes[s])));
        }

        // EnsembleStatistics.Deposit slices the sums as S1 (d), S2 (d(d+1)/2), S3 (d), S4 (d) and hands S2 to
        // MomentAccumulator, whose S2 index of (i, j) must be the position of Product(i, j) inside the block
        int products = MomentAccumulator.UpperTriangleLength(d);
        Assert.Equal(d * (d + 1) / 2, products);
        for (int k = 0; k < products; k++)
        {
            int code = codes[d + k];
            Assert.Equal(TileLayout.Product, TileLayout.KindOf(code));
            Assert.Equal(k, MomentAccumulator.UpperTriangleIndex(d, TileLayout.FirstOf(code), TileLayout.SecondOf(code)));
        }

        Assert.All(codes[..d], c => Assert.Equal(TileLayout.Sum, TileLayout.KindOf(c)));
        Assert.All(codes[(d + products)..(2 * d + products)], c => Assert.Equal(TileLayout.Cube, TileLayout.KindOf(c)));
        Assert.All(codes[(2 * d + products)..], c => Assert.Equal(TileLayout.Fourth, TileLayout.KindOf(c)));
    }

    [Theory]
    [InlineData(TileLayout.Sum, 0, 0)]
    [InlineData(TileLayout.Product, 0, 255)]
    [InlineData(TileLayout.Product, 254, 255)]
    [InlineData(TileLayout.Cube, 255, 255)]
    [InlineData(TileLayout.Fourth, 17, 17)]
    public void EncodingRoundTrips(int kind, int i, int j)
    {
        int code = TileLayout.Encode(kind, i, j);
        Assert.Equal(kind, TileLayout.KindOf(code));
        Assert.Equal(i, TileLayout.FirstOf(code));
        Assert.Equal(j, TileLayout.SecondOf(code));
    }

    [Fact]
    public void ValuesAreComputedInDoubleAsDocumented()
    {
        float x = 16777215f, y = -3.25f;
        double a = x;
        Assert.Equal(a, TileLayout.Value(TileLayout.Sum, x, y));
        Assert.Equal(a * y, TileLayout.Value(TileLayout.Product, x, y));
        Assert.Equal(a * a * a, TileLayout.Value(TileLayout.Cube, x, y));
        Assert.Equal(a * a * (a * a), TileLayout.Value(TileLayout.Fourth, x, y));

        // not in float: (2^24 − 1)² is not a float
        Assert.NotEqual((double)(x * x), TileLayout.Value(TileLayout.Product, x, x));

        // x²·x² differs from ((x·x)·x)·x for some x: the documented grouping is the one used
        double z = 1.0000001;
        for (int n = 0; n < 1000 && (z * z) * (z * z) == z * z * z * z; n++)
        {
            z += 1.1e-7;
        }

        float zf = (float)z;
        double zd = zf;
        Assert.Equal((zd * zd) * (zd * zd), TileLayout.Value(TileLayout.Fourth, zf, zf));
    }

    [Fact]
    public void CombineFollowsTheDocumentedPairing()
    {
        // ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)): with a0 = 1e16, a2 = −1e16, a4 = a6 = 1 the pairing
        // loses both ones (1e16 + 1 rounds to 1e16), while a left-to-right sum keeps them
        double[] a = [1e16, 0, -1e16, 0, 1, 0, 1, 0];
        double documented = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        Assert.Equal(0.0, documented);
        Assert.Equal(2.0, a.Sum());
        Assert.Equal(documented, TileLayout.Combine(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]));

        var random = new System.Random(7);
        for (int n = 0; n < 1000; n++)
        {
            double[] b = Enumerable.Range(0, 8).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-5, 17))).ToArray();
            double expected = ((b[0] + b[4]) + (b[2] + b[6])) + ((b[1] + b[5]) + (b[3] + b[7]));
            Assert.Equal(expected, TileLayout.Combine(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]));
        }
    }
}
