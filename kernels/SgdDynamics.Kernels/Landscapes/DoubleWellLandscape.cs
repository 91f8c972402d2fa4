using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// Symmetric double well <c>L(x) = (x² − 1)²/4</c> in one dimension, minima at ±1, barrier 1/4 at 0, with additive
/// Gaussian gradient noise: one step's gradient is <c>g = x³ − x + σ ξ</c>, ξ ~ N(0, 1) (normal 0 of the step).
/// Its Langevin/SME-1 stationary law is the Gibbs density <c>∝ exp(−2L/(ησ²))</c>.
/// </summary>
public readonly struct DoubleWellLandscape : ILandscape, IGridField
{
    private readonly double noiseStd;

    /// <summary>The double well with gradient-noise standard deviation σ ≥ 0.</summary>
    public DoubleWellLandscape(double noiseStd) => this.noiseStd = noiseStd;

    /// <summary>σ.</summary>
    public double NoiseStd => noiseStd;

    /// <inheritdoc cref="ILandscape.Dimension"/>
    public int Dimension => 1;

    /// <inheritdoc/>
    public int NormalsPerStep => noiseStd != 0 ? 1 : 0;

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
        T x0 = x.Get(0);
        g.Set(0, T.Mul(T.Sub(T.Mul(x0, x0), T.Splat(1f)), x0));
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
        g0 = (x0 * x0 - 1.0) * x0;
        g1 = 0;
        s00 = noiseStd * noiseStd;
        s01 = 0;
        s11 = 0;
    }

    /// <inheritdoc/>
    public double Loss(double x0, double x1)
    {
        double u = x0 * x0 - 1.0;
        return 0.25 * u * u;
    }
}
