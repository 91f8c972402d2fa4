using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// Finite-sum least squares: per-sample loss <c>ℓ_i(x) = (a_iᵀx − y_i)²/2</c> on n samples; one step's gradient is the
/// minibatch mean <c>(1/B) Σ_{j&lt;B} a_{i_j}(a_{i_j}ᵀx − y_{i_j})</c> over the step's indices i_j
/// (<see cref="IndexSampler"/>: with or without replacement), each lane gathering its own samples. The mean gradient is
/// <c>ḡ(x) = Hx − c</c>, <c>H = (1/n) Σ a_i a_iᵀ</c>, <c>c = (1/n) Σ a_i y_i</c>. The SDE models' Gaussian noise of covariance
/// Σ(x) is drawn through the per-sample gradients, <c>ξ = √(f/(nB)) Σ_i z_i (∇ℓ_i(x) − ḡ(x))</c> with n independent standard
/// normals z_i (exact in law: Cov ξ = (f/(nB)) Σ_i (∇ℓ_i − ḡ)(∇ℓ_i − ḡ)ᵀ = Σ(x)), f = 1 with replacement and the
/// finite-population factor (n − B)/(n − 1) without.
/// </summary>
/// <typeparam name="TP">Where the data and constants live.</typeparam>
public readonly struct LeastSquaresLandscape<TP> : ILandscape where TP : struct, IParameters
{
    private readonly TP samples;
    private readonly TP hessian;
    private readonly TP target;
    private readonly int dimension;
    private readonly int count;
    private readonly IndexSampler sampler;
    private readonly float inverseBatch;
    private readonly float noiseScale;

    /// <summary>
    /// The landscape on <paramref name="samples"/> (n rows of d + 1 floats: a_i then y_i), with the mean Hessian
    /// <paramref name="hessian"/> (d × d row-major) and <paramref name="target"/> c (d), drawing minibatches by
    /// <paramref name="sampler"/>; <paramref name="noiseScale"/> = √(f/(nB)).
    /// </summary>
    public LeastSquaresLandscape(TP samples, TP hessian, TP target, int dimension, int count, IndexSampler sampler, double noiseScale)
    {
        this.samples = samples;
        this.hessian = hessian;
        this.target = target;
        this.dimension = dimension;
        this.count = count;
        this.sampler = sampler;
        inverseBatch = (float)(1.0 / sampler.PerStep);
        this.noiseScale = (float)noiseScale;
    }

    /// <inheritdoc/>
    public int Dimension => dimension;

    /// <inheritdoc/>
    public int NormalsPerStep => 0;

    /// <inheritdoc/>
    public int UniformsPerStep => 0;

    /// <inheritdoc/>
    public IndexSampler Sampler => sampler;

    /// <inheritdoc/>
    /// <remarks>The sample's d features, gathered once and read twice (residual, then update).</remarks>
    public int ScratchCoordinates => dimension;

    /// <inheritdoc/>
    /// <remarks>
    /// Samples in minibatch order; each sample's features are gathered once into g's scratch coordinates d … 2d − 1 while
    /// its residual r = a·x − y accumulates, then g += r a; finally g /= B.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        int d = dimension, row = d + 1;
        for (int f = 0; f < d; f++)
        {
            g.Set(f, T.Splat(0f));
        }

        for (int j = 0; j < sampler.PerStep; j++)
        {
            T index = normals.Index(sampler, step, j);
            T r = T.Sub(T.Splat(0f), T.Gather(samples, index, row, d));
            for (int f = 0; f < d; f++)
            {
                T a = T.Gather(samples, index, row, f);
                g.Set(d + f, a);
                r = T.MulAdd(a, x.Get(f), r);
            }

            for (int f = 0; f < d; f++)
            {
                g.Set(f, T.MulAdd(g.Get(d + f), r, g.Get(f)));
            }
        }

        T scale = T.Splat(inverseBatch);
        for (int f = 0; f < d; f++)
        {
            g.Set(f, T.Mul(g.Get(f), scale));
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        for (int f = 0; f < dimension; f++)
        {
            g.Set(f, MeanComponent<T, TS>(x, f));
        }
    }

    /// <inheritdoc/>
    public int NoiseNormals => count;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        // g += s Σ_i z_i a_i r_i(x) − s (Σ_i z_i) ḡ(x)
        var consumer = new SampleNoise<T, TS>(samples, x, g, dimension, T.Splat(noiseScale));
        NormalStream.Draw<T, TN, SampleNoise<T, TS>>(normals, step, Philox4x32.DynamicsStream, count, ref consumer);
        T weight = T.Mul(consumer.Sum, T.Splat(-noiseScale));
        for (int f = 0; f < dimension; f++)
        {
            g.Set(f, T.MulAdd(weight, MeanComponent<T, TS>(x, f), g.Get(f)));
        }
    }

    /// <summary>ḡ_f(x) = Σ_j H_fj x_j − c_f.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T MeanComponent<T, TS>(TS x, int f)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        T sum = T.Splat(-target.Get(f));
        for (int j = 0; j < dimension; j++)
        {
            sum = T.MulAdd(T.Splat(hessian.Get(f * dimension + j)), x.Get(j), sum);
        }

        return sum;
    }

    /// <summary>Adds s z_i a_i r_i(x) for each normal z_i and sums the normals.</summary>
    private struct SampleNoise<T, TS> : INormalConsumer<T>
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        private readonly TP samples;
        private readonly TS x;
        private readonly TS g;
        private readonly int d;
        private readonly T scale;

        public SampleNoise(TP samples, TS x, TS g, int d, T scale)
        {
            this.samples = samples;
            this.x = x;
            this.g = g;
            this.d = d;
            this.scale = scale;
            Sum = T.Splat(0f);
        }

        public T Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accept(int n, T z)
        {
            int row = n * (d + 1);
            T r = T.Splat(-samples.Get(row + d));
            for (int f = 0; f < d; f++)
            {
                r = T.MulAdd(T.Splat(samples.Get(row + f)), x.Get(f), r);
            }

            T weight = T.Mul(T.Mul(scale, z), r);
            for (int f = 0; f < d; f++)
            {
                g.Set(f, T.MulAdd(T.Splat(samples.Get(row + f)), weight, g.Get(f)));
            }

            Sum = T.Add(Sum, z);
        }
    }
}
