using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Networks;
using SgdDynamics.Tests.Kernels;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Networks;

/// <summary>A test kernel: one trajectory's gradient (mode 0), mean gradient (1) or Gaussian noise (2) of a landscape.</summary>
public static class LandscapeTestKernel
{
    public static void Evaluate<TLane, TL>(
        Index1D i, ArrayView<float> x, ArrayView<float> g, TL landscape, uint seed, uint step, int mode, int trajectories)
        where TLane : struct, IScalarLane<TLane>
        where TL : struct, ILandscape
    {
        var xs = new DeviceState<TLane>(x, i, trajectories);
        var gs = new DeviceState<TLane>(g, i, trajectories);
        var normals = new PhiloxNormals<TLane>(seed, (uint)i.X);
        if (mode == 0)
        {
            landscape.Gradient<TLane, DeviceState<TLane>, PhiloxNormals<TLane>>(xs, gs, normals, step);
        }
        else if (mode == 1)
        {
            landscape.MeanGradient<TLane, DeviceState<TLane>>(xs, gs);
        }
        else
        {
            landscape.AddGaussianNoise<TLane, DeviceState<TLane>, PhiloxNormals<TLane>>(xs, gs, normals, step);
        }
    }
}

/// <summary>
/// Checks shared by the network landscape kernels' tests (<see cref="MlpLandscapeTests"/>, <see cref="CharModelLandscapeTests"/>):
/// the kernel's gradient, mean gradient and noise on <see cref="FloatLane"/> against a double-precision
/// <see cref="NetworkReference"/>, measured as max_f |g_f − g_f^ref| / ‖g^ref‖₂; bit-identity of the managed SIMD lanes
/// and of ILGPU's CPU accelerator with <see cref="FloatLane"/> for the three modes; the device kernel compiled to PTX.
/// Every g the kernels are given has NaN scratch coordinates: they must be written before read.
/// </summary>
internal static unsafe class LandscapeChecks
{
    /// <summary>The seed of the minibatch indices and normals.</summary>
    public const uint Seed = 2024;

    /// <summary>Trajectories of the bit-identity checks.</summary>
    public const int Trajectories = 64;

    /// <summary>The step of the bit-identity checks.</summary>
    public const uint BitStep = 13;

    private static readonly string[] Modes = ["Gradient", "MeanGradient", "AddGaussianNoise"];

    /// <summary>A state of P + scratch coordinates holding θ.</summary>
    public static float[] State<TL>(TL landscape, float[] theta) where TL : struct, ILandscape
    {
        var x = new float[landscape.Dimension + landscape.ScratchCoordinates];
        theta.CopyTo(x, 0);
        return x;
    }

