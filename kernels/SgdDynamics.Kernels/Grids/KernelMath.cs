using System.Runtime.CompilerServices;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// Portable double-precision functions for grid kernels, written out in plain multiplies and adds so that the
/// managed backend (scalar and SIMD lanes), ILGPU's CPU accelerator and PTX evaluate the same operations (PTX has no
/// intrinsic double <c>exp</c> without ILGPU.Algorithms, whose result would differ from .NET's).
/// </summary>
public static class KernelMath
{
    /// <summary>log₂ e.</summary>
    public const double Log2E = 1.4426950408889634;

    /// <summary>High part of ln 2 (exact in 32 bits, so k·Ln2High is exact for |k| &lt; 2²⁰).</summary>
    public const double Ln2High = 0.693145751953125;

    /// <summary>Low part of ln 2: ln 2 − <see cref="Ln2High"/>.</summary>
    public const double Ln2Low = 1.42860682030941723212e-6;

    /// <summary>Below this argument <see cref="ExpNonPositive"/> returns 0 (e^{−708} ≈ 3e-308, the normal range ends).</summary>
    public const double Underflow = -708.0;

    /// <summary>
    /// <c>e^x</c> for x ≤ 0: <c>x = k ln 2 + r</c>, <c>k = ⌊x log₂e + ½⌋</c>, |r| ≤ ln2/2 (Cody–Waite two-part ln 2),
    /// <c>e^r</c> by its Taylor polynomial to degree 13 in Horner form (truncation below 2e-17 relative), times
    /// 2^k built from the exponent bits; 0 below <see cref="Underflow"/>. Relative error a few ulp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ExpNonPositive(double x)
    {
        if (!(x >= Underflow))
        {
            return 0.0;
        }

        double k = Math.Floor(x * Log2E + 0.5);
        double r = (x - k * Ln2High) - k * Ln2Low;
        double p = 1.0 / 6227020800.0;
        p = p * r + 1.0 / 479001600.0;
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        long bits = ((long)k + 1023) << 52;
        return p * ILGPU.Interop.IntAsFloat((ulong)bits);
    }
}
