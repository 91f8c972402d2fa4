using System.Runtime.InteropServices;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

// Not "SgdDynamics.Tests.Random": a namespace named Random inside SgdDynamics.Tests would hide System.Random
// from every other test namespace (CS0118). The test filter "FullyQualifiedName~SgdDynamics.Tests.Random" still matches.
namespace SgdDynamics.Tests.RandomNumbers;

/// <summary>
/// The managed SIMD random path (the lockstep Philox and Box–Muller through
/// <c>BufferedNormals&lt;T&gt;.Fill</c>) against the scalar kernel path (<see cref="PhiloxNormals{T}"/> on
/// <see cref="FloatLane"/>), bit for bit, lane by lane: lane l of a block whose first trajectory is f draws
/// the normals of trajectory f + l (mod 2³²).
/// </summary>
public unsafe class SimdNormalsTests
{
    private const int Steps = 3;

    private static readonly uint[] Seeds = [0u, 1u, 0x9e3779b9u, 0xffffffffu];

    // 2^32 − 8 and 2^32 − 64 wrap inside a block of 64 or 128 lanes (and inside a lockstep group for − 8)
    private static readonly uint[] FirstTrajectories = [0u, 256u, unchecked((uint)-64), unchecked((uint)-8)];

    // 2^32 − 1 wraps the step counter inside the run of Steps steps
    private static readonly uint[] FirstSteps = [0u, 1u, 12345u, uint.MaxValue];

    private static readonly uint[] Streams = [Philox4x32.DynamicsStream, Philox4x32.InitialStream];

    public static TheoryData<int> NormalsPerStep => new() { 1, 2, 3, 4, 5, 16, 17 };

    [Avx512Theory]
    [MemberData(nameof(NormalsPerStep))]
    public void Lane512NormalsEqualScalarNormalsBitwise(int normalsPerStep) => CheckAll<Lane512>(normalsPerStep);

    [Theory]
    [MemberData(nameof(NormalsPerStep))]
    public void Lane256NormalsEqualScalarNormalsBitwise(int normalsPerStep) => CheckAll<Lane256>(normalsPerStep);

    [Avx512Fact]
    public void Lane512BoxMullerEqualsScalarOnExtremeWords() => CheckBoxMuller<Lane512>();

    [Fact]
    public void Lane256BoxMullerEqualsScalarOnExtremeWords() => CheckBoxMuller<Lane256>();

