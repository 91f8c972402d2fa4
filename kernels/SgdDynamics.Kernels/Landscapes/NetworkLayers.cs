using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// A training loss that is the mean of per-sample losses ℓ_i over n samples, its parameters the first P coordinates of the
/// state: the one pass the drivers of <see cref="NetworkLayers"/> (minibatch gradient, mean gradient, noise through the
/// per-sample gradients) call.
/// </summary>
internal interface ISampleGradients
{
    /// <summary>
    /// g[0 … P) += w·∇ℓ_i(θ) for one sample i, <paramref name="weight"/> = w: per lane the sample at
    /// <paramref name="index"/> when <paramref name="gather"/>, else sample <paramref name="sample"/> in every lane. May
    /// overwrite g's scratch coordinates.
    /// </summary>
    void AddSampleGradient<T, TS>(TS x, TS g, T index, int sample, bool gather, T weight)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>;
}

/// <summary>
/// Lane passes shared by the network landscapes (<see cref="MlpLandscape{TP}"/>, <see cref="CharModelLandscape{TP}"/>):
/// the drivers over samples, the data loads, one affine layer forward and backward, the softmax cross-entropy error and
/// the hidden activations. Each fixes its order of operations (stated per method), so every lane type gives the same bits.
/// Coordinates are absolute: parameters in x (and their gradient in g) from 0, activations and errors in g's scratch
/// coordinates from P.
/// </summary>
internal static class NetworkLayers
{
    /// <summary>Activation code of tanh.</summary>
    public const int Tanh = 0;

    /// <summary>Activation code of SiLU x·σ(x).</summary>
    public const int Silu = 1;

    /// <summary>Activation code of ReLU max(x, 0), derivative 0 at 0.</summary>
    public const int Relu = 2;

