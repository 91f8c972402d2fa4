using SgdDynamics.Kernels.Dynamics;

namespace SgdDynamics.Kernels.Lanes;

/// <summary>
/// A lane: the arithmetic type the physics is written in. One value carries the state of one
/// trajectory (a <see cref="FloatLane"/> in an ILGPU kernel) or of several trajectories side by side
/// (a SIMD vector in the managed backend). Landscapes and optimizers are generic over the lane, so the
/// physics is written once and specialised per backend (docs/architecture.md, "Devices and kernels").
/// </summary>
/// <typeparam name="T">The lane type itself (curiously recurring).</typeparam>
public interface ILane<T> where T : struct, ILane<T>
{
    /// <summary>The same value in every lane.</summary>
    static abstract T Splat(float value);

    /// <summary>a + b.</summary>
    static abstract T Add(T a, T b);

    /// <summary>a − b.</summary>
    static abstract T Sub(T a, T b);

    /// <summary>a · b.</summary>
    static abstract T Mul(T a, T b);

    /// <summary>a · b + c; fused (one rounding) on CPU lanes, left to the device compiler on GPU lanes.</summary>
    static abstract T MulAdd(T a, T b, T c);

    /// <summary>a / b, correctly rounded (IEEE division), so every lane and device gives the same bits.</summary>
    static abstract T Divide(T a, T b);

    /// <summary>
    /// <c>a &gt; b ? a : b</c> in each lane (the x86 <c>maxps</c> rule): <paramref name="b"/> where either is NaN or both
    /// are zeros, so <c>Max(bound, x)</c> keeps a NaN <c>x</c>. Only selects, so it is exact.
    /// </summary>
    static abstract T Max(T a, T b);

    /// <summary>
    /// <c>a &lt; b ? a : b</c> in each lane (the x86 <c>minps</c> rule): <paramref name="b"/> where either is NaN or both
    /// are zeros, so <c>Min(bound, x)</c> keeps a NaN <c>x</c>. Only selects, so it is exact.
    /// </summary>
    static abstract T Min(T a, T b);

    /// <summary><c>a &lt; b ? ifLess : otherwise</c> in each lane (false where either is NaN). Only selects, so it is exact.</summary>
    static abstract T SelectLess(T a, T b, T ifLess, T otherwise);

    /// <summary>
    /// <c>x·2ᵏ</c> for an integer-valued <paramref name="k"/> in [−252, 254], as two multiplications by exact powers of two
    /// (2^⌊k/2⌋ and 2^⌈k/2⌉, each built from the bits of k): one rounding, so correctly rounded, wherever
    /// <c>x·2^⌊k/2⌋</c> is a normal float or zero (e.g. 2⁻¹²⁶·2¹²⁶ ≤ |x|·2^⌊k/2⌋; |x| in [½, 2) with any k in range);
    /// overflow gives ±∞ and underflow the correctly rounded subnormal or zero. k outside the range, or not an integer,
    /// gives an unspecified value.
    /// </summary>
    static abstract T ScaleByPowerOfTwo(T x, T k);

    /// <summary>Divergence count update: <c>acc + (|x| ≤ bound ? 0 : 1)</c>, NaN counted as outside.</summary>
    static abstract T CountOutside(T acc, T x, float bound);

    /// <summary>NaN where <paramref name="flag"/> ≠ 0, else <paramref name="x"/> (diverged trajectories stay NaN).</summary>
    static abstract T PoisonWhere(T x, T flag);

    /// <summary>
    /// Per-lane gather: in each lane, <c>table[index·stride + offset]</c>, <paramref name="index"/> an exact non-negative
    /// integer in every lane (a minibatch sample index, <see cref="Random.INormalSource{T}.Index"/>).
    /// </summary>
    static abstract T Gather<TP>(in TP table, T index, int stride, int offset) where TP : struct, IParameters;

    /// <summary>
    /// Per-lane gather of <paramref name="count"/> consecutive entries: coordinate <c>at + f</c> of
    /// <paramref name="target"/> becomes, in each lane, <c>table[index·stride + offset + f]</c> for f = 0 … count − 1 — the
    /// values of count <see cref="Gather{TP}"/> calls, which a lane may instead read as rows and transpose.
    /// </summary>
    static abstract void GatherRow<TP, TS>(in TP table, T index, int stride, int offset, int count, TS target, int at)
        where TP : struct, IParameters
        where TS : struct, IStateView<T>;
}

/// <summary>A lane of exactly one float, with conversions (used inside ILGPU kernels and as the host reference).</summary>
public interface IScalarLane<T> : ILane<T> where T : struct, IScalarLane<T>
{
    /// <summary>The float value of the lane.</summary>
    static abstract float ToFloat(T value);
}
