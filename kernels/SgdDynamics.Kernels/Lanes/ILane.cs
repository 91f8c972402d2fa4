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

    /// <summary>Divergence count update: <c>acc + (|x| ≤ bound ? 0 : 1)</c>, NaN counted as outside.</summary>
    static abstract T CountOutside(T acc, T x, float bound);

    /// <summary>NaN where <paramref name="flag"/> ≠ 0, else <paramref name="x"/> (diverged trajectories stay NaN).</summary>
    static abstract T PoisonWhere(T x, T flag);

    /// <summary>
    /// Per-lane gather: in each lane, <c>table[index·stride + offset]</c>, <paramref name="index"/> an exact non-negative
    /// integer in every lane (a minibatch sample index, <see cref="Random.INormalSource{T}.Index"/>).
    /// </summary>
    static abstract T Gather<TP>(in TP table, T index, int stride, int offset) where TP : struct, IParameters;
}

/// <summary>A lane of exactly one float, with conversions (used inside ILGPU kernels and as the host reference).</summary>
public interface IScalarLane<T> : ILane<T> where T : struct, IScalarLane<T>
{
    /// <summary>The float value of the lane.</summary>
    static abstract float ToFloat(T value);
}