    public static float[] NaNs(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    public static double[] Double(float[] values) => values.Select(v => (double)v).ToArray();

    /// <summary>max_f |actual_f − expected_f| / ‖expected‖₂.</summary>
    public static double RelativeError(float[] actual, double[] expected)
    {
        double norm = Math.Sqrt(expected.Sum(v => v * v));
        double worst = 0;
        for (int f = 0; f < expected.Length; f++)
        {
            worst = Math.Max(worst, Math.Abs(actual[f] - expected[f]));
        }

        return worst / norm;
    }

    /// <summary>The kernel's gradient of one step on <see cref="FloatLane"/>.</summary>
    public static float[] KernelGradient<TL>(TL landscape, float[] theta, uint trajectory, uint step) where TL : struct, ILandscape
    {
        float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
        landscape.Gradient<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(
            new FloatArrayView(State(landscape, theta)), new FloatArrayView(g), new PhiloxNormals<FloatLane>(Seed, trajectory), step);
        return g[..landscape.Dimension];
    }

    /// <summary>The kernel's mean gradient on <see cref="FloatLane"/>.</summary>
    public static float[] KernelMeanGradient<TL>(TL landscape, float[] theta) where TL : struct, ILandscape
    {
        float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
        landscape.MeanGradient<FloatLane, FloatArrayView>(new FloatArrayView(State(landscape, theta)), new FloatArrayView(g));
        return g[..landscape.Dimension];
    }

    /// <summary>
    /// The step's minibatch gradient on <see cref="FloatLane"/> against the reference's at the sampler's indices for
    /// (<see cref="Seed"/>, <paramref name="trajectory"/>, <paramref name="step"/>); asserts the error is at most
    /// <paramref name="tolerance"/> and returns it.
    /// </summary>
    public static double CheckMinibatch<TL>(
        ITestOutputHelper output, TL landscape, NetworkReference reference, float[] theta, uint trajectory, uint step, string what, double tolerance)
        where TL : struct, ILandscape
    {
        IndexSampler sampler = landscape.Sampler;
        float[] g = KernelGradient(landscape, theta, trajectory, step);
        var indices = new int[sampler.PerStep];
        for (int j = 0; j < indices.Length; j++)
        {
            indices[j] = (int)sampler.Index(Seed, trajectory, step, j);
        }

        var expected = new double[reference.ParameterCount];
        reference.MinibatchGradient(Double(theta), indices, expected);
        double error = RelativeError(g, expected);
        output.WriteLine($"{what}, step {step}: minibatch gradient error {error:E2} of ‖g‖ = {Math.Sqrt(expected.Sum(v => v * v)):E3}");
        Assert.True(error <= tolerance, $"{what}, step {step}: error {error:E2}");
        return error;
    }

    /// <summary>
    /// The mean gradient on <see cref="FloatLane"/> against the reference's full-batch gradient (error at most
    /// <paramref name="tolerance"/>).
    /// </summary>
    public static double CheckMean<TL>(
        ITestOutputHelper output, TL landscape, NetworkReference reference, float[] theta, string what, double tolerance)
        where TL : struct, ILandscape
    {
        float[] g = KernelMeanGradient(landscape, theta);
        var expected = new double[reference.ParameterCount];
        reference.FullBatchGradient(Double(theta), expected);
        double error = RelativeError(g, expected);
        output.WriteLine($"{what}: mean gradient error {error:E2} of ‖ḡ‖ = {Math.Sqrt(expected.Sum(v => v * v)):E3}");
        Assert.True(error <= tolerance, $"{what}: mean gradient error {error:E2}");
        return error;
    }

    /// <summary>
    /// ξ = s Σ_i z_i (∇ℓ_i − ḡ) is linear in the normals: with z = e_k (<see cref="UnitNormal"/>) it is s (∇ℓ_k − ḡ), so
    /// Σ_k ξ_k ξ_kᵀ = Σ(θ). Checks that column for each k of <paramref name="normals"/> against the reference (error at most
    /// <paramref name="tolerance"/> of ‖s(∇ℓ_k − ḡ)‖) and returns the largest error; s is the landscape's noise scale
    /// <paramref name="scale"/>.
    /// </summary>
    public static double CheckUnitNormalNoise<TL>(
        TL landscape, NetworkReference reference, float[] theta, double scale, IEnumerable<int> normals, double tolerance)
        where TL : struct, ILandscape
    {
        Assert.Equal(reference.SampleCount, landscape.NoiseNormals);
        int p = reference.ParameterCount;
        var mean = new double[p];
        reference.FullBatchGradient(Double(theta), mean);
        double worst = 0;
        foreach (int k in normals)
        {
            float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
            Array.Clear(g, 0, landscape.Dimension);
            landscape.AddGaussianNoise<FloatLane, FloatArrayView, UnitNormal>(
                new FloatArrayView(State(landscape, theta)), new FloatArrayView(g), new UnitNormal(k), 5);
            var sample = new double[p];
            reference.SampleGradient(Double(theta), k, sample);
            double[] expected = sample.Select((v, f) => scale * (v - mean[f])).ToArray();
            double error = RelativeError(g[..landscape.Dimension], expected);
            worst = Math.Max(worst, error);
            Assert.True(error <= tolerance, $"normal {k}: error {error:E2}");
        }

        return worst;
    }

    /// <summary>
    /// AddGaussianNoise adds to g: from g = 1 it gives 1 plus what it gives from g = 0, to within <paramref name="tolerance"/>
    /// per coordinate (the two runs round their additions differently), or, when it is not given, the bound
    /// n·2⁻²³·(1 + max_f |ξ_f|): each run's n additions round by at most half an ulp of partial sums of the order of the
    /// final values.
    /// </summary>
    public static void AssertNoiseAddsToG<TL>(TL landscape, float[] theta, double? tolerance = null) where TL : struct, ILandscape
    {
        float[] zero = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
        Array.Clear(zero, 0, landscape.Dimension);
        float[] shifted = NaNs(zero.Length);
        for (int f = 0; f < landscape.Dimension; f++)
        {
            shifted[f] = 1f;
        }

        var normals = new PhiloxNormals<FloatLane>(Seed, 3);
        landscape.AddGaussianNoise<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(
            new FloatArrayView(State(landscape, theta)), new FloatArrayView(zero), normals, 2);
        landscape.AddGaussianNoise<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(
            new FloatArrayView(State(landscape, theta)), new FloatArrayView(shifted), normals, 2);
        Assert.Contains(zero[..landscape.Dimension], v => v != 0f);
        double bound = tolerance ?? landscape.NoiseNormals * Math.Pow(2, -23) * (1 + zero[..landscape.Dimension].Max(Math.Abs));
        for (int f = 0; f < landscape.Dimension; f++)
        {
            Assert.True(Math.Abs(shifted[f] - 1f - zero[f]) <= bound, $"coordinate {f}: {shifted[f]:R} vs 1 + {zero[f]:R}");
        }
    }

    // ---- bit-identity of the lanes ----

    /// <summary>Per-lane normals from a hash of (trajectory, step, sub, stream, place), the same for every lane type.</summary>
    private static float HashNormal(uint trajectory, uint step, uint sub, uint stream, int place)
    {
        uint h = IndexSampler.Mix(IndexSampler.Mix(IndexSampler.Mix(trajectory ^ 0x5bd1e995u) + step) ^ (sub * 4 + (uint)place + (stream << 20)));
        return ((h >> 8) * (1f / 8388608f)) - 1f;
    }

    /// <summary>Trajectory <c>first + k</c> in lane k: the sampler's indices for key (Seed, trajectory) and hashed normals.</summary>
    private readonly struct LaneSource<T>(uint first) : INormalSource<T> where T : unmanaged, ILane<T>
    {
        private static int Width => sizeof(T) / sizeof(float);

        private T Normal(uint step, uint sub, uint stream, int place)
        {
            T result = default;
            var values = (float*)&result;
            for (int k = 0; k < Width; k++)
            {
                values[k] = HashNormal(first + (uint)k, step, sub, stream, place);
            }

            return result;
        }

        public void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3)
        {
            z0 = Normal(step, sub, stream, 0);
            z1 = Normal(step, sub, stream, 1);
            z2 = Normal(step, sub, stream, 2);
            z3 = Normal(step, sub, stream, 3);
        }

        public void Two(uint step, uint sub, uint stream, out T z0, out T z1)
        {
            z0 = Normal(step, sub, stream, 0);
            z1 = Normal(step, sub, stream, 1);
        }

        public void Uniforms(uint step, uint sub, out T u0, out T u1, out T u2, out T u3) => throw new NotSupportedException();

        public T Index(IndexSampler sampler, uint step, int j)
        {
            T result = default;
            var values = (float*)&result;
            for (int k = 0; k < Width; k++)
            {
                values[k] = sampler.Index(Seed, first + (uint)k, step, j);
            }

            return result;
        }
    }

