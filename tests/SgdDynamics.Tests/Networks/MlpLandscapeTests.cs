using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Data;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Networks;
using SgdDynamics.Tests.Kernels;
using SgdDynamics.Tests.RandomNumbers;
using Xunit.Abstractions;
using Lane256 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector256Width, System.Runtime.Intrinsics.Vector256<float>, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<ulong>>;
using Lane512 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector512Width, System.Runtime.Intrinsics.Vector512<float>, System.Runtime.Intrinsics.Vector512<int>, System.Runtime.Intrinsics.Vector512<ulong>>;

namespace SgdDynamics.Tests.Networks;

/// <summary>A test kernel: one trajectory's gradient (mode 0), mean gradient (1) or Gaussian noise (2) of an MLP landscape.</summary>
public static class MlpLandscapeKernel
{
    public static void Evaluate<TLane>(
        Index1D i, ArrayView<float> x, ArrayView<float> g, MlpLandscape<DeviceParameters> landscape, uint seed, uint step, int mode, int trajectories)
        where TLane : struct, IScalarLane<TLane>
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
/// The network landscape kernel (<see cref="MlpLandscape{TP}"/>) on <see cref="FloatLane"/> against the double-precision
/// reference (<see cref="MlpReference"/>) at the same minibatch indices, for every activation and both losses and on the
/// 36-8(SiLU)-10 MNIST network; its Gaussian noise through the per-sample gradients; bit-identity of the managed SIMD
/// lanes and of ILGPU's CPU accelerator with <see cref="FloatLane"/>; and the device lane compiled to PTX without calls.
/// Gradient errors are measured as max_f |g_f − g_f^ref| / ‖g^ref‖₂ and must stay below <see cref="Tolerance"/>: float
/// rounding of sums of a few hundred terms of size ≲ ‖g‖ (measured: 2e-8 to 2.4e-7).
/// </summary>
public unsafe class MlpLandscapeTests
{
    /// <summary>Largest gradient error relative to the reference gradient's norm (float rounding; see the type).</summary>
    private const double Tolerance = 1e-5;

    private const uint Seed = 2024;

    private readonly ITestOutputHelper output;

    public MlpLandscapeTests(ITestOutputHelper output) => this.output = output;

    /// <summary>A network and its data: float tables for the kernel, the same values in double for the reference.</summary>
    private sealed class Problem
    {
        public required int[] Widths { get; init; }
        public required int[] Activations { get; init; }
        public required int Loss { get; init; }
        public required float[] Inputs { get; init; }
        public required float[] Targets { get; init; }
        public required int Count { get; init; }
        public required MlpReference Reference { get; init; }

        public int Parameters => Reference.ParameterCount;

        public MlpLandscape<TP> Kernel<TP>(TP inputs, TP targets, IndexSampler sampler, double noiseScale = 1.0) where TP : struct, IParameters =>
            new(inputs, targets, Widths, Activations, Loss, Count, sampler, noiseScale);

        public MlpLandscape<ArrayParameters> Kernel(IndexSampler sampler, double noiseScale = 1.0) =>
            Kernel(new ArrayParameters(Inputs), new ArrayParameters(Targets), sampler, noiseScale);

        /// <summary>Parameters in the layout, uniform on ±1/√fan-in per layer (PyTorch's default), as floats.</summary>
        public float[] Theta(int seed, float gain = 1f)
        {
            var random = new System.Random(seed);
            var theta = new float[Parameters];
            int at = 0;
            for (int l = 0; l + 1 < Widths.Length; l++)
            {
                float bound = gain / MathF.Sqrt(Widths[l]);
                for (int k = 0; k < Widths[l + 1] * (Widths[l] + 1); k++)
                {
                    theta[at++] = (float)((2 * random.NextDouble() - 1) * bound);
                }
            }

            return theta;
        }
    }

    private static Problem Random(int[] widths, MlpActivation activation, MlpLoss loss, int count, int seed)
    {
        var random = new System.Random(seed);
        int inputs = widths[0], outputs = widths[^1];
        var x = new float[count * inputs];
        for (int k = 0; k < x.Length; k++)
        {
            x[k] = (float)(2 * random.NextDouble() - 1) * 1.5f;
        }

        MlpDataSet data;
        float[] targets;
        if (loss == MlpLoss.SoftmaxCrossEntropy)
        {
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = random.Next(outputs);
            }

            targets = labels.Select(l => (float)l).ToArray();
            data = MlpDataSet.Classification(x.Select(v => (double)v).ToArray(), inputs, labels);
        }
        else
        {
            targets = new float[count * outputs];
            for (int k = 0; k < targets.Length; k++)
            {
                targets[k] = (float)(2 * random.NextDouble() - 1);
            }

            data = MlpDataSet.Regression(x.Select(v => (double)v).ToArray(), inputs, targets.Select(v => (double)v).ToArray(), outputs);
        }

