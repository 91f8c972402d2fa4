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
/// backend the same ones. Auxiliary vector 0 holds the noise sample; order 2 uses two more, the shifted points and their
/// gradients (all scratch). The update rules <see cref="Langevin"/> and <see cref="Sme2"/> run it (one kernel
/// specialisation each).
/// </summary>
public readonly struct ModifiedEquation
{
    /// <summary>h of SME-2's central difference: 2⁻¹⁰, so a float rounding of ḡ (2⁻²⁴ relative) is divided by 2⁻⁹.</summary>
    public const float HessianStep = 1f / 1024;

    private readonly float minusDelta;
    private readonly float noiseScale;
    private readonly float correction;
    private readonly int substeps;
    private readonly int order;

    /// <summary>
    /// The modified equation of <paramref name="order"/> 1 (Langevin) or 2 (SME-2) with learning rate η and
    /// <paramref name="substeps"/> Euler–Maruyama substeps per SGD step.
    /// </summary>
    public ModifiedEquation(double learningRate, int substeps, int order)
    {
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

    /// <summary>Auxiliary state vectors: the noise sample, and for order 2 the shifted points and their gradients.</summary>
    public int AuxiliaryVectors => order == 1 ? 1 : 3;

    /// <summary>Standard normals one SGD step draws: G groups of four per substep.</summary>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => substeps * 4 * Groups(landscape.NoiseNormals);

    /// <summary>Steps <paramref name="firstStep"/> … + <paramref name="count"/> − 1, as <see cref="IDynamics.Advance"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
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

    private static int Groups(int normals) => (normals + 3) / 4;
}

/// <summary>The Langevin SDE of SME-1 as an update rule: <see cref="ModifiedEquation"/> of order 1.</summary>
public readonly struct Langevin : IDynamics
{
    private readonly ModifiedEquation equation;

    /// <summary>Langevin with learning rate η and <paramref name="substeps"/> Euler–Maruyama substeps per SGD step.</summary>
    public Langevin(double learningRate, int substeps) => equation = new ModifiedEquation(learningRate, substeps, order: 1);

    /// <summary>m.</summary>
    public int Substeps => equation.Substeps;

    /// <inheritdoc/>
    public int AuxiliaryVectors => equation.AuxiliaryVectors;

    /// <inheritdoc/>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => equation.NormalsPerStep(landscape);

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
        where TN : struct, INormalSource<T> =>
        equation.Advance<T, TL, TS, TN>(landscape, x, auxiliary, g, normals, firstStep, count);
}

/// <summary>SME-2 as an update rule: <see cref="ModifiedEquation"/> of order 2.</summary>
public readonly struct Sme2 : IDynamics
{
    private readonly ModifiedEquation equation;

    /// <summary>SME-2 with learning rate η and <paramref name="substeps"/> Euler–Maruyama substeps per SGD step.</summary>
    public Sme2(double learningRate, int substeps) => equation = new ModifiedEquation(learningRate, substeps, order: 2);

    /// <summary>m.</summary>
    public int Substeps => equation.Substeps;

    /// <inheritdoc/>
    public int AuxiliaryVectors => equation.AuxiliaryVectors;

    /// <inheritdoc/>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => equation.NormalsPerStep(landscape);

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
        where TN : struct, INormalSource<T> =>
        equation.Advance<T, TL, TS, TN>(landscape, x, auxiliary, g, normals, firstStep, count);
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
