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
using static SgdDynamics.Tests.Networks.LandscapeChecks;

namespace SgdDynamics.Tests.Networks;

/// <summary>
/// The network landscape kernel (<see cref="MlpLandscape{TP}"/>) on <see cref="FloatLane"/> against the double-precision
/// reference (<see cref="MlpReference"/>) at the same minibatch indices, for every activation and both losses and on the
/// 36-8(SiLU)-10 MNIST network; its Gaussian noise through the per-sample gradients; bit-identity of the managed SIMD
/// lanes and of ILGPU's CPU accelerator with <see cref="FloatLane"/>; and the device lane compiled to PTX without calls
/// (the checks of <see cref="LandscapeChecks"/>). Gradient errors are measured as max_f |g_f − g_f^ref| / ‖g^ref‖₂ and must stay below <see cref="Tolerance"/>: float
/// rounding of sums of a few hundred terms of size ≲ ‖g‖ (measured: 2e-8 to 2.4e-7).
/// </summary>
public class MlpLandscapeTests
{
    /// <summary>Largest gradient error relative to the reference gradient's norm (float rounding; see the type).</summary>
    private const double Tolerance = 1e-5;

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

    private double CheckMinibatch(Problem problem, IndexSampler sampler, float[] theta, uint trajectory, uint step, string what) =>
        LandscapeChecks.CheckMinibatch(output, problem.Kernel(sampler), problem.Reference, theta, trajectory, step, what, Tolerance);

    private double CheckMean(Problem problem, float[] theta, string what) =>
        LandscapeChecks.CheckMean(
            output, problem.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, 4)), problem.Reference, theta, what, Tolerance);

    [Fact]
    public void LayoutAndScratch()
    {
        Problem mnist = MnistProblem.Value;
        var landscape = mnist.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)mnist.Count, 32));
        Assert.Equal(386, landscape.Dimension);
        Assert.Equal(MlpLandscape<ArrayParameters>.SamplesAtATime * (36 + 16 + 10), landscape.ScratchCoordinates);
        Assert.Equal(mnist.Count, landscape.NoiseNormals);
        Assert.Equal(0, landscape.NormalsPerStep);
        Assert.Equal(0, landscape.UniformsPerStep);
        Assert.Equal(32, landscape.Sampler.IndicesPerStep);
        Problem small = Small(MlpActivation.Tanh, MlpLoss.MeanSquared);
        var two = small.Kernel(new IndexSampler(IndexSampler.WithReplacement, 40, 8));
        Assert.Equal(small.Parameters, two.Dimension);
        Assert.Equal(MlpLandscape<ArrayParameters>.SamplesAtATime * (5 + 2 * 7 + 2 * 6 + 3), two.ScratchCoordinates);
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
        float[] theta = problem.Theta(seed: 12, gain: 2f);
        double worst = CheckUnitNormalNoise(landscape, problem.Reference, theta, scale, [0, 1, 2, 3, 17, problem.Count - 1], Tolerance);
        output.WriteLine($"{activation}/{loss}: noise of unit normals, max error {worst:E2} of ‖s(∇ℓ_k − ḡ)‖");
    }

    [Fact]
    public void GaussianNoiseAddsToG()
    {
        Problem problem = Small(MlpActivation.Silu, MlpLoss.MeanSquared);
        var landscape = problem.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, 8), 0.5);
        AssertNoiseAddsToG(landscape, problem.Theta(seed: 4), 1e-6);
    }

    // ---- bit-identity of the lanes ----

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

    private static float[][][] OnFloatLane(Problem problem, float[][] thetas) => LandscapeChecks.OnFloatLane(problem.Kernel(BitSampler(problem), 0.25), thetas);

    private static float[][][] OnBlockLane<T>(Problem problem, float[][] thetas) where T : unmanaged, IBlockLane<T> =>
        LandscapeChecks.OnBlockLane<T, MlpLandscape<HostParameters>>(
            problem.Inputs, problem.Targets, (inputs, targets) => problem.Kernel(inputs, targets, BitSampler(problem), 0.25), thetas);

    [Theory]
    [MemberData(nameof(Networks))]
    public void FourSamplesAtATimeGiveTheBitsOfOneAtATime(string network)
    {
        // B = 16: four passes of four samples; B = 7: one of four, then three single samples
        Problem problem = Network(network);
        float[] theta = problem.Theta(seed: 31, gain: 1.5f);
        foreach (int batch in new[] { 16, 7 })
        {
            var four = problem.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)problem.Count, batch));
            var one = four.OneSampleAtATime();
            for (uint step = 0; step < 3; step++)
            {
                AssertSameBits(KernelGradient(one, theta, 5, step), KernelGradient(four, theta, 5, step), $"B = {batch}, step {step}");
            }

            AssertSameBits(KernelMeanGradient(one, theta), KernelMeanGradient(four, theta), "mean gradient");
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Contains(expected, v => v != 0f);
        for (int f = 0; f < expected.Length; f++)
        {
            Assert.True(
                BitConverter.SingleToInt32Bits(expected[f]) == BitConverter.SingleToInt32Bits(actual[f]),
                $"{what}, coordinate {f}: {actual[f]:R} four at a time, {expected[f]:R} one at a time");
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
        var sampler = BitSampler(problem);
        AssertIlgpuCpuMatchesFloatLane(
            problem.Kernel(sampler, 0.25), problem.Inputs, problem.Targets, (inputs, targets) => problem.Kernel(inputs, targets, sampler, 0.25), Thetas(problem)[..4]);
    }

    [Theory]
    [MemberData(nameof(PtxCompilationTests.Targets), MemberType = typeof(PtxCompilationTests))]
    public void DeviceKernelCompilesToPtxWithoutCalls(string architecture, string instructionSet) =>
        AssertCompilesToPtxWithoutCalls<MlpLandscape<DeviceParameters>>(architecture, instructionSet);
}
