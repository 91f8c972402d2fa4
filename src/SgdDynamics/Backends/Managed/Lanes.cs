using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Backends.Managed;

/// <summary>A managed lane: <see cref="Width"/> trajectories side by side (a multiple of <see cref="Kernels.Statistics.TileLayout.BlockSize"/>).</summary>
internal interface IBlockLane<T> : ILane<T> where T : unmanaged, IBlockLane<T>
{
    /// <summary>
    /// Philox output words r0…r3 of counter (step, sub, stream, 0) for the lane's trajectories, 32 bits per
    /// trajectory, into <c>words[0..3]</c> (only r0, r1 when <paramref name="allFour"/> is false).
    /// </summary>
    static abstract unsafe void Words(void* k0s, void* k1s, uint seed, uint step, uint sub, uint stream, bool allFour, T* words);

    /// <summary>Box–Muller in place: the words in <c>pair[0]</c>, <c>pair[1]</c> become two standard normals.</summary>
    static abstract unsafe void Gaussian(T* pair);

    /// <summary>Trajectories side by side in one lane value.</summary>
    static abstract int Width { get; }

    /// <summary>Bytes of one Philox word value (a 64-bit lane per trajectory); a key schedule is ten of them.</summary>
    static abstract int WordBytes { get; }

    /// <summary>Writes the key schedules of the block whose first trajectory is <paramref name="firstTrajectory"/>.</summary>
    static abstract unsafe void Schedule(void* k0s, void* k1s, uint seed, uint firstTrajectory);
}

