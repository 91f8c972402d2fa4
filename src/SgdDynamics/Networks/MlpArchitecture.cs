namespace SgdDynamics.Networks;

/// <summary>Activation of a hidden layer of a multilayer perceptron.</summary>
public enum MlpActivation
{
    /// <summary><c>tanh(z)</c>.</summary>
    Tanh,

    /// <summary><c>SiLU(z) = z · sigmoid(z)</c> (also called swish).</summary>
    Silu,

    /// <summary><c>max(z, 0)</c>, with derivative 0 at z = 0 (as in PyTorch) and second derivative 0 everywhere.</summary>
    Relu,
}

/// <summary>Per-sample loss of a multilayer perceptron with output <c>f(x) ∈ ℝ^C</c>.</summary>
public enum MlpLoss
{
    /// <summary>
    /// Softmax cross-entropy with an integer class label <c>y ∈ {0, …, C − 1}</c>:
    /// <c>ℓ = log Σ_c exp f_c − f_y</c> (natural logarithm; the logits are the raw outputs).
    /// </summary>
    SoftmaxCrossEntropy,

    /// <summary>Half the squared error with a real target <c>y ∈ ℝ^C</c>: <c>ℓ = ½ ‖f(x) − y‖²</c> (summed over outputs, not averaged).</summary>
    MeanSquared,
}

/// <summary>
/// A fully connected network <c>x = a₀ ↦ z_l = W_l a_{l−1} + b_l</c>, <c>a_l = σ_l(z_l)</c> for the hidden layers
/// <c>l = 1, …, L − 1</c>, and the linear output <c>f(x) = z_L</c>, with a per-sample loss (<see cref="MlpLoss"/>); the
/// training loss of a data set is the mean of the per-sample losses.
/// <para>
/// <b>Flat parameter layout</b> (the layout of a parameter vector θ everywhere, and of <c>reference.npy</c>): layer by layer
/// from the input, the weight matrix <c>W_l</c> row-major with shape [out, in] (entry <c>W_l[o, i]</c> at
/// <c>WeightOffset(l) + o · in + i</c>), then the bias <c>b_l</c> [out] (at <c>BiasOffset(l) + o</c>). Layer l has
/// <c>out · (in + 1)</c> parameters; e.g. 36 → 8 → 10 has 8 · 37 + 10 · 9 = 386. This is the order of
/// <c>torch.cat([p.flatten() for p in model.parameters()])</c> for a stack of <c>torch.nn.Linear</c> layers.
/// </para>
/// </summary>
public sealed class MlpArchitecture
{
    private readonly int[] _widths;
    private readonly int[] _offsets;
    private readonly MlpActivation[] _activations;

    /// <summary>A network with the given widths, one activation per hidden layer, and a loss.</summary>
    /// <param name="inputSize">Number of inputs (at least 1).</param>
    /// <param name="hiddenWidths">Widths of the hidden layers from the input (may be empty: a linear model).</param>
    /// <param name="outputSize">Number of outputs (classes for cross-entropy, at least 2; target components for the squared loss).</param>
    /// <param name="activations">One activation per hidden layer.</param>
    /// <param name="loss">The per-sample loss.</param>
    public MlpArchitecture(int inputSize, IReadOnlyList<int> hiddenWidths, int outputSize, IReadOnlyList<MlpActivation> activations, MlpLoss loss)
    {
        ArgumentNullException.ThrowIfNull(hiddenWidths);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, loss == MlpLoss.SoftmaxCrossEntropy ? 2 : 1);
        if (activations.Count != hiddenWidths.Count)
        {
            throw new ArgumentException($"{hiddenWidths.Count} hidden layers need as many activations, not {activations.Count}.", nameof(activations));
        }

