using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>
/// The stochastic modified equations of SGD, in the time t = kη of the SGD steps, integrated by Euler–Maruyama with m
/// substeps of δ = η/m per SGD step:
/// <list type="bullet">
/// <item>order 1, the Langevin SDE of SME-1, <c>dX = −ḡ(X) dt + √(η Σ(X)) dW</c>: <c>X ← X − δ ḡ + (η/√m) ξ</c>;</item>
/// <item>order 2, SME-2, <c>dX = −(ḡ + (η/4)∇|ḡ|²)(X) dt + √(η Σ(X)) dW</c> with <c>∇|ḡ|²/2 = H ḡ</c> (H the Hessian of the
/// mean loss): <c>X ← X − δ(ḡ + (η/2) H ḡ) + (η/√m) ξ</c>. The Hessian-vector product is the central difference of mean
/// gradients along ḡ, <c>H ḡ ≈ (ḡ(X + hḡ) − ḡ(X − hḡ))/(2h)</c> with h = <see cref="HessianStep"/>: exact up to rounding for
/// a quadratic (ḡ affine), second order in h·|ḡ| otherwise.</item>
/// </list>
/// ξ ~ N(0, Σ(X)) comes from <see cref="ILandscape.AddGaussianNoise"/> (√(η δ) = η/√m). Substep j of step k draws its
/// normals from counter (k, j·G + ·, DynamicsStream), G = ⌈noise normals / 4⌉, so every substep has its own normals and every
/// backend the same ones. With <c>weakOrder2</c> the substeps are instead Platen's explicit weak order 2.0 scheme
/// (Kloeden and Platen, Numerical Solution of SDEs, 15.1.1), derivative-free, for one dimension and one noise normal:
/// with drift A = −(ḡ or SME-2's drift), noise coefficient σ(x) (the landscape's Gaussian noise of one unit normal),
/// s = η/√m and the substep's normal z,
/// <c>Ȳ = Y + δA(Y) + sσ(Y)z</c>, <c>Y± = Y + δA(Y) ± sσ(Y)</c>,
/// <c>Y' = Y + (δ/2)(A(Ȳ) + A(Y)) + (s/4)(σ(Y+) + σ(Y−) + 2σ(Y)) z + (s/4)(σ(Y+) − σ(Y−))(z² − 1)</c>:
/// its weak error in smooth functions of X at a fixed time is O(δ²) instead of Euler–Maruyama's O(δ).
/// Auxiliary vector 0 holds the noise sample; order 2 uses two more, the shifted points and their
/// gradients (all scratch). It is the update rule of the SDE models (<c>langevin</c>, <c>sme2</c>, <c>smf</c>): one kernel
/// specialisation serves all three, the order and the scheme being constants of the struct.
/// </summary>
public readonly struct ModifiedEquation : IDynamics
{
    /// <summary>h of SME-2's central difference: 2⁻¹⁰, so a float rounding of ḡ (2⁻²⁴ relative) is divided by 2⁻⁹.</summary>
    public const float HessianStep = 1f / 1024;

    private readonly float minusDelta;
    private readonly float noiseScale;
    private readonly float correction;
    private readonly int substeps;
    private readonly int order;
    private readonly int weakOrder2; // 1 for the weak order 2.0 substeps (an int: kernel parameters must be blittable)

    /// <summary>
    /// The modified equation of <paramref name="order"/> 1 (Langevin) or 2 (SME-2) with learning rate η and
    /// <paramref name="substeps"/> Euler–Maruyama substeps per SGD step.
    /// </summary>
    public ModifiedEquation(double learningRate, int substeps, int order, bool weakOrder2 = false)
    {
        this.weakOrder2 = weakOrder2 ? 1 : 0;
        if (order is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, "a stochastic modified equation of order 1 or 2");
        }

        this.substeps = substeps;
        this.order = order;
        minusDelta = (float)(-learningRate / substeps);
        noiseScale = (float)(learningRate / Math.Sqrt(substeps));
        correction = (float)(learningRate / 2 / (2 * HessianStep));
    }

    /// <summary>m.</summary>
    public int Substeps => substeps;

    /// <summary>1 (Langevin) or 2 (SME-2).</summary>
    public int Order => order;

    /// <summary>True for the weak order 2.0 substeps, false for Euler–Maruyama.</summary>
    public bool WeakOrder2 => weakOrder2 != 0;

    /// <inheritdoc/>
    /// <remarks>The noise sample, and for order 2 the shifted points and their gradients; the support points of weak order 2.</remarks>
    public int AuxiliaryVectors => weakOrder2 != 0 ? 2 : order == 1 ? 1 : 3;

    /// <inheritdoc/>
    /// <remarks>G groups of four per substep, G = ⌈noise normals / 4⌉.</remarks>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => substeps * 4 * Groups(landscape.NoiseNormals);

    /// <inheritdoc/>
    public int UniformsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => 0;

    /// <inheritdoc/>
    public int IndicesPerStep<TL>(in TL landscape) where TL : struct, ILandscape => 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        if (weakOrder2 != 0)
        {
            AdvanceWeakOrder2<T, TL, TS, TN>(landscape, x, auxiliary, g, normals, firstStep, count);
            return;
        }

        int d = landscape.Dimension;
        uint groups = (uint)Groups(landscape.NoiseNormals);
        var position = new OffsetView<T, TS>(x, 0);
        var drift = new OffsetView<T, TS>(g, 0);
        var noise = new OffsetView<T, TS>(auxiliary, 0);
        var shifted = new OffsetView<T, TS>(auxiliary, d);
        var other = new OffsetView<T, TS>(auxiliary, 2 * d);
        T delta = T.Splat(minusDelta);
        T scale = T.Splat(noiseScale);
        T h = T.Splat(HessianStep);
        T minusH = T.Splat(-HessianStep);
        T c = T.Splat(correction);
        T zero = T.Splat(0f);
        for (uint k = 0; k < count; k++)
        {
            uint step = firstStep + k;
            for (int j = 0; j < substeps; j++)
            {
                landscape.MeanGradient<T, OffsetView<T, TS>>(position, drift);
                if (order == 2)
                {
                    for (int i = 0; i < d; i++)
                    {
                        shifted.Set(i, T.MulAdd(h, g.Get(i), x.Get(i)));
                    }

                    landscape.MeanGradient<T, OffsetView<T, TS>>(shifted, other);
                    for (int i = 0; i < d; i++)
                    {
                        shifted.Set(i, T.MulAdd(minusH, g.Get(i), x.Get(i)));
                    }

                    landscape.MeanGradient<T, OffsetView<T, TS>>(shifted, noise);
                    for (int i = 0; i < d; i++)
                    {
                        // drift ḡ + (η/2)(ḡ(x + hḡ) − ḡ(x − hḡ))/(2h)
                        g.Set(i, T.MulAdd(c, T.Sub(other.Get(i), noise.Get(i)), g.Get(i)));
                    }
                }

                for (int i = 0; i < d; i++)
                {
                    noise.Set(i, zero);
                }

                landscape.AddGaussianNoise<T, OffsetView<T, TS>, ShiftedNormals<T, TN>>(position, noise, new ShiftedNormals<T, TN>(normals, (uint)j * groups), step);
                for (int i = 0; i < d; i++)
                {
                    x.Set(i, T.MulAdd(delta, g.Get(i), T.MulAdd(scale, noise.Get(i), x.Get(i))));
                }
            }
        }
    }

    /// <summary>
    /// The weak order 2.0 substeps (see the type), for a landscape of dimension 1 with one noise normal (the scenario
    /// reader and <see cref="WeakOrder2Applies"/> refuse others). Coordinate 0 of auxiliary vector 0 holds the support
    /// points, of vector 1 the shifted points of SME-2's Hessian-vector product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AdvanceWeakOrder2<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        var point = new OffsetView<T, TS>(auxiliary, 0);
        var scratch = new OffsetView<T, TS>(auxiliary, 1);
        var result = new OffsetView<T, TS>(g, 0);
        T delta = T.Splat(minusDelta);
        T halfDelta = T.Splat(minusDelta / 2);
        T s = T.Splat(noiseScale);
        T quarter = T.Splat(noiseScale / 4);
        T one = T.Splat(1f);
        for (uint k = 0; k < count; k++)
        {
            uint step = firstStep + k;
            for (int j = 0; j < substeps; j++)
            {
                T y = x.Get(0);
                point.Set(0, y);
                T gy = Drift<T, TL, TS>(landscape, point, scratch, result, y);
                T sy = Sigma<T, TL, TS>(landscape, point, result, step);
                new ShiftedNormals<T, TN>(normals, (uint)j).Two(step, 0, Philox4x32.DynamicsStream, out T z, out _);
                T basePoint = T.MulAdd(delta, gy, y);
                T spread = T.Mul(s, sy);
                T bar = T.MulAdd(spread, z, basePoint);
                point.Set(0, bar);
                T gbar = Drift<T, TL, TS>(landscape, point, scratch, result, bar);
                point.Set(0, T.Add(basePoint, spread));
                T plus = Sigma<T, TL, TS>(landscape, point, result, step);
                point.Set(0, T.Sub(basePoint, spread));
                T minus = Sigma<T, TL, TS>(landscape, point, result, step);
                T next = T.MulAdd(halfDelta, T.Add(gbar, gy), y);
                next = T.MulAdd(T.Mul(quarter, T.Add(T.Add(plus, minus), T.Add(sy, sy))), z, next);
                next = T.MulAdd(T.Mul(quarter, T.Sub(plus, minus)), T.Sub(T.Mul(z, z), one), next);
                x.Set(0, next);
            }
        }
    }

    /// <summary>The drift −A at the point held in <paramref name="point"/> (value <paramref name="at"/>): ḡ, plus SME-2's (η/2)Hḡ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T Drift<T, TL, TS>(in TL landscape, OffsetView<T, TS> point, OffsetView<T, TS> scratch, OffsetView<T, TS> result, T at)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
    {
        landscape.MeanGradient<T, OffsetView<T, TS>>(point, result);
        T mean = result.Get(0);
        if (order == 1)
        {
            return mean;
        }

        scratch.Set(0, T.MulAdd(T.Splat(HessianStep), mean, at));
        landscape.MeanGradient<T, OffsetView<T, TS>>(scratch, result);
        T up = result.Get(0);
        scratch.Set(0, T.MulAdd(T.Splat(-HessianStep), mean, at));
        landscape.MeanGradient<T, OffsetView<T, TS>>(scratch, result);
        return T.MulAdd(T.Splat(correction), T.Sub(up, result.Get(0)), mean);
    }

    /// <summary>σ at the point held in <paramref name="point"/>: the landscape's Gaussian noise for the unit normal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Sigma<T, TL, TS>(in TL landscape, OffsetView<T, TS> point, OffsetView<T, TS> result, uint step)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
    {
        result.Set(0, T.Splat(0f));
        landscape.AddGaussianNoise<T, OffsetView<T, TS>, UnitNormals<T>>(point, result, default, step);
        return result.Get(0);
    }

    /// <summary>Whether the weak order 2.0 substeps apply to <paramref name="landscape"/>: dimension 1, one noise normal.</summary>
    public static bool WeakOrder2Applies<TL>(in TL landscape) where TL : struct, ILandscape =>
        landscape.Dimension == 1 && landscape.NoiseNormals == 1;

    private static int Groups(int normals) => (normals + 3) / 4;
}

