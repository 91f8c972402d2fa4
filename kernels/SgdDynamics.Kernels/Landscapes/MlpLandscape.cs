using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// The training loss of a multilayer perceptron on a finite data set of n samples, the state x being the flat parameter
/// vector θ (each lane its own network): <c>z_l = W_l a_{l−1} + b_l</c>, <c>a_l = σ_l(z_l)</c> for the hidden layers,
/// the linear output <c>f = z_L</c>, and the per-sample loss softmax cross-entropy <c>log Σ_c e^{f_c} − f_y</c> (y the
/// class label) or half the squared error <c>½‖f − y‖²</c>. One step's gradient is the minibatch mean
/// <c>(1/B) Σ_{j&lt;B} ∇ℓ_{i_j}(θ)</c> over the step's indices i_j (<see cref="IndexSampler"/>), each lane gathering
/// its own samples.
/// <para>
/// <b>Parameter layout</b> (the double-precision reference's, <c>SgdDynamics.Networks.MlpArchitecture</c>): layer by
/// layer from the input, W_l row-major [out, in] (entry (o, i) at <c>WeightOffset(l) + o·in + i</c>), then b_l [out];
/// P = Σ_l out_l·(in_l + 1) = <see cref="Dimension"/>. At most <see cref="MaxLayers"/> affine layers.
/// </para>
/// <para>
/// <b>Scratch layout</b> (g's coordinates from P on, <see cref="ScratchCoordinates"/> of them): the sample's input a_0
/// (in_0), then per hidden layer l its pre-activation z_l (out_l) and activation a_l (out_l), then the output z_L
/// (out_L). The backward pass overwrites each z_l with its error δ_l = ∂ℓ/∂z_l. 36 → 8 → 10 needs 36 + 16 + 10 = 62.
/// <see cref="MeanGradient"/> and <see cref="AddGaussianNoise"/> use the same scratch coordinates of their g, so the view
/// they are given must have them too.
/// </para>
/// <para>
/// <b>Order of operations</b> (fixed, so every lane type gives the same bits; the device lane agrees to rounding): samples
/// in minibatch order; forward: z_l[o] = b_l[o], then += W_l[o, i]·a_{l−1}[i] for i ascending (fused multiply-adds);
/// cross-entropy: m = max_c z_L[c] (c ascending), e_c = exp(z_L[c] − m) (<see cref="LaneMath.Exp{T}"/>), S = Σ_c e_c
/// (c ascending), δ_L[c] = (e_c / S − [c = y])·w (correctly rounded division; the one-hot by two exact selects);
/// squared error: δ_L[c] = (z_L[c] − y_c)·w; backward, layers from the output: g[b_l[o]] += δ_l[o],
/// g[W_l[o, i]] += δ_l[o]·a_{l−1}[i] (i ascending), then for l &gt; 0 δ_{l−1}[i] = (Σ_o W_l[o, i]·δ_l[o], o ascending)·σ′(z_{l−1}[i]).
/// The sample weight w is 1 in <see cref="Gradient"/> and <see cref="MeanGradient"/> (exact), which end with g ·= 1/B and
/// g ·= 1/n.
/// </para>
/// <para>
/// <b>Cost</b> per sample: forward P and backward 2P multiply-adds (less the first layer's input error, which is not
/// formed) plus, per hidden unit, one or two exponentials and divisions (two for SiLU and tanh: value and derivative), and
/// out_L exponentials and divisions for cross-entropy; so one <see cref="Gradient"/> is ≈ 3·B·P multiply-adds,
/// <see cref="MeanGradient"/> ≈ 3·n·P and <see cref="AddGaussianNoise"/> ≈ 3·n·P plus 2n normals.
/// </para>
/// <para>
/// The SDE models' Gaussian noise of covariance Σ(θ) = (f/(nB)) Σ_i (∇ℓ_i − ḡ)(∇ℓ_i − ḡ)ᵀ is drawn through the per-sample
/// gradients, <c>ξ = √(f/(nB)) Σ_i z_i (∇ℓ_i − ḡ) = √(f/(nB)) Σ_i (z_i − z̄) ∇ℓ_i</c>, z̄ the mean of the n normals
/// (the second form needs no storage for ḡ: the normals are drawn twice, once for z̄), f = 1 with replacement and
/// (n − B)/(n − 1) without.
/// </para>
/// </summary>
/// <typeparam name="TP">Where the data lives.</typeparam>
public readonly struct MlpLandscape<TP> : ILandscape, ISampleGradients where TP : struct, IParameters
{
    /// <summary>The most affine layers (three hidden layers).</summary>
    public const int MaxLayers = 4;

    /// <summary>Activation code of tanh (the value of <c>MlpActivation.Tanh</c>).</summary>
    public const int Tanh = NetworkLayers.Tanh;

    /// <summary>Activation code of SiLU x·σ(x) (the value of <c>MlpActivation.Silu</c>).</summary>
    public const int Silu = NetworkLayers.Silu;

    /// <summary>Activation code of ReLU max(x, 0), derivative 0 at 0 (the value of <c>MlpActivation.Relu</c>).</summary>
    public const int Relu = NetworkLayers.Relu;

    /// <summary>Loss code of softmax cross-entropy on class labels (the value of <c>MlpLoss.SoftmaxCrossEntropy</c>).</summary>
    public const int SoftmaxCrossEntropy = 0;

    /// <summary>Loss code of ½‖f − y‖² on real targets (the value of <c>MlpLoss.MeanSquared</c>).</summary>
    public const int MeanSquared = 1;

    private readonly TP inputs;
    private readonly TP targets;
    private readonly int layers;
    private readonly int width0, width1, width2, width3, width4;
    private readonly int activation0, activation1, activation2;
    private readonly int loss;
    private readonly int parameters;
    private readonly int scratch;
    private readonly int count;
    private readonly IndexSampler sampler;
    private readonly float inverseBatch;
    private readonly float inverseCount;
    private readonly float noiseScale;

    /// <summary>
    /// The landscape of the network with layer widths <paramref name="widths"/> (input, hidden…, output: 2 to
    /// <see cref="MaxLayers"/> + 1 entries) and hidden activations <paramref name="activations"/> (one code per hidden
    /// layer) under loss <paramref name="loss"/>, on <paramref name="count"/> samples: <paramref name="inputs"/> n rows of
    /// widths[0] floats, <paramref name="targets"/> n rows of one float (the class label, cross-entropy) or widths[^1]
    /// floats (squared error); minibatches drawn by <paramref name="sampler"/>; <paramref name="noiseScale"/> = √(f/(nB)).
    /// </summary>
    public MlpLandscape(TP inputs, TP targets, ReadOnlySpan<int> widths, ReadOnlySpan<int> activations, int loss, int count, IndexSampler sampler, double noiseScale)
    {
        if (widths.Length < 2 || widths.Length > MaxLayers + 1)
        {
            throw new ArgumentException($"A network has 1 to {MaxLayers} affine layers: {widths.Length} widths.", nameof(widths));
        }

        if (activations.Length != widths.Length - 2)
        {
            throw new ArgumentException($"{widths.Length - 2} hidden layers need as many activations, not {activations.Length}.", nameof(activations));
        }

        foreach (int width in widths)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(widths));
        }

        foreach (int activation in activations)
        {
            if (activation is < Tanh or > Relu) throw new ArgumentOutOfRangeException(nameof(activations), activation, "Unknown activation code.");
        }

        if (loss is not (SoftmaxCrossEntropy or MeanSquared)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss code.");
        if (loss == SoftmaxCrossEntropy && widths[^1] < 2) throw new ArgumentException("Cross-entropy needs at least two classes.", nameof(widths));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);

        this.inputs = inputs;
        this.targets = targets;
        layers = widths.Length - 1;
        width0 = widths[0];
        width1 = widths[1];
        width2 = layers >= 2 ? widths[2] : 0;
        width3 = layers >= 3 ? widths[3] : 0;
        width4 = layers >= 4 ? widths[4] : 0;
        activation0 = activations.Length > 0 ? activations[0] : 0;
        activation1 = activations.Length > 1 ? activations[1] : 0;
        activation2 = activations.Length > 2 ? activations[2] : 0;
        this.loss = loss;
        long p = 0, s = widths[0] + widths[^1];
        for (int l = 0; l < layers; l++)
        {
            p += (long)widths[l + 1] * (widths[l] + 1);
            if (l < layers - 1)
            {
                s += 2L * widths[l + 1];
            }
        }

        if (p + s > int.MaxValue) throw new ArgumentException("The network is too large.", nameof(widths));
        parameters = (int)p;
        scratch = (int)s;
        this.count = count;
        this.sampler = sampler;
        inverseBatch = (float)(1.0 / sampler.PerStep);
        inverseCount = (float)(1.0 / count);
        this.noiseScale = (float)noiseScale;
    }

    /// <inheritdoc/>
    /// <remarks>P, the number of network parameters.</remarks>
    public int Dimension => parameters;

    /// <inheritdoc/>
    public int NormalsPerStep => 0;

    /// <inheritdoc/>
    public int UniformsPerStep => 0;

    /// <inheritdoc/>
    public IndexSampler Sampler => sampler;

    /// <inheritdoc/>
    /// <remarks>The input, the hidden pre-activations and activations and the output (see the type's scratch layout).</remarks>
    public int ScratchCoordinates => scratch;

    /// <inheritdoc/>
    public int NoiseNormals => count;

    /// <inheritdoc/>
    /// <remarks>
    /// Samples in minibatch order, each gathered per lane into the scratch coordinates, forward, then backward adding
    /// ∇ℓ_i into g[0 … P); finally g ·= 1/B (see the type for the order of operations). ≈ 3·B·P multiply-adds.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        NetworkLayers.Gradient<MlpLandscape<TP>, T, TS, TN>(this, x, g, normals, step, sampler, parameters, inverseBatch);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// All n samples in order, each read once for every lane (no gathers), forward and backward, then g ·= 1/n: ≈ 3·n·P
    /// multiply-adds, n/B times a <see cref="Gradient"/>. Uses g's scratch coordinates as <see cref="Gradient"/> does.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        NetworkLayers.MeanGradient<MlpLandscape<TP>, T, TS>(this, x, g, count, parameters, inverseCount);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// g += s Σ_i (z_i − z̄) ∇ℓ_i(θ), s = √(f/(nB)): the n normals are drawn twice, first for their mean z̄ (= (Σ_i z_i)·(1/n),
    /// summed in order), then with sample i's gradient weighted by s·(z_i − z̄) (samples in order). ≈ 3·n·P multiply-adds.
    /// Uses g's scratch coordinates as <see cref="Gradient"/> does.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        NetworkLayers.AddGaussianNoise<MlpLandscape<TP>, T, TS, TN>(this, x, g, normals, step, count, inverseCount, noiseScale);
    }

    /// <summary>Width k of the network (0: inputs, <c>layers</c>: outputs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Width(int k) => k switch
    {
        0 => width0,
        1 => width1,
        2 => width2,
        3 => width3,
        _ => width4,
    };

    /// <summary>The activation code of hidden layer l (after affine layer l).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Activation(int l) => l switch
    {
        0 => activation0,
        1 => activation1,
        _ => activation2,
    };

    /// <summary>Offset of W_l in θ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int WeightOffset(int l)
    {
        int offset = 0;
        for (int k = 0; k < l; k++)
        {
            offset += Width(k + 1) * (Width(k) + 1);
        }

        return offset;
    }

    /// <summary>Coordinate of z_l (and δ_l) in g: after the input and the (z, a) pairs of the hidden layers before l.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int PreActivationOffset(int l)
    {
        int offset = parameters + width0;
        for (int k = 1; k <= l; k++)
        {
            offset += 2 * Width(k);
        }

        return offset;
    }

    /// <summary>Coordinate in g of a_l, the input of layer l + 1 (l = −1: the network input).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ActivationOffset(int l) => l < 0 ? parameters : PreActivationOffset(l) + Width(l + 1);

    /// <summary>
    /// g[0 … P) += w·∇ℓ(θ) for one sample (per lane at <paramref name="index"/> when <paramref name="gather"/>, else sample
    /// <paramref name="sample"/> in every lane): the forward and backward passes in the type's order of operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ISampleGradients.AddSampleGradient<T, TS>(TS x, TS g, T index, int sample, bool gather, T weight)
    {
        // the input a_0
        int input = parameters;
        for (int f = 0; f < width0; f++)
        {
            g.Set(input + f, NetworkLayers.Load(inputs, gather, index, sample, width0, f));
        }

        // forward
        int weights = 0;
        for (int l = 0; l < layers; l++)
        {
            int fanIn = Width(l), fanOut = Width(l + 1);
            bool hidden = l < layers - 1;
            NetworkLayers.AffineForward<T, TS>(
                x, g, weights, fanIn, fanOut, ActivationOffset(l - 1), PreActivationOffset(l), hidden, hidden ? Activation(l) : 0);
            weights += fanOut * (fanIn + 1);
        }

        // output error δ_L = w·∂ℓ/∂z_L, over the logits
        int classes = Width(layers), output = PreActivationOffset(layers - 1);
        if (loss == SoftmaxCrossEntropy)
        {
            NetworkLayers.SoftmaxCrossEntropyError(g, output, classes, NetworkLayers.Load(targets, gather, index, sample, 1, 0), weight);
        }
        else
        {
            for (int c = 0; c < classes; c++)
            {
                T y = NetworkLayers.Load(targets, gather, index, sample, classes, c);
                g.Set(output + c, T.Mul(T.Sub(g.Get(output + c), y), weight));
            }
        }

        // backward
        for (int l = layers - 1; l >= 0; l--)
        {
            int fanIn = Width(l), fanOut = Width(l + 1);
            int w = WeightOffset(l), delta = PreActivationOffset(l);
            NetworkLayers.AffineBackward<T, TS>(g, w, fanIn, fanOut, ActivationOffset(l - 1), delta);
            if (l > 0)
            {
                // δ_{l−1} = σ′(z_{l−1}) ⊙ W_lᵀ δ_l, in place of z_{l−1}
                NetworkLayers.HiddenError<T, TS>(x, g, w, fanIn, fanOut, delta, PreActivationOffset(l - 1), Activation(l - 1));
            }
        }
    }
}
