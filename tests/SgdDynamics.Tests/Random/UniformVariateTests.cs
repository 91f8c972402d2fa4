using System.Runtime.InteropServices;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Tests.RandomNumbers;

/// <summary>
/// Uniform variates on (−1, 1): the word-to-variate map (<see cref="UniformVariate"/>) is exact, symmetric and inside the
/// open interval; the managed SIMD path (<c>BufferedNormals&lt;T&gt;.Fill</c> with uniforms after the normals of each step)
/// gives, lane by lane, the scalar kernel path's variates (<see cref="PhiloxNormals{T}.Uniforms"/>) bit for bit, and
/// leaves the normals beside them unchanged; and the variates are uniform (moments and a chi-square test).
/// </summary>
public unsafe class UniformVariateTests
{
    private const int Steps = 3;

    [Fact]
    public void WordsMapToTheOddMultiplesOfTwoToMinus23InsideMinusOneOne()
    {
        Assert.Equal(-1f + UniformVariate.Scale, UniformVariate.FromWord(0));
        Assert.Equal(1f - UniformVariate.Scale, UniformVariate.FromWord(uint.MaxValue));
        Assert.Equal(UniformVariate.Scale, UniformVariate.FromWord(1u << 31));
        Assert.Equal(-UniformVariate.Scale, UniformVariate.FromWord((1u << 31) - 1));
        var random = new System.Random(3);
        for (int n = 0; n < 100_000; n++)
        {
            uint word = (uint)random.NextInt64(1L << 32);
            float u = UniformVariate.FromWord(word);
            int odd = UniformVariate.OddInteger(word);
            Assert.True(odd % 2 != 0 && Math.Abs(odd) < (1 << 23), $"word 0x{word:x8}: {odd}");
            Assert.Equal((double)odd / (1 << 23), u); // exact in float
            Assert.Equal(-u, UniformVariate.FromWord(~word)); // the complement word gives the mirror value
            Assert.InRange(u, -1f + UniformVariate.Scale, 1f - UniformVariate.Scale);
        }
    }

    public static TheoryData<int, int> Counts => new() { { 0, 1 }, { 1, 2 }, { 3, 5 }, { 4, 8 }, { 17, 40 } };

    [Avx512Theory]
    [MemberData(nameof(Counts))]
    public void Lane512UniformsEqualScalarUniformsBitwise(int normalsPerStep, int uniformsPerStep) => Check<Lane512>(normalsPerStep, uniformsPerStep);

    [Theory]
    [MemberData(nameof(Counts))]
    public void Lane256UniformsEqualScalarUniformsBitwise(int normalsPerStep, int uniformsPerStep) => Check<Lane256>(normalsPerStep, uniformsPerStep);

    [Fact]
    public void UniformsHaveTheMomentsAndHistogramOfTheUniformLaw()
    {
        // 2^20 variates of 2^18 counters: mean 0 and variance 1/3 within 5 standard errors (SE of the mean √(1/3/n),
        // of the variance √((1/5 − 1/9)/n)); 64 equal bins, chi-square with 63 degrees of freedom below its 99.9 %
        // quantile 103.4 (a fixed seed: the statistic is one draw, 4.5 σ from its mean 63 would fail).
        const int counters = 1 << 18;
        int n = 4 * counters;
        var bins = new long[64];
        double sum = 0, squares = 0;
        var source = new PhiloxNormals<FloatLane>(seed: 42, trajectory: 7);
        for (uint c = 0; c < counters; c++)
        {
            source.Uniforms(c >> 4, c & 15, out var u0, out var u1, out var u2, out var u3);
            foreach (float u in new[] { u0.Value, u1.Value, u2.Value, u3.Value })
            {
                sum += u;
                squares += (double)u * u;
                bins[(int)((u + 1) * 32)]++;
            }
        }

        double mean = sum / n, variance = squares / n - mean * mean;
        Assert.InRange(mean, -5 * Math.Sqrt(1.0 / 3 / n), 5 * Math.Sqrt(1.0 / 3 / n));
        Assert.InRange(variance - 1.0 / 3, -5 * Math.Sqrt((1.0 / 5 - 1.0 / 9) / n), 5 * Math.Sqrt((1.0 / 5 - 1.0 / 9) / n));
        double expected = n / 64.0;
        double chiSquare = bins.Sum(b => (b - expected) * (b - expected) / expected);
        Assert.True(chiSquare < 103.4, $"chi-square {chiSquare:F1} with 63 degrees of freedom");
    }