/// <summary>
/// 32 trajectories in two <see cref="Vector512{T}"/> (AVX-512). Two independent vectors per operation
/// double the instruction-level parallelism of the long Philox and Box–Muller dependency chains.
/// </summary>
internal readonly struct Lane512x2 : IBlockLane<Lane512x2>
{
    private readonly Vector512<float> lo;
    private readonly Vector512<float> hi;

    private Lane512x2(Vector512<float> lo, Vector512<float> hi)
    {
        this.lo = lo;
        this.hi = hi;
    }

    public static int Width => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 Splat(float value) => new(Vector512.Create(value), Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 Add(Lane512x2 a, Lane512x2 b) => new(a.lo + b.lo, a.hi + b.hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 Sub(Lane512x2 a, Lane512x2 b) => new(a.lo - b.lo, a.hi - b.hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 Mul(Lane512x2 a, Lane512x2 b) => new(a.lo * b.lo, a.hi * b.hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 MulAdd(Lane512x2 a, Lane512x2 b, Lane512x2 c) =>
        new(Vector512.FusedMultiplyAdd(a.lo, b.lo, c.lo), Vector512.FusedMultiplyAdd(a.hi, b.hi, c.hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 CountOutside(Lane512x2 acc, Lane512x2 x, float bound)
    {
        Vector512<float> b = Vector512.Create(bound);
        Vector512<float> insideLo = Vector512.LessThanOrEqual(Vector512.Abs(x.lo), b);
        Vector512<float> insideHi = Vector512.LessThanOrEqual(Vector512.Abs(x.hi), b);
        return new(acc.lo + Vector512.AndNot(Vector512<float>.One, insideLo), acc.hi + Vector512.AndNot(Vector512<float>.One, insideHi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512x2 PoisonWhere(Lane512x2 x, Lane512x2 flag)
    {
        Vector512<float> nan = Vector512.Create(float.NaN);
        return new(
            Vector512.ConditionalSelect(Vector512.Equals(flag.lo, Vector512<float>.Zero), x.lo, nan),
            Vector512.ConditionalSelect(Vector512.Equals(flag.hi, Vector512<float>.Zero), x.hi, nan));
    }

    public static unsafe int WordBytes => sizeof(Quad<Vector512<ulong>>);

    public static unsafe void Schedule(void* k0s, void* k1s, uint seed, uint firstTrajectory) =>
        LockstepRandom.Schedule<Vector512<ulong>>(k0s, k1s, seed, firstTrajectory);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Words(void* k0s, void* k1s, uint seed, uint step, uint sub, uint stream, bool allFour, Lane512x2* words) =>
        LockstepRandom.Words<Lockstep512, Vector512<float>, Vector512<int>, Vector512<ulong>>(k0s, k1s, seed, step, sub, stream, allFour, words);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Gaussian(Lane512x2* pair) =>
        LockstepRandom.Gaussian<Lockstep512, Vector512<float>, Vector512<int>, Vector512<ulong>>(pair);
}

/// <summary>16 trajectories in two <see cref="Vector256{T}"/> (AVX2, or portable where neither is accelerated).</summary>
internal readonly struct Lane256x2 : IBlockLane<Lane256x2>
{
    private readonly Vector256<float> lo;
    private readonly Vector256<float> hi;

    private Lane256x2(Vector256<float> lo, Vector256<float> hi)
    {
        this.lo = lo;
        this.hi = hi;
    }

    public static Lane256x2 Splat(float value) => new(Vector256.Create(value), Vector256.Create(value));
    public static Lane256x2 Add(Lane256x2 a, Lane256x2 b) => new(a.lo + b.lo, a.hi + b.hi);
    public static Lane256x2 Sub(Lane256x2 a, Lane256x2 b) => new(a.lo - b.lo, a.hi - b.hi);
    public static Lane256x2 Mul(Lane256x2 a, Lane256x2 b) => new(a.lo * b.lo, a.hi * b.hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256x2 MulAdd(Lane256x2 a, Lane256x2 b, Lane256x2 c) =>
        new(Vector256.FusedMultiplyAdd(a.lo, b.lo, c.lo), Vector256.FusedMultiplyAdd(a.hi, b.hi, c.hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256x2 CountOutside(Lane256x2 acc, Lane256x2 x, float bound)
    {
        Vector256<float> b = Vector256.Create(bound);
        Vector256<float> insideLo = Vector256.LessThanOrEqual(Vector256.Abs(x.lo), b);
        Vector256<float> insideHi = Vector256.LessThanOrEqual(Vector256.Abs(x.hi), b);
        return new(acc.lo + Vector256.AndNot(Vector256<float>.One, insideLo), acc.hi + Vector256.AndNot(Vector256<float>.One, insideHi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256x2 PoisonWhere(Lane256x2 x, Lane256x2 flag)
    {
        Vector256<float> nan = Vector256.Create(float.NaN);
        return new(
            Vector256.ConditionalSelect(Vector256.Equals(flag.lo, Vector256<float>.Zero), x.lo, nan),
            Vector256.ConditionalSelect(Vector256.Equals(flag.hi, Vector256<float>.Zero), x.hi, nan));
    }

    public static int Width => 16;

    public static unsafe int WordBytes => sizeof(Quad<Vector256<ulong>>);

    public static unsafe void Schedule(void* k0s, void* k1s, uint seed, uint firstTrajectory) =>
        LockstepRandom.Schedule<Vector256<ulong>>(k0s, k1s, seed, firstTrajectory);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Words(void* k0s, void* k1s, uint seed, uint step, uint sub, uint stream, bool allFour, Lane256x2* words) =>
        LockstepRandom.Words<Lockstep256, Vector256<float>, Vector256<int>, Vector256<ulong>>(k0s, k1s, seed, step, sub, stream, allFour, words);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Gaussian(Lane256x2* pair) =>
        LockstepRandom.Gaussian<Lockstep256, Vector256<float>, Vector256<int>, Vector256<ulong>>(pair);
}

/// <summary>
/// Precomputed normals of one lane of trajectories for a run of steps. The Philox and Box–Muller work of
/// many steps is done in one tight loop (<see cref="Fill"/>) whose iterations are independent, so the
/// processor overlaps them; the step loop then only loads its normals from this L1-resident buffer.
/// Layout: normal n of step k at <c>buffer[((k − firstStep)·groups + n/4)·4 + n mod 4]</c>.
/// </summary>
internal readonly unsafe struct BufferedNormals<T> : INormalSource<T> where T : unmanaged, IBlockLane<T>
{
    private readonly T* buffer;
    private readonly uint firstStep;
    private readonly int groups;

    private BufferedNormals(T* buffer, uint firstStep, int groups)
    {
        this.buffer = buffer;
        this.firstStep = firstStep;
        this.groups = groups;
    }

    /// <summary>Groups of four normals per step for <paramref name="normalsPerStep"/> normals.</summary>
    public static int Groups(int normalsPerStep) => (normalsPerStep + 3) / 4;

    /// <summary>
    /// Draws the first <paramref name="normalsPerStep"/> normals of counters (k, ·, <paramref name="stream"/>)
    /// for k = <paramref name="firstStep"/> … + <paramref name="steps"/> − 1 into <paramref name="buffer"/>
    /// and returns the source that reads them back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BufferedNormals<T> Fill(T* buffer, void* k0s, void* k1s, uint seed, uint firstStep, int steps, int normalsPerStep, uint stream)
    {
        // Two passes, each its own method so the JIT's inlining budget covers every lockstep operation:
        // Philox words first, then Box–Muller in place.
        int groups = Groups(normalsPerStep);
        WordsPass(buffer, k0s, k1s, seed, firstStep, steps, normalsPerStep, stream);
        GaussianPass(buffer, steps, normalsPerStep);
        return new BufferedNormals<T>(buffer, firstStep, groups);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void WordsPass(T* buffer, void* k0s, void* k1s, uint seed, uint firstStep, int steps, int normalsPerStep, uint stream)
    {
        int groups = Groups(normalsPerStep);
        T* p = buffer;
        for (int s = 0; s < steps; s++)
        {
            uint step = firstStep + (uint)s;
            for (int g = 0; g < groups; g++, p += 4)
            {
                T.Words(k0s, k1s, seed, step, (uint)g, stream, normalsPerStep - 4 * g > 2, p);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GaussianPass(T* buffer, int steps, int normalsPerStep)
    {
        int groups = Groups(normalsPerStep);
        T* p = buffer;
        for (int s = 0; s < steps; s++)
        {
            for (int g = 0; g < groups; g++, p += 4)
            {
                T.Gaussian(p);
                if (normalsPerStep - 4 * g > 2)
                {
                    T.Gaussian(p + 2);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3)
    {
        T* p = buffer + (((int)(step - firstStep) * groups + (int)sub) << 2);
        z0 = p[0];
        z1 = p[1];
        z2 = p[2];
        z3 = p[3];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Two(uint step, uint sub, uint stream, out T z0, out T z1)
    {
        T* p = buffer + (((int)(step - firstStep) * groups + (int)sub) << 2);
        z0 = p[0];
        z1 = p[1];
    }
}

/// <summary>A lane state vector in worker-owned memory.</summary>
internal readonly unsafe struct BlockState<T> : IStateView<T> where T : unmanaged, ILane<T>
{
    private readonly T* data;

    public BlockState(T* data) => this.data = data;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get(int i) => data[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int i, T value) => data[i] = value;
}

/// <summary>Landscape parameters in pinned host memory.</summary>
internal readonly unsafe struct HostParameters : IParameters
{
    private readonly float* data;

    public HostParameters(float* data) => this.data = data;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Get(int i) => data[i];
}