    /// <summary>Gradient, mean gradient and noise (from zero) of every trajectory (one θ each) on <see cref="FloatLane"/>.</summary>
    public static float[][][] OnFloatLane<TL>(TL landscape, float[][] thetas) where TL : struct, ILandscape
    {
        var results = new float[3][][];
        for (int mode = 0; mode < 3; mode++)
        {
            results[mode] = new float[thetas.Length][];
            for (int t = 0; t < thetas.Length; t++)
            {
                float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
                var x = new FloatArrayView(State(landscape, thetas[t]));
                var source = new LaneSource<FloatLane>((uint)t);
                if (mode == 0)
                {
                    landscape.Gradient<FloatLane, FloatArrayView, LaneSource<FloatLane>>(x, new FloatArrayView(g), source, BitStep);
                }
                else if (mode == 1)
                {
                    landscape.MeanGradient<FloatLane, FloatArrayView>(x, new FloatArrayView(g));
                }
                else
                {
                    Array.Clear(g, 0, landscape.Dimension);
                    landscape.AddGaussianNoise<FloatLane, FloatArrayView, LaneSource<FloatLane>>(x, new FloatArrayView(g), source, BitStep);
                }

                results[mode][t] = g[..landscape.Dimension];
            }
        }

        return results;
    }

    /// <summary>
    /// The same on the block lane <typeparamref name="T"/>, trajectories side by side, the landscape made by
    /// <paramref name="create"/> on the two data tables pinned.
    /// </summary>
    public static float[][][] OnBlockLane<T, TL>(float[] first, float[] second, Func<HostParameters, HostParameters, TL> create, float[][] thetas)
        where T : unmanaged, IBlockLane<T>
        where TL : struct, ILandscape
    {
        int width = T.Width;
        var results = new float[3][][];
        for (int mode = 0; mode < 3; mode++)
        {
            results[mode] = new float[thetas.Length][];
        }

        fixed (float* firstTable = first)
        fixed (float* secondTable = second)
        {
            TL landscape = create(new HostParameters(firstTable), new HostParameters(secondTable));
            int p = landscape.Dimension, size = p + landscape.ScratchCoordinates;
            var x = (T*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(T)), 64);
            var g = (T*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(T)), 64);
            try
            {
                for (int start = 0; start < thetas.Length; start += width)
                {
                    for (int f = 0; f < p; f++)
                    {
                        var lanes = (float*)(x + f);
                        for (int k = 0; k < width; k++)
                        {
                            lanes[k] = thetas[start + k][f];
                        }
                    }

                    var source = new LaneSource<T>((uint)start);
                    for (int mode = 0; mode < 3; mode++)
                    {
                        for (int f = 0; f < size; f++)
                        {
                            g[f] = T.Splat(mode == 2 && f < p ? 0f : float.NaN);
                        }

                        if (mode == 0)
                        {
                            landscape.Gradient<T, BlockState<T>, LaneSource<T>>(new BlockState<T>(x), new BlockState<T>(g), source, BitStep);
                        }
                        else if (mode == 1)
                        {
                            landscape.MeanGradient<T, BlockState<T>>(new BlockState<T>(x), new BlockState<T>(g));
                        }
                        else
                        {
                            landscape.AddGaussianNoise<T, BlockState<T>, LaneSource<T>>(new BlockState<T>(x), new BlockState<T>(g), source, BitStep);
                        }

                        for (int k = 0; k < width; k++)
                        {
                            var values = new float[p];
                            for (int f = 0; f < p; f++)
                            {
                                values[f] = ((float*)(g + f))[k];
                            }

                            results[mode][start + k] = values;
                        }
                    }
                }
            }
            finally
            {
                NativeMemory.AlignedFree(x);
                NativeMemory.AlignedFree(g);
            }
        }

        return results;
    }

    /// <summary>Every coordinate of every mode and trajectory has the same bits, is finite, and not all are zero.</summary>
    public static void AssertBitIdentical(float[][][] expected, float[][][] actual, string lane)
    {
        for (int mode = 0; mode < 3; mode++)
        {
            for (int t = 0; t < expected[mode].Length; t++)
            {
                for (int f = 0; f < expected[mode][t].Length; f++)
                {
                    Assert.True(float.IsFinite(expected[mode][t][f]), $"{Modes[mode]}, trajectory {t}, coordinate {f}: {expected[mode][t][f]:R}");
                    int e = BitConverter.SingleToInt32Bits(expected[mode][t][f]), a = BitConverter.SingleToInt32Bits(actual[mode][t][f]);
                    Assert.True(e == a, $"{Modes[mode]}, trajectory {t}, coordinate {f} on {lane}: {actual[mode][t][f]:R}, FloatLane {expected[mode][t][f]:R}");
                }

                Assert.Contains(expected[mode][t], v => v != 0f);
            }
        }
    }

    /// <summary>
    /// The three modes on ILGPU's CPU accelerator (<see cref="LandscapeTestKernel"/>, Philox normals, one trajectory per
    /// θ, structure of arrays) bit-identical to <paramref name="host"/> on <see cref="FloatLane"/>; the device landscape is
    /// made by <paramref name="create"/> on the two data tables uploaded.
    /// </summary>
    public static void AssertIlgpuCpuMatchesFloatLane<TH, TD>(
        TH host, float[] first, float[] second, Func<DeviceParameters, DeviceParameters, TD> create, float[][] thetas)
        where TH : struct, ILandscape
        where TD : struct, ILandscape
    {
        int trajectories = thetas.Length;
        int p = host.Dimension, size = p + host.ScratchCoordinates;
        using var context = Context.Create(b => b.CPU().Math(MathMode.Default));
        using var accelerator = context.CreateCPUAccelerator(0);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, TD, uint, uint, int, int>(
            LandscapeTestKernel.Evaluate<FloatLane, TD>);
        using MemoryBuffer1D<float, Stride1D.Dense> firstTable = accelerator.Allocate1D(first);
        using MemoryBuffer1D<float, Stride1D.Dense> secondTable = accelerator.Allocate1D(second);
        TD landscape = create(new DeviceParameters(firstTable.View), new DeviceParameters(secondTable.View));
        // structure of arrays: coordinate f of trajectory t at f·trajectories + t
        var x = new float[size * trajectories];
        for (int t = 0; t < trajectories; t++)
        {
            for (int f = 0; f < p; f++)
            {
                x[f * trajectories + t] = thetas[t][f];
            }
        }

        using MemoryBuffer1D<float, Stride1D.Dense> xs = accelerator.Allocate1D(x);
        for (int mode = 0; mode < 3; mode++)
        {
            var g0 = new float[size * trajectories];
            Array.Fill(g0, mode == 2 ? 0f : float.NaN);
            using MemoryBuffer1D<float, Stride1D.Dense> gs = accelerator.Allocate1D(g0);
            kernel(trajectories, xs.View, gs.View, landscape, Seed, BitStep, mode, trajectories);
            accelerator.Synchronize();
            float[] device = gs.GetAsArray1D();
            for (int t = 0; t < trajectories; t++)
            {
                float[] g = NaNs(size);
                if (mode == 2)
                {
                    Array.Clear(g, 0, p);
                }

                var state = new FloatArrayView(State(host, thetas[t]));
                var normals = new PhiloxNormals<FloatLane>(Seed, (uint)t);
                if (mode == 0)
                {
                    host.Gradient<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(state, new FloatArrayView(g), normals, BitStep);
                }
                else if (mode == 1)
                {
                    host.MeanGradient<FloatLane, FloatArrayView>(state, new FloatArrayView(g));
                }
                else
                {
                    host.AddGaussianNoise<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(state, new FloatArrayView(g), normals, BitStep);
                }

                for (int f = 0; f < p; f++)
                {
                    float actual = device[f * trajectories + t];
                    Assert.True(
                        BitConverter.SingleToInt32Bits(actual) == BitConverter.SingleToInt32Bits(g[f]),
                        $"{Modes[mode]}, trajectory {t}, coordinate {f} on ILGPU CPU: {actual:R}, FloatLane {g[f]:R}");
                }
            }
        }
    }

    /// <summary>
    /// <see cref="LandscapeTestKernel"/> for <typeparamref name="TD"/> on <see cref="DeviceFloatLane"/> compiled to PTX
    /// without calls (<see cref="PtxCompilationTests.CompileWithoutCalls"/>), with an IEEE division.
    /// </summary>
    public static string AssertCompilesToPtxWithoutCalls<TD>(string architecture, string instructionSet) where TD : struct, ILandscape
    {
        MethodInfo method = typeof(LandscapeTestKernel).GetMethod(nameof(LandscapeTestKernel.Evaluate))!
            .MakeGenericMethod(typeof(DeviceFloatLane), typeof(TD));
        string ptx = PtxCompilationTests.CompileWithoutCalls(method, architecture, instructionSet);
        Assert.Matches(@"div\.rn(\.ftz)?\.f32", ptx); // the division is IEEE (correctly rounded), not an approximation
        return ptx;
    }
}