    /// <summary>
    /// g[0 … P) = (1/B) Σ_{j&lt;B} ∇ℓ_{i_j}(θ) over the step's minibatch indices (samples in minibatch order, each
    /// gathered per lane, weight 1), then g ·= <paramref name="inverseBatch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gradient<TL, T, TS, TN>(
        TL landscape, TS x, TS g, TN normals, uint step, IndexSampler sampler, int parameters, float inverseBatch)
        where TL : struct, ISampleGradients
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        Clear<T, TS>(g, parameters);
        T one = T.Splat(1f);
        for (int j = 0; j < sampler.PerStep; j++)
        {
            landscape.AddSampleGradient<T, TS>(x, g, normals.Index(sampler, step, j), 0, true, one);
        }

        Scale<T, TS>(g, parameters, inverseBatch);
    }

    /// <summary>
    /// g[0 … P) = (1/n) Σ_i ∇ℓ_i(θ): all n samples in order (no gathers, weight 1), then g ·= <paramref name="inverseCount"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MeanGradient<TL, T, TS>(TL landscape, TS x, TS g, int count, int parameters, float inverseCount)
        where TL : struct, ISampleGradients
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        Clear<T, TS>(g, parameters);
        T one = T.Splat(1f);
        T zero = T.Splat(0f);
        for (int i = 0; i < count; i++)
        {
            landscape.AddSampleGradient<T, TS>(x, g, zero, i, false, one);
        }

        Scale<T, TS>(g, parameters, inverseCount);
    }

    /// <summary>
    /// g += s Σ_i (z_i − z̄) ∇ℓ_i(θ), s = <paramref name="noiseScale"/>: the n normals of the step's dynamics stream are
    /// drawn twice, first for their mean z̄ = (Σ_i z_i)·<paramref name="inverseCount"/> (summed in order), then with sample
    /// i's gradient weighted by s·(z_i − z̄) (samples in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddGaussianNoise<TL, T, TS, TN>(
        TL landscape, TS x, TS g, TN normals, uint step, int count, float inverseCount, float noiseScale)
        where TL : struct, ISampleGradients
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        var sum = new NormalSum<T>(T.Splat(0f));
        NormalStream.Draw<T, TN, NormalSum<T>>(normals, step, Philox4x32.DynamicsStream, count, ref sum);
        var noise = new SampleNoise<TL, T, TS>(landscape, x, g, T.Mul(sum.Sum, T.Splat(inverseCount)), T.Splat(noiseScale));
        NormalStream.Draw<T, TN, SampleNoise<TL, T, TS>>(normals, step, Philox4x32.DynamicsStream, count, ref noise);
    }

    /// <summary>
    /// Entry <paramref name="offset"/> of a sample's row of <paramref name="table"/> (rows of <paramref name="stride"/>
    /// floats): gathered per lane at <paramref name="index"/>, or the same in every lane from row <paramref name="sample"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load<TP, T>(in TP table, bool gather, T index, int sample, int stride, int offset)
        where TP : struct, IParameters
        where T : struct, ILane<T> =>
        gather ? T.Gather(table, index, stride, offset) : T.Splat(table.Get((sample * stride) + offset));

    /// <summary>
    /// One affine layer forward, W [fanOut, fanIn] row-major at <paramref name="weights"/> in x and b [fanOut] after it:
    /// z[o] = b[o], then += W[o, i]·a[i] for i ascending (fused multiply-adds), a at <paramref name="input"/> in g, z written
    /// at <paramref name="pre"/>; when <paramref name="hidden"/>, σ(z) at <paramref name="pre"/> + fanOut.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AffineForward<T, TS>(TS x, TS g, int weights, int fanIn, int fanOut, int input, int pre, bool hidden, int activation)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int bias = weights + (fanOut * fanIn);
        for (int o = 0; o < fanOut; o++)
        {
            T z = x.Get(bias + o);
            int row = weights + (o * fanIn);
            for (int i = 0; i < fanIn; i++)
            {
                z = T.MulAdd(x.Get(row + i), g.Get(input + i), z);
            }

            g.Set(pre + o, z);
            if (hidden)
            {
                g.Set(pre + fanOut + o, Activate(activation, z));
            }
        }
    }

    /// <summary>
    /// The softmax cross-entropy error δ[c] = w·∂ℓ/∂f_c = (e_c / S − [c = y])·w in place of the logits f at
    /// <paramref name="output"/> in g: m = max_c f_c (c ascending), e_c = exp(f_c − m) (<see cref="LaneMath.Exp{T}"/>),
    /// S = Σ_c e_c (c ascending), then δ[c] with a correctly rounded division and the one-hot by two exact selects.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SoftmaxCrossEntropyError<T, TS>(TS g, int output, int classes, T label, T weight)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T maximum = g.Get(output);
        for (int c = 1; c < classes; c++)
        {
            maximum = T.Max(g.Get(output + c), maximum);
        }

        T sum = T.Splat(0f);
        for (int c = 0; c < classes; c++)
        {
            T e = LaneMath.Exp(T.Sub(g.Get(output + c), maximum));
            g.Set(output + c, e);
            sum = T.Add(sum, e);
        }

        T zero = T.Splat(0f);
        T one = T.Splat(1f);
        for (int c = 0; c < classes; c++)
        {
            T hit = Equal(label, T.Splat(c), one, zero);
            g.Set(output + c, T.Mul(T.Sub(T.Divide(g.Get(output + c), sum), hit), weight));
        }
    }

    /// <summary>
    /// One affine layer's parameter gradient, the layer as in <see cref="AffineForward{T, TS}"/> and its error δ at
    /// <paramref name="delta"/> in g: per output o ascending, g[b[o]] += δ[o], then g[W[o, i]] += δ[o]·a[i] (i ascending,
    /// fused).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AffineBackward<T, TS>(TS g, int weights, int fanIn, int fanOut, int input, int delta)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int bias = weights + (fanOut * fanIn);
        for (int o = 0; o < fanOut; o++)
        {
            T d = g.Get(delta + o);
            g.Set(bias + o, T.Add(g.Get(bias + o), d));
            int row = weights + (o * fanIn);
            for (int i = 0; i < fanIn; i++)
            {
                g.Set(row + i, T.MulAdd(d, g.Get(input + i), g.Get(row + i)));
            }
        }
    }

    /// <summary>
    /// Component <paramref name="i"/> of an affine layer's input error (Wᵀδ)[i] = Σ_o W[o, i]·δ[o], o ascending (a product,
    /// then fused multiply-adds).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T InputError<T, TS>(TS x, TS g, int weights, int fanIn, int fanOut, int delta, int i)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T s = T.Mul(x.Get(weights + i), g.Get(delta));
        for (int o = 1; o < fanOut; o++)
        {
            s = T.MulAdd(x.Get(weights + (o * fanIn) + i), g.Get(delta + o), s);
        }

        return s;
    }

    /// <summary>
    /// The error of the hidden layer below an affine layer, δ_below = σ′(z) ⊙ Wᵀδ (<see cref="InputError{T, TS}"/> times
    /// σ′(z), i ascending), in place of its pre-activation z at <paramref name="below"/> in g.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void HiddenError<T, TS>(TS x, TS g, int weights, int fanIn, int fanOut, int delta, int below, int activation)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        for (int i = 0; i < fanIn; i++)
        {
            T s = InputError<T, TS>(x, g, weights, fanIn, fanOut, delta, i);
            g.Set(below + i, T.Mul(s, Derivative(activation, g.Get(below + i))));
        }
    }

    /// <summary>
    /// <c>a = b ? ifEqual : otherwise</c> for exact values (integers carried as floats), by two exact selects:
    /// <paramref name="otherwise"/> where a &lt; b or b &lt; a.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Equal<T>(T a, T b, T ifEqual, T otherwise) where T : struct, ILane<T> =>
        T.SelectLess(a, b, otherwise, T.SelectLess(b, a, otherwise, ifEqual));

    /// <summary>σ(z) for an activation code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Activate<T>(int activation, T z) where T : struct, ILane<T>
    {
        if (activation == Tanh)
        {
            return LaneMath.Tanh(z);
        }

        if (activation == Silu)
        {
            return LaneMath.Silu(z);
        }

        // Max(0, z) keeps a NaN z
        return T.Max(T.Splat(0f), z);
    }

    /// <summary>σ′(z) for an activation code (ReLU: 1 for z &gt; 0, else 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Derivative<T>(int activation, T z) where T : struct, ILane<T>
    {
        if (activation == Tanh)
        {
            return LaneMath.TanhDerivative(z);
        }

        if (activation == Silu)
        {
            return LaneMath.SiluDerivative(z);
        }

        return T.SelectLess(T.Splat(0f), z, T.Splat(1f), T.Splat(0f));
    }

    /// <summary>g[0 … P) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear<T, TS>(TS g, int parameters)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T zero = T.Splat(0f);
        for (int f = 0; f < parameters; f++)
        {
            g.Set(f, zero);
        }
    }

    /// <summary>g[0 … P) ·= factor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale<T, TS>(TS g, int parameters, float factor)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T scale = T.Splat(factor);
        for (int f = 0; f < parameters; f++)
        {
            g.Set(f, T.Mul(g.Get(f), scale));
        }
    }

    /// <summary>Sums the normals in order.</summary>
    private struct NormalSum<T> : INormalConsumer<T> where T : struct, ILane<T>
    {
        public T Sum;

        public NormalSum(T zero) => Sum = zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accept(int n, T z) => Sum = T.Add(Sum, z);
    }

    /// <summary>
    /// Adds s·(z_i − z̄)·∇ℓ_i for normal i (fields not read-only, so that calls on the generic landscape need no defensive
    /// copy).
    /// </summary>
    private struct SampleNoise<TL, T, TS> : INormalConsumer<T>
        where TL : struct, ISampleGradients
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        private TL landscape;
        private TS x;
        private TS g;
        private T mean;
        private T scale;

        public SampleNoise(TL landscape, TS x, TS g, T mean, T scale)
        {
            this.landscape = landscape;
            this.x = x;
            this.g = g;
            this.mean = mean;
            this.scale = scale;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accept(int n, T z) =>
            landscape.AddSampleGradient<T, TS>(x, g, T.Splat(0f), n, false, T.Mul(scale, T.Sub(z, mean)));
    }
}
