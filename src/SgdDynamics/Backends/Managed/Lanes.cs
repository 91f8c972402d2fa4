global using Lane512x2 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector512Width,
    System.Runtime.Intrinsics.Vector512<float>,
    System.Runtime.Intrinsics.Vector512<int>,
    System.Runtime.Intrinsics.Vector512<ulong>>;
global using Lane256x2 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector256Width,
    System.Runtime.Intrinsics.Vector256<float>,
    System.Runtime.Intrinsics.Vector256<int>,
    System.Runtime.Intrinsics.Vector256<ulong>>;
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
/// A managed lane: two vectors of width <typeparamref name="TV"/> side by side (32 trajectories with AVX-512, 16 with
/// Vector256). Two independent vectors per operation double the instruction-level parallelism of the long Philox
/// and Box–Muller dependency chains.
/// </summary>
internal readonly struct VectorLane<TV, TF, TI, TW> : IBlockLane<VectorLane<TV, TF, TI, TW>>
    where TV : struct, IVectorWidth<TF, TI, TW>
    where TF : unmanaged
    where TI : unmanaged
    where TW : unmanaged
{
    private readonly TF lo;
    private readonly TF hi;

    private VectorLane(TF lo, TF hi)
    {
        this.lo = lo;
        this.hi = hi;
    }

    public static int Width => 2 * TV.Floats;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Splat(float value)
    {
        TF v = TV.Splat(value);
        return new(v, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Add(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new(TV.Add(a.lo, b.lo), TV.Add(a.hi, b.hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Sub(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new(TV.Sub(a.lo, b.lo), TV.Sub(a.hi, b.hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Mul(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new(TV.Mul(a.lo, b.lo), TV.Mul(a.hi, b.hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> MulAdd(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b, VectorLane<TV, TF, TI, TW> c) =>
        new(TV.MulAdd(a.lo, b.lo, c.lo), TV.MulAdd(a.hi, b.hi, c.hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> CountOutside(VectorLane<TV, TF, TI, TW> acc, VectorLane<TV, TF, TI, TW> x, float bound) =>
        new(TV.CountOutside(acc.lo, x.lo, bound), TV.CountOutside(acc.hi, x.hi, bound));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> PoisonWhere(VectorLane<TV, TF, TI, TW> x, VectorLane<TV, TF, TI, TW> flag) =>
        new(TV.PoisonWhere(x.lo, flag.lo), TV.PoisonWhere(x.hi, flag.hi));

    public static unsafe int WordBytes => sizeof(Quad<TW>);

    public static unsafe void Schedule(void* k0s, void* k1s, uint seed, uint firstTrajectory) =>
        LockstepRandom.Schedule<TW>(k0s, k1s, seed, firstTrajectory);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Words(void* k0s, void* k1s, uint seed, uint step, uint sub, uint stream, bool allFour, VectorLane<TV, TF, TI, TW>* words) =>
        LockstepRandom.Words<Lockstep<TV, TF, TI, TW>, TF, TI, TW>(k0s, k1s, seed, step, sub, stream, allFour, words);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Gaussian(VectorLane<TV, TF, TI, TW>* pair) =>
        LockstepRandom.Gaussian<Lockstep<TV, TF, TI, TW>, TF, TI, TW>(pair);
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
        // The pairs of a step lie every two values; only the last group may lack its second pair. One call site,
        // so the JIT inlines a single Box–Muller body.
        int groups = Groups(normalsPerStep);
        int pairs = (normalsPerStep + 1) / 2;
        for (int s = 0; s < steps; s++)
        {
            T* p = buffer + s * groups * 4;
            for (int j = 0; j < pairs; j++)
            {
                T.Gaussian(p + 2 * j);
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
