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
/// The training loss of a character-level language model (<see cref="CharModelArchitecture"/>: an embedding of the
/// previous c characters, one hidden layer, softmax over the alphabet), the state being its flat parameter vector (E
/// [V, e] row-major, then the MLP's layers), on the samples of a word list (<see cref="CharCorpus"/>), minibatches of
/// <paramref name="BatchSize"/> drawn with or without replacement. Runs <see cref="CharModelLandscape{TP}"/>.
/// </summary>
/// <param name="Architecture">V, c, e, h and the hidden activation.</param>
/// <param name="Corpus">The word list.</param>
/// <param name="Samples">Its samples for context length c.</param>
/// <param name="LowerCase">Whether the corpus was lower-cased when read.</param>
/// <param name="BatchSize">B ≥ 1 (≤ n without replacement).</param>
/// <param name="WithoutReplacement">True for epochs of permutations.</param>
public sealed record CharModelLandscapeSpec(CharModelArchitecture Architecture, CharCorpus Corpus, CharSamples Samples, bool LowerCase, int BatchSize, bool WithoutReplacement)
    : LandscapeSpec, INetworkLandscape
{
    /// <summary>P, the number of parameters.</summary>
    public override int Dimension => Architecture.ParameterCount;

    /// <inheritdoc/>
    public int SampleCount => Samples.Count;

    /// <inheritdoc/>
    public double NoiseFactor => NetworkSampling.NoiseFactor(WithoutReplacement, Samples.Count, BatchSize);

    /// <inheritdoc/>
    public IndexSampler Sampler => NetworkSampling.Sampler(WithoutReplacement, Samples.Count, BatchSize);

    /// <summary>The double-precision reference of the same model on the same samples.</summary>
    public CharModelReference Reference() => new(Architecture, Samples);

    /// <inheritdoc/>
    NetworkReference INetworkLandscape.Reference() => Reference();

    /// <inheritdoc/>
    public LandscapeSpec WithSampling(bool withoutReplacement) => this with { WithoutReplacement = withoutReplacement };

    /// <inheritdoc/>
    public string Describe() =>
        $"character model {Architecture} on {Samples.Count} samples of {Corpus.Words.Count} words from {Corpus.Source}";

    /// <inheritdoc/>
    /// <remarks><c>corpus</c> (path), <c>words</c>, <c>alphabet</c> (V), <c>context</c>, <c>count</c> (samples), <c>sha256</c> of the file.</remarks>
    public JsonObject DataJson() => new()
    {
        ["corpus"] = Corpus.Source,
        ["words"] = Corpus.Words.Count,
        ["alphabet"] = Architecture.AlphabetSize,
        ["context"] = Architecture.ContextLength,
        ["lowerCase"] = LowerCase,
        ["count"] = Samples.Count,
        ["sha256"] = Corpus.Sha256,
    };

    /// <summary>The kernel struct with its data in <paramref name="store"/>.</summary>
    public CharModelLandscape<TP> Kernel<TP>(IParameterStore<TP> store) where TP : struct, IParameters
    {
        ArgumentNullException.ThrowIfNull(store);
        return new CharModelLandscape<TP>(
            store.Store([.. Samples.Contexts.Select(s => (float)s)]),
            store.Store([.. Samples.Targets.Select(s => (float)s)]),
            Architecture.AlphabetSize,
            Architecture.ContextLength,
            Architecture.EmbeddingDimension,
            Architecture.HiddenWidth,
            (int)Architecture.Activation,
            Samples.Count,
            Sampler,
            Math.Sqrt(NoiseFactor / ((double)Samples.Count * BatchSize)));
    }

    /// <inheritdoc/>
    public bool Equals(CharModelLandscapeSpec? other) =>
        other is not null && BatchSize == other.BatchSize && WithoutReplacement == other.WithoutReplacement && LowerCase == other.LowerCase
        && Architecture.ToString() == other.Architecture.ToString() && Corpus.Source == other.Corpus.Source && Corpus.Sha256 == other.Corpus.Sha256;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(BatchSize, WithoutReplacement, Architecture.ParameterCount, Samples.Count);
}

