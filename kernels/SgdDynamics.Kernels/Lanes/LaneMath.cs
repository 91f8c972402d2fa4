using System.Runtime.CompilerServices;

namespace SgdDynamics.Kernels.Lanes;

/// <summary>
/// The exponential and the functions built on it (logistic sigmoid, tanh, SiLU and their derivatives) in lane arithmetic:
/// only the exactly defined lane operations (add, subtract, multiply, fused multiply-add, correctly rounded division,
/// selects and <see cref="ILane{T}.ScaleByPowerOfTwo"/>), in a fixed order, so the managed SIMD lanes and ILGPU's CPU lane
/// give the same bits (the device lane leaves a·b + c to the device compiler and agrees to rounding). Branch-free: both
/// sides of a case are computed and one is selected per lane. NaN arguments give NaN.
/// Accuracy against double precision: <see cref="Exp{T}"/> within 0.90 ulp on every float of [−87.33, 88.72],
/// <see cref="Sigmoid{T}"/> within 2.4 ulp and <see cref="Tanh{T}"/> within 1.5 ulp on every float of [−80, 80]; the
/// derivatives and SiLU within a relative 3e-7 on a dense grid, away from SiLU′'s zero (absolute 6e-8 there) and from
/// underflow (tests/SgdDynamics.Tests/Kernels/LaneMathTests.cs checks the grid bounds). No logarithm: it needs the
/// exponent field of its argument, which no lane primitive exposes (a loss value is computed on the host).
/// </summary>
public static class LaneMath
{
    // Round-to-nearest by adding and subtracting 1.5·2²³ (as in LaneTrig): exact for |u| < 2²².
    private const float RoundingShift = 12582912f;
    private const float Log2E = 1.44269504088896341f;

    // Cody–Waite split of ln 2: Ln2High has 9 significant bits, so k·Ln2High is exact for |k| ≤ 2¹⁵ and x − k·Ln2High is
    // exact (Sterbenz) whether or not the device fuses it; Ln2High + Ln2Low = ln 2 to 2⁻³³.
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;

    /// <summary>Arguments are clamped to [<see cref="ExpLow"/>, <see cref="ExpHigh"/>], which keeps k in [−150, 128].</summary>
    private const float ExpLow = -104f;
    private const float ExpHigh = 89f;

    /// <summary>SiLU's factor x is clamped to ±this, beyond the range where σ′ is non-zero.</summary>
    private const float SiluBound = 200f;

    /// <summary>Below this |x| <see cref="Tanh{T}"/> uses its odd polynomial (no cancellation in 1 − e^{−2|x|}).</summary>
    private const float TanhSmall = 0.625f;

    /// <summary>
    /// eˣ: x = k·ln 2 + r with k = round(x/ln 2) (the 1.5·2²³ rounding trick) and r by a two-constant Cody–Waite split,
    /// e^r by the Cephes minimax polynomial of degree 7 on |r| ≤ ln2/2, then <see cref="ILane{T}.ScaleByPowerOfTwo"/> by k
    /// (one rounding). Within 1 ulp where the result is normal (x ≥ −87.33); below that the result is the correctly
    /// rounded subnormal of the polynomial's value (absolute error ≤ 1 subnormal ulp), 0 for x ≤ −103.98 (and at −∞).
    /// +∞ for x ≥ 88.73 (and at +∞); NaN for NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : struct, ILane<T>
    {
        // Max(bound, x) and Min(bound, x) keep a NaN x
        x = T.Min(T.Splat(ExpHigh), T.Max(T.Splat(ExpLow), x));
        T k = T.Sub(T.MulAdd(x, T.Splat(Log2E), T.Splat(RoundingShift)), T.Splat(RoundingShift));
        T r = T.MulAdd(k, T.Splat(-Ln2High), x);
        r = T.MulAdd(k, T.Splat(-Ln2Low), r);
        T p = T.Splat(1.9875691500E-4f);
        p = T.MulAdd(p, r, T.Splat(1.3981999507E-3f));
        p = T.MulAdd(p, r, T.Splat(8.3334519073E-3f));
        p = T.MulAdd(p, r, T.Splat(4.1665795894E-2f));
        p = T.MulAdd(p, r, T.Splat(1.6666665459E-1f));
        p = T.MulAdd(p, r, T.Splat(5.0000001201E-1f));
        p = T.MulAdd(p, r, T.Splat(1f));
        p = T.MulAdd(p, r, T.Splat(1f));
        return T.ScaleByPowerOfTwo(p, k);
    }