        var architecture = new MlpArchitecture(inputs, widths[1..^1], outputs, activation, loss);
        return new Problem
        {
            Widths = widths,
            Activations = Enumerable.Repeat((int)activation, widths.Length - 2).ToArray(),
            Loss = (int)loss,
            Inputs = x,
            Targets = targets,
            Count = count,
            Reference = new MlpReference(architecture, data) { MaxDegreeOfParallelism = 1 },
        };
    }

    private static readonly Lazy<Problem> MnistProblem = new(() =>
    {
        MnistFiles files = MnistData.SubsetPaths(AppContext.BaseDirectory);
        MnistData mnist = MnistData.Load(files.ImagesPath, files.LabelsPath);
        float[] features = mnist.Features(6);
        var labels = new int[mnist.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = mnist.Label(i);
        }

        var architecture = new MlpArchitecture(36, [8], 10, MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy);
        return new Problem
        {
            Widths = [36, 8, 10],
            Activations = [(int)MlpActivation.Silu],
            Loss = (int)MlpLoss.SoftmaxCrossEntropy,
            Inputs = features,
            Targets = labels.Select(l => (float)l).ToArray(),
            Count = mnist.Count,
            Reference = new MlpReference(architecture, MlpDataSet.Classification(features.Select(v => (double)v).ToArray(), 36, labels))
            {
                MaxDegreeOfParallelism = 1,
            },
        };
    });

    public static TheoryData<MlpActivation, MlpLoss> Cases()
    {
        var data = new TheoryData<MlpActivation, MlpLoss>();
        foreach (var activation in new[] { MlpActivation.Tanh, MlpActivation.Silu, MlpActivation.Relu })
        {
            foreach (var loss in new[] { MlpLoss.SoftmaxCrossEntropy, MlpLoss.MeanSquared })
            {
                data.Add(activation, loss);
            }
        }

        return data;
    }

    /// <summary>Two hidden layers for the random cases (every code path of the backward pass).</summary>
    private static Problem Small(MlpActivation activation, MlpLoss loss) =>
        Random([5, 7, 6, loss == MlpLoss.SoftmaxCrossEntropy ? 4 : 3], activation, loss, count: 40, seed: 3 + (int)activation + 10 * (int)loss);

    private static float[] State<TP>(MlpLandscape<TP> landscape, float[] theta) where TP : struct, IParameters
    {
        var x = new float[landscape.Dimension + landscape.ScratchCoordinates];
        theta.CopyTo(x, 0);
        return x;
    }