/// <summary>Every normal is 1: the noise of a landscape for a unit normal is its noise coefficient σ(x).</summary>
public readonly struct UnitNormals<T> : INormalSource<T> where T : struct, ILane<T>
{
    /// <inheritdoc/>
    public void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3)
    {
        z0 = T.Splat(1f);
        z1 = z0;
        z2 = z0;
        z3 = z0;
    }

    /// <inheritdoc/>
    public void Two(uint step, uint sub, uint stream, out T z0, out T z1)
    {
        z0 = T.Splat(1f);
        z1 = z0;
    }

    /// <inheritdoc/>
    public void Uniforms(uint step, uint sub, out T u0, out T u1, out T u2, out T u3)
    {
        u0 = T.Splat(0f);
        u1 = u0;
        u2 = u0;
        u3 = u0;
    }

    /// <inheritdoc/>
    public T Index(IndexSampler sampler, uint step, int j) => T.Splat(0f);
}

/// <summary>A normal source whose sub-block numbers are shifted by a fixed offset: substep j of an SDE step reads its own normals.</summary>
public readonly struct ShiftedNormals<T, TN> : INormalSource<T>
    where T : struct, ILane<T>
    where TN : struct, INormalSource<T>
{
    private readonly TN inner;
    private readonly uint offset;

    /// <summary>The normals of <paramref name="inner"/> from sub-block <paramref name="offset"/> on.</summary>
    public ShiftedNormals(TN inner, uint offset)
    {
        this.inner = inner;
        this.offset = offset;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3) => inner.Four(step, sub + offset, stream, out z0, out z1, out z2, out z3);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Two(uint step, uint sub, uint stream, out T z0, out T z1) => inner.Two(step, sub + offset, stream, out z0, out z1);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Uniforms(uint step, uint sub, out T u0, out T u1, out T u2, out T u3) => inner.Uniforms(step, sub + offset, out u0, out u1, out u2, out u3);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Index(IndexSampler sampler, uint step, int j) => inner.Index(sampler, step, j);
}

/// <summary>Coordinates <c>offset</c> … of a state view, as a view of their own (an update rule's auxiliary vector j at offset j·d).</summary>
public readonly struct OffsetView<T, TS> : IStateView<T>
    where T : struct, ILane<T>
    where TS : struct, IStateView<T>
{
    private readonly TS inner;
    private readonly int offset;

    /// <summary>The view of <paramref name="inner"/> from coordinate <paramref name="offset"/>.</summary>
    public OffsetView(TS inner, int offset)
    {
        this.inner = inner;
        this.offset = offset;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get(int i) => inner.Get(offset + i);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int i, T value) => inner.Set(offset + i, value);
}
