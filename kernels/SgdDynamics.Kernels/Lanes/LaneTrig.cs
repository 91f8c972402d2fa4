using System.Runtime.CompilerServices;

namespace SgdDynamics.Kernels.Lanes;

/// <summary>
/// Sine and cosine in lane arithmetic: polynomials after an exact reduction to one period, so the managed lanes, ILGPU's
/// CPU lane and the device compile the same operations and give the same bits.
/// </summary>
public static class LaneTrig
{
    // Round-to-nearest of a float by adding and subtracting 1.5·2²³ (exact for |u| < 2²²; beyond that a float has no
    // fraction left to reduce). Only adds, so every lane and device computes the same bits.
    private const float RoundingShift = 12582912f;
    private const float TwoPi = (float)(2 * Math.PI);

    /// <summary>
    /// <c>y = 2π(u − round(u))</c> in [−π, π]: an angle of <paramref name="turns"/> full turns reduced to one period (exact
    /// reduction for |u| &lt; 2²²; beyond that u has no fraction left and y is 0 up to rounding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T TurnsToRadians<T>(T turns) where T : struct, ILane<T>
    {
        T rounded = T.Sub(T.Add(turns, T.Splat(RoundingShift)), T.Splat(RoundingShift));
        return T.Mul(T.Sub(turns, rounded), T.Splat(TwoPi));
    }

    /// <summary>
    /// sin y for |y| ≤ π: the Taylor series to y¹⁷, whose remainder π¹⁹/19! = 2.3e-8 is below half a float ulp at 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SinReduced<T>(T y) where T : struct, ILane<T>
    {
        T y2 = T.Mul(y, y);
        T p = T.Splat(2.8114572543455208e-15f);            // 1/17!
        p = T.MulAdd(p, y2, T.Splat(-7.647163731819816e-13f)); // −1/15!
        p = T.MulAdd(p, y2, T.Splat(1.6059043836821613e-10f)); // 1/13!
        p = T.MulAdd(p, y2, T.Splat(-2.505210838544172e-08f)); // −1/11!
        p = T.MulAdd(p, y2, T.Splat(2.7557319223985893e-06f)); // 1/9!
        p = T.MulAdd(p, y2, T.Splat(-1.984126984126984e-04f)); // −1/7!
        p = T.MulAdd(p, y2, T.Splat(8.333333333333333e-03f));  // 1/5!
        p = T.MulAdd(p, y2, T.Splat(-1.6666666666666666e-01f)); // −1/3!
        p = T.MulAdd(p, y2, T.Splat(1f));
        return T.Mul(p, y);
    }

    /// <summary>
    /// cos y for |y| ≤ π: the Taylor series to y¹⁸, whose remainder π²⁰/20! = 3.6e-9 is below half a float ulp at 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T CosReduced<T>(T y) where T : struct, ILane<T>
    {
        T y2 = T.Mul(y, y);
        T p = T.Splat(-1.5619206968586225e-16f);           // −1/18!
        p = T.MulAdd(p, y2, T.Splat(4.779477332387385e-14f));  // 1/16!
        p = T.MulAdd(p, y2, T.Splat(-1.1470745597729725e-11f)); // −1/14!
        p = T.MulAdd(p, y2, T.Splat(2.08767569878681e-09f));   // 1/12!
        p = T.MulAdd(p, y2, T.Splat(-2.755731922398589e-07f)); // −1/10!
        p = T.MulAdd(p, y2, T.Splat(2.48015873015873e-05f));   // 1/8!
        p = T.MulAdd(p, y2, T.Splat(-1.388888888888889e-03f)); // −1/6!
        p = T.MulAdd(p, y2, T.Splat(4.1666666666666664e-02f)); // 1/4!
        p = T.MulAdd(p, y2, T.Splat(-0.5f));                   // −1/2!
        return T.MulAdd(p, y2, T.Splat(1f));
    }
}
