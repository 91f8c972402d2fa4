using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Networks;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>What the landscapes on finite data sets (least squares, networks) share: the minibatch fields, the sampler and the noise factor, and the network landscapes' refusals.</summary>
public static class NetworkSampling
{
    /// <summary>Why the SDE models do not run on network landscapes.</summary>
    public const string SdeRefusal =
        "the SDE models integrate the full-batch mean gradient and a Gaussian noise drawn through all n per-sample gradients at every substep (about n/B SGD steps each); on network landscapes they are not provided: run SGD (optimizer sgd with no dynamics section)";

    /// <summary>Why network landscapes have no grid form.</summary>
    public const string GridRefusal = "a network landscape's state is its parameter vector (hundreds of dimensions): it has no 1-D or 2-D grid form; run an ensemble";

    /// <summary>The kernels' sampler of B indices from n, with or without replacement.</summary>
    public static IndexSampler Sampler(bool withoutReplacement, int samples, int batch) =>
        new(withoutReplacement ? IndexSampler.WithoutReplacement : IndexSampler.WithReplacement, (uint)samples, batch);

    /// <summary>The factor of the one-step noise covariance against sampling with replacement: 1, or (n − B)/(n − 1) without (0 for n = 1).</summary>
    public static double NoiseFactor(bool withoutReplacement, int samples, int batch) =>
        !withoutReplacement ? 1.0 : samples == 1 ? 0.0 : (samples - batch) / (double)(samples - 1);

    /// <summary>Reads <c>"sampling"</c> (<c>"withReplacement"</c>, the default, or <c>"withoutReplacement"</c>) and <c>"batchSize"</c> (1 … max, ≤ n without replacement).</summary>
    internal static (int Batch, bool WithoutReplacement) Read(ObjectFields landscape, int samples, int maxBatch)
    {
        bool without = landscape.Optional("sampling") is { } sampling && WithoutReplacement(sampling);

        JsonField batchField = landscape.Required("batchSize");
        int batch = (int)batchField.AsInteger(1, maxBatch);
        if (without && batch > samples)
        {
            throw batchField.Error($"without replacement a minibatch holds at most the {samples} samples (got {batch})");
        }

        return (batch, without);
    }

    /// <summary>A sampling's scenario name: <c>"withReplacement"</c> or <c>"withoutReplacement"</c> (<paramref name="withoutReplacement"/>).</summary>
    public static string Name(bool withoutReplacement) => withoutReplacement ? "withoutReplacement" : "withReplacement";

    /// <summary>Reads a sampling's name (<see cref="Name"/>): true for <c>"withoutReplacement"</c>.</summary>
    internal static bool WithoutReplacement(JsonField field) => field.AsString() switch
    {
        "withReplacement" => false,
        "withoutReplacement" => true,
        string other => throw field.Error($"unknown sampling {ScenarioFields.Quote(other)} (expected \"withReplacement\" or \"withoutReplacement\")"),
    };

    /// <summary>Writes <c>"batchSize"</c> and <c>"sampling"</c>.</summary>
    internal static void Write(Utf8JsonWriter writer, int batch, bool withoutReplacement)
    {
        writer.WriteNumber("batchSize", batch);
        writer.WriteString("sampling", Name(withoutReplacement));
    }

    /// <summary>A hidden activation: <c>"tanh"</c>, <c>"silu"</c> or <c>"relu"</c>.</summary>
    internal static MlpActivation Activation(JsonField field) => field.AsString() switch
    {
        "tanh" => MlpActivation.Tanh,
        "silu" => MlpActivation.Silu,
        "relu" => MlpActivation.Relu,
        string other => throw field.Error($"unknown activation {ScenarioFields.Quote(other)} (expected \"tanh\", \"silu\" or \"relu\")"),
    };
}

/// <summary>
/// The initial law <c>"initial": {"network": {"seed": s, "train": {…}}}</c> of the network landscapes: every trajectory
/// starts at one point, PyTorch's default initialisation drawn with seed s, then optionally trained on the host in double
/// precision (<see cref="MlpTrainer"/>: <c>steps</c>, <c>learningRate</c>, <c>batchSize</c> (0: full-batch gradient
/// descent), <c>seed</c>, <c>sampling</c>). The scenario writer writes the resulting point.
/// </summary>
internal static class NetworkInitial
{
    /// <summary>The keys of <c>initial</c> it reads.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["network"];

    /// <summary>Reads <c>initial.network</c>.</summary>
    public static InitialLaw Read(ObjectFields initial, Func<NetworkReference> reference, Func<int, double[]> initialise)
    {
        ObjectFields network = initial.Required("network").AsObject();
        network.RejectUnknown("seed", "train");
        int seed = network.Has("seed") ? (int)network.Required("seed").AsInteger(0, int.MaxValue) : 0;
        double[] theta = initialise(seed);
        if (network.Optional("train") is { } trainField)
        {
            MlpTrainingOptions options = ReadTraining(trainField.AsObject());
            NetworkReference model = reference();
            if (options.Sampling == MlpSampling.EpochPermutation && options.BatchSize > model.SampleCount)
            {
                throw new ScenarioException(JsonField.ChildPath(trainField.Path, "batchSize"), $"without replacement a minibatch holds at most the {model.SampleCount} samples");
            }

            MlpTrainingResult trained = MlpTrainer.Train(model, theta, options);
            if (!trained.Parameters.All(double.IsFinite) || !double.IsFinite(trained.FinalLoss))
            {
                throw trainField.Error($"training diverged (the loss is {trained.FinalLoss}): lower the learning rate");
            }

            theta = trained.Parameters;
        }

        int d = theta.Length;
        var zero = Matrix<double>.Build.Sparse(d, d);
        return new InitialLaw(Vector<double>.Build.DenseOfArray(theta), zero, zero.Clone(), true);
    }

    /// <summary>Reads a <c>train</c> object.</summary>
    public static MlpTrainingOptions ReadTraining(ObjectFields train)
    {
        train.RejectUnknown("steps", "learningRate", "batchSize", "seed", "sampling");
        int steps = (int)train.Required("steps").AsInteger(0, 100_000_000);
        double eta = ScenarioFields.Positive(train, "learningRate");
        int batch = (int)train.Required("batchSize").AsInteger(0, MlpLandscapeSpec.MaxBatchSize);
        int seed = train.Has("seed") ? (int)train.Required("seed").AsInteger(0, int.MaxValue) : 0;
        MlpSampling sampling = train.Optional("sampling") is { } samplingField && NetworkSampling.WithoutReplacement(samplingField)
            ? MlpSampling.EpochPermutation
            : MlpSampling.WithReplacement;

        return new MlpTrainingOptions(steps, eta, batch, seed, sampling);
    }
}
