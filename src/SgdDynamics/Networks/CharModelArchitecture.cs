using System.Globalization;

namespace SgdDynamics.Networks;

/// <summary>
/// A character-level language model (scenario type <c>charModel</c>): the previous c characters (symbol indices of an
/// alphabet of V symbols, <see cref="Data.CharCorpus"/>) are looked up in an embedding table E [V, e], their embeddings
/// are concatenated oldest first into x ∈ ℝ^{c·e}, and an MLP with one hidden layer of width h gives the logits
/// <c>f = W₂ σ(W₁ x + b₁) + b₂ ∈ ℝ^V</c>; the per-sample loss is the softmax cross-entropy of the next character
/// (<see cref="MlpLoss.SoftmaxCrossEntropy"/>). The MLP part is <see cref="Mlp"/>, c·e → h → V.
/// <para>
/// <b>Flat parameter layout</b> (the layout of a parameter vector θ everywhere, and of <c>reference.npy</c>): the
/// embedding table E row-major [V, e] first (entry <c>E[s, k]</c> at <c>s · e + k</c>), then the MLP's parameters in
/// the MLP layout (<see cref="MlpArchitecture"/>) from offset <see cref="MlpOffset"/> = V · e: W₁ [h, c·e] row-major,
/// b₁ [h], W₂ [V, h] row-major, b₂ [V]. Column <c>j · e + k</c> of W₁ reads component k of the embedding of context
/// position j (j = 0 the oldest character). P = V·e + h·(c·e + 1) + V·(h + 1); e.g. V = 27, c = 3, e = 4, h = 16 has
/// 108 + 208 + 459 = 775. This is the order of <c>torch.cat([p.flatten() for p in model.parameters()])</c> for
/// <c>nn.Embedding(V, e)</c>, <c>nn.Linear(c·e, h)</c>, <c>nn.Linear(h, V)</c> registered in that order, with the
/// embeddings flattened by <c>emb(ctx).view(-1, c·e)</c>.
/// </para>
/// </summary>
public sealed class CharModelArchitecture
{
    /// <summary>A character model with the given sizes and hidden activation.</summary>
    /// <param name="alphabetSize">V, the number of symbols (at least 2; the boundary included).</param>
    /// <param name="contextLength">c, the number of previous characters read (at least 1).</param>
    /// <param name="embeddingDimension">e, the dimension of a character's embedding (at least 1).</param>
    /// <param name="hiddenWidth">h, the width of the hidden layer (at least 1).</param>
    /// <param name="activation">The hidden activation.</param>
    public CharModelArchitecture(int alphabetSize, int contextLength, int embeddingDimension, int hiddenWidth, MlpActivation activation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(alphabetSize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenWidth, 1);
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        long input = (long)contextLength * embeddingDimension;
        long embedding = (long)alphabetSize * embeddingDimension;
        long total = embedding + (hiddenWidth * (input + 1)) + ((long)alphabetSize * (hiddenWidth + 1L));
        if (total > int.MaxValue) throw new ArgumentException("The model has more than 2^31 − 1 parameters.");

        AlphabetSize = alphabetSize;
        ContextLength = contextLength;
        EmbeddingDimension = embeddingDimension;
        HiddenWidth = hiddenWidth;
        Activation = activation;
        Mlp = new MlpArchitecture((int)input, [hiddenWidth], alphabetSize, activation, MlpLoss.SoftmaxCrossEntropy);
        ParameterCount = (int)total;
    }

    /// <summary>V, the number of symbols (the softmax size).</summary>
    public int AlphabetSize { get; }

    /// <summary>c, the number of previous characters read.</summary>
    public int ContextLength { get; }

    /// <summary>e, the embedding dimension.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>h, the hidden width.</summary>
    public int HiddenWidth { get; }

    /// <summary>The hidden activation.</summary>
    public MlpActivation Activation { get; }

    /// <summary>The MLP on the embedded context: c·e → h (<see cref="Activation"/>) → V, softmax cross-entropy.</summary>
    public MlpArchitecture Mlp { get; }

    /// <summary>Number of entries of the embedding table, V · e (its offset is 0).</summary>
    public int EmbeddingSize => AlphabetSize * EmbeddingDimension;

    /// <summary>Offset of the MLP's parameters (its W₁) in the flat vector: V · e.</summary>
    public int MlpOffset => EmbeddingSize;

    /// <summary>Total number of parameters P = V·e + h·(c·e + 1) + V·(h + 1).</summary>
    public int ParameterCount { get; }

    /// <summary>Offset of the embedding row of symbol <paramref name="symbol"/> (e entries) in the flat vector: symbol · e.</summary>
    /// <param name="symbol">Symbol index, 0 ≤ symbol &lt; V.</param>
    public int EmbeddingOffset(int symbol)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(symbol);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(symbol, AlphabetSize);
        return symbol * EmbeddingDimension;
    }

    /// <summary>
    /// Offset of the row-major weight matrix of MLP layer <paramref name="layer"/> (0: W₁ [h, c·e]; 1: W₂ [V, h]) in the
    /// flat vector.
    /// </summary>
    /// <param name="layer">0 or 1.</param>
    public int WeightOffset(int layer) => MlpOffset + Mlp.WeightOffset(layer);

    /// <summary>Offset of the bias of MLP layer <paramref name="layer"/> (0: b₁ [h]; 1: b₂ [V]) in the flat vector.</summary>
    /// <param name="layer">0 or 1.</param>
    public int BiasOffset(int layer) => MlpOffset + Mlp.BiasOffset(layer);

    /// <summary>E.g. <c>charModel V=27 c=3 e=4 h=16(tanh), 775 parameters</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"charModel V={AlphabetSize} c={ContextLength} e={EmbeddingDimension} h={HiddenWidth}({MlpArchitecture.Name(Activation)}), "
        + $"{ParameterCount} parameters");
}