    /// <summary>
    /// The logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), without overflow: with e = e^{−|x|}, 1/(1 + e) for x ≥ 0 and e/(1 + e)
    /// for x &lt; 0 (one correctly rounded division). 0 for x ≤ −103.98, 1 for x ≥ 16.7 (and at ±∞).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x) where T : struct, ILane<T>
    {
        T e = ExpMinusAbs(x);
        T one = T.Splat(1f);
        return T.Divide(T.SelectLess(x, T.Splat(0f), e, one), T.Add(one, e));
    }

    /// <summary>
    /// σ′(x) = σ(x)·(1 − σ(x)), computed as e/(1 + e)² with e = e^{−|x|}: accurate in relative terms also where σ(x) rounds
    /// to 1 (unlike σ(1 − σ)); 0 where e underflows (|x| ≥ 103.98).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SigmoidDerivative<T>(T x) where T : struct, ILane<T>
    {
        T e = ExpMinusAbs(x);
        T d = T.Add(T.Splat(1f), e);
        return T.Divide(e, T.Mul(d, d));
    }

    /// <summary>
    /// tanh x: for |x| &lt; 0.625 the Cephes odd minimax polynomial x + x³·P(x²); above, (1 − e)/(1 + e) with
    /// e = e^{−2|x|} and the sign of x restored (±1 for |x| ≥ 9.1 and at ±∞). tanh(±0) = ±0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x) where T : struct, ILane<T>
    {
        T negativeAbs = T.Min(x, Negate(x));
        T e = Exp(T.Add(negativeAbs, negativeAbs));
        return TanhOf(x, negativeAbs, e, T.Add(T.Splat(1f), e));
    }

    /// <summary>
    /// tanh′(x) = 1 − tanh² x, computed as 4e/(1 + e)² with e = e^{−2|x|}: accurate in relative terms also where tanh x
    /// rounds to ±1; 0 where e underflows (|x| ≥ 52).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T TanhDerivative<T>(T x) where T : struct, ILane<T>
    {
        T negativeAbs = T.Min(x, Negate(x));
        T e = Exp(T.Add(negativeAbs, negativeAbs));
        return TanhSlope(e, T.Add(T.Splat(1f), e));
    }

    /// <summary>
    /// SiLU (swish) x·σ(x), with <see cref="Sigmoid{T}"/>: −0 for x ≤ −103.98 (and at −∞, where x is first raised to
    /// −200 so that x·σ(x) is not ∞·0), x for x ≥ 16.7, +∞ at +∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Silu<T>(T x) where T : struct, ILane<T> => T.Mul(T.Max(T.Splat(-SiluBound), x), Sigmoid(x));

    /// <summary>
    /// SiLU′(x) = σ(x)·(1 + x·(1 − σ(x))) = σ(x) + x·σ′(x), computed as x·e/(1 + e)² + σ(x) (one fused multiply-add) with
    /// e = e^{−|x|} shared: relative accuracy except near its zero at x ≈ −1.2785 (absolute there). The factor x is
    /// clamped to ±200 (where e/(1 + e)² is already 0), so ±∞ give 1 and 0 rather than ∞·0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SiluDerivative<T>(T x) where T : struct, ILane<T>
    {
        T e = ExpMinusAbs(x);
        T one = T.Splat(1f);
        T d = T.Add(one, e);
        T sigmoid = T.Divide(T.SelectLess(x, T.Splat(0f), e, one), d);
        T clamped = T.Min(T.Splat(SiluBound), T.Max(T.Splat(-SiluBound), x));
        return T.MulAdd(clamped, T.Divide(e, T.Mul(d, d)), sigmoid);
    }