    private static float[] NaNs(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    /// <summary>The kernel's gradient of one step on <see cref="FloatLane"/> (g's scratch starts as NaN: it must be written before read).</summary>
    private static float[] KernelGradient(MlpLandscape<ArrayParameters> landscape, float[] theta, uint trajectory, uint step)
    {
        float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
        landscape.Gradient<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(new FloatArrayView(State(landscape, theta)), new FloatArrayView(g), new PhiloxNormals<FloatLane>(Seed, trajectory), step);
        return g[..landscape.Dimension];
    }

    private static float[] KernelMeanGradient(MlpLandscape<ArrayParameters> landscape, float[] theta)
    {
        float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
        landscape.MeanGradient<FloatLane, FloatArrayView>(new FloatArrayView(State(landscape, theta)), new FloatArrayView(g));
        return g[..landscape.Dimension];
    }

    private static double RelativeError(float[] actual, double[] expected)
    {
        double norm = Math.Sqrt(expected.Sum(v => v * v));
        double worst = 0;
        for (int f = 0; f < expected.Length; f++)
        {
            worst = Math.Max(worst, Math.Abs(actual[f] - expected[f]));
        }

        return worst / norm;
    }

    private static double[] Double(float[] values) => values.Select(v => (double)v).ToArray();

    private double CheckMinibatch(Problem problem, IndexSampler sampler, float[] theta, uint trajectory, uint step, string what)
    {
        var landscape = problem.Kernel(sampler);
        float[] g = KernelGradient(landscape, theta, trajectory, step);
        var indices = new int[sampler.PerStep];
        for (int j = 0; j < indices.Length; j++)
        {
            indices[j] = (int)sampler.Index(Seed, trajectory, step, j);
        }

        var expected = new double[problem.Parameters];
        problem.Reference.MinibatchGradient(Double(theta), indices, expected);
        double error = RelativeError(g, expected);
        output.WriteLine($"{what}, step {step}: minibatch gradient error {error:E2} of ‖g‖ = {Math.Sqrt(expected.Sum(v => v * v)):E3}");
        Assert.True(error <= Tolerance, $"{what}, step {step}: error {error:E2}");
        return error;
    }

    private double CheckMean(Problem problem, float[] theta, string what)
    {
        var landscape = problem.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, 4));
        float[] g = KernelMeanGradient(landscape, theta);
        var expected = new double[problem.Parameters];
        problem.Reference.FullBatchGradient(Double(theta), expected);
        double error = RelativeError(g, expected);
        output.WriteLine($"{what}: mean gradient error {error:E2} of ‖ḡ‖ = {Math.Sqrt(expected.Sum(v => v * v)):E3}");
        Assert.True(error <= Tolerance, $"{what}: mean gradient error {error:E2}");
        return error;
    }

    [Fact]
    public void LayoutAndScratch()
    {
        Problem mnist = MnistProblem.Value;
        var landscape = mnist.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)mnist.Count, 32));
        Assert.Equal(386, landscape.Dimension);
        Assert.Equal(36 + 16 + 10, landscape.ScratchCoordinates);
        Assert.Equal(mnist.Count, landscape.NoiseNormals);
        Assert.Equal(0, landscape.NormalsPerStep);
        Assert.Equal(0, landscape.UniformsPerStep);
        Assert.Equal(32, landscape.Sampler.IndicesPerStep);
        Problem small = Small(MlpActivation.Tanh, MlpLoss.MeanSquared);
        var two = small.Kernel(new IndexSampler(IndexSampler.WithReplacement, 40, 8));
        Assert.Equal(small.Parameters, two.Dimension);
        Assert.Equal(5 + 2 * 7 + 2 * 6 + 3, two.ScratchCoordinates);
        Assert.Equal((int)MlpActivation.Silu, MlpLandscape<ArrayParameters>.Silu);
        Assert.Equal((int)MlpActivation.Relu, MlpLandscape<ArrayParameters>.Relu);
        Assert.Equal((int)MlpLoss.MeanSquared, MlpLandscape<ArrayParameters>.MeanSquared);
        var table = new ArrayParameters([0f]);
        var sampler = new IndexSampler(IndexSampler.WithReplacement, 4, 2);
        Assert.Throws<ArgumentException>(() => new MlpLandscape<ArrayParameters>(table, table, [3, 2, 2, 2, 2, 2], [0, 0, 0, 0], 0, 4, sampler, 1));
        Assert.Throws<ArgumentException>(() => new MlpLandscape<ArrayParameters>(table, table, [3, 2, 2], [], 0, 4, sampler, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpLandscape<ArrayParameters>(table, table, [3, 2, 2], [3], 0, 4, sampler, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpLandscape<ArrayParameters>(table, table, [3, 2], [], 2, 4, sampler, 1));
        Assert.Throws<ArgumentException>(() => new MlpLandscape<ArrayParameters>(table, table, [3, 1], [], 0, 4, sampler, 1));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MinibatchGradientMatchesTheReferenceAtTheStepsIndices(MlpActivation activation, MlpLoss loss)
    {
        Problem problem = Small(activation, loss);
        float[] theta = problem.Theta(seed: 5, gain: 2f);
        var with = new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, 8);
        var without = new IndexSampler(IndexSampler.WithoutReplacement, (uint)problem.Count, 8);
        CheckMinibatch(problem, with, theta, trajectory: 3, step: 0, $"{activation}/{loss} with replacement");
        CheckMinibatch(problem, with, theta, trajectory: 9, step: 17, $"{activation}/{loss} with replacement");
        CheckMinibatch(problem, without, theta, trajectory: 1, step: 6, $"{activation}/{loss} without replacement");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MeanGradientMatchesTheFullBatchReference(MlpActivation activation, MlpLoss loss)
    {
        Problem problem = Small(activation, loss);
        CheckMean(problem, problem.Theta(seed: 8, gain: 2f), $"{activation}/{loss}");
    }

    [Fact]
    public void MnistNetworkMatchesTheReference()
    {
        Problem mnist = MnistProblem.Value;
        var sampler = new IndexSampler(IndexSampler.WithoutReplacement, (uint)mnist.Count, 32);
        for (int k = 0; k < 3; k++)
        {
            float[] theta = mnist.Theta(seed: 20 + k, gain: 1f + k);
            CheckMinibatch(mnist, sampler, theta, trajectory: (uint)k, step: (uint)(11 * k), $"36-8(silu)-10, θ {k}");
            CheckMean(mnist, theta, $"36-8(silu)-10, θ {k}");
        }
    }

    [Theory]
    [InlineData(MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy)]
    [InlineData(MlpActivation.Tanh, MlpLoss.MeanSquared)]
    [InlineData(MlpActivation.Relu, MlpLoss.SoftmaxCrossEntropy)]
    public void GaussianNoiseOfUnitNormalKIsTheScaledDeviationOfSampleK(MlpActivation activation, MlpLoss loss)
    {
        // ξ = s Σ_i z_i (∇ℓ_i − ḡ) is linear in the normals: with z = e_k it is s (∇ℓ_k − ḡ), so Σ_k ξ_k ξ_kᵀ = Σ(x)
        Problem problem = Small(activation, loss);
        const double scale = 0.37;
        var landscape = problem.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, 8), scale);
        Assert.Equal(problem.Count, landscape.NoiseNormals);
        float[] theta = problem.Theta(seed: 12, gain: 2f);
        var mean = new double[problem.Parameters];
        problem.Reference.FullBatchGradient(Double(theta), mean);
        double worst = 0;
        foreach (int k in new[] { 0, 1, 2, 3, 17, problem.Count - 1 })
        {
            float[] g = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
            Array.Clear(g, 0, landscape.Dimension);
            landscape.AddGaussianNoise<FloatLane, FloatArrayView, UnitNormal>(new FloatArrayView(State(landscape, theta)), new FloatArrayView(g), new UnitNormal(k), 5);
            var sample = new double[problem.Parameters];
            problem.Reference.SampleGradient(Double(theta), k, sample);
            double[] expected = sample.Select((v, f) => scale * (v - mean[f])).ToArray();
            double error = RelativeError(g[..landscape.Dimension], expected);
            worst = Math.Max(worst, error);
            Assert.True(error <= Tolerance, $"normal {k}: error {error:E2}");
        }

        output.WriteLine($"{activation}/{loss}: noise of unit normals, max error {worst:E2} of ‖s(∇ℓ_k − ḡ)‖");
    }

    [Fact]
    public void GaussianNoiseAddsToG()
    {
        Problem problem = Small(MlpActivation.Silu, MlpLoss.MeanSquared);
        var landscape = problem.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, 8), 0.5);
        float[] theta = problem.Theta(seed: 4);
        float[] zero = NaNs(landscape.Dimension + landscape.ScratchCoordinates);
        Array.Clear(zero, 0, landscape.Dimension);
        float[] shifted = NaNs(zero.Length);
        for (int f = 0; f < landscape.Dimension; f++)
        {
            shifted[f] = 1f;
        }

        var normals = new PhiloxNormals<FloatLane>(Seed, 3);
        landscape.AddGaussianNoise<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(new FloatArrayView(State(landscape, theta)), new FloatArrayView(zero), normals, 2);
        landscape.AddGaussianNoise<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(new FloatArrayView(State(landscape, theta)), new FloatArrayView(shifted), normals, 2);
        Assert.Contains(zero[..landscape.Dimension], v => v != 0f);
        for (int f = 0; f < landscape.Dimension; f++)
        {
            Assert.True(Math.Abs(shifted[f] - 1f - zero[f]) <= 1e-6, $"coordinate {f}: {shifted[f]:R} vs 1 + {zero[f]:R}");
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

    private const int Trajectories = 64;
    private const uint BitStep = 13;

    public static TheoryData<string> Networks() => new() { "mnist", "tanh-mse", "relu-ce" };

    private static Problem Network(string name) => name switch
    {
        "mnist" => MnistProblem.Value,
        "tanh-mse" => Small(MlpActivation.Tanh, MlpLoss.MeanSquared),
        _ => Small(MlpActivation.Relu, MlpLoss.SoftmaxCrossEntropy),
    };

    /// <summary>64 parameter vectors, one per trajectory, of growing scale.</summary>
    private static float[][] Thetas(Problem problem) =>
        Enumerable.Range(0, Trajectories).Select(k => problem.Theta(seed: 100 + k, gain: 0.5f + (k / 16f))).ToArray();

    private static IndexSampler BitSampler(Problem problem) => new(IndexSampler.WithoutReplacement, (uint)problem.Count, 16);

    /// <summary>Gradient, mean gradient and noise (from zero) of every trajectory on <see cref="FloatLane"/>.</summary>
    private static float[][][] OnFloatLane(Problem problem, float[][] thetas)
    {
        var landscape = problem.Kernel(BitSampler(problem), 0.25);
        var results = new float[3][][];
        for (int mode = 0; mode < 3; mode++)
        {
            results[mode] = new float[Trajectories][];
            for (int t = 0; t < Trajectories; t++)
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

    private static float[][][] OnBlockLane<T>(Problem problem, float[][] thetas) where T : unmanaged, IBlockLane<T>
    {
        int width = T.Width;
        var results = new float[3][][];
        for (int mode = 0; mode < 3; mode++)
        {
            results[mode] = new float[Trajectories][];
        }

        fixed (float* inputs = problem.Inputs)
        fixed (float* targets = problem.Targets)
        {
            var landscape = problem.Kernel(new HostParameters(inputs), new HostParameters(targets), BitSampler(problem), 0.25);
            int p = landscape.Dimension, size = p + landscape.ScratchCoordinates;
            var x = (T*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(T)), 64);
            var g = (T*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(T)), 64);
            try
            {
                for (int first = 0; first < Trajectories; first += width)
                {
                    for (int f = 0; f < p; f++)
                    {
                        var lanes = (float*)(x + f);
                        for (int k = 0; k < width; k++)
                        {
                            lanes[k] = thetas[first + k][f];
                        }
                    }

                    var source = new LaneSource<T>((uint)first);
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

                            results[mode][first + k] = values;
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

    private static readonly string[] Modes = ["Gradient", "MeanGradient", "AddGaussianNoise"];

    private static void AssertBitIdentical(float[][][] expected, float[][][] actual, string lane)
    {
        for (int mode = 0; mode < 3; mode++)
        {
            for (int t = 0; t < Trajectories; t++)
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

    [Avx512Theory]
    [MemberData(nameof(Networks))]
    public void Lane512IsBitIdenticalToFloatLane(string network)
    {
        Problem problem = Network(network);
        float[][] thetas = Thetas(problem);
        AssertBitIdentical(OnFloatLane(problem, thetas), OnBlockLane<Lane512>(problem, thetas), "Lane512");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Lane256IsBitIdenticalToFloatLane(string network)
    {
        Problem problem = Network(network);
        float[][] thetas = Thetas(problem);
        AssertBitIdentical(OnFloatLane(problem, thetas), OnBlockLane<Lane256>(problem, thetas), "Lane256");
    }

    [Theory]
    [InlineData("mnist")]
    [InlineData("tanh-mse")]
    public void IlgpuCpuAcceleratorIsBitIdenticalToFloatLane(string network)
    {
        Problem problem = Network(network);
        const int trajectories = 4;
        float[][] thetas = Thetas(problem)[..trajectories];
        var sampler = BitSampler(problem);
        var host = problem.Kernel(sampler, 0.25);
        int p = host.Dimension, size = p + host.ScratchCoordinates;

        using var context = Context.Create(b => b.CPU().Math(MathMode.Default));
        using var accelerator = context.CreateCPUAccelerator(0);
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, MlpLandscape<DeviceParameters>, uint, uint, int, int>(
            MlpLandscapeKernel.Evaluate<FloatLane>);
        using MemoryBuffer1D<float, Stride1D.Dense> inputs = accelerator.Allocate1D(problem.Inputs);
        using MemoryBuffer1D<float, Stride1D.Dense> targets = accelerator.Allocate1D(problem.Targets);
        var landscape = problem.Kernel(new DeviceParameters(inputs.View), new DeviceParameters(targets.View), sampler, 0.25);
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

    [Theory]
    [MemberData(nameof(PtxCompilationTests.Targets), MemberType = typeof(PtxCompilationTests))]
    public void DeviceKernelCompilesToPtxWithoutCalls(string architecture, string instructionSet)
    {
        MethodInfo method = typeof(MlpLandscapeKernel).GetMethod(nameof(MlpLandscapeKernel.Evaluate))!.MakeGenericMethod(typeof(DeviceFloatLane));
        string ptx = PtxCompilationTests.CompileWithoutCalls(method, architecture, instructionSet);
        Assert.Matches(@"div\.rn(\.ftz)?\.f32", ptx); // the division is IEEE (correctly rounded), not an approximation
    }
}
