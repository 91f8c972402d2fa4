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
/// The character-model landscape kernel (<see cref="CharModelLandscape{TP}"/>) on <see cref="FloatLane"/>
/// against the double-precision reference (<see cref="CharModelReference"/>) at the same minibatch indices, for every
/// activation, on the shipped word sample (lower-cased: V = 27, c = 3, e = 4, h = 16, 775 parameters, n = 23,741) and on
/// a small corpus of every 128th of its words (V = 23, c = 3, e = 3, h = 8, 356 parameters, n = 171); its mean gradient against the
/// full-batch gradient; its Gaussian noise through the per-sample gradients; bit-identity of the managed SIMD lanes and of
/// ILGPU's CPU accelerator with FloatLane; the device lane compiled to PTX without calls; the constructor's argument
/// checks (the checks of <see cref="LandscapeChecks"/>, as for <see cref="MlpLandscapeTests"/>). Gradient errors are
/// max_f |g_f − g_f^ref| / ‖g^ref‖₂ and must stay below <see cref="Tolerance"/>: float rounding of sums of a few hundred
/// terms of size ≲ ‖g‖ (u = 2⁻²⁴ ≈ 6e-8; measured 3e-8 to 5e-7), except the mean gradient over all 23,741 samples of the
/// word sample, whose float sum is checked against its own bound. The embedding lookup itself is exact (selects), so the
/// embedding block carries only the rounding of W₁ᵀδ₁ and of its sums over samples. No check is statistical.
/// </summary>
public class CharModelLandscapeTests(ITestOutputHelper output)
{
    /// <summary>Largest gradient error relative to the reference gradient's norm (float rounding; see the type).</summary>
    private const double Tolerance = 1e-5;

    /// <summary>A model and its samples: float tables for the kernel, the reference on the same samples.</summary>
    private sealed class Problem
    {
        public required CharModelArchitecture Architecture { get; init; }
        public required float[] Contexts { get; init; }
        public required float[] Targets { get; init; }
        public required CharModelReference Reference { get; init; }

        public int Count => Reference.SampleCount;

        public int Parameters => Reference.ParameterCount;

        public CharModelLandscape<TP> Kernel<TP>(TP contexts, TP targets, IndexSampler sampler, double noiseScale = 1.0)
            where TP : struct, IParameters =>
            new(contexts, targets, Architecture.AlphabetSize, Architecture.ContextLength, Architecture.EmbeddingDimension, Architecture.HiddenWidth,
                (int)Architecture.Activation, Count, sampler, noiseScale);

        public CharModelLandscape<ArrayParameters> Kernel(IndexSampler sampler, double noiseScale = 1.0) =>
            Kernel(new ArrayParameters(Contexts), new ArrayParameters(Targets), sampler, noiseScale);

        /// <summary>
        /// PyTorch's initialisation (<see cref="CharModelInitialisation"/>) with the MLP's parameters times
        /// <paramref name="gain"/>, as floats.
        /// </summary>
        public float[] Theta(int seed, float gain = 1f)
        {
            double[] theta = CharModelInitialisation.PyTorchDefault(Architecture, seed);
            return theta.Select((v, f) => (float)(f < Architecture.MlpOffset ? v : gain * v)).ToArray();
        }
    }

    private static Problem Create(CharCorpus corpus, int context, int embedding, int hidden, MlpActivation activation)
    {
        CharSamples samples = corpus.Samples(context);
        var architecture = new CharModelArchitecture(samples.AlphabetSize, context, embedding, hidden, activation);
        return new Problem
        {
            Architecture = architecture,
            Contexts = samples.Contexts.Select(s => (float)s).ToArray(),
            Targets = samples.Targets.Select(s => (float)s).ToArray(),
            Reference = new CharModelReference(architecture, samples) { MaxDegreeOfParallelism = 1 },
        };
    }