/// <summary>Registration of <c>"charModel"</c>.</summary>
public sealed class CharModelLandscapeRegistration : LandscapeRegistration<CharModelLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "charModel";

    /// <inheritdoc/>
    public override string DimensionReason => "the parameter count of the character model";

    /// <summary>A model with c = 2, e = 2, h = 3 (tanh) on six short words, minibatches of 4 with replacement.</summary>
    public override LandscapeSpec Example { get; } = Build(CharCorpus.Parse("ab\nba\naab\nbb\nabc\ncab\n", InlineSource), 2, 2, 3, MlpActivation.Tanh, false, 4, false);

    /// <summary>The <see cref="CharCorpus.Source"/> of a corpus given inline (<c>"corpus": {"words": [...]}</c>).</summary>
    public const string InlineSource = "(inline words)";

    /// <summary>The most words a scenario gives inline.</summary>
    public const int MaxInlineWords = 4096;

    /// <inheritdoc/>
    public override bool GaussianNoise => false;

    /// <inheritdoc/>
    public override string? SdeModelRefusal => NetworkSampling.SdeRefusal;

    /// <inheritdoc/>
    public override IReadOnlyList<string> InitialFields => NetworkInitial.Fields;

    private static CharModelLandscapeSpec Build(CharCorpus corpus, int context, int embedding, int hidden, MlpActivation activation, bool lowerCase, int batch, bool without)
    {
        var architecture = new CharModelArchitecture(corpus.Alphabet.Count, context, embedding, hidden, activation);
        return new CharModelLandscapeSpec(architecture, corpus, corpus.Samples(context), lowerCase, batch, without);
    }

    /// <inheritdoc/>
    internal override InitialLaw ReadInitial(ObjectFields initial, LandscapeSpec spec)
    {
        var model = (CharModelLandscapeSpec)spec;
        return NetworkInitial.Read(initial, model.Reference, seed => CharModelInitialisation.PyTorchDefault(model.Architecture, seed));
    }

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "corpus", "lowerCase", "context", "embedding", "hidden", "activation", "batchSize", "sampling");
        JsonField corpusField = landscape.Required("corpus");
        ObjectFields corpusFields = corpusField.AsObject();
        corpusFields.RejectUnknown("file", "sha256", "words");
        bool lowerCase = landscape.Optional("lowerCase")?.AsBoolean() ?? false;
        CharCorpus corpus;
        try
        {
            if (corpusFields.Optional("words") is { } wordsField)
            {
                if (corpusFields.Has("file"))
                {
                    throw corpusField.Error("give \"file\" or \"words\", not both");
                }

                List<JsonField> words = wordsField.AsArray();
                if (words.Count < 1 || words.Count > MaxInlineWords)
                {
                    throw wordsField.Error($"give 1 to {MaxInlineWords} words inline (got {words.Count}); put more in a file");
                }

                foreach (JsonField word in words)
                {
                    if (string.IsNullOrWhiteSpace(word.AsString()) || word.AsString().IndexOfAny(['\n', '\r']) >= 0)
                    {
                        throw word.Error("a word is a non-blank string without line breaks");
                    }
                }

                corpus = CharCorpus.Parse(string.Join('\n', words.Select(w => w.AsString())) + "\n", InlineSource, new CharCorpusOptions { LowerCase = lowerCase });
            }
            else
            {
                string path = corpusFields.Optional("file") is { } file ? file.AsFilePath() : CharCorpusFiles.Example(corpusField.BaseDirectory);
                corpus = CharCorpus.Load(path, new CharCorpusOptions { LowerCase = lowerCase });
            }
        }
        catch (CharCorpusException e)
        {
            throw corpusField.Error(e.Message);
        }

        if (corpusFields.Optional("sha256") is { } pinned && !string.Equals(pinned.AsString(), corpus.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw pinned.Error($"the corpus has changed: it hashes to {corpus.Sha256}, the scenario pins {pinned.AsString()}");
        }

        int context = (int)landscape.Required("context").AsInteger(1, CharCorpus.MaxContextLength);
        int embedding = (int)landscape.Required("embedding").AsInteger(1, Limits.MaxStateDimension);
        int hidden = (int)landscape.Required("hidden").AsInteger(1, Limits.MaxStateDimension);
        MlpActivation activation = NetworkSampling.Activation(landscape.Required("activation"));
        long v = corpus.Alphabet.Count;
        long parameters = (v * embedding) + (hidden * (((long)context * embedding) + 1)) + (v * (hidden + 1L));
        if (parameters > Limits.MaxStateDimension)
        {
            throw landscape.Error($"the model has {parameters} parameters (V = {v} symbols, c = {context}, e = {embedding}, h = {hidden}); an ensemble state holds at most {Limits.MaxStateDimension}");
        }

        CharSamples samples = corpus.Samples(context);
        var (batch, without) = NetworkSampling.Read(landscape, samples.Count, MlpLandscapeSpec.MaxBatchSize);
        return new CharModelLandscapeSpec(new CharModelArchitecture((int)v, context, embedding, hidden, activation), corpus, samples, lowerCase, batch, without);
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, CharModelLandscapeSpec spec)
    {
        writer.WriteStartObject("corpus");
        if (spec.Corpus.Source == InlineSource)
        {
            writer.WriteStartArray("words");
            foreach (string word in spec.Corpus.Words)
            {
                writer.WriteStringValue(word);
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteString("file", spec.Corpus.Source);
            writer.WriteString("sha256", spec.Corpus.Sha256);
        }

        writer.WriteEndObject();
        writer.WriteBoolean("lowerCase", spec.LowerCase);
        writer.WriteNumber("context", spec.Architecture.ContextLength);
        writer.WriteNumber("embedding", spec.Architecture.EmbeddingDimension);
        writer.WriteNumber("hidden", spec.Architecture.HiddenWidth);
        writer.WriteString("activation", MlpArchitecture.Name(spec.Architecture.Activation));
        NetworkSampling.Write(writer, spec.BatchSize, spec.WithoutReplacement);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(CharModelLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(spec.Kernel(store));

    /// <inheritdoc/>
    protected override GridLandscape Grid(CharModelLandscapeSpec spec) => throw new ArgumentException(NetworkSampling.GridRefusal, nameof(spec));
}
