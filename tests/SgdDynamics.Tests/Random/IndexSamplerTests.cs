using MathNet.Numerics.Distributions;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Tests.RandomNumbers;

/// <summary>
/// Minibatch indices from the counter-based generator: with replacement every index is equally likely (chi-square,
/// independent across the steps' pairs of indices); without replacement every epoch is a permutation of the data, and
/// the permutations are uniform in their first places and pairs of places (chi-square). Each statistical test has a fixed
/// seed and the 99.9 % quantile of its chi-square law as the bound (a false alarm rate of 1e-3 before the seed was fixed).
/// </summary>
public class IndexSamplerTests
{
    private static double ChiSquare(long[] counts, double expected) => counts.Sum(c => (c - expected) * (c - expected) / expected);

    private static double Quantile999(int degrees) => ChiSquared.InvCDF(degrees, 0.999);

    [Theory]
    [InlineData(10u, 5)]
    [InlineData(1000u, 32)]
    [InlineData(7u, 1)]
    public void WithReplacementEveryIndexIsEquallyLikely(uint n, int batch)
    {
        var sampler = new IndexSampler(IndexSampler.WithReplacement, n, batch);
        var counts = new long[n];
        long draws = 0;
        for (uint trajectory = 0; trajectory < 50; trajectory++)
        {
            for (uint step = 0; draws < 200_000L * (trajectory + 1) / 50; step++)
            {
                for (int j = 0; j < batch; j++)
                {
                    uint index = sampler.Index(seed: 12, trajectory, step, j);
                    Assert.True(index < n);
                    counts[index]++;
                    draws++;
                }
            }
        }

        double chi = ChiSquare(counts, draws / (double)n);
        Assert.True(chi < Quantile999((int)n - 1), $"chi-square {chi:F1} with {n - 1} degrees of freedom over {draws} draws");
    }

    [Fact]
    public void WithReplacementTheTwoIndicesOfOneCounterAreIndependent()
    {
        // indices 0 and 1 of a step come from the same Philox counter: their joint law is uniform on n² pairs
        const uint n = 6;
        var sampler = new IndexSampler(IndexSampler.WithReplacement, n, 2);
        var counts = new long[n * n];
        const int steps = 72_000;
        for (uint step = 0; step < steps; step++)
        {
            counts[(sampler.Index(3, 9, step, 0) * n) + sampler.Index(3, 9, step, 1)]++;
        }

        double chi = ChiSquare(counts, steps / (double)(n * n));
        Assert.True(chi < Quantile999((int)(n * n) - 1), $"chi-square {chi:F1}");
    }

    [Fact]
    public void DrawIsTheTopBitsForAPowerOfTwoAndNeverReachesN()
    {
        var sampler = new IndexSampler(IndexSampler.WithReplacement, 1024, 1);
        Assert.Equal(0xABCDE123u >> 22, sampler.Draw(0xABCDE123u, 0x12345678u));
        var odd = new IndexSampler(IndexSampler.WithReplacement, 1000, 1);
        Assert.Equal(999u, odd.Draw(uint.MaxValue, uint.MaxValue));
        Assert.Equal(0u, odd.Draw(0, uint.MaxValue));
    }

    [Theory]
    [InlineData(1u, 1)]
    [InlineData(5u, 2)]
    [InlineData(7u, 3)]
    [InlineData(16u, 4)]
    [InlineData(1000u, 32)]
    [InlineData(1024u, 1024)]
    public void WithoutReplacementEveryEpochCoversEveryIndexExactlyOnce(uint n, int batch)
    {
        var sampler = new IndexSampler(IndexSampler.WithoutReplacement, n, batch);
        for (uint trajectory = 0; trajectory < 4; trajectory++)
        {
            // the sample stream of the first 6 epochs, step by step
            var stream = new List<uint>();
            for (uint step = 0; stream.Count < 6 * n; step++)
            {
                for (int j = 0; j < batch; j++)
                {
                    stream.Add(sampler.Index(seed: 5, trajectory, step, j));
                }
            }

            for (int epoch = 0; epoch < 6; epoch++)
            {
                var seen = new bool[n];
                for (int place = 0; place < n; place++)
                {
                    uint index = stream[(int)(epoch * n) + place];
                    Assert.True(index < n && !seen[index], $"epoch {epoch}: index {index} repeated or out of range");
                    seen[index] = true;
                }
            }
        }
    }

    [Fact]
    public void WithoutReplacementPermutationsAreUniformInTheirFirstPlacesAndPairs()
    {
        // n = 7 (a 16-value Feistel domain walked in cycles): the index at place 0 over 20,000 (trajectory, epoch) pairs is
        // uniform on 7 values, and the ordered pair at places (0, 1) is uniform on the 42 pairs of distinct indices
        const uint n = 7;
        var sampler = new IndexSampler(IndexSampler.WithoutReplacement, n, (int)n);
        var first = new long[n];
        var pairs = new long[n * n];
        int samples = 0;
        for (uint trajectory = 0; trajectory < 200; trajectory++)
        {
            for (uint epoch = 0; epoch < 100; epoch++)
            {
                uint a = sampler.Index(8, trajectory, epoch, 0), b = sampler.Index(8, trajectory, epoch, 1);
                first[a]++;
                pairs[(a * n) + b]++;
                samples++;
            }
        }

        double chiFirst = ChiSquare(first, samples / (double)n);
        Assert.True(chiFirst < Quantile999((int)n - 1), $"first place: chi-square {chiFirst:F1}");
        long[] distinct = [.. Enumerable.Range(0, (int)(n * n)).Where(k => k / n != k % n).Select(k => pairs[k])];
        Assert.Equal(0, pairs.Where((_, k) => k / n == k % n).Sum());
        double chiPairs = ChiSquare(distinct, samples / (double)(n * (n - 1)));
        Assert.True(chiPairs < Quantile999((int)(n * (n - 1)) - 1), $"pairs: chi-square {chiPairs:F1}");
    }

    [Fact]
    public void PermutationsDifferBetweenEpochsAndTrajectories()
    {
        var sampler = new IndexSampler(IndexSampler.WithoutReplacement, 1000, 1000);
        uint[] Epoch(uint trajectory, uint epoch) => [.. Enumerable.Range(0, 1000).Select(j => sampler.Index(1, trajectory, epoch, j))];
        Assert.NotEqual(Epoch(0, 0), Epoch(0, 1));
        Assert.NotEqual(Epoch(0, 0), Epoch(1, 0));
        Assert.NotEqual(Enumerable.Range(0, 1000).Select(i => (uint)i).ToArray(), Epoch(0, 0));
    }
}
