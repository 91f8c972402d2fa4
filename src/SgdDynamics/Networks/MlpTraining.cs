using MathNet.Numerics.Random;

namespace SgdDynamics.Networks;

/// <summary>Seeded initialisation of multilayer-perceptron parameters.</summary>
public static class MlpInitialisation
{
    /// <summary>
    /// PyTorch's default for <c>torch.nn.Linear</c>: every weight and bias of layer l uniform on
    /// <c>[−1/√in_l, 1/√in_l]</c> (in_l = the layer's fan-in; PyTorch's Kaiming-uniform with a = √5 gives the same bound
    /// for the weights). Drawn in the flat layout order (<see cref="MlpArchitecture"/>) from MathNet's Mersenne Twister
    /// seeded with <paramref name="seed"/>, as <c>bound · (2u − 1)</c> with u = NextDouble(); the numbers are not
    /// PyTorch's, the law is.
    /// </summary>
    /// <param name="architecture">The network.</param>
    /// <param name="seed">The seed.</param>
    public static double[] PyTorchDefault(MlpArchitecture architecture, int seed)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var theta = new double[architecture.ParameterCount];
        Fill(architecture, new MersenneTwister(seed, threadSafe: false), theta);
        return theta;
    }

    /// <summary>
    /// Draws the parameters of <paramref name="architecture"/> into <paramref name="theta"/> (its flat layout) from
    /// <paramref name="random"/>, as <see cref="PyTorchDefault"/> does.
    /// </summary>
    internal static void Fill(MlpArchitecture architecture, Random random, Span<double> theta)
    {
        for (int l = 0; l < architecture.LayerCount; l++)
        {
            int fanIn = architecture.LayerInputSize(l);
            double bound = 1.0 / Math.Sqrt(fanIn);
            int start = architecture.WeightOffset(l);
            int end = architecture.BiasOffset(l) + architecture.LayerOutputSize(l);
            for (int j = start; j < end; j++) theta[j] = bound * ((2.0 * random.NextDouble()) - 1.0);
        }
    }
}

/// <summary>How <see cref="MlpTrainer"/> draws minibatches.</summary>
public enum MlpSampling
{
    /// <summary>Each step draws B indices independently and uniformly from the n samples (with replacement).</summary>
    WithReplacement,

    /// <summary>
    /// Each epoch is a fresh uniform permutation (Fisher–Yates); steps take consecutive blocks of B from it, and the last
    /// n mod B indices of an epoch are dropped (the next step starts a new permutation).
    /// </summary>
    EpochPermutation,
}

/// <summary>Settings of <see cref="MlpTrainer.Train"/>.</summary>
/// <param name="Steps">Number of parameter updates.</param>
/// <param name="LearningRate">The step size η.</param>
/// <param name="BatchSize">Minibatch size B; 0 for full-batch gradient descent (the exact mean gradient over all n samples, no sampling).</param>
/// <param name="Seed">Seed of the minibatch draws (MathNet's Mersenne Twister).</param>
/// <param name="Sampling">How minibatches are drawn (ignored by full-batch descent).</param>
public sealed record MlpTrainingOptions(int Steps, double LearningRate, int BatchSize, int Seed, MlpSampling Sampling = MlpSampling.WithReplacement);

/// <summary>The outcome of <see cref="MlpTrainer.Train"/>.</summary>
/// <param name="Parameters">θ after the last step.</param>
/// <param name="StepLosses">The loss of each step's batch at the parameters before its update (the full-batch loss for gradient descent).</param>
/// <param name="FinalLoss">The full-batch loss at <paramref name="Parameters"/>.</param>
public sealed record MlpTrainingResult(double[] Parameters, double[] StepLosses, double FinalLoss);

/// <summary>
/// Plain host training in double precision, to make reference points: θ ← θ − η g with g the mean gradient of a
/// minibatch of B samples (<see cref="MlpSampling"/>) or, for B = 0, of the whole data set. No momentum, weight decay or
/// schedule. Deterministic for a given seed (and independent of the thread count).
/// </summary>
public static class MlpTrainer
{
    /// <summary>Trains from <paramref name="initial"/> with the given settings.</summary>
    /// <param name="model">The network and data (<see cref="MlpReference"/>, <see cref="CharModelReference"/>).</param>
    /// <param name="initial">Initial parameters in the flat layout (not modified).</param>
    /// <param name="options">Steps, η, batch size, seed, sampling.</param>
    public static MlpTrainingResult Train(NetworkReference model, ReadOnlySpan<double> initial, MlpTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Steps);
        ArgumentOutOfRangeException.ThrowIfNegative(options.BatchSize);
        if (!(options.LearningRate > 0.0) || !double.IsFinite(options.LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LearningRate, "The learning rate is positive.");
        }

        if (!Enum.IsDefined(options.Sampling)) throw new ArgumentOutOfRangeException(nameof(options), options.Sampling, null);
        int n = model.SampleCount;
        int batch = options.BatchSize;
        if (options.Sampling == MlpSampling.EpochPermutation && batch > n)
        {
            throw new ArgumentOutOfRangeException(nameof(options), batch, $"A permutation batch is at most n = {n}.");
        }

        int p = model.ParameterCount;
        if (initial.Length != p) throw new ArgumentException($"θ has {initial.Length} entries, not P = {p}.", nameof(initial));
        var theta = initial.ToArray();
        var gradient = new double[p];
        var losses = new double[options.Steps];
        var random = new MersenneTwister(options.Seed, threadSafe: false);
        var indices = new int[batch];
        int[] permutation = Enumerable.Range(0, n).ToArray();
        int position = n;
        for (int step = 0; step < options.Steps; step++)
        {
            if (batch == 0)
            {
                losses[step] = model.FullBatchGradient(theta, gradient);
            }
            else
            {
                if (options.Sampling == MlpSampling.WithReplacement)
                {
                    for (int k = 0; k < batch; k++) indices[k] = random.Next(n);
                }
                else
                {
                    if (position + batch > n)
                    {
                        for (int i = n - 1; i > 0; i--)
                        {
                            int j = random.Next(i + 1);
                            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
                        }

                        position = 0;
                    }

                    Array.Copy(permutation, position, indices, 0, batch);
                    position += batch;
                }

                losses[step] = model.MinibatchGradient(theta, indices, gradient);
            }

            for (int j = 0; j < p; j++) theta[j] -= options.LearningRate * gradient[j];
        }

        return new MlpTrainingResult(theta, losses, model.FullBatchLoss(theta));
    }
}