    private static void Check<T>(int normalsPerStep, int uniformsPerStep) where T : unmanaged, IBlockLane<T>
    {
        int values = BufferedNormals<T>.ValuesPerStep(normalsPerStep, uniformsPerStep);
        Assert.Equal(4 * (((normalsPerStep + 3) / 4) + ((uniformsPerStep + 3) / 4)), values);
        int bufferBytes = Steps * values * sizeof(T);
        void* keys = NativeMemory.AlignedAlloc((nuint)T.KeyBytes, 64);
        var buffer = (T*)NativeMemory.AlignedAlloc((nuint)bufferBytes, 64);
        try
        {
            long compared = 0;
            foreach (uint seed in new[] { 0u, 0x9e3779b9u })
            {
                foreach (uint first in new[] { 0u, unchecked((uint)-8) })
                {
                    T.Schedule(keys, seed, first);
                    foreach (uint firstStep in new[] { 0u, uint.MaxValue })
                    {
                        NativeMemory.Fill(buffer, (nuint)bufferBytes, 0xA5);
                        var source = BufferedNormals<T>.Fill(buffer, keys, seed, firstStep, Steps, normalsPerStep, Philox4x32.DynamicsStream, uniformsPerStep);
                        compared += Compare(source, seed, first, firstStep, normalsPerStep, uniformsPerStep);
                    }
                }
            }

            Assert.Equal(8L * Steps * T.Width * (normalsPerStep + uniformsPerStep), compared);
        }
        finally
        {
            NativeMemory.AlignedFree(keys);
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static long Compare<T>(BufferedNormals<T> source, uint seed, uint first, uint firstStep, int normalsPerStep, int uniformsPerStep)
        where T : unmanaged, IBlockLane<T>
    {
        long compared = 0;
        for (int lane = 0; lane < T.Width; lane++)
        {
            var scalar = new PhiloxNormals<FloatLane>(seed, unchecked(first + (uint)lane));
            for (int s = 0; s < Steps; s++)
            {
                uint step = unchecked(firstStep + (uint)s);
                for (int g = 0; 4 * g < normalsPerStep; g++)
                {
                    scalar.Four(step, (uint)g, Philox4x32.DynamicsStream, out var z0, out var z1, out var z2, out var z3);
                    source.Four(step, (uint)g, Philox4x32.DynamicsStream, out var w0, out var w1, out var w2, out var w3);
                    compared += Same([z0.Value, z1.Value, z2.Value, z3.Value], [w0, w1, w2, w3], lane, normalsPerStep - 4 * g, $"normals {4 * g}…, step {step}");
                }

                for (int g = 0; 4 * g < uniformsPerStep; g++)
                {
                    scalar.Uniforms(step, (uint)g, out var u0, out var u1, out var u2, out var u3);
                    source.Uniforms(step, (uint)g, out var v0, out var v1, out var v2, out var v3);
                    compared += Same([u0.Value, u1.Value, u2.Value, u3.Value], [v0, v1, v2, v3], lane, uniformsPerStep - 4 * g, $"uniforms {4 * g}…, step {step}, seed 0x{seed:x8}, trajectory 0x{first + (uint)lane:x8}");
                }
            }
        }

        return compared;
    }

    private static int Same<T>(float[] expected, T[] actual, int lane, int count, string what) where T : unmanaged
    {
        int n = Math.Min(4, count);
        for (int j = 0; j < n; j++)
        {
            T value = actual[j];
            float got = ((float*)&value)[lane];
            Assert.True(
                BitConverter.SingleToInt32Bits(expected[j]) == BitConverter.SingleToInt32Bits(got),
                $"{typeof(T).GenericTypeArguments.FirstOrDefault()?.Name}: lane {lane}, {what}, value {j}: scalar {expected[j]:R}, SIMD {got:R}");
        }

        return n;
    }
}
