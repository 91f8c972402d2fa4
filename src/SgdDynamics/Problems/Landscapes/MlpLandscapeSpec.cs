using System.Text.Json;
using System.Text.Json.Nodes;
using SgdDynamics.Data;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Networks;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// The training loss of a multilayer perceptron, the state being its flat parameter vector (every trajectory its own
/// network; layout of <see cref="MlpArchitecture"/>: per layer W [out, in] row-major, then b), on the samples of
/// <paramref name="Data"/>, minibatches of <paramref name="BatchSize"/> drawn with or without replacement
/// (<see cref="IndexSampler"/>). Runs <see cref="MlpLandscape{TP}"/>.
/// </summary>
/// <param name="Architecture">Widths, hidden activations and loss.</param>
/// <param name="Data">The samples.</param>
/// <param name="BatchSize">B ≥ 1 (≤ n without replacement).</param>
/// <param name="WithoutReplacement">True for epochs of permutations.</param>
public sealed record MlpLandscapeSpec(MlpArchitecture Architecture, NetworkData Data, int BatchSize, bool WithoutReplacement) : LandscapeSpec, INetworkLandscape
{
    /// <summary>The largest batch size.</summary>
    public const int MaxBatchSize = 1 << 16;

    /// <summary>P, the number of parameters.</summary>
    public override int Dimension => Architecture.ParameterCount;

    /// <summary>The sampler of the kernels.</summary>
    public IndexSampler Sampler => NetworkSampling.Sampler(WithoutReplacement, Data.Count, BatchSize);

    /// <summary>The factor of the one-step noise covariance against sampling with replacement: 1, or (n − B)/(n − 1) without.</summary>
    public double NoiseFactor => NetworkSampling.NoiseFactor(WithoutReplacement, Data.Count, BatchSize);

    /// <summary>The widths, input to output.</summary>
    public int[] Widths => [Architecture.InputSize, .. Architecture.HiddenWidths, Architecture.OutputSize];

    /// <summary>The double-precision reference of the same network on the same samples.</summary>
    public MlpReference Reference() => new(Architecture, Data.DataSet(Architecture.Loss, Architecture.OutputSize));

    /// <inheritdoc/>
    NetworkReference INetworkLandscape.Reference() => Reference();

    /// <inheritdoc/>
    public int SampleCount => Data.Count;

    /// <inheritdoc/>
    public LandscapeSpec WithSampling(bool withoutReplacement) => this with { WithoutReplacement = withoutReplacement };

    /// <inheritdoc/>
    /// <remarks>MNIST: <c>images</c>, <c>labels</c> (paths), <c>count</c> (the first n images used), <c>pool</c> (null without pooling), <c>sha256</c>; generated: its settings.</remarks>
    public JsonObject DataJson() => Data.Source switch
    {
        MnistSource m => new JsonObject
        {
            ["images"] = m.ImagesPath,
            ["labels"] = m.LabelsPath,
            ["count"] = Data.Count,
            ["pool"] = m.Pool == 0 ? null : m.Pool,
            ["sha256"] = Data.Fingerprint(),
        },
        GeneratedClassificationSource g => new JsonObject
        {
            ["generated"] = true,
            ["count"] = g.Samples,
            ["inputs"] = g.Inputs,
            ["classes"] = g.Classes,
            ["seed"] = g.Seed,
            ["sha256"] = Data.Fingerprint(),
        },
        _ => throw new InvalidOperationException($"unknown network data source {Data.Source.GetType().Name}"),
    };

    /// <inheritdoc/>
    public string Describe() => Data.Source switch
    {
        MnistSource m => $"MLP {Architecture}, on the first {Data.Count} MNIST images of {m.ImagesPath}{(m.Pool > 0 ? $", average-pooled to {m.Pool}×{m.Pool}" : "")}",
        GeneratedClassificationSource g => $"MLP {Architecture}, on {g.Samples} generated samples ({g.Inputs} inputs, {g.Classes} classes, seed {g.Seed})",
        _ => throw new InvalidOperationException($"unknown network data source {Data.Source.GetType().Name}"),
    };

    /// <summary>The kernel struct with its data in <paramref name="store"/>.</summary>
    public MlpLandscape<TP> Kernel<TP>(IParameterStore<TP> store) where TP : struct, IParameters
    {
        ArgumentNullException.ThrowIfNull(store);
        int[] activations = [.. Architecture.Activations.Select(a => (int)a)];
        return new MlpLandscape<TP>(
            store.Store(Data.Inputs()),
            store.Store(Data.TargetTable(Architecture.Loss, Architecture.OutputSize)),
            Widths,
            activations,
            (int)Architecture.Loss,
            Data.Count,
            Sampler,
            Math.Sqrt(NoiseFactor / ((double)Data.Count * BatchSize)));
    }

