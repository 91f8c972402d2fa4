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
/// <b>Scratch layout</b> (g's coordinates from P on, <see cref="ScratchCoordinates"/> of them): <see cref="SamplesAtATime"/>
/// slots of one sample's scratch each, slot k from P + k·S: the sample's input a_0 (in_0), then per hidden layer l its
/// pre-activation z_l (out_l) and activation a_l (out_l), then the output z_L (out_L), S = in_0 + 2·Σ_hidden out_l + out_L.
/// The forward pass replaces each hidden z_l by σ′(z_l) once a_l is formed, and the backward pass overwrites that, and z_L,
/// with the errors δ_l = ∂ℓ/∂z_l. 36 → 8 → 10 has S = 36 + 16 + 10 = 62 and needs 4·62 = 248.
/// <see cref="MeanGradient"/> and <see cref="AddGaussianNoise"/> use the same scratch coordinates of their g, so the view
/// they are given must have them too.
/// </para>
/// <para>
/// <b>Order of operations</b> (fixed, so every lane type gives the same bits; the device lane agrees to rounding): samples
/// in minibatch order; forward: z_l[o] = b_l[o], then += W_l[o, i]·a_{l−1}[i] for i ascending (fused multiply-adds);
/// hidden units: a_l = σ(z_l) and σ′(z_l) from one exponential (<see cref="LaneMath.SiluWithDerivative{T}"/>,
/// <see cref="LaneMath.TanhWithDerivative{T}"/>: the bits of <see cref="LaneMath.Silu{T}"/> and
/// <see cref="LaneMath.SiluDerivative{T}"/>, of <see cref="LaneMath.Tanh{T}"/> and <see cref="LaneMath.TanhDerivative{T}"/>;
/// ReLU: max(0, z) and [z &gt; 0]);
/// cross-entropy: m = max_c z_L[c] (c ascending), e_c = exp(z_L[c] − m) (<see cref="LaneMath.Exp{T}"/>), S = Σ_c e_c
/// (c ascending), δ_L[c] = (e_c / S − [c = y])·w (correctly rounded division; the one-hot by two exact selects);
/// squared error: δ_L[c] = (z_L[c] − y_c)·w; backward, layers from the output: g[b_l[o]] += δ_l[o],
/// g[W_l[o, i]] += δ_l[o]·a_{l−1}[i] (i ascending), then for l &gt; 0 δ_{l−1}[i] = (Σ_o W_l[o, i]·δ_l[o], o ascending)·σ′(z_{l−1}[i]).
/// The sample weight w is 1 in <see cref="Gradient"/> and <see cref="MeanGradient"/> (exact), which end with g ·= 1/B and
/// g ·= 1/n. Those two pass the samples four at a time (<see cref="SamplesAtATime"/>: the forward and backward passes
/// of four samples side by side, each weight read once for the four and each gradient coordinate read and written once,
/// the last B mod 4 or n mod 4 samples one by one; the inputs of a layer in blocks of 18, the forward sums of a block
/// kept in the z coordinates between blocks); every sum still runs in the order above, so the results are those of one
/// sample at a time, bit for bit.
/// </para>
/// <para>
/// <b>Cost</b> per sample: forward P and backward 2P multiply-adds (less the first layer's input error, which is not
/// formed: 816 for 36 → 8 → 10) plus, per hidden unit, one exponential and two divisions (SiLU, tanh), and out_L
/// exponentials and divisions for cross-entropy; so one <see cref="Gradient"/> is ≈ 3·B·P multiply-adds,
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
    public const int Tanh = 0;

    /// <summary>Activation code of SiLU x·σ(x) (the value of <c>MlpActivation.Silu</c>).</summary>
    public const int Silu = 1;

    /// <summary>Activation code of ReLU max(x, 0), derivative 0 at 0 (the value of <c>MlpActivation.Relu</c>).</summary>
    public const int Relu = 2;

    /// <summary>Loss code of softmax cross-entropy on class labels (the value of <c>MlpLoss.SoftmaxCrossEntropy</c>).</summary>
    public const int SoftmaxCrossEntropy = 0;

    /// <summary>Loss code of ½‖f − y‖² on real targets (the value of <c>MlpLoss.MeanSquared</c>).</summary>
    public const int MeanSquared = 1;

    /// <summary>
    /// Samples whose passes <see cref="Gradient"/> and <see cref="MeanGradient"/> run side by side, each in its own slot of
    /// the scratch coordinates: every weight is read once for the four and every gradient coordinate read and written once.
    /// </summary>
    public const int SamplesAtATime = 4;

    /// <summary>Inputs of a layer the four-sample passes take at a time (see <see cref="ForwardFour"/>).</summary>
    private const int InputBlock = 18;

    private readonly TP inputs;
    private readonly TP targets;
    private readonly int layers;
    private readonly int width0, width1, width2, width3, width4;
    private readonly int activation0, activation1, activation2;
    private readonly int loss;
    private readonly int parameters;
    private readonly int sampleScratch;
    private readonly int scratch;
    private readonly int samplesAtATime;
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

        if (p + (SamplesAtATime * s) > int.MaxValue) throw new ArgumentException("The network is too large.", nameof(widths));
        parameters = (int)p;
        sampleScratch = (int)s;
        scratch = SamplesAtATime * sampleScratch;
        samplesAtATime = SamplesAtATime;
        this.count = count;
        this.sampler = sampler;
        inverseBatch = (float)(1.0 / sampler.PerStep);
        inverseCount = (float)(1.0 / count);
        this.noiseScale = (float)noiseScale;
    }

    /// <summary>A copy of <paramref name="other"/> passing <paramref name="samplesAtATime"/> samples at a time (4 or 1).</summary>
    private MlpLandscape(MlpLandscape<TP> other, int samplesAtATime)
    {
        this = other;
        this.samplesAtATime = samplesAtATime;
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
    /// Samples in minibatch order, four at a time (<see cref="SamplesAtATime"/>; the last B mod 4 one by one), each
    /// gathered per lane into the scratch coordinates, forward, then backward adding ∇ℓ_i into g[0 … P); finally
    /// g ·= 1/B (see the type for the order of operations). ≈ 3·B·P multiply-adds.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        NetworkLayers.Clear<T, TS>(g, parameters);
        T one = T.Splat(1f);
        int j = 0;
        int four = samplesAtATime == SamplesAtATime ? sampler.PerStep - (sampler.PerStep % SamplesAtATime) : 0;
        for (; j < four; j += SamplesAtATime)
        {
            AddFourSampleGradients<T, TS>(
                x, g, normals.Index(sampler, step, j), normals.Index(sampler, step, j + 1), normals.Index(sampler, step, j + 2), normals.Index(sampler, step, j + 3), 0, true, one);
        }

        for (; j < sampler.PerStep; j++)
        {
            AddSampleGradient<T, TS>(x, g, normals.Index(sampler, step, j), 0, true, one);
        }

        NetworkLayers.Scale<T, TS>(g, parameters, inverseBatch);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// All n samples in order, four at a time (the last n mod 4 one by one), each read once for every lane (no gathers),
    /// forward and backward, then g ·= 1/n: ≈ 3·n·P multiply-adds, n/B times a <see cref="Gradient"/>. Uses g's scratch
    /// coordinates as <see cref="Gradient"/> does.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        NetworkLayers.Clear<T, TS>(g, parameters);
        T one = T.Splat(1f);
        T zero = T.Splat(0f);
        int i = 0;
        if (samplesAtATime == SamplesAtATime)
        {
            for (; i + SamplesAtATime <= count; i += SamplesAtATime)
            {
                AddFourSampleGradients<T, TS>(x, g, zero, zero, zero, zero, i, false, one);
            }
        }

        for (; i < count; i++)
        {
            AddSampleGradient<T, TS>(x, g, zero, i, false, one);
        }

        NetworkLayers.Scale<T, TS>(g, parameters, inverseCount);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// g += s Σ_i (z_i − z̄) ∇ℓ_i(θ), s = √(f/(nB)): the n normals are drawn twice, first for their mean z̄ (= (Σ_i z_i)·(1/n),
    /// summed in order), then with sample i's gradient weighted by s·(z_i − z̄) (samples in order, one at a time).
    /// ≈ 3·n·P multiply-adds. Uses g's scratch coordinates as <see cref="Gradient"/> does.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T> =>
        NetworkLayers.AddGaussianNoise<MlpLandscape<TP>, T, TS, TN>(this, x, g, normals, step, count, inverseCount, noiseScale);

    /// <summary>The same landscape passing every sample on its own (the one-sample passes only; the same results).</summary>
    internal MlpLandscape<TP> OneSampleAtATime() => new(this, 1);

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

    /// <summary>Coordinate of z_l (and δ_l) of slot 0 in g: after the input and the (z, a) pairs of the hidden layers before l.</summary>
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

    /// <summary>Coordinate in g of a_l of slot 0, the input of layer l + 1 (l = −1: the network input).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ActivationOffset(int l) => l < 0 ? parameters : PreActivationOffset(l) + Width(l + 1);

    /// <summary>
    /// Entry <paramref name="offset"/> of a sample's row of <paramref name="table"/>: gathered per lane at
    /// <paramref name="index"/>, or the same in every lane from row <paramref name="sample"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Load<T>(in TP table, bool gather, T index, int sample, int stride, int offset) where T : struct, ILane<T> =>
        gather ? T.Gather(table, index, stride, offset) : T.Splat(table.Get((sample * stride) + offset));

    // The passes below are methods of their own, not marked for inlining: the .NET JIT compiles each as a root with its own
    // inlining budget, so every lane operation in them is inlined (one method holding all of them runs out of budget and
    // leaves lane operations as calls, ten times slower); ILGPU inlines them into the kernel all the same.

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ISampleGradients.AddSampleGradient<T, TS>(TS x, TS g, T index, int sample, bool gather, T weight) =>
        AddSampleGradient<T, TS>(x, g, index, sample, gather, weight);

    /// <summary>
    /// g += w·∇ℓ(θ) for one sample (per lane at <paramref name="index"/> when <paramref name="gather"/>, else sample
    /// <paramref name="sample"/> in every lane), in scratch slot 0: the forward and backward passes in the type's order of
    /// operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddSampleGradient<T, TS>(TS x, TS g, T index, int sample, bool gather, T weight)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        Input<T, TS>(g, 0, index, sample, gather);
        for (int l = 0; l < layers; l++)
        {
            Forward<T, TS>(x, g, l);
            if (l < layers - 1)
            {
                Activate<T, TS>(g, l, 0);
            }
        }

        OutputError<T, TS>(g, 0, index, sample, gather, weight);
        for (int l = layers - 1; l >= 0; l--)
        {
            Backward<T, TS>(x, g, l);
            if (l > 0)
            {
                HiddenError<T, TS>(x, g, l);
            }
        }
    }

    /// <summary>
    /// g += w·(∇ℓ_{i₀} + ∇ℓ_{i₁} + ∇ℓ_{i₂} + ∇ℓ_{i₃}) for four samples in scratch slots 0 … 3 (per lane at
    /// <paramref name="index0"/> … <paramref name="index3"/> when <paramref name="gather"/>, else samples
    /// <paramref name="sample"/> … <paramref name="sample"/> + 3 in every lane): the forward and backward passes of the four
    /// side by side, each weight read once for the four and each gradient coordinate read and written once, every
    /// coordinate's sum over the samples still in sample order (so the same bits as four <see cref="AddSampleGradient"/>s).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddFourSampleGradients<T, TS>(TS x, TS g, T index0, T index1, T index2, T index3, int sample, bool gather, T weight)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int slot = sampleScratch;
        InputFour<T, TS>(g, index0, index1, index2, index3, sample, gather);
        for (int l = 0; l < layers; l++)
        {
            ForwardFour<T, TS>(x, g, l);
            if (l < layers - 1)
            {
                for (int k = 0; k < SamplesAtATime; k++)
                {
                    Activate<T, TS>(g, l, k * slot);
                }
            }
        }

        OutputError<T, TS>(g, 0, index0, sample, gather, weight);
        OutputError<T, TS>(g, slot, index1, sample + 1, gather, weight);
        OutputError<T, TS>(g, 2 * slot, index2, sample + 2, gather, weight);
        OutputError<T, TS>(g, 3 * slot, index3, sample + 3, gather, weight);
        for (int l = layers - 1; l >= 0; l--)
        {
            BackwardFour<T, TS>(x, g, l);
            if (l > 0)
            {
                HiddenErrorFour<T, TS>(x, g, l);
            }
        }
    }

    /// <summary>The input a_0 of a sample into the scratch slot at <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Input<T, TS>(TS g, int slot, T index, int sample, bool gather)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int input = parameters + slot;
        if (gather)
        {
            T.GatherRow(inputs, index, width0, 0, width0, g, input);
            return;
        }

        for (int f = 0; f < width0; f++)
        {
            g.Set(input + f, T.Splat(inputs.Get((sample * width0) + f)));
        }
    }

    /// <summary>The inputs a_0 of four samples into scratch slots 0 … 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InputFour<T, TS>(TS g, T index0, T index1, T index2, T index3, int sample, bool gather)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int input = parameters, slot = sampleScratch;
        if (gather)
        {
            T.GatherRow(inputs, index0, width0, 0, width0, g, input);
            T.GatherRow(inputs, index1, width0, 0, width0, g, input + slot);
            T.GatherRow(inputs, index2, width0, 0, width0, g, input + (2 * slot));
            T.GatherRow(inputs, index3, width0, 0, width0, g, input + (3 * slot));
            return;
        }

        for (int f = 0; f < width0; f++)
        {
            g.Set(input + f, T.Splat(inputs.Get((sample * width0) + f)));
            g.Set(input + slot + f, T.Splat(inputs.Get(((sample + 1) * width0) + f)));
            g.Set(input + (2 * slot) + f, T.Splat(inputs.Get(((sample + 2) * width0) + f)));
            g.Set(input + (3 * slot) + f, T.Splat(inputs.Get(((sample + 3) * width0) + f)));
        }
    }

    /// <summary>z_l = W_l a_{l−1} + b_l of the sample in slot 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forward<T, TS>(TS x, TS g, int l)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanIn = Width(l), fanOut = Width(l + 1);
        NetworkLayers.AffineForward<T, TS>(
            x, g, WeightOffset(l), fanIn, fanOut, ActivationOffset(l - 1), PreActivationOffset(l), hidden: false, activation: 0);
    }

    /// <summary>
    /// z_l = W_l a_{l−1} + b_l of the samples in slots 0 … 3, each weight read once for the four; the inputs in blocks of
    /// <see cref="InputBlock"/> (for every output, the partial sums of a block kept in the z coordinates), so that the four
    /// samples' block of a_{l−1} stays in the first-level cache while the weights stream past.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardFour<T, TS>(TS x, TS g, int l)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanIn = Width(l), fanOut = Width(l + 1), slot = sampleScratch;
        int weights = WeightOffset(l), bias = weights + (fanOut * fanIn);
        int previous = ActivationOffset(l - 1), pre = PreActivationOffset(l);
        for (int start = 0; start < fanIn; start += InputBlock)
        {
            int end = Math.Min(fanIn, start + InputBlock);
            for (int o = 0; o < fanOut; o++)
            {
                T z0, z1, z2, z3;
                if (start == 0)
                {
                    z0 = x.Get(bias + o);
                    z1 = z0;
                    z2 = z0;
                    z3 = z0;
                }
                else
                {
                    z0 = g.Get(pre + o);
                    z1 = g.Get(pre + slot + o);
                    z2 = g.Get(pre + (2 * slot) + o);
                    z3 = g.Get(pre + (3 * slot) + o);
                }

                int row = weights + (o * fanIn);
                for (int i = start; i < end; i++)
                {
                    T w = x.Get(row + i);
                    int at = previous + i;
                    z0 = T.MulAdd(w, g.Get(at), z0);
                    z1 = T.MulAdd(w, g.Get(at + slot), z1);
                    z2 = T.MulAdd(w, g.Get(at + (2 * slot)), z2);
                    z3 = T.MulAdd(w, g.Get(at + (3 * slot)), z3);
                }

                g.Set(pre + o, z0);
                g.Set(pre + slot + o, z1);
                g.Set(pre + (2 * slot) + o, z2);
                g.Set(pre + (3 * slot) + o, z3);
            }
        }
    }

    /// <summary>
    /// Hidden layer l of the sample in the slot at <paramref name="slot"/>: a_l = σ(z_l), and σ′(z_l) in place of z_l for
    /// the backward pass (from the same exponential for tanh and SiLU). One method per activation, each with its own
    /// inlining budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Activate<T, TS>(TS g, int l, int slot)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanOut = Width(l + 1), pre = PreActivationOffset(l) + slot;
        int activation = Activation(l);
        if (activation == Silu)
        {
            ActivateSilu<T, TS>(g, pre, fanOut);
        }
        else if (activation == Tanh)
        {
            ActivateTanh<T, TS>(g, pre, fanOut);
        }
        else
        {
            ActivateRelu<T, TS>(g, pre, fanOut);
        }
    }

    /// <summary>SiLU of the <paramref name="units"/> pre-activations from <paramref name="pre"/>: a after them, σ′ in their place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateSilu<T, TS>(TS g, int pre, int units)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        for (int o = 0; o < units; o++)
        {
            g.Set(pre + units + o, LaneMath.SiluWithDerivative(g.Get(pre + o), out T slope));
            g.Set(pre + o, slope);
        }
    }

    /// <summary>tanh of the <paramref name="units"/> pre-activations from <paramref name="pre"/>: a after them, σ′ in their place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateTanh<T, TS>(TS g, int pre, int units)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        for (int o = 0; o < units; o++)
        {
            g.Set(pre + units + o, LaneMath.TanhWithDerivative(g.Get(pre + o), out T slope));
            g.Set(pre + o, slope);
        }
    }

    /// <summary>
    /// ReLU of the <paramref name="units"/> pre-activations from <paramref name="pre"/>: a = max(0, z) (which keeps a NaN z)
    /// after them, σ′ = [z &gt; 0] in their place.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivateRelu<T, TS>(TS g, int pre, int units)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T zero = T.Splat(0f), one = T.Splat(1f);
        for (int o = 0; o < units; o++)
        {
            T z = g.Get(pre + o);
            g.Set(pre + units + o, T.Max(zero, z));
            g.Set(pre + o, T.SelectLess(zero, z, one, zero));
        }
    }

    /// <summary>The output error δ_L = w·∂ℓ/∂z_L of the sample in the slot at <paramref name="slot"/>, over its logits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OutputError<T, TS>(TS g, int slot, T index, int sample, bool gather, T weight)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int classes = Width(layers), output = PreActivationOffset(layers - 1) + slot;
        if (loss == SoftmaxCrossEntropy)
        {
            NetworkLayers.SoftmaxCrossEntropyError<T, TS>(g, output, classes, Load(targets, gather, index, sample, 1, 0), weight);
        }
        else
        {
            for (int c = 0; c < classes; c++)
            {
                T y = Load(targets, gather, index, sample, classes, c);
                g.Set(output + c, T.Mul(T.Sub(g.Get(output + c), y), weight));
            }
        }
    }

    /// <summary>g[b_l] += δ_l and g[W_l] += δ_l a_{l−1}ᵀ for the sample in slot 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Backward<T, TS>(TS x, TS g, int l)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanIn = Width(l), fanOut = Width(l + 1);
        NetworkLayers.AffineBackward<T, TS>(g, WeightOffset(l), fanIn, fanOut, ActivationOffset(l - 1), PreActivationOffset(l));
    }

    /// <summary>
    /// g[b_l] += δ_l and g[W_l] += δ_l a_{l−1}ᵀ for the samples in slots 0 … 3, in slot order, each coordinate of g read and
    /// written once for the four; the inputs in blocks of <see cref="InputBlock"/>, as in <see cref="ForwardFour"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BackwardFour<T, TS>(TS x, TS g, int l)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanIn = Width(l), fanOut = Width(l + 1), slot = sampleScratch;
        int w = WeightOffset(l), bias = w + (fanOut * fanIn);
        int previous = ActivationOffset(l - 1), delta = PreActivationOffset(l);
        for (int o = 0; o < fanOut; o++)
        {
            T sum = T.Add(g.Get(bias + o), g.Get(delta + o));
            sum = T.Add(sum, g.Get(delta + slot + o));
            sum = T.Add(sum, g.Get(delta + (2 * slot) + o));
            g.Set(bias + o, T.Add(sum, g.Get(delta + (3 * slot) + o)));
        }

        for (int start = 0; start < fanIn; start += InputBlock)
        {
            int end = Math.Min(fanIn, start + InputBlock);
            for (int o = 0; o < fanOut; o++)
            {
                T d0 = g.Get(delta + o), d1 = g.Get(delta + slot + o), d2 = g.Get(delta + (2 * slot) + o), d3 = g.Get(delta + (3 * slot) + o);
                int row = w + (o * fanIn);
                for (int i = start; i < end; i++)
                {
                    int at = previous + i;
                    T sum = T.MulAdd(d0, g.Get(at), g.Get(row + i));
                    sum = T.MulAdd(d1, g.Get(at + slot), sum);
                    sum = T.MulAdd(d2, g.Get(at + (2 * slot)), sum);
                    g.Set(row + i, T.MulAdd(d3, g.Get(at + (3 * slot)), sum));
                }
            }
        }
    }

    /// <summary>δ_{l−1} = σ′(z_{l−1}) ⊙ W_lᵀ δ_l of the sample in slot 0, in place of σ′(z_{l−1}).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HiddenError<T, TS>(TS x, TS g, int l)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanIn = Width(l), fanOut = Width(l + 1);
        int w = WeightOffset(l), delta = PreActivationOffset(l), below = PreActivationOffset(l - 1);
        for (int i = 0; i < fanIn; i++)
        {
            T s = T.Mul(x.Get(w + i), g.Get(delta));
            for (int o = 1; o < fanOut; o++)
            {
                s = T.MulAdd(x.Get(w + (o * fanIn) + i), g.Get(delta + o), s);
            }

            g.Set(below + i, T.Mul(s, g.Get(below + i)));
        }
    }

    /// <summary>δ_{l−1} = σ′(z_{l−1}) ⊙ W_lᵀ δ_l of the samples in slots 0 … 3, each weight read once for the four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HiddenErrorFour<T, TS>(TS x, TS g, int l)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int fanIn = Width(l), fanOut = Width(l + 1), slot = sampleScratch;
        int w = WeightOffset(l), delta = PreActivationOffset(l), below = PreActivationOffset(l - 1);
        for (int i = 0; i < fanIn; i++)
        {
            T first = x.Get(w + i);
            T s0 = T.Mul(first, g.Get(delta)), s1 = T.Mul(first, g.Get(delta + slot));
            T s2 = T.Mul(first, g.Get(delta + (2 * slot))), s3 = T.Mul(first, g.Get(delta + (3 * slot)));
            for (int o = 1; o < fanOut; o++)
            {
                T weight = x.Get(w + (o * fanIn) + i);
                int at = delta + o;
                s0 = T.MulAdd(weight, g.Get(at), s0);
                s1 = T.MulAdd(weight, g.Get(at + slot), s1);
                s2 = T.MulAdd(weight, g.Get(at + (2 * slot)), s2);
                s3 = T.MulAdd(weight, g.Get(at + (3 * slot)), s3);
            }

            g.Set(below + i, T.Mul(s0, g.Get(below + i)));
            g.Set(below + slot + i, T.Mul(s1, g.Get(below + slot + i)));
            g.Set(below + (2 * slot) + i, T.Mul(s2, g.Get(below + (2 * slot) + i)));
            g.Set(below + (3 * slot) + i, T.Mul(s3, g.Get(below + (3 * slot) + i)));
        }
    }
}
