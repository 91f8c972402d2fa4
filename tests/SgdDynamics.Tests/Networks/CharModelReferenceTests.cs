using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Random;
using SgdDynamics.Data;
using SgdDynamics.Networks;
using Xunit.Abstractions;

using static SgdDynamics.Tests.Networks.NetworkChecks;

namespace SgdDynamics.Tests.Networks;

public class CharModelReferenceTests(ITestOutputHelper output)
{
    // as in MlpReferenceTests: central differences at h = 1e-5 are good to about 1e-10 relative
    private const double Step = 1e-5;

    public static TheoryData<MlpActivation> Activations() => [MlpActivation.Tanh, MlpActivation.Silu, MlpActivation.Relu];

    [Theory]
    [MemberData(nameof(Activations))]
    public void GradientsMatchCentralDifferences(MlpActivation activation)
    {
        var (model, theta) = SmoothPoint(new CharModelArchitecture(5, 3, 2, 4, activation), samples: 9);
        int p = model.ParameterCount;

        var gradient = new double[p];
        model.FullBatchGradient(theta, gradient);
        var difference = FiniteDifference(theta, t => model.FullBatchLoss(t), Step);
        double error = RelativeError(difference, gradient);
        output.WriteLine($"{activation}: full-batch gradient relative error {error:E2}");
        Assert.True(error <= 1e-6, $"full batch: relative error {error:E2}");

        // the embedding block alone (its rows are reached only through the lookup)
        int embedding = model.Architecture.EmbeddingSize;
        double embeddingError = RelativeError(difference[..embedding], gradient[..embedding]);
        output.WriteLine($"{activation}: embedding block relative error {embeddingError:E2}");
        Assert.True(embeddingError <= 1e-6, $"embedding: relative error {embeddingError:E2}");

        // one sample whose context repeats a symbol, against its own loss
        int sample = Enumerable.Range(0, model.SampleCount).First(i => model.Context(i).ToArray().Distinct().Count() < 3);
        var single = new double[p];
        double value = model.SampleGradient(theta, sample, single);
        Assert.Equal(model.SampleLoss(theta, sample), value);
        var singleDifference = FiniteDifference(theta, t => model.SampleLoss(t, sample), Step);
        double singleError = RelativeError(singleDifference, single);
        output.WriteLine($"{activation}: sample {sample} gradient relative error {singleError:E2}");
        Assert.True(singleError <= 1e-6, $"sample {sample}: relative error {singleError:E2}");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void HessianVectorProductsMatchCentralDifferencesOfTheGradient(MlpActivation activation)
    {
        var (model, theta) = SmoothPoint(new CharModelArchitecture(5, 3, 2, 4, activation), samples: 9);
        int p = model.ParameterCount;
        var v = Normal.Samples(new MersenneTwister(11, threadSafe: false), 0.0, 1.0).Take(p).ToArray();

        double error = AssertHessianVectorProductsMatchDifferences(model, theta, v, Step);
        output.WriteLine($"{activation}: Hessian-vector product relative error {error:E2}");

        // a direction in the embedding only, and one in the MLP only: the cross terms
        int embedding = model.Architecture.EmbeddingSize;
        foreach (var part in new[] { v.Select((x, j) => j < embedding ? x : 0.0).ToArray(), v.Select((x, j) => j < embedding ? 0.0 : x).ToArray() })
        {
            var partExact = new double[p];
            model.HessianVectorProduct(theta, part, partExact);
            var partDifference = new double[p];
            model.HessianVectorProductCentralDifference(theta, part, partDifference);
            double partError = RelativeError(partDifference, partExact);
            output.WriteLine($"{activation}: {(part[0] != 0.0 ? "embedding" : "MLP")} direction relative error {partError:E2}");
            Assert.True(partError <= 1e-7, $"partial direction: {partError:E2}");
        }
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void TheTwoHessianMethodsAgreeAndAreSymmetric(MlpActivation activation)
    {
        var (model, theta) = SmoothPoint(new CharModelArchitecture(4, 2, 2, 3, activation), samples: 11);
        int p = model.ParameterCount;

        var exact = model.Hessian(theta);
        var difference = model.Hessian(theta, MlpHessianMethod.CentralDifference);
        double agreement = (exact.Matrix - difference.Matrix).FrobeniusNorm() / exact.Matrix.FrobeniusNorm();
        output.WriteLine(
            $"{activation}: P = {p}, exact asymmetry {exact.RelativeAsymmetry:E2}, differenced asymmetry {difference.RelativeAsymmetry:E2}, "
            + $"methods differ by {agreement:E2}");
        Assert.True(exact.RelativeAsymmetry <= 1e-13, $"exact asymmetry {exact.RelativeAsymmetry:E2}");
        Assert.True(difference.RelativeAsymmetry <= 1e-7, $"difference asymmetry {difference.RelativeAsymmetry:E2}");
        Assert.True(agreement <= 1e-7, $"methods differ by {agreement:E2}");
        Assert.True(exact.Matrix.IsSymmetric());

        // column j is the product with e_j
        for (int j = 0; j < p; j += 5)
        {
            var e = new double[p];
            e[j] = 1.0;
            var column = new double[p];
            model.HessianVectorProduct(theta, e, column);
            for (int i = 0; i < p; i++)
            {
                Assert.Equal(column[i], 0.5 * (exact.Matrix[i, j] + exact.Matrix[j, i]), 1e-14 * (1.0 + Math.Abs(column[i])));
            }
        }

        // the embedding row of a symbol that is in no context has zero rows and columns
        int unused = Enumerable.Range(0, 4).FirstOrDefault(s => !Enumerable.Range(0, model.SampleCount).Any(i => model.Context(i).Contains(s)), -1);
        if (unused >= 0)
        {
            int row = model.Architecture.EmbeddingOffset(unused);
            Assert.All(Enumerable.Range(0, p), i => Assert.Equal(0.0, exact.Matrix[row, i]));
        }

        var (values, vectors) = exact.Eigen();
        for (int m = 1; m < p; m++) Assert.True(values[m] <= values[m - 1]);
        var residual = (exact.Matrix * vectors) - (vectors * Matrix<double>.Build.DenseOfDiagonalArray(values));
        double scale = Math.Abs(values[0]) + Math.Abs(values[^1]);
        Assert.True(residual.FrobeniusNorm() <= 1e-12 * scale * p, $"eigen residual {residual.FrobeniusNorm():E2}");
    }

    [Fact]
    public void ParameterCountAndLayout()
    {
        var words = new CharModelArchitecture(27, 3, 4, 16, MlpActivation.Tanh);
        Assert.Equal(775, words.ParameterCount);
        Assert.Equal((27 * 4) + (16 * ((3 * 4) + 1)) + (27 * (16 + 1)), words.ParameterCount);
        Assert.Equal(108, words.EmbeddingSize);
        Assert.Equal(108, words.MlpOffset);
        Assert.Equal(4 * 5, words.EmbeddingOffset(5));
        Assert.Equal(108, words.WeightOffset(0));
        Assert.Equal(108 + 192, words.BiasOffset(0));
        Assert.Equal(108 + 208, words.WeightOffset(1));
        Assert.Equal(108 + 208 + 432, words.BiasOffset(1));
        Assert.Equal(12, words.Mlp.InputSize);
        Assert.Equal(MlpLoss.SoftmaxCrossEntropy, words.Mlp.Loss);
        Assert.Equal("charModel V=27 c=3 e=4 h=16(tanh), 775 parameters", words.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new CharModelArchitecture(1, 3, 4, 16, MlpActivation.Tanh));
        Assert.Throws<ArgumentOutOfRangeException>(() => words.EmbeddingOffset(27));

        // the MLP input is the context's embeddings oldest first: W₁ column j·e + k reads E[s_j, k]
        var architecture = new CharModelArchitecture(4, 2, 2, 1, MlpActivation.Relu);
        var model = new CharModelReference(architecture, [3, 1], [0]);
        var theta = new double[architecture.ParameterCount];
        for (int k = 0; k < 2; k++)
        {
            theta[architecture.EmbeddingOffset(3) + k] = 10.0 + k;     // oldest symbol
            theta[architecture.EmbeddingOffset(1) + k] = 20.0 + k;     // newest symbol
        }

        theta[architecture.WeightOffset(1) + 2] = 1.0;                  // logit 2 = relu(z)
        double[] picks = [0.0, 0.0, 0.0, 0.0];
        double[] expected = [10.0, 11.0, 20.0, 21.0];
        for (int column = 0; column < 4; column++)
        {
            Array.Clear(picks);
            picks[column] = 1.0;
            picks.CopyTo(theta, architecture.WeightOffset(0));
            var logits = new double[4];
            model.Logits(theta, model.Context(0), logits);
            Assert.Equal(expected[column], logits[2]);
        }

        // samples that do not fit are refused
        Assert.Throws<ArgumentException>(() => new CharModelReference(architecture, [3, 4], [0]));
        Assert.Throws<ArgumentException>(() => new CharModelReference(architecture, [3, 1, 2], [0]));
        Assert.Throws<ArgumentException>(() => new CharModelReference(architecture, [3, 1], [4]));
        var corpus = CharCorpus.Parse("ab\nba\n", "two words");
        Assert.Throws<ArgumentException>(() => new CharModelReference(architecture, corpus.Samples(2)));   // V = 3, not 4
        Assert.Throws<ArgumentException>(() => new CharModelReference(new CharModelArchitecture(3, 3, 2, 1, MlpActivation.Tanh), corpus.Samples(2)));
        Assert.Equal(6, new CharModelReference(new CharModelArchitecture(3, 2, 2, 1, MlpActivation.Tanh), corpus.Samples(2)).SampleCount);
    }

    [Fact]
    public void HandComputedTinyModel()
    {
        // V = 3, c = 2, e = 1, h = 1 (tanh): θ = [E₀, E₁, E₂ | w₀, w₁ | b | u₀, u₁, u₂ | c₀, c₁, c₂], P = 3 + 3 + 6 = 12
        var architecture = new CharModelArchitecture(3, 2, 1, 1, MlpActivation.Tanh);
        Assert.Equal(12, architecture.ParameterCount);
        double[] theta = [0.3, -0.8, 1.1, 0.7, -0.4, 0.2, 1.5, -0.6, 0.9, 0.1, -0.2, 0.05];
        double[] embedding = theta[..3], w = theta[3..5], u = theta[6..9], c = theta[9..12];
        double b = theta[5];

        // sample 0: context (2, 1) → 0; sample 1: context (1, 1) → 2 (a repeated symbol)
        var model = new CharModelReference(architecture, [2, 1, 1, 1], [0, 2]);
        int[][] contexts = [[2, 1], [1, 1]];
        int[] targets = [0, 2];
        var expectedMean = new double[12];
        double expectedLoss = 0.0;
        for (int i = 0; i < 2; i++)
        {
            int s0 = contexts[i][0], s1 = contexts[i][1], y = targets[i];
            double a = Math.Tanh((w[0] * embedding[s0]) + (w[1] * embedding[s1]) + b);
            double[] f = [(u[0] * a) + c[0], (u[1] * a) + c[1], (u[2] * a) + c[2]];
            double sum = Math.Exp(f[0]) + Math.Exp(f[1]) + Math.Exp(f[2]);
            double[] prob = [Math.Exp(f[0]) / sum, Math.Exp(f[1]) / sum, Math.Exp(f[2]) / sum];
            double loss = Math.Log(sum) - f[y];
            Assert.Equal(loss, model.SampleLoss(theta, i), 1e-15);

            // ∂ℓ/∂c = p − e_y, ∂ℓ/∂u = (p − e_y) a, δ = uᵀ(p − e_y)(1 − a²), ∂ℓ/∂b = δ, ∂ℓ/∂w_j = δ E[s_j], ∂ℓ/∂E[s_j] += δ w_j
            double[] delta = [prob[0] - (y == 0 ? 1 : 0), prob[1] - (y == 1 ? 1 : 0), prob[2] - (y == 2 ? 1 : 0)];
            double hidden = ((u[0] * delta[0]) + (u[1] * delta[1]) + (u[2] * delta[2])) * (1.0 - (a * a));
            var expected = new double[12];
            expected[s0] += hidden * w[0];
            expected[s1] += hidden * w[1];
            expected[3] = hidden * embedding[s0];
            expected[4] = hidden * embedding[s1];
            expected[5] = hidden;
            for (int k = 0; k < 3; k++)
            {
                expected[6 + k] = delta[k] * a;
                expected[9 + k] = delta[k];
            }

            var gradient = new double[12];
            model.SampleGradient(theta, i, gradient);
            for (int j = 0; j < 12; j++) Assert.Equal(expected[j], gradient[j], 1e-15);
            Assert.Equal(0.0, gradient[0]);                                            // E₀ is in no context
            for (int j = 0; j < 12; j++) expectedMean[j] += expected[j] / 2.0;
            expectedLoss += loss / 2.0;

            // ∂²ℓ/∂E[s₀]² for sample 0 (s₀ = 2 appears once): with g = uᵀ(diag p − p pᵀ)u and r = uᵀ(p − e_y),
            // w₀² [(1 − a²)² g − 2 a (1 − a²) r]
            if (i == 0)
            {
                double mean = (prob[0] * u[0]) + (prob[1] * u[1]) + (prob[2] * u[2]);
                double g = (prob[0] * u[0] * u[0]) + (prob[1] * u[1] * u[1]) + (prob[2] * u[2] * u[2]) - (mean * mean);
                double r = (u[0] * delta[0]) + (u[1] * delta[1]) + (u[2] * delta[2]);
                double d1 = 1.0 - (a * a);
                double curvature = w[0] * w[0] * ((d1 * d1 * g) - (2.0 * a * d1 * r));
                var e2 = new double[12];
                e2[2] = 1.0;
                var column = new double[12];
                model.SampleHessianVectorProduct(theta, 0, e2, column);
                Assert.Equal(curvature, column[2], 1e-15);
                Assert.Equal(0.0, column[0]);
            }
        }

        var full = new double[12];
        Assert.Equal(expectedLoss, model.FullBatchGradient(theta, full), 1e-15);
        for (int j = 0; j < 12; j++) Assert.Equal(expectedMean[j], full[j], 1e-15);

        var logits = new double[3];
        model.Logits(theta, [2, 1], logits);
        double aa = Math.Tanh((w[0] * embedding[2]) + (w[1] * embedding[1]) + b);
        for (int k = 0; k < 3; k++) Assert.Equal((u[k] * aa) + c[k], logits[k], 1e-15);
    }

    [Fact]
    public void ProjectedNoiseCovarianceMatchesTheExplicitCovariance()
    {
        const int batch = 4;
        var (model, theta) = SmoothPoint(new CharModelArchitecture(4, 2, 2, 3, MlpActivation.Silu), samples: 13);
        int n = model.SampleCount, p = model.ParameterCount;
        var gradients = Matrix<double>.Build.Dense(n, p);
        var g = new double[p];
        for (int i = 0; i < n; i++)
        {
            model.SampleGradient(theta, i, g);
            gradients.SetRow(i, g);
        }

        var mean = gradients.ColumnSums() / n;
        var centred = gradients - Matrix<double>.Build.Dense(n, p, (_, j) => mean[j]);
        var sigma = centred.TransposeThisAndMultiply(centred) / (n * (double)batch);
        var directions = Matrix<double>.Build.Random(p, 3, new Normal(0.0, 1.0, new MersenneTwister(5, threadSafe: false)));
        var expected = directions.TransposeThisAndMultiply(sigma) * directions;
        var projected = model.GradientNoiseCovariance(theta, directions, batch);
        Assert.True((projected - expected).FrobeniusNorm() <= 1e-13 * expected.FrobeniusNorm(), $"{(projected - expected).FrobeniusNorm():E2}");
        var variances = model.GradientNoiseVariances(theta, directions, batch);
        for (int m = 0; m < 3; m++) Assert.Equal(expected[m, m], variances[m], 1e-13 * expected[m, m]);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var corpus = WordSample();
        var samples = corpus.Samples(3);
        int n = 1000;                                                   // four chunks, the last one partial
        var architecture = new CharModelArchitecture(corpus.Alphabet.Count, 3, 2, 4, MlpActivation.Silu);
        var contexts = samples.Contexts.AsSpan(0, n * 3).ToArray();
        var targets = samples.Targets.AsSpan(0, n).ToArray();
        var theta = CharModelInitialisation.PyTorchDefault(architecture, 9);
        var indices = Enumerable.Range(0, 700).Select(i => (i * 37) % n).ToArray();
        Assert1And4ThreadsAgree(threads => new CharModelReference(architecture, contexts, targets) { MaxDegreeOfParallelism = threads }, theta, indices);
    }

    [Fact]
    public void InitialisationIsSeeded()
    {
        var architecture = new CharModelArchitecture(27, 3, 4, 16, MlpActivation.Tanh);
        var theta = CharModelInitialisation.PyTorchDefault(architecture, 42);
        Assert.Equal(theta, CharModelInitialisation.PyTorchDefault(architecture, 42));
        Assert.NotEqual(theta, CharModelInitialisation.PyTorchDefault(architecture, 43));

        // the embedding N(0, 1): 108 draws, mean within 4 SE and variance within ±50 %
        var embedding = theta[..architecture.EmbeddingSize];
        double mean = embedding.Average();
        double variance = embedding.Average(x => (x - mean) * (x - mean));
        Assert.InRange(mean, -4.0 / Math.Sqrt(108), 4.0 / Math.Sqrt(108));
        Assert.InRange(variance, 0.5, 1.5);

        // the MLP part is bounded by 1/√fan_in per layer
        for (int l = 0; l < 2; l++)
        {
            double bound = 1.0 / Math.Sqrt(architecture.Mlp.LayerInputSize(l));
            var layer = theta[architecture.WeightOffset(l)..(architecture.BiasOffset(l) + architecture.Mlp.LayerOutputSize(l))];
            Assert.All(layer, x => Assert.InRange(x, -bound, bound));
            Assert.True(layer.Max(Math.Abs) > 0.8 * bound);
        }
    }

    [Fact]
    public void TrainingOnTheWordSampleBeatsTheUniformModel()
    {
        var corpus = WordSample();
        int vocabulary = corpus.Alphabet.Count;
        var architecture = new CharModelArchitecture(vocabulary, 3, 4, 16, MlpActivation.Tanh);
        var model = new CharModelReference(architecture, corpus.Samples(3));
        Assert.Equal(corpus.SampleCount, model.SampleCount);
        var start = CharModelInitialisation.PyTorchDefault(architecture, 1);

        var result = MlpTrainer.Train(model, start, new MlpTrainingOptions(600, 0.5, 64, 2, MlpSampling.EpochPermutation));
        double uniform = Math.Log(vocabulary);
        output.WriteLine(
            $"V = {vocabulary}, n = {model.SampleCount}: loss {model.FullBatchLoss(start):F4} → {result.FinalLoss:F4} after 600 SGD steps (ln V = {uniform:F4})");
        Assert.True(result.FinalLoss < uniform, $"final loss {result.FinalLoss} is not below ln V = {uniform}");
        Assert.True(result.FinalLoss < model.FullBatchLoss(start));
        Assert.Equal(result.Parameters, MlpTrainer.Train(model, start, new MlpTrainingOptions(600, 0.5, 64, 2, MlpSampling.EpochPermutation)).Parameters);
    }

    private static CharCorpus WordSample()
    {
        string? root = CharCorpusFiles.FindRepositoryRoot(AppContext.BaseDirectory);
        Assert.NotNull(root);
        return CharCorpus.Load(Path.Combine(root!, CharCorpusFiles.SampleRelativePath), new CharCorpusOptions { LowerCase = true });
    }

    /// <summary>
    /// Random contexts and targets over the alphabet (symbols may repeat within a context) and N(0, 0.8²) parameters
    /// whose hidden pre-activations all keep 1e-2 away from 0 (no ReLU kink within a difference step).
    /// </summary>
    private static (CharModelReference Model, double[] Theta) SmoothPoint(CharModelArchitecture architecture, int samples)
    {
        int v = architecture.AlphabetSize, c = architecture.ContextLength;
        for (int seed = 1; ; seed++)
        {
            var random = new MersenneTwister(seed, threadSafe: false);
            var contexts = Enumerable.Range(0, samples * c).Select(_ => random.Next(v)).ToArray();
            var targets = Enumerable.Range(0, samples).Select(_ => random.Next(v)).ToArray();
            var model = new CharModelReference(architecture, contexts, targets);
            var theta = Normal.Samples(random, 0.0, 0.8).Take(architecture.ParameterCount).ToArray();
            double closest = Enumerable.Range(0, samples).SelectMany(i => model.HiddenPreActivations(theta, i)).Min(Math.Abs);
            bool repeats = Enumerable.Range(0, samples).Any(i => model.Context(i).ToArray().Distinct().Count() < c);
            if (closest > 1e-2 && repeats) return (model, theta);
        }
    }
}