    /// <inheritdoc/>
    public bool Equals(MlpLandscapeSpec? other) =>
        other is not null && BatchSize == other.BatchSize && WithoutReplacement == other.WithoutReplacement
        && Architecture.ToString() == other.Architecture.ToString() && Data.Source == other.Data.Source && Data.Fingerprint() == other.Data.Fingerprint();

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BatchSize, WithoutReplacement, Architecture.ParameterCount, Data.Count);
}

/// <summary>Registration of <c>"mlp"</c>.</summary>
public sealed class MlpLandscapeRegistration : LandscapeRegistration<MlpLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "mlp";

    /// <inheritdoc/>
    public override string DimensionReason => "the parameter count of the network";

    /// <summary>A 3-4(tanh)-3 network (31 parameters) on 24 generated samples, minibatches of 4 with replacement.</summary>
    public override LandscapeSpec Example { get; } = new MlpLandscapeSpec(
        new MlpArchitecture(3, [4], 3, MlpActivation.Tanh, MlpLoss.SoftmaxCrossEntropy),
        NetworkData.Generate(new GeneratedClassificationSource(24, 3, 3, 5)),
        4,
        false);

    /// <inheritdoc/>
    public override bool GaussianNoise => false;

    /// <inheritdoc/>
    public override string? SdeModelRefusal => NetworkSampling.SdeRefusal;

    /// <inheritdoc/>
    public override IReadOnlyList<string> InitialFields => NetworkInitial.Fields;

    /// <inheritdoc/>
    internal override InitialLaw ReadInitial(ObjectFields initial, LandscapeSpec spec)
    {
        var mlp = (MlpLandscapeSpec)spec;
        return NetworkInitial.Read(initial, mlp.Reference, seed => MlpInitialisation.PyTorchDefault(mlp.Architecture, seed));
    }

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "widths", "activations", "loss", "data", "batchSize", "sampling");
        JsonField widthsField = landscape.Required("widths");
        List<JsonField> widthItems = widthsField.AsArray();
        if (widthItems.Count < 2 || widthItems.Count > MlpLandscape<DeviceParameters>.MaxLayers + 1)
        {
            throw widthsField.Error($"give 2 to {MlpLandscape<DeviceParameters>.MaxLayers + 1} widths: the input, the hidden layers and the output (got {widthItems.Count})");
        }

        int[] widths = [.. widthItems.Select(w => (int)w.AsInteger(1, Limits.MaxStateDimension))];
        MlpLoss loss = MlpLoss.SoftmaxCrossEntropy;
        if (landscape.Optional("loss") is { } lossField)
        {
            loss = lossField.AsString() switch
            {
                "softmaxCrossEntropy" => MlpLoss.SoftmaxCrossEntropy,
                "meanSquared" => MlpLoss.MeanSquared,
                string other => throw lossField.Error($"unknown loss {ScenarioFields.Quote(other)} (expected \"softmaxCrossEntropy\" or \"meanSquared\")"),
            };
        }

        var activations = ReadActivations(landscape, widths.Length - 2);
        long parameters = 0;
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            parameters += (long)widths[l + 1] * (widths[l] + 1);
        }

        if (parameters > Limits.MaxStateDimension)
        {
            throw widthsField.Error($"the network has {parameters} parameters; an ensemble state holds at most {Limits.MaxStateDimension}");
        }

        JsonField dataField = landscape.Required("data");
        NetworkData data = ReadData(dataField);
        if (data.InputSize != widths[0])
        {
            throw widthsField.Error($"the first width is the input size: the data has {data.InputSize} inputs per sample, the network {widths[0]}");
        }

        if (widths[^1] < data.Classes)
        {
            throw widthsField.Error($"the last width is the output size: the data has {data.Classes} classes, the network {widths[^1]} outputs");
        }

        // every data set has at least two classes, so the output width satisfies the architecture's own checks here
        var architecture = new MlpArchitecture(widths[0], widths[1..^1], widths[^1], activations, loss);
        var (batch, without) = NetworkSampling.Read(landscape, data.Count, MlpLandscapeSpec.MaxBatchSize);
        return new MlpLandscapeSpec(architecture, data, batch, without);
    }

    private static MlpActivation[] ReadActivations(ObjectFields landscape, int hidden)
    {
        if (landscape.Optional("activations") is not { } field)
        {
            return hidden == 0 ? [] : throw landscape.Missing("activations", $"one per hidden layer ({hidden}): \"tanh\", \"silu\" or \"relu\"");
        }

        List<JsonField> items = field.AsArray();
        if (items.Count != hidden)
        {
            throw field.Error($"give one activation per hidden layer: {hidden}, not {items.Count}");
        }

        return [.. items.Select(NetworkSampling.Activation)];
    }

    private static NetworkData ReadData(JsonField field)
    {
        ObjectFields data = field.AsObject();
        data.RejectUnknown("mnist", "generate", "sha256");
        if (data.Has("mnist") == data.Has("generate"))
        {
            throw data.Error("give exactly one of \"mnist\" (idx files) or \"generate\" (a synthetic classification set)");
        }

        NetworkData read;
        if (data.Optional("generate") is { } generateField)
        {
            ObjectFields generate = generateField.AsObject();
            generate.RejectUnknown("samples", "inputs", "classes", "seed");
            read = NetworkData.Generate(new GeneratedClassificationSource(
                (int)generate.Required("samples").AsInteger(1, NetworkData.MaxSamples),
                (int)generate.Required("inputs").AsInteger(1, NetworkData.MaxInputs),
                (int)generate.Required("classes").AsInteger(2, 256),
                generate.Has("seed") ? (int)generate.Required("seed").AsInteger(0, int.MaxValue) : 0));
        }
        else
        {
            JsonField mnistField = data.Required("mnist");
            MnistSource source = ReadMnist(mnistField);
            try
            {
                read = NetworkData.Load(source);
            }
            catch (MnistDataException e)
            {
                throw new ScenarioException(mnistField.Path, e.Message, innerException: e);
            }
        }

        if (data.Optional("sha256") is { } pinned && !string.Equals(pinned.AsString(), read.Fingerprint(), StringComparison.OrdinalIgnoreCase))
        {
            throw pinned.Error($"the data have changed: the samples hash to {read.Fingerprint()}, the scenario pins {pinned.AsString()}");
        }

        return read;
    }

    private static MnistSource ReadMnist(JsonField field)
    {
        ObjectFields mnist = field.AsObject();
        mnist.RejectUnknown("images", "labels", "count", "pool");
        if (mnist.Has("images") != mnist.Has("labels"))
        {
            throw mnist.Error("give both \"images\" and \"labels\", or neither (the test set in ../shared/data/mnist beside the repository root when present, else the repository's data/mnist-subset)");
        }

        int? count = mnist.Optional("count") is { } countField ? (int)countField.AsInteger(1, NetworkData.MaxSamples) : null;
        int pool = mnist.Optional("pool") is { } poolField ? (int)poolField.AsInteger(1, 28) : 0;
        if (mnist.Optional("images") is { } images)
        {
            return new MnistSource(images.AsFilePath(), mnist.Required("labels").AsFilePath(), count, pool);
        }

        try
        {
            MnistFiles files = MnistData.DefaultPaths(field.BaseDirectory);
            return new MnistSource(files.ImagesPath, files.LabelsPath, count, pool);
        }
        catch (MnistDataException e)
        {
            throw field.Error(e.Message);
        }
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, MlpLandscapeSpec spec)
    {
        writer.WriteStartArray("widths");
        foreach (int w in spec.Widths)
        {
            writer.WriteNumberValue(w);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("activations");
        foreach (MlpActivation a in spec.Architecture.Activations)
        {
            writer.WriteStringValue(MlpArchitecture.Name(a));
        }

        writer.WriteEndArray();
        writer.WriteString("loss", MlpArchitecture.Name(spec.Architecture.Loss));
        writer.WriteStartObject("data");
        switch (spec.Data.Source)
        {
            case MnistSource mnist:
                writer.WriteStartObject("mnist");
                writer.WriteString("images", mnist.ImagesPath);
                writer.WriteString("labels", mnist.LabelsPath);

                if (mnist.Count is { } count)
                {
                    writer.WriteNumber("count", count);
                }

                if (mnist.Pool > 0)
                {
                    writer.WriteNumber("pool", mnist.Pool);
                }

                writer.WriteEndObject();
                writer.WriteString("sha256", spec.Data.Fingerprint());
                break;
            case GeneratedClassificationSource generated:
                writer.WriteStartObject("generate");
                writer.WriteNumber("samples", generated.Samples);
                writer.WriteNumber("inputs", generated.Inputs);
                writer.WriteNumber("classes", generated.Classes);
                writer.WriteNumber("seed", generated.Seed);
                writer.WriteEndObject();
                break;
            default:
                throw new InvalidOperationException($"unknown network data source {spec.Data.Source.GetType().Name}");
        }

        writer.WriteEndObject();
        NetworkSampling.Write(writer, spec.BatchSize, spec.WithoutReplacement);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(MlpLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(spec.Kernel(store));

    /// <inheritdoc/>
    protected override GridLandscape Grid(MlpLandscapeSpec spec) => throw new ArgumentException(NetworkSampling.GridRefusal, nameof(spec));
}
