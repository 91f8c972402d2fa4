using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Random;
using SgdDynamics.Networks;
using static SgdDynamics.Tests.Networks.NetworkChecks;

namespace SgdDynamics.Tests.Networks;

public class MlpReferenceTests
{
    // Central differences in double: truncation h²/6 · f‴ ≈ 2e-11 and rounding ε|ℓ|/h ≈ 2e-11 at h = 1e-5, so relative
    // errors of 1e-9 or below are expected; the tests ask for 1e-6 (gradients) and 1e-7 (Hessian-vector products).
    private const double Step = 1e-5;

    public static TheoryData<MlpActivation, MlpLoss, int[]> Cases()
    {
        var data = new TheoryData<MlpActivation, MlpLoss, int[]>();
        foreach (var activation in new[] { MlpActivation.Tanh, MlpActivation.Silu, MlpActivation.Relu })
        {
            foreach (var loss in new[] { MlpLoss.SoftmaxCrossEntropy, MlpLoss.MeanSquared })
            {
                data.Add(activation, loss, [5, 4, 3]);
                data.Add(activation, loss, [5, 4, 4, 2]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchCentralDifferences(MlpActivation activation, MlpLoss loss, int[] widths)
    {
        var (model, theta) = SmoothPoint(Build(widths, activation, loss), samples: 7);
        int p = model.ParameterCount;

        var gradient = new double[p];
        model.FullBatchGradient(theta, gradient);
        var difference = FiniteDifference(theta, t => model.FullBatchLoss(t), Step);
        double error = RelativeError(difference, gradient);
        Assert.True(error <= 1e-6, $"full batch: relative error {error:E2}");

        // one sample, against its own loss
        var single = new double[p];
        double value = model.SampleGradient(theta, 3, single);
        Assert.Equal(model.SampleLoss(theta, 3), value);
        var singleDifference = FiniteDifference(theta, t => model.SampleLoss(t, 3), Step);
        double singleError = RelativeError(singleDifference, single);
        Assert.True(singleError <= 1e-6, $"sample 3: relative error {singleError:E2}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HessianVectorProductsMatchCentralDifferencesOfTheGradient(MlpActivation activation, MlpLoss loss, int[] widths)
    {
        var (model, theta) = SmoothPoint(Build(widths, activation, loss), samples: 7);
        int p = model.ParameterCount;
        var random = new MersenneTwister(11, threadSafe: false);
        var v = Normal.Samples(random, 0.0, 1.0).Take(p).ToArray();

        AssertHessianVectorProductsMatchDifferences(model, theta, v, Step);
    }

    [Theory]
    [InlineData(MlpActivation.Tanh, MlpLoss.SoftmaxCrossEntropy)]
    [InlineData(MlpActivation.Silu, MlpLoss.MeanSquared)]
    [InlineData(MlpActivation.Relu, MlpLoss.SoftmaxCrossEntropy)]
    [InlineData(MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy)]
    public void TheTwoHessianMethodsAgreeAndAreSymmetric(MlpActivation activation, MlpLoss loss)
    {
        var (model, theta) = SmoothPoint(Build([5, 4, 4, 2], activation, loss), samples: 9);
        int p = model.ParameterCount;

        var exact = model.Hessian(theta);
        var difference = model.Hessian(theta, MlpHessianMethod.CentralDifference);
        Assert.Equal(MlpHessianMethod.Exact, exact.Method);
        Assert.Equal(Step, difference.Step);

        // R-operator columns are symmetric up to rounding; differenced columns up to O(h²) + O(ε/h)
        Assert.True(exact.RelativeAsymmetry <= 1e-13, $"exact asymmetry {exact.RelativeAsymmetry:E2}");
        Assert.True(difference.RelativeAsymmetry <= 1e-7, $"difference asymmetry {difference.RelativeAsymmetry:E2}");
        double agreement = (exact.Matrix - difference.Matrix).FrobeniusNorm() / exact.Matrix.FrobeniusNorm();
        Assert.True(agreement <= 1e-7, $"methods differ by {agreement:E2}");
        Assert.True(exact.Matrix.IsSymmetric());

        // column j is the product with e_j, bit for bit (the same summation order)
        for (int j = 0; j < p; j += 7)
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

        // eigen pairs in decreasing order
        var (values, vectors) = exact.Eigen();
        for (int m = 1; m < p; m++) Assert.True(values[m] <= values[m - 1]);
        double scale = Math.Abs(values[0]) + Math.Abs(values[^1]);
        var residual = (exact.Matrix * vectors) - (vectors * Matrix<double>.Build.DenseOfDiagonalArray(values));
        Assert.True(residual.FrobeniusNorm() <= 1e-12 * scale * p, $"eigen residual {residual.FrobeniusNorm():E2}");
    }

    [Fact]
    public void ParameterCountAndLayout()
    {
        var mnist = new MlpArchitecture(36, [8], 10, MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy);
        Assert.Equal(386, mnist.ParameterCount);
        Assert.Equal(0, mnist.WeightOffset(0));
        Assert.Equal(288, mnist.BiasOffset(0));
        Assert.Equal(296, mnist.WeightOffset(1));
        Assert.Equal(376, mnist.BiasOffset(1));
        Assert.Equal("36-8(silu)-10 softmaxCrossEntropy, 386 parameters", mnist.ToString());

        var deep = new MlpArchitecture(5, [4, 4], 2, [MlpActivation.Tanh, MlpActivation.Relu], MlpLoss.MeanSquared);
        Assert.Equal((4 * 6) + (4 * 5) + (2 * 5), deep.ParameterCount);
        Assert.Equal(MlpActivation.Relu, deep.ActivationAfter(1));
        Assert.Equal(MlpActivation.Silu, MlpArchitecture.ParseActivation("SiLU"));
        Assert.Equal(MlpLoss.MeanSquared, MlpArchitecture.ParseLoss("meanSquared"));
        Assert.Throws<ArgumentException>(() => new MlpArchitecture(5, [4], 2, [], MlpLoss.MeanSquared));

        // 2 → 2 (tanh) → 1: W₀ = [[0.5, −1], [2, 0.25]], b₀ = [0.1, −0.3], W₁ = [[1.5, −0.7]], b₁ = [0.2]
        var tiny = new MlpArchitecture(2, [2], 1, MlpActivation.Tanh, MlpLoss.MeanSquared);
        Assert.Equal(9, tiny.ParameterCount);
        double[] theta = [0.5, -1.0, 2.0, 0.25, 0.1, -0.3, 1.5, -0.7, 0.2];
        double[] x = [0.8, -0.4];
        var model = new MlpReference(tiny, MlpDataSet.Regression(x, 2, [1.0], 1));
        double h0 = Math.Tanh((0.5 * 0.8) + (-1.0 * -0.4) + 0.1);
        double h1 = Math.Tanh((2.0 * 0.8) + (0.25 * -0.4) - 0.3);
        double f = (1.5 * h0) - (0.7 * h1) + 0.2;
        var output = new double[1];
        model.Output(theta, x, output);
        Assert.Equal(f, output[0], 1e-15);
        Assert.Equal(0.5 * (f - 1.0) * (f - 1.0), model.SampleLoss(theta, 0), 1e-15);

        // its gradient by hand: ∂ℓ/∂b₁ = r, ∂ℓ/∂W₁ = r h, ∂ℓ/∂b₀ = r W₁ ⊙ (1 − h²), ∂ℓ/∂W₀ = that ⊗ x
        double r = f - 1.0;
        double d0 = r * 1.5 * (1.0 - (h0 * h0)), d1 = r * -0.7 * (1.0 - (h1 * h1));
        double[] expected = [d0 * 0.8, d0 * -0.4, d1 * 0.8, d1 * -0.4, d0, d1, r * h0, r * h1, r];
        var gradient = new double[9];
        model.SampleGradient(theta, 0, gradient);
        for (int j = 0; j < 9; j++) Assert.Equal(expected[j], gradient[j], 1e-15);
    }

    [Theory]
    [InlineData(MlpActivation.Tanh)]
    [InlineData(MlpActivation.Silu)]
    [InlineData(MlpActivation.Relu)]
    public void KnownLosses(MlpActivation activation)
    {
        // all-zero parameters: uniform softmax, ℓ = ln C for every sample; the output-bias gradient is the class
        // frequency gap 1/C − n_c/n
        var architecture = new MlpArchitecture(5, [4], 3, activation, MlpLoss.SoftmaxCrossEntropy);
        var model = RandomModel(architecture, 10, seed: 3);
        var zero = new double[architecture.ParameterCount];
        Assert.Equal(Math.Log(3.0), model.FullBatchLoss(zero), 1e-15);
        var gradient = new double[architecture.ParameterCount];
        model.FullBatchGradient(zero, gradient);
        for (int c = 0; c < 3; c++)
        {
            double frequency = Enumerable.Range(0, 10).Count(i => model.Data.Label(i) == c) / 10.0;
            Assert.Equal((1.0 / 3.0) - frequency, gradient[architecture.BiasOffset(1) + c], 1e-15);
        }

        // a linear classifier by hand: ℓ = log(e^{f₀} + e^{f₁}) − f_y with f = W x + b
        var linear = new MlpArchitecture(2, [], 2, [], MlpLoss.SoftmaxCrossEntropy);
        var data = MlpDataSet.Classification(Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 2.0 }, { -0.5, 0.3 } }), [1, 0]);
        var classifier = new MlpReference(linear, data);
        double[] theta = [0.3, -0.2, 0.7, 0.1, 0.05, -0.4];
        double f0 = 0.3 - 0.4 + 0.05, f1 = 0.7 + 0.2 - 0.4;
        Assert.Equal(Math.Log(Math.Exp(f0) + Math.Exp(f1)) - f1, classifier.SampleLoss(theta, 0), 1e-15);

        // squared loss at zero parameters: ½‖y‖²
        var regression = RandomModel(new MlpArchitecture(5, [4], 2, activation, MlpLoss.MeanSquared), 6, seed: 4);
        double half = Enumerable.Range(0, 6).Average(i => 0.5 * regression.Data.Target(i).ToArray().Sum(y => y * y));
        Assert.Equal(half, regression.FullBatchLoss(new double[regression.ParameterCount]), 1e-14);
    }

    [Fact]
    public void MinibatchMeansCountRepeats()
    {
        var (model, theta) = SmoothPoint(Build([5, 4, 3], MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy), samples: 8);
        int p = model.ParameterCount;
        int[] indices = [3, 1, 3, 7, 0];
        var expected = new double[p];
        double expectedLoss = 0.0;
        var single = new double[p];
        foreach (int i in indices)
        {
            expectedLoss += model.SampleGradient(theta, i, single) / indices.Length;
            for (int j = 0; j < p; j++) expected[j] += single[j] / indices.Length;
        }

        var gradient = new double[p];
        Assert.Equal(expectedLoss, model.MinibatchGradient(theta, indices, gradient), 1e-14);
        Assert.Equal(expectedLoss, model.MinibatchLoss(theta, indices), 1e-14);
        Assert.True(RelativeError(expected, gradient) <= 1e-14);
    }

    [Fact]
    public void ProjectedNoiseCovarianceMatchesTheExplicitCovariance()
    {
        const int n = 13, batch = 4;
        var (model, theta) = SmoothPoint(Build([3, 3, 2], MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy), samples: n);
        int p = model.ParameterCount;

        // Σ = (1/B) (1/n) Σ_i (g_i − ḡ)(g_i − ḡ)ᵀ, formed explicitly
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

        var random = new MersenneTwister(5, threadSafe: false);
        var directions = Matrix<double>.Build.Random(p, 4, new Normal(0.0, 1.0, random));
        var expected = directions.TransposeThisAndMultiply(sigma) * directions;
        var projected = model.GradientNoiseCovariance(theta, directions, batch);
        Assert.True((projected - expected).FrobeniusNorm() <= 1e-13 * expected.FrobeniusNorm(), $"{(projected - expected).FrobeniusNorm():E2}");
        var variances = model.GradientNoiseVariances(theta, directions, batch);
        for (int m = 0; m < 4; m++) Assert.Equal(expected[m, m], variances[m], 1e-13 * expected[m, m]);

        var rows = model.ProjectedSampleGradients(theta, directions);
        Assert.True((rows - (gradients * directions)).FrobeniusNorm() <= 1e-13 * rows.FrobeniusNorm());

        // Σ is the covariance of the minibatch mean gradient under sampling with replacement: all n² ordered pairs (B = 2)
        var pairSigma = Matrix<double>.Build.Dense(p, p);
        var pairGradient = new double[p];
        var full = new double[p];
        model.FullBatchGradient(theta, full);
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                model.MinibatchGradient(theta, [a, b], pairGradient);
                var deviation = Vector<double>.Build.Dense(pairGradient) - Vector<double>.Build.Dense(full);
                pairSigma += deviation.OuterProduct(deviation) / (n * (double)n);
            }
        }

        var pairExpected = directions.TransposeThisAndMultiply(pairSigma) * directions;
        var pairProjected = model.GradientNoiseCovariance(theta, directions, 2);
        Assert.True((pairProjected - pairExpected).FrobeniusNorm() <= 1e-12 * pairExpected.FrobeniusNorm());
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        var architecture = new MlpArchitecture(5, [4, 4], 3, [MlpActivation.Silu, MlpActivation.Tanh], MlpLoss.SoftmaxCrossEntropy);
        var data = RandomModel(architecture, 1000, seed: 8).Data;   // four chunks, the last one partial
        var theta = MlpInitialisation.PyTorchDefault(architecture, 9);
        var indices = Enumerable.Range(0, 700).Select(i => (i * 37) % 1000).ToArray();
        Assert1And4ThreadsAgree(threads => new MlpReference(architecture, data) { MaxDegreeOfParallelism = threads }, theta, indices);
    }

    [Fact]
    public void InitialisationIsSeededAndBoundedByTheFanIn()
    {
        var architecture = new MlpArchitecture(36, [8], 10, MlpActivation.Silu, MlpLoss.SoftmaxCrossEntropy);
        var theta = MlpInitialisation.PyTorchDefault(architecture, 42);
        Assert.Equal(theta, MlpInitialisation.PyTorchDefault(architecture, 42));
        Assert.NotEqual(theta, MlpInitialisation.PyTorchDefault(architecture, 43));
        for (int l = 0; l < 2; l++)
        {
            double bound = 1.0 / Math.Sqrt(architecture.LayerInputSize(l));
            var layer = theta[architecture.WeightOffset(l)..(architecture.BiasOffset(l) + architecture.LayerOutputSize(l))];
            Assert.All(layer, x => Assert.InRange(x, -bound, bound));
            Assert.True(layer.Max(Math.Abs) > 0.8 * bound, "the draws fill the interval");
        }
    }

    [Fact]
    public void TrainingIsSeededAndDescends()
    {
        var architecture = new MlpArchitecture(5, [6], 3, MlpActivation.Tanh, MlpLoss.SoftmaxCrossEntropy);
        var model = RandomModel(architecture, 60, seed: 12);
        var start = MlpInitialisation.PyTorchDefault(architecture, 1);

        var gd = MlpTrainer.Train(model, start, new MlpTrainingOptions(200, 0.5, 0, 0));
        Assert.True(gd.FinalLoss < 0.9 * gd.StepLosses[0], $"{gd.StepLosses[0]} → {gd.FinalLoss}");
        Assert.Equal(model.FullBatchLoss(start), gd.StepLosses[0]);

        var sgd = MlpTrainer.Train(model, start, new MlpTrainingOptions(200, 0.2, 8, 7));
        Assert.Equal(sgd.Parameters, MlpTrainer.Train(model, start, new MlpTrainingOptions(200, 0.2, 8, 7)).Parameters);
        Assert.NotEqual(sgd.Parameters, MlpTrainer.Train(model, start, new MlpTrainingOptions(200, 0.2, 8, 8)).Parameters);
        Assert.True(sgd.FinalLoss < gd.StepLosses[0]);

        // a permutation batch of all n samples is the full gradient (up to the summation order)
        var permuted = MlpTrainer.Train(model, start, new MlpTrainingOptions(20, 0.5, 60, 3, MlpSampling.EpochPermutation));
        var descent = MlpTrainer.Train(model, start, new MlpTrainingOptions(20, 0.5, 0, 3));
        Assert.True(RelativeError(descent.Parameters, permuted.Parameters) <= 1e-13);
    }

    private static MlpArchitecture Build(int[] widths, MlpActivation activation, MlpLoss loss) =>
        new(widths[0], widths[1..^1], widths[^1], activation, loss);

    /// <summary>Random N(0, 1) inputs, uniform labels or N(0, 1) targets.</summary>
    private static MlpReference RandomModel(MlpArchitecture architecture, int samples, int seed)
    {
        var random = new MersenneTwister(seed, threadSafe: false);
        var inputs = Normal.Samples(random, 0.0, 1.0).Take(samples * architecture.InputSize).ToArray();
        var data = architecture.Loss == MlpLoss.SoftmaxCrossEntropy
            ? MlpDataSet.Classification(inputs, architecture.InputSize, Enumerable.Range(0, samples).Select(_ => random.Next(architecture.OutputSize)).ToArray())
            : MlpDataSet.Regression(inputs, architecture.InputSize, Normal.Samples(random, 0.0, 1.0).Take(samples * architecture.OutputSize).ToArray(), architecture.OutputSize);
        return new MlpReference(architecture, data);
    }

    /// <summary>
    /// A random model and N(0, 0.8²) parameters (well inside the nonlinear range) whose hidden pre-activations all keep
    /// 1e-2 away from 0, so that no ReLU kink lies within a difference step (a step of 1e-5 moves them by far less).
    /// </summary>
    private static (MlpReference Model, double[] Theta) SmoothPoint(MlpArchitecture architecture, int samples)
    {
        for (int seed = 1; ; seed++)
        {
            var model = RandomModel(architecture, samples, seed);
            var random = new MersenneTwister(1000 + seed, threadSafe: false);
            var theta = Normal.Samples(random, 0.0, 0.8).Take(architecture.ParameterCount).ToArray();
            double closest = Enumerable.Range(0, samples)
                .SelectMany(i => model.HiddenPreActivations(theta, i).SelectMany(z => z))
                .Min(Math.Abs);
            if (closest > 1e-2) return (model, theta);
        }
    }
}