        foreach (int width in hiddenWidths)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(hiddenWidths));
        }

        foreach (var activation in activations)
        {
            if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activations), activation, "Unknown activation.");
        }

        if (!Enum.IsDefined(loss)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss.");

        _widths = [inputSize, .. hiddenWidths, outputSize];
        _activations = [.. activations];
        Loss = loss;
        _offsets = new int[_widths.Length];
        long offset = 0;
        for (int layer = 0; layer < LayerCount; layer++)
        {
            _offsets[layer] = (int)offset;
            offset += (long)_widths[layer + 1] * (_widths[layer] + 1);
            if (offset > int.MaxValue) throw new ArgumentException("The network has more than 2^31 − 1 parameters.");
        }

        _offsets[LayerCount] = (int)offset;
    }

    /// <summary>A network whose hidden layers all use <paramref name="activation"/>.</summary>
    /// <param name="inputSize">Number of inputs.</param>
    /// <param name="hiddenWidths">Widths of the hidden layers from the input.</param>
    /// <param name="outputSize">Number of outputs.</param>
    /// <param name="activation">The activation of every hidden layer.</param>
    /// <param name="loss">The per-sample loss.</param>
    public MlpArchitecture(int inputSize, IReadOnlyList<int> hiddenWidths, int outputSize, MlpActivation activation, MlpLoss loss)
        : this(inputSize, hiddenWidths, outputSize, Enumerable.Repeat(activation, hiddenWidths?.Count ?? 0).ToArray(), loss)
    {
    }

    /// <summary>Number of inputs.</summary>
    public int InputSize => _widths[0];

    /// <summary>Number of outputs (classes, or target components).</summary>
    public int OutputSize => _widths[^1];

    /// <summary>Widths of the hidden layers from the input.</summary>
    public IReadOnlyList<int> HiddenWidths => _widths[1..^1];

    /// <summary>The activation of each hidden layer.</summary>
    public IReadOnlyList<MlpActivation> Activations => _activations;

    /// <summary>The per-sample loss.</summary>
    public MlpLoss Loss { get; }

    /// <summary>Number of affine layers L (hidden layers + 1).</summary>
    public int LayerCount => _widths.Length - 1;

    /// <summary>Total number of parameters P: Σ_l out_l · (in_l + 1).</summary>
    public int ParameterCount => _offsets[LayerCount];

    /// <summary>The largest width, inputs and outputs included.</summary>
    public int MaxWidth => _widths.Max();

    /// <summary>Input width of affine layer <paramref name="layer"/> (0-based; layer 0 reads the inputs).</summary>
    /// <param name="layer">Layer index, 0 ≤ layer &lt; <see cref="LayerCount"/>.</param>
    public int LayerInputSize(int layer) => _widths[CheckLayer(layer)];

    /// <summary>Output width of affine layer <paramref name="layer"/> (0-based; the last layer gives the network output).</summary>
    /// <param name="layer">Layer index, 0 ≤ layer &lt; <see cref="LayerCount"/>.</param>
    public int LayerOutputSize(int layer) => _widths[CheckLayer(layer) + 1];

    /// <summary>Offset of the row-major [out, in] weight matrix of layer <paramref name="layer"/> in the flat parameter vector.</summary>
    /// <param name="layer">Layer index, 0 ≤ layer &lt; <see cref="LayerCount"/>.</param>
    public int WeightOffset(int layer) => _offsets[CheckLayer(layer)];

    /// <summary>Offset of the bias [out] of layer <paramref name="layer"/> in the flat parameter vector (right after its weights).</summary>
    /// <param name="layer">Layer index, 0 ≤ layer &lt; <see cref="LayerCount"/>.</param>
    public int BiasOffset(int layer) => _offsets[CheckLayer(layer)] + (_widths[layer + 1] * _widths[layer]);

    /// <summary>The activation applied after affine layer <paramref name="layer"/>, a hidden layer (layer &lt; L − 1).</summary>
    /// <param name="layer">Layer index, 0 ≤ layer &lt; <see cref="LayerCount"/> − 1.</param>
    public MlpActivation ActivationAfter(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount - 1);
        return _activations[layer];
    }

    /// <summary>The activation named <c>tanh</c>, <c>silu</c> or <c>relu</c> (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    public static MlpActivation ParseActivation(string name) => name?.ToLowerInvariant() switch
    {
        "tanh" => MlpActivation.Tanh,
        "silu" => MlpActivation.Silu,
        "relu" => MlpActivation.Relu,
        _ => throw new ArgumentException($"Unknown activation '{name}': expected tanh, silu or relu.", nameof(name)),
    };

    /// <summary>The loss named <c>softmaxCrossEntropy</c> or <c>meanSquared</c> (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    public static MlpLoss ParseLoss(string name) => name?.ToLowerInvariant() switch
    {
        "softmaxcrossentropy" => MlpLoss.SoftmaxCrossEntropy,
        "meansquared" => MlpLoss.MeanSquared,
        _ => throw new ArgumentException($"Unknown loss '{name}': expected softmaxCrossEntropy or meanSquared.", nameof(name)),
    };

    /// <summary>The name of an activation as <see cref="ParseActivation"/> reads it.</summary>
    /// <param name="activation">The activation.</param>
    public static string Name(MlpActivation activation) => activation switch
    {
        MlpActivation.Tanh => "tanh",
        MlpActivation.Silu => "silu",
        MlpActivation.Relu => "relu",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>The name of a loss as <see cref="ParseLoss"/> reads it.</summary>
    /// <param name="loss">The loss.</param>
    public static string Name(MlpLoss loss) => loss switch
    {
        MlpLoss.SoftmaxCrossEntropy => "softmaxCrossEntropy",
        MlpLoss.MeanSquared => "meanSquared",
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
    };

    /// <summary>E.g. <c>36-8(silu)-10 softmaxCrossEntropy, 386 parameters</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string> { _widths[0].ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (int h = 0; h < _activations.Length; h++)
        {
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_widths[h + 1]}({Name(_activations[h])})"));
        }

        parts.Add(_widths[^1].ToString(System.Globalization.CultureInfo.InvariantCulture));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{string.Join('-', parts)} {Name(Loss)}, {ParameterCount} parameters");
    }

    private int CheckLayer(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount);
        return layer;
    }
}