    /// <summary>
    /// <see cref="Tanh{T}"/> and, in <paramref name="derivative"/>, <see cref="TanhDerivative{T}"/> of the same
    /// <paramref name="x"/>, bit for bit, from one exponential e^{−2|x|} (what both compute first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T TanhWithDerivative<T>(T x, out T derivative) where T : struct, ILane<T>
    {
        T negativeAbs = T.Min(x, Negate(x));
        T e = Exp(T.Add(negativeAbs, negativeAbs));
        T d = T.Add(T.Splat(1f), e);
        derivative = TanhSlope(e, d);
        return TanhOf(x, negativeAbs, e, d);
    }

    /// <summary>
    /// <see cref="Tanh{T}"/> from −|x| (<paramref name="negativeAbs"/>), e = e^{−2|x|} and d = 1 + e: (1 − e)/d with the
    /// sign of x restored, or the odd polynomial for |x| &lt; 0.625.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhOf<T>(T x, T negativeAbs, T e, T d) where T : struct, ILane<T>
    {
        T one = T.Splat(1f);
        T large = T.Divide(T.Sub(one, e), d);
        large = T.SelectLess(x, T.Splat(0f), Negate(large), large);

        T s = T.Mul(x, x);
        T p = T.Splat(-5.70498872745E-3f);
        p = T.MulAdd(p, s, T.Splat(2.06390887954E-2f));
        p = T.MulAdd(p, s, T.Splat(-5.37397155531E-2f));
        p = T.MulAdd(p, s, T.Splat(1.33314422036E-1f));
        p = T.MulAdd(p, s, T.Splat(-3.33332819422E-1f));
        // x·(1 + s·P(s)) rather than x + x·s·P(s), which would give tanh(−0) = +0
        T small = T.Mul(x, T.MulAdd(p, s, one));

        // −|x| > −0.625, so a NaN x takes the large side (NaN there too)
        return T.SelectLess(T.Splat(-TanhSmall), negativeAbs, small, large);
    }

    /// <summary><see cref="TanhDerivative{T}"/> from e = e^{−2|x|} and d = 1 + e: 4e/d².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhSlope<T>(T e, T d) where T : struct, ILane<T> => T.Divide(T.Mul(T.Splat(4f), e), T.Mul(d, d));

    /// <summary>
    /// <see cref="Silu{T}"/> and, in <paramref name="derivative"/>, <see cref="SiluDerivative{T}"/> of the same
    /// <paramref name="x"/>, bit for bit, from one exponential e^{−|x|} and one σ(x) (two divisions instead of three).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SiluWithDerivative<T>(T x, out T derivative) where T : struct, ILane<T>
    {
        T e = ExpMinusAbs(x);
        T one = T.Splat(1f);
        T d = T.Add(one, e);
        T sigmoid = T.Divide(T.SelectLess(x, T.Splat(0f), e, one), d);
        T clamped = T.Min(T.Splat(SiluBound), T.Max(T.Splat(-SiluBound), x));
        derivative = T.MulAdd(clamped, T.Divide(e, T.Mul(d, d)), sigmoid);
        return T.Mul(T.Max(T.Splat(-SiluBound), x), sigmoid);
    }

    /// <summary>e^{−|x|} (NaN for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpMinusAbs<T>(T x) where T : struct, ILane<T> => Exp(T.Min(x, Negate(x)));

    /// <summary>−x, exactly (a multiplication by −1, so −(+0) = −0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Negate<T>(T x) where T : struct, ILane<T> => T.Mul(x, T.Splat(-1f));
}
