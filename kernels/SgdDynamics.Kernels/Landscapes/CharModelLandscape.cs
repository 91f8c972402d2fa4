using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// The training loss of a character-level language model on n samples, the state x being the flat parameter vector θ
/// (each lane its own model): the c context symbols s_1 … s_c (oldest first) are looked up in the embedding table
/// E [V, e] and concatenated, <c>u = (E[s_1], …, E[s_c]) ∈ ℝ^{c·e}</c>, then one hidden layer
/// <c>a = σ(W₁ u + b₁) ∈ ℝ^h</c> and the logits <c>f = W₂ a + b₂ ∈ ℝ^V</c>; the per-sample loss is the softmax
/// cross-entropy <c>log Σ_v e^{f_v} − f_y</c> of the next symbol y. One step's gradient is the minibatch mean
/// <c>(1/B) Σ_{j&lt;B} ∇ℓ_{i_j}(θ)</c> over the step's indices i_j (<see cref="IndexSampler"/>), each lane gathering its
/// own samples.
/// <para>
/// <b>Parameter layout</b> (the double-precision reference's, <c>SgdDynamics.Networks.CharModelArchitecture</c>): E
/// row-major [V, e] (entry (v, k) at <c>v·e + k</c>), then the MLP c·e → h → V in <see cref="MlpLandscape{TP}"/>'s
/// layout from offset V·e: W₁ [h, c·e], b₁ [h], W₂ [V, h], b₂ [V]; P = V·e + h·(c·e + 1) + V·(h + 1) =
/// <see cref="Dimension"/> (V = 27, c = 3, e = 4, h = 16: 775). Column <c>j·e + k</c> of W₁ reads component k of the
/// embedding of context position j.
/// </para>
/// <para>
/// <b>Data</b>: <c>contexts</c> n rows of c floats, the symbol indices of each context oldest first, and <c>targets</c> n
/// floats, the index of the next symbol: exact integers in 0 … V − 1 (<c>SgdDynamics.Data.CharSamples</c>). An integer
/// context symbol outside that range reads row 0 of E and adds its gradient to no row (the constructor cannot read the
/// tables, which may live on a device).
/// </para>
/// <para>
/// <b>Embedding lookup</b>: the symbols are data, gathered per lane, but E lives in the lane's own state, so one lane's
/// row differs from its neighbour's and the state cannot be indexed by the symbol. The lookup is therefore a masked
/// selection over all V rows, <c>u[j·e + k] = Σ_v [s_j = v]·E[v, k]</c> evaluated with exact selects only (no
/// arithmetic): the same bits on every lane type, no data-dependent addressing, no calls. Its backward pass adds the
/// input error into every row under the same masks. Cost per sample: 2·c·e·(V − 1) selects forward and c·e·V additions
/// with 2·c·e·V selects backward, reading (and writing back) all V·e embedding coordinates c times — comparable to the
/// first layer's 3·h·c·e multiply-adds (forward, its gradient, the input error): for V = 27, c = 3, e = 4, h = 16,
/// 624 + 648 selects and 324 additions against 576 multiply-adds (and 1296 for the output layer).
/// </para>
/// <para>
/// <b>Scratch layout</b> (g's coordinates from P on, <see cref="ScratchCoordinates"/> = c + c·e + 2h + V of them): the
/// sample's symbols s (c), the embedded context u (c·e), the hidden pre-activation z₁ (h) and activation a (h), the
/// logits f (V). The backward pass overwrites z₁ with its error δ₁ and f with δ₂. <see cref="MeanGradient"/> and
/// <see cref="AddGaussianNoise"/> use the same scratch coordinates of their g.
/// </para>
/// <para>
/// <b>Order of operations</b> (fixed, so every lane type gives the same bits; the device lane agrees to rounding):
/// samples in minibatch order; s_j gathered for j ascending; lookup: u[j·e + k] starts as E[0, k] and, for v = 1 … V − 1
/// ascending, becomes E[v, k] where s_j = v (two exact selects); forward and cross-entropy as
/// <see cref="MlpLandscape{TP}"/>'s: z₁[o] = b₁[o], then += W₁[o, i]·u[i] (i ascending, fused), a = σ(z₁), f likewise;
/// m = max_v f_v, e_v = exp(f_v − m), S = Σ_v e_v (v ascending), δ₂[v] = (e_v / S − [v = y])·w; backward: g[b₂[o]] +=
/// δ₂[o], g[W₂[o, i]] += δ₂[o]·a[i] (i ascending); δ₁[i] = (Σ_o W₂[o, i]·δ₂[o], o ascending)·σ′(z₁[i]); g[b₁], g[W₁]
/// likewise from δ₁ and u; then for j ascending, k ascending: d = Σ_o W₁[o, j·e + k]·δ₁[o] (o ascending), and for
/// v = 0 … V − 1 ascending g[E[v, k]] becomes g[E[v, k]] + d where s_j = v and stays as it is elsewhere (selects, so
/// the other rows keep their bits). The sample weight w is 1 in <see cref="Gradient"/> and <see cref="MeanGradient"/>,
/// which end with g ·= 1/B and g ·= 1/n.
/// </para>
/// <para>
/// <b>Cost</b> per sample: 3·h·(c·e + V) multiply-adds (the MLP forward, its parameter gradient and the errors W₂ᵀδ₂
/// and W₁ᵀδ₁), the lookup's selects and additions above, one or two exponentials and divisions per hidden unit and V of
/// each for the softmax; <see cref="MeanGradient"/> and <see cref="AddGaussianNoise"/> cost n/B times a
/// <see cref="Gradient"/> (the latter plus 2n normals).
/// </para>
/// <para>
/// The SDE models' Gaussian noise of covariance Σ(θ) = (f/(nB)) Σ_i (∇ℓ_i − ḡ)(∇ℓ_i − ḡ)ᵀ is drawn through the per-sample
/// gradients, <c>ξ = √(f/(nB)) Σ_i (z_i − z̄) ∇ℓ_i</c>, z̄ the mean of the n normals, f = 1 with replacement and
/// (n − B)/(n − 1) without, as <see cref="MlpLandscape{TP}"/> does.
/// </para>
/// </summary>
/// <typeparam name="TP">Where the data lives.</typeparam>
public readonly struct CharModelLandscape<TP> : ILandscape, ISampleGradients where TP : struct, IParameters
{
    private readonly TP contexts;
    private readonly TP targets;
    private readonly int symbols;
    private readonly int context;
    private readonly int embedding;
    private readonly int hidden;
    private readonly int activation;
    private readonly int parameters;
    private readonly int scratch;
    private readonly int count;
    private readonly IndexSampler sampler;
    private readonly float inverseBatch;
    private readonly float inverseCount;
    private readonly float noiseScale;

    /// <summary>
    /// The landscape of the model with <paramref name="symbols"/> = V symbols, context length <paramref name="context"/> = c,
    /// embedding dimension <paramref name="embedding"/> = e, hidden width <paramref name="hidden"/> = h and hidden activation
    /// <paramref name="activation"/> (<see cref="MlpLandscape{TP}.Tanh"/>, <see cref="MlpLandscape{TP}.Silu"/> or
    /// <see cref="MlpLandscape{TP}.Relu"/>), on <paramref name="count"/> = n samples: <paramref name="contexts"/> n rows of
    /// c symbol indices (oldest first), <paramref name="targets"/> n symbol indices, as floats; minibatches drawn by
    /// <paramref name="sampler"/> (over n samples); <paramref name="noiseScale"/> = √(f/(nB)).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// V &lt; 2 or above 2²⁴, c, e or h below 1, an unknown activation code, n below 1 or above 2²⁴, a sampler over another
    /// number of samples, or more than 2³¹ − 1 parameters and scratch coordinates.
    /// </exception>
    public CharModelLandscape(
        TP contexts,
        TP targets,
        int symbols,
        int context,
        int embedding,
        int hidden,
        int activation,
        int count,
        IndexSampler sampler,
        double noiseScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(symbols, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(symbols, IndexSampler.MaxCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embedding, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        if (activation is < NetworkLayers.Tanh or > NetworkLayers.Relu)
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation code.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, IndexSampler.MaxCount);
        if (sampler.Mode != IndexSampler.None && sampler.Count != (uint)count)
        {
            throw new ArgumentException($"The sampler draws from {sampler.Count} samples, not {count}.", nameof(sampler));
        }

        long input = (long)context * embedding;
        long p = ((long)symbols * embedding) + (hidden * (input + 1)) + ((long)symbols * (hidden + 1L));
        long s = context + input + (2L * hidden) + symbols;
        if (input > int.MaxValue || p + s > int.MaxValue)
        {
            throw new ArgumentException("The model is too large.", nameof(hidden));
        }

        this.contexts = contexts;
        this.targets = targets;
        this.symbols = symbols;
        this.context = context;
        this.embedding = embedding;
        this.hidden = hidden;
        this.activation = activation;
        parameters = (int)p;
        scratch = (int)s;
        this.count = count;
        this.sampler = sampler;
        inverseBatch = (float)(1.0 / sampler.PerStep);
        inverseCount = (float)(1.0 / count);
        this.noiseScale = (float)noiseScale;
    }

    /// <inheritdoc/>
    /// <remarks>P = V·e + h·(c·e + 1) + V·(h + 1), the number of model parameters.</remarks>
    public int Dimension => parameters;

    /// <inheritdoc/>
    public int NormalsPerStep => 0;

    /// <inheritdoc/>
    public int UniformsPerStep => 0;

    /// <inheritdoc/>
    public IndexSampler Sampler => sampler;

    /// <inheritdoc/>
    /// <remarks>c + c·e + 2h + V: the symbols, the embedded context, the hidden layer and the logits (see the type).</remarks>
    public int ScratchCoordinates => scratch;

    /// <inheritdoc/>
    public int NoiseNormals => count;

    /// <inheritdoc/>
    /// <remarks>
    /// Samples in minibatch order, each gathered per lane into the scratch coordinates, forward, then backward adding
    /// ∇ℓ_i into g[0 … P); finally g ·= 1/B (see the type for the order of operations and the cost).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T> =>
        NetworkLayers.Gradient<CharModelLandscape<TP>, T, TS, TN>(this, x, g, normals, step, sampler, parameters, inverseBatch);

    /// <inheritdoc/>
    /// <remarks>
    /// All n samples in order, each read once for every lane (no gathers), forward and backward, then g ·= 1/n: n/B times
    /// a <see cref="Gradient"/>. Uses g's scratch coordinates as <see cref="Gradient"/> does.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T> =>
        NetworkLayers.MeanGradient<CharModelLandscape<TP>, T, TS>(this, x, g, count, parameters, inverseCount);

    /// <inheritdoc/>
    /// <remarks>
    /// g += s Σ_i (z_i − z̄) ∇ℓ_i(θ), s = √(f/(nB)): the n normals are drawn twice, first for their mean z̄ (= (Σ_i z_i)·(1/n),
    /// summed in order), then with sample i's gradient weighted by s·(z_i − z̄) (samples in order). n/B times a
    /// <see cref="Gradient"/> plus 2n normals. Uses g's scratch coordinates as <see cref="Gradient"/> does.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T> =>
        NetworkLayers.AddGaussianNoise<CharModelLandscape<TP>, T, TS, TN>(this, x, g, normals, step, count, inverseCount, noiseScale);

    /// <summary>
    /// g[0 … P) += w·∇ℓ(θ) for one sample (per lane at <paramref name="index"/> when <paramref name="gather"/>, else sample
    /// <paramref name="sample"/> in every lane): lookup, forward and backward passes in the type's order of operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void ISampleGradients.AddSampleGradient<T, TS>(TS x, TS g, T index, int sample, bool gather, T weight)
    {
        int width = context * embedding;
        int symbolsAt = parameters, input = symbolsAt + context, pre = input + width, output = pre + (2 * hidden);
        int first = symbols * embedding, second = first + (hidden * (width + 1));

        // the context symbols, then u[j·e + k] = E[s_j, k] by exact selection over the rows
        for (int j = 0; j < context; j++)
        {
            g.Set(symbolsAt + j, NetworkLayers.Load(contexts, gather, index, sample, context, j));
        }

        for (int j = 0; j < context; j++)
        {
            T s = g.Get(symbolsAt + j);
            for (int k = 0; k < embedding; k++)
            {
                T u = x.Get(k);
                for (int v = 1; v < symbols; v++)
                {
                    u = NetworkLayers.Equal(s, T.Splat(v), x.Get((v * embedding) + k), u);
                }

                g.Set(input + (j * embedding) + k, u);
            }
        }

        // forward, then the output error δ₂ = w·∂ℓ/∂f
        NetworkLayers.AffineForward<T, TS>(x, g, first, width, hidden, input, pre, true, activation);
        NetworkLayers.AffineForward<T, TS>(x, g, second, hidden, symbols, pre + hidden, output, false, 0);
        NetworkLayers.SoftmaxCrossEntropyError(g, output, symbols, NetworkLayers.Load(targets, gather, index, sample, 1, 0), weight);

        // backward through the MLP: δ₁ = σ′(z₁) ⊙ W₂ᵀ δ₂ in place of z₁
        NetworkLayers.AffineBackward<T, TS>(g, second, hidden, symbols, pre + hidden, output);
        NetworkLayers.HiddenError<T, TS>(x, g, second, hidden, symbols, output, pre, activation);
        NetworkLayers.AffineBackward<T, TS>(g, first, width, hidden, input, pre);

        // the input error W₁ᵀ δ₁ added into the rows of the context symbols
        for (int j = 0; j < context; j++)
        {
            T s = g.Get(symbolsAt + j);
            for (int k = 0; k < embedding; k++)
            {
                T d = NetworkLayers.InputError<T, TS>(x, g, first, width, hidden, pre, (j * embedding) + k);
                for (int v = 0; v < symbols; v++)
                {
                    int at = (v * embedding) + k;
                    T old = g.Get(at);
                    g.Set(at, NetworkLayers.Equal(s, T.Splat(v), T.Add(old, d), old));
                }
            }
        }
    }
}
