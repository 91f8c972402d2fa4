using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// Ring valley <c>L(x) = λ(|x|² − 1)²/4</c> in d ≥ 2 dimensions (d = 2 on grids): a valley of minima on the unit
/// sphere, flat along it, curvature 2λ across it. One step's gradient is <c>g = λ(|x|² − 1) x + σ ξ</c>,
/// ξ ~ N(0, I_d) (normals 0 … d−1 of the step).
/// </summary>
public readonly struct RingValleyLandscape : ILandscape, IGridField
{
    private readonly int dimension;
    private readonly double curvature;
    private readonly double noiseStd;

    /// <summary>The ring valley in <paramref name="dimension"/> ≥ 2 dimensions with λ and noise std σ ≥ 0.</summary>
    public RingValleyLandscape(int dimension, double curvature, double noiseStd)
    {
        this.dimension = dimension;
        this.curvature = curvature;
        this.noiseStd = noiseStd;
    }

    /// <summary>λ.</summary>
    public double Curvature => curvature;

    /// <summary>σ.</summary>
    public double NoiseStd => noiseStd;

    /// <inheritdoc cref="ILandscape.Dimension"/>
    public int Dimension => dimension;

    /// <inheritdoc/>
    public int NormalsPerStep => noiseStd != 0 ? dimension : 0;

    /// <inheritdoc/>
    public int UniformsPerStep => 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        MeanGradient<T, TS>(x, g);
        AddGaussianNoise<T, TS, TN>(x, g, normals, step);
    }

    /// <inheritdoc/>
    public IndexSampler Sampler => default;

    /// <inheritdoc/>
    public int ScratchCoordinates => 0;

    /// <inheritdoc/>
    public int NoiseNormals => NormalsPerStep;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
    {
        int d = dimension;
        T r2 = T.Splat(-1f);
        for (int i = 0; i < d; i++)
        {
            T xi = x.Get(i);
            r2 = T.MulAdd(xi, xi, r2);
        }

        T factor = T.Mul(T.Splat((float)curvature), r2);
        for (int i = 0; i < d; i++)
        {
            g.Set(i, T.Mul(factor, x.Get(i)));
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        var noise = new IsotropicNoise<T, TS>((float)noiseStd, g);
        NormalStream.Draw<T, TN, IsotropicNoise<T, TS>>(normals, step, Philox4x32.DynamicsStream, NormalsPerStep, ref noise);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Field(double x0, double x1, out double g0, out double g1, out double s00, out double s01, out double s11)
    {
        double factor = curvature * (x0 * x0 + x1 * x1 - 1.0);
        g0 = factor * x0;
        g1 = factor * x1;
        s00 = noiseStd * noiseStd;
        s01 = 0;
        s11 = s00;
    }

    /// <inheritdoc/>
    public double Loss(double x0, double x1)
    {
        double u = x0 * x0 + x1 * x1 - 1.0;
        return 0.25 * curvature * u * u;
    }
}
