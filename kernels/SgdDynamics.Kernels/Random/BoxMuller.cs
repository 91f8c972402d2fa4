using ILGPU;
using SgdDynamics.Kernels.Lanes;

namespace SgdDynamics.Kernels.Random;

/// <summary>
/// Box–Muller transform of two 32-bit words into two standard normals, with branch-free float
/// approximations of ln, sin and cos that vectorise (Cephes minimax polynomials, float accuracy:
/// |error| ≤ 2e-7 relative to the radius). From words (ra, rb):
/// <c>u1 = ((ra ≫ 8) + 1)·2⁻²⁴ ∈ (0, 1]</c>, <c>u2 = (rb ≫ 8)·2⁻²⁴ ∈ [0, 1)</c>,
/// <c>za = √(−2 ln u1) cos 2πu2</c>, <c>zb = √(−2 ln u1) sin 2πu2</c>.
/// The angle is reduced exactly in integers to the nearest quadrant (|t| ≤ π/4).
/// The managed SIMD backend evaluates the same operations in the same order, so its normals are
/// bit-identical to these (checked by the tests).
/// </summary>
public static class BoxMuller
{
    /// <summary>Log coefficient 0 (x⁸).</summary>
    public const float L0 = 7.0376836292E-2f;
    /// <summary>Log coefficient 1.</summary>
    public const float L1 = -1.1514610310E-1f;
    /// <summary>Log coefficient 2.</summary>
    public const float L2 = 1.1676998740E-1f;
    /// <summary>Log coefficient 3.</summary>
    public const float L3 = -1.2420140846E-1f;
    /// <summary>Log coefficient 4.</summary>
    public const float L4 = 1.4249322787E-1f;
    /// <summary>Log coefficient 5.</summary>
    public const float L5 = -1.6668057665E-1f;
    /// <summary>Log coefficient 6.</summary>
    public const float L6 = 2.0000714765E-1f;
    /// <summary>Log coefficient 7.</summary>
    public const float L7 = -2.4999993993E-1f;
    /// <summary>Log coefficient 8 (x⁰).</summary>
    public const float L8 = 3.3333331174E-1f;
    /// <summary>Low part of ln 2 (Cody–Waite).</summary>
    public const float Ln2Low = -2.12194440e-4f;
    /// <summary>High part of ln 2 (Cody–Waite).</summary>
    public const float Ln2High = 0.693359375f;
    /// <summary>Sine polynomial coefficient (t⁷).</summary>
    public const float S1 = -1.9515295891E-4f;
    /// <summary>Sine polynomial coefficient (t⁵).</summary>
    public const float S2 = 8.3321608736E-3f;
    /// <summary>Sine polynomial coefficient (t³).</summary>
    public const float S3 = -1.6666654611E-1f;
    /// <summary>Cosine polynomial coefficient (t⁸).</summary>
    public const float C1 = 2.443315711809948E-5f;
    /// <summary>Cosine polynomial coefficient (t⁶).</summary>
    public const float C2 = -1.388731625493765E-3f;
    /// <summary>Cosine polynomial coefficient (t⁴).</summary>
    public const float C3 = 4.166664568298827E-2f;
    /// <summary>2π·2⁻²⁴: converts the 24-bit angle integer to radians.</summary>
    public const float TwoPiOver2To24 = 6.28318530717958647692f / 16777216f;
    /// <summary>2⁻²⁴.</summary>
    public const float TwoToMinus24 = 1f / 16777216f;
    /// <summary>Bias that moves the mantissa split point of the log reduction to √½.</summary>
    public const uint LogBias = 0x3f800000u - 0x3f3504f3u;
    /// <summary>Bit pattern of √½ (as float).</summary>
    public const uint SqrtHalfBits = 0x3f3504f3u;

    /// <summary>Two standard normals from the words (ra, rb).</summary>
    public static void Pair<T>(uint ra, uint rb, out T za, out T zb) where T : struct, IScalarLane<T>
    {
        // ln u1, u1 = ((ra >> 8) + 1) / 2^24 in (0, 1]
        float u1 = (int)((ra >> 8) + 1u) * TwoToMinus24;
        uint ix = Interop.FloatAsInt(u1) + LogBias;
        T e = T.Splat((int)(ix >> 23) - 127);
        T f = T.Splat(Interop.IntAsFloat((ix & 0x007fffffu) + SqrtHalfBits) - 1f);
        T z = T.Mul(f, f);
        T y = T.Splat(L0);
        y = T.MulAdd(y, f, T.Splat(L1));
        y = T.MulAdd(y, f, T.Splat(L2));
        y = T.MulAdd(y, f, T.Splat(L3));
        y = T.MulAdd(y, f, T.Splat(L4));
        y = T.MulAdd(y, f, T.Splat(L5));
        y = T.MulAdd(y, f, T.Splat(L6));
        y = T.MulAdd(y, f, T.Splat(L7));
        y = T.MulAdd(y, f, T.Splat(L8));
        y = T.Mul(T.Mul(y, f), z);
        y = T.MulAdd(T.Splat(Ln2Low), e, y);
        y = T.MulAdd(T.Splat(-0.5f), z, y);
        T lg = T.MulAdd(T.Splat(Ln2High), e, T.Add(f, y));
        float radius = MathF.Sqrt(T.ToFloat(T.Mul(T.Splat(-2f), lg)));

        // 2π u2 = q·π/2 + t with q the nearest quadrant, |t| ≤ π/4
        int k2 = (int)(rb >> 8);
        int q = (k2 + (1 << 21)) >> 22;
        T t = T.Splat((k2 - (q << 22)) * TwoPiOver2To24);
        T t2 = T.Mul(t, t);
        T sp = T.MulAdd(T.MulAdd(T.Splat(S1), t2, T.Splat(S2)), t2, T.Splat(S3));
        float s = T.ToFloat(T.MulAdd(T.Mul(sp, t2), t, t));
        T cp = T.MulAdd(T.MulAdd(T.Splat(C1), t2, T.Splat(C2)), t2, T.Splat(C3));
        float c = T.ToFloat(T.Add(T.MulAdd(T.Mul(cp, t2), t2, T.Mul(T.Splat(-0.5f), t2)), T.Splat(1f)));
        bool swap = (q & 1) != 0;
        float cv = swap ? s : c;
        float sv = swap ? c : s;
        uint cosSign = (uint)((q + 1) & 2) << 30;
        uint sinSign = (uint)(q & 2) << 30;
        za = T.Splat(radius * Interop.IntAsFloat(Interop.FloatAsInt(cv) ^ cosSign));
        zb = T.Splat(radius * Interop.IntAsFloat(Interop.FloatAsInt(sv) ^ sinSign));
    }
}
