using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>
/// The Langevin SDE that SME-1 puts in place of SGD, <c>dX = −ḡ(X) dt + √(η Σ(X)) dW</c>, in the time t = kη of the SGD
/// steps, integrated by Euler–Maruyama with <c>m</c> substeps of δ = η/m per SGD step:
/// <c>X ← X − δ ḡ(X) + (η/√m) ξ</c>, ξ ~ N(0, Σ(X)) from <see cref="ILandscape.AddGaussianNoise"/> (√(η δ) = η/√m).
/// Substep j of step k draws its normals from counter (k, j·G + ·, DynamicsStream), G = ⌈noise normals / 4⌉, so every
/// substep has its own normals and every backend the same ones. Auxiliary vector 0 holds the noise sample (scratch).
/// </summary>
public readonly struct Langevin : IDynamics
{
    private readonly float minusDelta;
    private readonly float noiseScale;
    private readonly int substeps;

    /// <summary>Langevin with learning rate η (the time of one SGD step) and <paramref name="substeps"/> Euler–Maruyama substeps per step.</summary>
    public Langevin(double learningRate, int substeps)
    {
        this.substeps = substeps;
        minusDelta = (float)(-learningRate / substeps);
        noiseScale = (float)(learningRate / Math.Sqrt(substeps));
    }

    /// <summary>m.</summary>
    public int Substeps => substeps;

    /// <inheritdoc/>
    public int AuxiliaryVectors => 1;

    /// <inheritdoc/>
    public int NormalsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => substeps * 4 * Groups(landscape.NoiseNormals);

    /// <inheritdoc/>
    public int UniformsPerStep<TL>(in TL landscape) where TL : struct, ILandscape => 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance<T, TL, TS, TN>(in TL landscape, TS x, TS auxiliary, TS g, TN normals, uint firstStep, uint count)
        where T : struct, ILane<T>
        where TL : struct, ILandscape
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        int d = landscape.Dimension;
        uint groups = (uint)Groups(landscape.NoiseNormals);
        T delta = T.Splat(minusDelta);
        T scale = T.Splat(noiseScale);
        T zero = T.Splat(0f);
        for (uint k = 0; k < count; k++)
        {
            uint step = firstStep + k;
            for (int j = 0; j < substeps; j++)
            {
                landscape.MeanGradient<T, TS>(x, g);
                for (int i = 0; i < d; i++)
                {
                    auxiliary.Set(i, zero);
                }

                landscape.AddGaussianNoise<T, TS, ShiftedNormals<T, TN>>(x, auxiliary, new ShiftedNormals<T, TN>(normals, (uint)j * groups), step);
                for (int i = 0; i < d; i++)
                {
                    x.Set(i, T.MulAdd(delta, g.Get(i), T.MulAdd(scale, auxiliary.Get(i), x.Get(i))));
                }
            }
        }
    }

    private static int Groups(int normals) => (normals + 3) / 4;
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
}