    /// <summary>
    /// The lanes' Box–Muller (<c>T.Gaussian</c>) against <see cref="BoxMuller.Pair{T}"/>, bit for bit, on every pair of
    /// the extreme words of <see cref="BoxMullerTests"/> (u1 = 2⁻²⁴ and 1, so ln u1 = 0 and a zero radius, the log's
    /// split, quadrant boundaries and exact axes of the angle) and on pseudo-random words.
    /// </summary>
    private static void CheckBoxMuller<T>() where T : unmanaged, IBlockLane<T>
    {
        var pairs = new List<(uint Ra, uint Rb)>();
        foreach (uint ra in BoxMullerTests.ExtremeFirstWords())
        {
            foreach (uint rb in BoxMullerTests.ExtremeSecondWords())
            {
                pairs.Add((ra, rb));
            }
        }

        var random = new System.Random(5);
        for (int n = 0; n < 4096; n++)
        {
            pairs.Add(((uint)random.NextInt64(1L << 32), (uint)random.NextInt64(1L << 32)));
        }

        var pair = (T*)NativeMemory.AlignedAlloc((nuint)(2 * sizeof(T)), 64);
        try
        {
            var words = (uint*)pair;
            var normals = (float*)pair;
            for (int first = 0; first < pairs.Count; first += T.Width)
            {
                for (int lane = 0; lane < T.Width; lane++)
                {
                    (uint ra, uint rb) = pairs[Math.Min(first + lane, pairs.Count - 1)];
                    words[lane] = ra;
                    words[T.Width + lane] = rb;
                }

                T.Gaussian(pair);
                for (int lane = 0; lane < T.Width && first + lane < pairs.Count; lane++)
                {
                    (uint ra, uint rb) = pairs[first + lane];
                    BoxMuller.Pair(ra, rb, out FloatLane za, out FloatLane zb);
                    Assert.True(
                        BitConverter.SingleToInt32Bits(za.Value) == BitConverter.SingleToInt32Bits(normals[lane]) &&
                        BitConverter.SingleToInt32Bits(zb.Value) == BitConverter.SingleToInt32Bits(normals[T.Width + lane]),
                        $"{LaneName<T>()}: words (0x{ra:x8}, 0x{rb:x8}): scalar ({za.Value:R}, {zb.Value:R}), SIMD ({normals[lane]:R}, {normals[T.Width + lane]:R})");
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(pair);
        }
    }

    /// <summary>The lane's vector width (Vector512Width, Vector256Width) for messages.</summary>
    private static string LaneName<T>() => typeof(T).GenericTypeArguments.FirstOrDefault()?.Name ?? typeof(T).Name;

    private static void CheckAll<T>(int normalsPerStep) where T : unmanaged, IBlockLane<T>
    {
        int groups = BufferedNormals<T>.Groups(normalsPerStep);
        Assert.Equal((normalsPerStep + 3) / 4, groups);
        Assert.Equal(sizeof(float) * T.Width, sizeof(T));

        int bufferBytes = Steps * groups * 4 * sizeof(T);
        void* keys = NativeMemory.AlignedAlloc((nuint)T.KeyBytes, 64);
        var buffer = (T*)NativeMemory.AlignedAlloc((nuint)bufferBytes, 64);
        try
        {
            long compared = 0;
            foreach (uint seed in Seeds)
            {
                foreach (uint first in FirstTrajectories)
                {
                    T.Schedule(keys, seed, first);
                    foreach (uint firstStep in FirstSteps)
                    {
                        foreach (uint stream in Streams)
                        {
                            NativeMemory.Fill(buffer, (nuint)bufferBytes, 0xA5);
                            var source = BufferedNormals<T>.Fill(buffer, keys, seed, firstStep, Steps, normalsPerStep, stream);
                            compared += Compare(buffer, source, seed, first, firstStep, normalsPerStep, stream);
                        }
                    }
                }
            }

            Assert.Equal((long)Seeds.Length * FirstTrajectories.Length * FirstSteps.Length * Streams.Length * Steps * normalsPerStep * T.Width * 2, compared);
        }
        finally
        {
            NativeMemory.AlignedFree(keys);
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Compares every lane's normals, read by the documented layout and through the source; returns the count compared.</summary>
    private static long Compare<T>(T* buffer, BufferedNormals<T> source, uint seed, uint first, uint firstStep, int normalsPerStep, uint stream)
        where T : unmanaged, IBlockLane<T>
    {
        int groups = BufferedNormals<T>.Groups(normalsPerStep);
        long compared = 0;
        for (int lane = 0; lane < T.Width; lane++)
        {
            uint trajectory = unchecked(first + (uint)lane);
            var scalar = new PhiloxNormals<FloatLane>(seed, trajectory);
            for (int s = 0; s < Steps; s++)
            {
                uint step = unchecked(firstStep + (uint)s);
                for (int g = 0; g < groups; g++)
                {
                    scalar.Four(step, (uint)g, stream, out var z0, out var z1, out var z2, out var z3);
                    float[] expected = [z0.Value, z1.Value, z2.Value, z3.Value];

                    // through the source's accessors, as the step loop reads them
                    T w0, w1, w2, w3;
                    if (normalsPerStep - 4 * g > 2)
                    {
                        source.Four(step, (uint)g, stream, out w0, out w1, out w2, out w3);
                    }
                    else
                    {
                        source.Two(step, (uint)g, stream, out w0, out w1);
                        w2 = w3 = default;
                    }

                    T[] read = [w0, w1, w2, w3];
                    for (int j = 0; j < 4 && 4 * g + j < normalsPerStep; j++)
                    {
                        int n = 4 * g + j;

                        // documented layout: normal n of step k at buffer[((k − firstStep)·groups + n/4)·4 + n mod 4]
                        float byLayout = ((float*)(buffer + ((s * groups + n / 4) * 4 + n % 4)))[lane];
                        T value = read[j];
                        float bySource = ((float*)&value)[lane];
                        int want = BitConverter.SingleToInt32Bits(expected[j]);
                        if (BitConverter.SingleToInt32Bits(byLayout) != want || BitConverter.SingleToInt32Bits(bySource) != want)
                        {
                            Assert.Fail(
                                $"{LaneName<T>()}: seed 0x{seed:x8}, first trajectory 0x{first:x8}, lane {lane}, step 0x{step:x8}, " +
                                $"normal {n} of {normalsPerStep}, stream {stream}: scalar {expected[j]:R} (0x{want:x8}), " +
                                $"SIMD buffer {byLayout:R} (0x{BitConverter.SingleToInt32Bits(byLayout):x8}), source {bySource:R}");
                        }

                        compared += 2;
                    }
                }
            }
        }

        return compared;
    }
}
