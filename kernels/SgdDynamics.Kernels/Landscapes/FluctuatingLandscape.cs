using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Landscapes;

/// <summary>
/// A randomly fluctuating 1-D landscape: one step's gradient at x is
/// <c>g(x) = m(x) + e(x) · Σ_{k=1..K} A_k u_k cos(2πk x/P + π v_k)</c> with the polynomials <c>m(x) = Σ_j c_j x^j</c>
/// (the mean gradient) and <c>e(x) = Σ_j e_j x^j</c> (the envelope), amplitudes A_k, period P, and u_k, v_k independent
/// uniform on (−1, 1), fresh every step and trajectory: uniform 2(k−1) of the step is u_k, uniform 2(k−1)+1 is v_k
/// (<see cref="INormalSource{T}.Uniforms"/>). The random term has mean 0 and variance <c>D(x) = e(x)² Σ A_k²/6</c>
/// (E u² = 1/3, E cos²(θ + πv) = 1/2). Each step sees a different smooth random landscape, not a Gaussian kick.
/// </summary>
/// <typeparam name="TP">Where the coefficients live (device memory, pinned host memory).</typeparam>
public readonly struct FluctuatingLandscape<TP> : ILandscape where TP : struct, IParameters
{
    private readonly TP meanGradient;
    private readonly int meanTerms;
    private readonly TP envelope;
    private readonly int envelopeTerms;
    private readonly TP amplitudes;
    private readonly int modes;
    private readonly float inversePeriod;
    private readonly float modeStd;

    /// <summary>
    /// The landscape with mean-gradient coefficients c₀ … (<paramref name="meanTerms"/> of them), envelope coefficients
    /// e₀ … (<paramref name="envelopeTerms"/>), amplitudes A₁ … A_K (<paramref name="modes"/> = K ≥ 1), period P &gt; 0, and
    /// <paramref name="modeStd"/> = √(Σ A_k²/6), the standard deviation of the sum of the modes, for the Gaussian noise of
    /// the SDE models.
    /// </summary>
    public FluctuatingLandscape(TP meanGradient, int meanTerms, TP envelope, int envelopeTerms, TP amplitudes, int modes, double period, double modeStd)
    {
        this.meanGradient = meanGradient;
        this.meanTerms = meanTerms;
        this.envelope = envelope;
        this.envelopeTerms = envelopeTerms;
        this.amplitudes = amplitudes;
        this.modes = modes;
        inversePeriod = (float)(1.0 / period);
        this.modeStd = (float)modeStd;
    }

    /// <inheritdoc/>
    public int Dimension => 1;

    /// <inheritdoc/>
    public int NormalsPerStep => 0;

    /// <inheritdoc/>
    public int UniformsPerStep => 2 * modes;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Gradient<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        T position = x.Get(0);
        T turns = T.Mul(position, T.Splat(inversePeriod));

        // Σ_k A_k u_k cos(2π(k x/P + v_k/2)), two modes per counter: (u_k, v_k, u_{k+1}, v_{k+1})
        T sum = T.Splat(0f);
        for (int k = 1; k <= modes; k += 2)
        {
            normals.Uniforms(step, (uint)(k >> 1), out T u0, out T v0, out T u1, out T v1);
            sum = Mode(sum, turns, k, u0, v0);
            if (k + 1 <= modes)
            {
                sum = Mode(sum, turns, k + 1, u1, v1);
            }
        }

        g.Set(0, T.MulAdd(Polynomial(envelope, envelopeTerms, position), sum, Polynomial(meanGradient, meanTerms, position)));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MeanGradient<T, TS>(TS x, TS g)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T> =>
        g.Set(0, Polynomial(meanGradient, meanTerms, x.Get(0)));

    /// <inheritdoc/>
    public IndexSampler Sampler => default;

    /// <inheritdoc/>
    public int ScratchCoordinates => 0;

    /// <inheritdoc/>
    public int NoiseNormals => 1;

    /// <inheritdoc/>
    /// <remarks>The Gaussian of the same variance: <c>g += e(x)·√(Σ A_k²/6)·z</c>, z normal 0 of the step.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddGaussianNoise<T, TS, TN>(TS x, TS g, TN normals, uint step)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TN : struct, INormalSource<T>
    {
        normals.Two(step, 0, Philox4x32.DynamicsStream, out T z, out _);
        T scale = T.Mul(Polynomial(envelope, envelopeTerms, x.Get(0)), T.Splat(modeStd));
        g.Set(0, T.MulAdd(scale, z, g.Get(0)));
    }

    /// <summary><c>sum + A_k u cos(2π(k·turns + v/2))</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private T Mode<T>(T sum, T turns, int k, T u, T v) where T : struct, ILane<T>
    {
        T phase = T.MulAdd(T.Splat(k), turns, T.Mul(T.Splat(0.5f), v));
        T cos = LaneTrig.CosReduced(LaneTrig.TurnsToRadians(phase));
        return T.MulAdd(T.Mul(T.Splat(amplitudes.Get(k - 1)), u), cos, sum);
    }

    /// <summary>Σ_j c_j x^j by Horner's rule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Polynomial<T>(TP coefficients, int terms, T x) where T : struct, ILane<T>
    {
        T p = T.Splat(coefficients.Get(terms - 1));
        for (int j = terms - 2; j >= 0; j--)
        {
            p = T.MulAdd(p, x, T.Splat(coefficients.Get(j)));
        }

        return p;
    }
}