    private static readonly Lazy<CharCorpus> WordSample = new(() =>
    {
        string? root = CharCorpusFiles.FindRepositoryRoot(AppContext.BaseDirectory);
        Assert.NotNull(root);
        return CharCorpus.Load(Path.Combine(root!, CharCorpusFiles.SampleRelativePath), new CharCorpusOptions { LowerCase = true });
    });

    private static readonly Lazy<CharCorpus> FewWords = new(() =>
        CharCorpus.Parse(string.Join('\n', WordSample.Value.Words.Where((_, i) => i % 128 == 0)), "every 128th word of the sample"));

    /// <summary>The word sample's model, V = 27, c = 3, e = 4, h = 16.</summary>
    private static Problem Words(MlpActivation activation) => Create(WordSample.Value, 3, 4, 16, activation);

    /// <summary>The small corpus's model, c = 3, e = 3, h = 8.</summary>
    private static Problem Small(MlpActivation activation) => Create(FewWords.Value, 3, 3, 8, activation);

    public static TheoryData<MlpActivation> Activations() => [MlpActivation.Tanh, MlpActivation.Silu, MlpActivation.Relu];

    [Fact]
    public void LayoutAndScratch()
    {
        Problem words = Words(MlpActivation.Tanh);
        Assert.Equal(27, words.Architecture.AlphabetSize);
        var landscape = words.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)words.Count, 32));
        Assert.Equal(775, landscape.Dimension);
        Assert.Equal(3 + 12 + (2 * 16) + 27, landscape.ScratchCoordinates);
        Assert.Equal(words.Count, landscape.NoiseNormals);
        Assert.Equal(0, landscape.NormalsPerStep);
        Assert.Equal(0, landscape.UniformsPerStep);
        Assert.Equal(32, landscape.Sampler.IndicesPerStep);
        Problem small = Small(MlpActivation.Relu);
        var other = small.Kernel(new IndexSampler(IndexSampler.WithoutReplacement, (uint)small.Count, 8));
        Assert.Equal(small.Architecture.ParameterCount, other.Dimension);
        Assert.Equal(3 + 9 + 16 + small.Architecture.AlphabetSize, other.ScratchCoordinates);
        output.WriteLine($"words: {words.Architecture}, n = {words.Count}; small: {small.Architecture}, n = {small.Count}");
    }

    [Fact]
    public void ConstructorRejectsBadArguments()
    {
        var table = new ArrayParameters([0f]);
        var sampler = new IndexSampler(IndexSampler.WithReplacement, 4, 2);
        CharModelLandscape<ArrayParameters> Make(int symbols = 5, int context = 2, int embedding = 3, int hidden = 4, int activation = 0, int count = 4) =>
            new(table, table, symbols, context, embedding, hidden, activation, count, sampler, 1.0);

        Assert.Equal(5 * 3 + 4 * (6 + 1) + 5 * (4 + 1), Make().Dimension);
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(symbols: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(symbols: IndexSampler.MaxCount + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(context: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(embedding: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(hidden: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(activation: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(activation: MlpLandscape<ArrayParameters>.Relu + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(count: 0));
        Assert.Throws<ArgumentException>(() => Make(count: 5)); // the sampler draws from 4
        Assert.Throws<ArgumentException>(() => Make(symbols: 1 << 20, embedding: 1 << 11)); // P above 2³¹
        Assert.Throws<ArgumentException>(() => Make(context: 1 << 16, embedding: 1 << 16)); // c·e above 2³¹
        var none = new CharModelLandscape<ArrayParameters>(table, table, 5, 2, 3, 4, 0, 7, default, 1.0); // no sampler: mean gradient and noise only
        Assert.Equal(7, none.NoiseNormals);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void MinibatchGradientMatchesTheReferenceAtTheStepsIndices(MlpActivation activation)
    {
        Problem words = Words(activation);
        var with = new IndexSampler(IndexSampler.WithReplacement, (uint)words.Count, 32);
        var without = new IndexSampler(IndexSampler.WithoutReplacement, (uint)words.Count, 32);
        float[] theta = words.Theta(seed: 5);
        CheckMinibatch(output, words.Kernel(with), words.Reference, theta, 3, 0, $"words {activation} with replacement", Tolerance);
        CheckMinibatch(output, words.Kernel(without), words.Reference, theta, 1, 6, $"words {activation} without replacement", Tolerance);
        CheckMinibatch(output, words.Kernel(with), words.Reference, words.Theta(seed: 6, gain: 3f), 9, 17, $"words {activation} gain 3", Tolerance);

        Problem small = Small(activation);
        CheckMinibatch(
            output, small.Kernel(new IndexSampler(IndexSampler.WithoutReplacement, (uint)small.Count, 8)), small.Reference, small.Theta(seed: 7, gain: 2f),
            trajectory: 2, step: 40, $"small {activation} without replacement", Tolerance);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void EmbeddingGradientMatchesTheReference(MlpActivation activation)
    {
        // the embedding block on its own scale: rows reached only through the lookup and its masked scatter
        Problem words = Words(activation);
        var sampler = new IndexSampler(IndexSampler.WithReplacement, (uint)words.Count, 64);
        float[] theta = words.Theta(seed: 11);
        float[] g = KernelGradient(words.Kernel(sampler), theta, trajectory: 4, step: 2);
        var indices = Enumerable.Range(0, sampler.PerStep).Select(j => (int)sampler.Index(Seed, 4, 2, j)).ToArray();
        var expected = new double[words.Parameters];
        words.Reference.MinibatchGradient(Double(theta), indices, expected);
        int size = words.Architecture.EmbeddingSize;
        double error = RelativeError(g[..size], expected[..size]);
        output.WriteLine($"{activation}: embedding block error {error:E2} of its norm {Math.Sqrt(expected[..size].Sum(v => v * v)):E3}");
        Assert.True(error <= Tolerance, $"embedding block error {error:E2}");

        // rows of symbols absent from the minibatch's contexts get exactly zero
        var used = new HashSet<int>(indices.SelectMany(i => words.Reference.Context(i).ToArray()));
        Assert.True(used.Count < words.Architecture.AlphabetSize, "every symbol occurs");
        for (int v = 0; v < words.Architecture.AlphabetSize; v++)
        {
            int at = words.Architecture.EmbeddingOffset(v);
            for (int k = 0; k < words.Architecture.EmbeddingDimension; k++)
            {
                Assert.True(used.Contains(v) || g[at + k] == 0f, $"symbol {v} is in no context but its row has {g[at + k]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void MeanGradientMatchesTheFullBatchReference(MlpActivation activation)
    {
        Problem small = Small(activation);
        var sampler = new IndexSampler(IndexSampler.WithReplacement, (uint)small.Count, 4);
        CheckMean(output, small.Kernel(sampler), small.Reference, small.Theta(seed: 8, gain: 2f), $"small {activation}", Tolerance);
    }

    [Fact]
    public void MeanGradientOverTheWordSampleMatchesTheFullBatchReference()
    {
        // The n = 23,741 per-sample gradients are summed in order in float: each addition rounds by up to half an ulp of
        // a partial sum that grows to n·ḡ_f, so the mean's error is ≈ u·√(n/3)·|ḡ_f| from that drift alone (u = 2⁻²⁴,
        // ≈ 5e-6 relative) plus the random walk of the per-sample terms; measured 1.1e-5 of ‖ḡ‖, hence 1e-4 here rather
        // than Tolerance (a wrong term would be off by O(1)).
        Problem words = Words(MlpActivation.Silu);
        var sampler = new IndexSampler(IndexSampler.WithReplacement, (uint)words.Count, 32);
        CheckMean(output, words.Kernel(sampler), words.Reference, words.Theta(seed: 9), "words silu", 1e-4);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void GaussianNoiseOfUnitNormalKIsTheScaledDeviationOfSampleK(MlpActivation activation)
    {
        // ξ = s Σ_i z_i (∇ℓ_i − ḡ) is linear in the normals: with z = e_k it is s (∇ℓ_k − ḡ), so Σ_k ξ_k ξ_kᵀ = Σ(θ)
        Problem small = Small(activation);
        const double scale = 0.37;
        var landscape = small.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)small.Count, 8), scale);
        float[] theta = small.Theta(seed: 12, gain: 2f);
        double worst = CheckUnitNormalNoise(landscape, small.Reference, theta, scale, [0, 1, 2, 3, 17, 100, small.Count - 1], Tolerance);
        output.WriteLine($"{activation}: noise of unit normals, max error {worst:E2} of ‖s(∇ℓ_k − ḡ)‖");
    }

    [Fact]
    public void GaussianNoiseAddsToG()
    {
        Problem small = Small(MlpActivation.Silu);
        AssertNoiseAddsToG(small.Kernel(new IndexSampler(IndexSampler.WithReplacement, (uint)small.Count, 8), 0.5), small.Theta(seed: 4));
    }

    // ---- bit-identity of the lanes ----

    /// <summary>64 parameter vectors, one per trajectory, of growing MLP scale.</summary>
    private static float[][] Thetas(Problem problem) =>
        Enumerable.Range(0, Trajectories).Select(k => problem.Theta(seed: 100 + k, gain: 0.5f + (k / 16f))).ToArray();

    private static IndexSampler BitSampler(Problem problem) => new(IndexSampler.WithoutReplacement, (uint)problem.Count, 16);

    private static float[][][] OnFloatLane(Problem problem, float[][] thetas) =>
        LandscapeChecks.OnFloatLane(problem.Kernel(BitSampler(problem), 0.25), thetas);

    private static float[][][] OnBlockLane<T>(Problem problem, float[][] thetas) where T : unmanaged, IBlockLane<T> =>
        LandscapeChecks.OnBlockLane<T, CharModelLandscape<HostParameters>>(
            problem.Contexts, problem.Targets, (contexts, targets) => problem.Kernel(contexts, targets, BitSampler(problem), 0.25), thetas);

    [Avx512Theory]
    [MemberData(nameof(Activations))]
    public void Lane512IsBitIdenticalToFloatLane(MlpActivation activation)
    {
        Problem problem = Small(activation);
        float[][] thetas = Thetas(problem);
        AssertBitIdentical(OnFloatLane(problem, thetas), OnBlockLane<Lane512>(problem, thetas), "Lane512");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Lane256IsBitIdenticalToFloatLane(MlpActivation activation)
    {
        Problem problem = Small(activation);
        float[][] thetas = Thetas(problem);
        AssertBitIdentical(OnFloatLane(problem, thetas), OnBlockLane<Lane256>(problem, thetas), "Lane256");
    }

    [Theory]
    [InlineData(MlpActivation.Tanh)]
    [InlineData(MlpActivation.Silu)]
    public void IlgpuCpuAcceleratorIsBitIdenticalToFloatLane(MlpActivation activation)
    {
        Problem problem = Small(activation);
        var sampler = BitSampler(problem);
        AssertIlgpuCpuMatchesFloatLane(
            problem.Kernel(sampler, 0.25), problem.Contexts, problem.Targets, (contexts, targets) => problem.Kernel(contexts, targets, sampler, 0.25),
            Thetas(problem)[..4]);
    }

    [Theory]
    [MemberData(nameof(PtxCompilationTests.Targets), MemberType = typeof(PtxCompilationTests))]
    public void DeviceKernelCompilesToPtxWithoutCalls(string architecture, string instructionSet) =>
        AssertCompilesToPtxWithoutCalls<CharModelLandscape<DeviceParameters>>(architecture, instructionSet);
}
