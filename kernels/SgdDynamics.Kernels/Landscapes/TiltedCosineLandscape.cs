using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// Tilted periodic landscape <c>L(x) = −A cos(2πx/P) + F x</c> in one dimension (a washboard: wells of depth 2A every P,
/// tilted by F; running solutions without noise once |F| &gt; 2πA/P) with additive Gaussian gradient noise: one step's
/// gradient is <c>g = (2πA/P) sin(2πx/P) + F + σ ξ</c>, ξ ~ N(0, 1) (normal 0 of the step). SGD drifts against the tilt;
/// its drift velocity is the subject of the tilted-periodic validation case.
/// </summary>
public readonly struct TiltedCosineLandscape : ILandscape, IGridField
{
    private readonly double amplitude;
    private readonly double period;
    private readonly double tilt;
    private readonly double noiseStd;
    private readonly float inversePeriod;
    private readonly float slope;
    private readonly float tiltFloat;
    private readonly float noiseStdFloat;

    /// <summary>The washboard with amplitude A ≥ 0, period P &gt; 0, tilt F and gradient-noise standard deviation σ ≥ 0.</summary>
    public TiltedCosineLandscape(double amplitude, double period, double tilt, double noiseStd)
    {
        this.amplitude = amplitude;
        this.period = period;
        this.tilt = tilt;
        this.noiseStd = noiseStd;
        inversePeriod = (float)(1.0 / period);
        slope = (float)(2 * Math.PI * amplitude / period);
        tiltFloat = (float)tilt;
        noiseStdFloat = (float)noiseStd;
    }

    /// <summary>A.</summary>
    public double Amplitude => amplitude;

    /// <summary>P.</summary>
    public double Period => period;

    /// <summary>F.</summary>
    public double Tilt => tilt;

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
        // y = 2π(x/P − round(x/P)) in [−π, π]
        T y = LaneTrig.TurnsToRadians(T.Mul(x.Get(0), T.Splat(inversePeriod)));
        g.Set(0, T.MulAdd(T.Splat(slope), LaneTrig.SinReduced(y), T.Splat(tiltFloat)));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        var noise = new IsotropicNoise<T, TS>(noiseStdFloat, g);
        NormalStream.Draw<T, TN, IsotropicNoise<T, TS>>(normals, step, Philox4x32.DynamicsStream, NormalsPerStep, ref noise);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Field(double x0, double x1, out double g0, out double g1, out double s00, out double s01, out double s11)
    {
        SinCosTwoPi(x0 / period, out double sin, out _);
        g0 = 2 * Math.PI * amplitude / period * sin + tilt;
        g1 = 0;
        s00 = noiseStd * noiseStd;
        s01 = 0;
        s11 = 0;
    }

    /// <inheritdoc/>
    public double Loss(double x0, double x1)
    {
        SinCosTwoPi(x0 / period, out _, out double cos);
        return -amplitude * cos + tilt * x0;
    }

    /// <summary>
    /// sin(2πu) and cos(2πu) in double with plain arithmetic and floor (no library call, so grid kernels compile for
    /// devices without a double sine): u is reduced to a quarter period, r = (4u − q)·π/2 with |r| ≤ π/4, and the Taylor
    /// series to r¹⁹ (sine) and r¹⁸ (cosine) leave remainders below 1e-19.
    /// </summary>
    public static void SinCosTwoPi(double u, out double sin, out double cos)
    {
        double f = u - Math.Floor(u + 0.5);
        double t = 4 * f;
        double q = Math.Floor(t + 0.5);
        double r = (t - q) * (0.5 * Math.PI);
        double r2 = r * r;
        double s = 1.0 / 121645100408832000.0;
        s = s * r2 - 1.0 / 355687428096000.0;
        s = s * r2 + 1.0 / 1307674368000.0;
        s = s * r2 - 1.0 / 6227020800.0;
        s = s * r2 + 1.0 / 39916800.0;
        s = s * r2 - 1.0 / 362880.0;
        s = s * r2 + 1.0 / 5040.0;
        s = s * r2 - 1.0 / 120.0;
        s = s * r2 + 1.0 / 6.0;
        double sinR = r - r * r2 * s;
        double c = 1.0 / 6402373705728000.0;
        c = c * r2 - 1.0 / 20922789888000.0;
        c = c * r2 + 1.0 / 87178291200.0;
        c = c * r2 - 1.0 / 479001600.0;
        c = c * r2 + 1.0 / 3628800.0;
        c = c * r2 - 1.0 / 40320.0;
        c = c * r2 + 1.0 / 720.0;
        c = c * r2 - 1.0 / 24.0;
        c = c * r2 + 0.5;
        double cosR = 1.0 - r2 * c;
        int quadrant = ((int)q % 4 + 4) % 4;
        sin = quadrant switch { 0 => sinR, 1 => cosR, 2 => -sinR, _ => -cosR };
        cos = quadrant switch { 0 => cosR, 1 => -sinR, 2 => -cosR, _ => sinR };
    }
}
