global using Lane256 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector256Width,
    System.Runtime.Intrinsics.Vector256<float>,
    System.Runtime.Intrinsics.Vector256<int>,
    System.Runtime.Intrinsics.Vector256<ulong>>;
global using Lane512 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector512Width,
    System.Runtime.Intrinsics.Vector512<float>,
    System.Runtime.Intrinsics.Vector512<int>,
    System.Runtime.Intrinsics.Vector512<ulong>>;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Backends.Managed;

/// <summary>A managed lane: <see cref="Width"/> trajectories side by side (a multiple of <see cref="Kernels.Statistics.TileLayout.BlockSize"/>).</summary>
internal interface IBlockLane<T> : ILane<T> where T : unmanaged, IBlockLane<T>
{
    /// <summary>Trajectories side by side in one lane value.</summary>
    static abstract int Width { get; }

    /// <summary>Bytes of the Philox key schedule of one lane value's trajectories.</summary>
    static abstract int KeyBytes { get; }

    /// <summary>Writes the key schedule of the trajectories firstTrajectory … firstTrajectory + Width − 1 (mod 2³²).</summary>
    static abstract unsafe void Schedule(void* keys, uint seed, uint firstTrajectory);

    /// <summary>
    /// Philox output words r0…r3 of counter (step, sub, stream, 0) for the lane's trajectories, 32 bits per
    /// trajectory, into <c>words[0..3]</c> (only r0, r1 when <paramref name="allFour"/> is false).
    /// </summary>
    static abstract unsafe void Words(void* keys, uint seed, uint step, uint sub, uint stream, bool allFour, T* words);

    /// <summary>Box–Muller in place: the words in <c>pair[0]</c>, <c>pair[1]</c> become two standard normals.</summary>
    static abstract unsafe void Gaussian(T* pair);

    /// <summary>In place: the words in <c>words[0]</c> become uniform variates on (−1, 1) (<see cref="UniformVariate"/>).</summary>
    static abstract unsafe void Uniform(T* words);
}

/// <summary>
/// A managed lane of width <typeparamref name="TV"/>: four vectors, 64 trajectories with AVX-512 and 32 with Vector256.
/// The random numbers are drawn in two lockstep groups of two vectors (<see cref="Duo{T}"/>, what the lockstep Philox
/// and Box–Muller keep in registers: vectors 2g and 2g + 1 are group g); the physics runs on the whole lane, so each
/// step of the update loop, whose state goes through memory, has four independent dependency chains instead of two
/// (measured: W1 +20 %, W2 +5 % per core). Four is the most the JIT allows: a lane of eight vectors exhausts its
/// local-variable limit for inlining in the update loop, and its lane operations are left as calls (2× slower).
/// </summary>
internal struct VectorLane<TV, TF, TI, TW> : IBlockLane<VectorLane<TV, TF, TI, TW>>
    where TV : struct, IVectorWidth<TF, TI, TW>
    where TF : unmanaged
    where TI : unmanaged
    where TW : unmanaged
{
    private const int Groups = 2;

    private TF v0, v1, v2, v3;

    public static int Width => 2 * Groups * TV.Floats;

    public static int KeyBytes => Lockstep<TV, TF, TI, TW>.KeyBytes(Groups);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Splat(float value)
    {
        TF v = TV.Splat(value);
        return new() { v0 = v, v1 = v, v2 = v, v3 = v };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Add(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new()
    {
        v0 = TV.Add(a.v0, b.v0), v1 = TV.Add(a.v1, b.v1),
        v2 = TV.Add(a.v2, b.v2), v3 = TV.Add(a.v3, b.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Sub(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new()
    {
        v0 = TV.Sub(a.v0, b.v0), v1 = TV.Sub(a.v1, b.v1),
        v2 = TV.Sub(a.v2, b.v2), v3 = TV.Sub(a.v3, b.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Mul(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new()
    {
        v0 = TV.Mul(a.v0, b.v0), v1 = TV.Mul(a.v1, b.v1),
        v2 = TV.Mul(a.v2, b.v2), v3 = TV.Mul(a.v3, b.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> MulAdd(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b, VectorLane<TV, TF, TI, TW> c) => new()
    {
        v0 = TV.MulAdd(a.v0, b.v0, c.v0), v1 = TV.MulAdd(a.v1, b.v1, c.v1),
        v2 = TV.MulAdd(a.v2, b.v2, c.v2), v3 = TV.MulAdd(a.v3, b.v3, c.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Divide(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new()
    {
        v0 = TV.Divide(a.v0, b.v0), v1 = TV.Divide(a.v1, b.v1),
        v2 = TV.Divide(a.v2, b.v2), v3 = TV.Divide(a.v3, b.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Max(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new()
    {
        v0 = TV.Max(a.v0, b.v0), v1 = TV.Max(a.v1, b.v1),
        v2 = TV.Max(a.v2, b.v2), v3 = TV.Max(a.v3, b.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> Min(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b) => new()
    {
        v0 = TV.Min(a.v0, b.v0), v1 = TV.Min(a.v1, b.v1),
        v2 = TV.Min(a.v2, b.v2), v3 = TV.Min(a.v3, b.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> SelectLess(VectorLane<TV, TF, TI, TW> a, VectorLane<TV, TF, TI, TW> b, VectorLane<TV, TF, TI, TW> ifLess, VectorLane<TV, TF, TI, TW> otherwise) => new()
    {
        v0 = TV.SelectLess(a.v0, b.v0, ifLess.v0, otherwise.v0), v1 = TV.SelectLess(a.v1, b.v1, ifLess.v1, otherwise.v1),
        v2 = TV.SelectLess(a.v2, b.v2, ifLess.v2, otherwise.v2), v3 = TV.SelectLess(a.v3, b.v3, ifLess.v3, otherwise.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> ScaleByPowerOfTwo(VectorLane<TV, TF, TI, TW> x, VectorLane<TV, TF, TI, TW> k) => new()
    {
        v0 = Scale(x.v0, k.v0), v1 = Scale(x.v1, k.v1),
        v2 = Scale(x.v2, k.v2), v3 = Scale(x.v3, k.v3),
    };

    /// <summary>
    /// x·2^⌊k/2⌋·2^⌈k/2⌉ in one vector, the operations of the scalar lanes' <c>LaneBits.ScaleByPowerOfTwo</c>: k read from
    /// the bits of k + 1.5·2²³, the two powers of two built as exponent fields.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF Scale(TF x, TF k)
    {
        TI n = TV.SubInt(TV.Bits(TV.Add(k, TV.Splat(12582912f))), TV.SplatInt(0x4B400000));
        TI low = TV.ShiftRightArithmetic(n, 1);
        TI high = TV.SubInt(n, low);
        TI bias = TV.SplatInt(127);
        TF a = TV.FromBits(TV.ShiftLeft(TV.AddInt(low, bias), 23));
        TF b = TV.FromBits(TV.ShiftLeft(TV.AddInt(high, bias), 23));
        return TV.Mul(TV.Mul(x, a), b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> CountOutside(VectorLane<TV, TF, TI, TW> acc, VectorLane<TV, TF, TI, TW> x, float bound) => new()
    {
        v0 = TV.CountOutside(acc.v0, x.v0, bound), v1 = TV.CountOutside(acc.v1, x.v1, bound),
        v2 = TV.CountOutside(acc.v2, x.v2, bound), v3 = TV.CountOutside(acc.v3, x.v3, bound),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorLane<TV, TF, TI, TW> PoisonWhere(VectorLane<TV, TF, TI, TW> x, VectorLane<TV, TF, TI, TW> flag) => new()
    {
        v0 = TV.PoisonWhere(x.v0, flag.v0), v1 = TV.PoisonWhere(x.v1, flag.v1),
        v2 = TV.PoisonWhere(x.v2, flag.v2), v3 = TV.PoisonWhere(x.v3, flag.v3),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe VectorLane<TV, TF, TI, TW> Gather<TP>(in TP table, VectorLane<TV, TF, TI, TW> index, int stride, int offset)
        where TP : struct, IParameters
    {
        // the managed backend keeps every table in pinned host memory (HostParameters)
        if (typeof(TP) == typeof(HostParameters))
        {
            float* p = Unsafe.As<TP, HostParameters>(ref Unsafe.AsRef(in table)).Pointer + offset;
            return new()
            {
                v0 = TV.Gather(p, index.v0, stride), v1 = TV.Gather(p, index.v1, stride),
                v2 = TV.Gather(p, index.v2, stride), v3 = TV.Gather(p, index.v3, stride),
            };
        }

        VectorLane<TV, TF, TI, TW> result = default;
        var values = (float*)&result;
        var at = (float*)&index;
        for (int k = 0; k < Width; k++)
        {
            values[k] = table.Get(((int)at[k] * stride) + offset);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void GatherRow<TP, TS>(in TP table, VectorLane<TV, TF, TI, TW> index, int stride, int offset, int count, TS target, int at)
        where TP : struct, IParameters
        where TS : struct, IStateView<VectorLane<TV, TF, TI, TW>>
    {
        // the managed backend keeps every table in pinned host memory (HostParameters) and its states in lane blocks
        // (BlockState): each vector's rows go straight into the block, coordinate f of vector v at f·Width + v·Floats
        if (typeof(TP) == typeof(HostParameters) && typeof(TS) == typeof(BlockState<VectorLane<TV, TF, TI, TW>>))
        {
            float* p = Unsafe.As<TP, HostParameters>(ref Unsafe.AsRef(in table)).Pointer + offset;
            var output = (float*)(Unsafe.As<TS, BlockState<VectorLane<TV, TF, TI, TW>>>(ref target).Pointer + at);
            TV.GatherRows(p, index.v0, stride, count, output, Width);
            TV.GatherRows(p, index.v1, stride, count, output + TV.Floats, Width);
            TV.GatherRows(p, index.v2, stride, count, output + (2 * TV.Floats), Width);
            TV.GatherRows(p, index.v3, stride, count, output + (3 * TV.Floats), Width);
            return;
        }

        for (int f = 0; f < count; f++)
        {
            target.Set(at + f, Gather(table, index, stride, offset + f));
        }
    }

    public static unsafe void Schedule(void* keys, uint seed, uint firstTrajectory) =>
        Lockstep<TV, TF, TI, TW>.Schedule(keys, Groups, seed, firstTrajectory);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Words(void* keys, uint seed, uint step, uint sub, uint stream, bool allFour, VectorLane<TV, TF, TI, TW>* words) =>
        Lockstep<TV, TF, TI, TW>.Words(keys, Groups, seed, step, sub, stream, allFour, (Duo<TI>*)words, Groups);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Gaussian(VectorLane<TV, TF, TI, TW>* pair) =>
        Lockstep<TV, TF, TI, TW>.Gaussian((Duo<TI>*)pair, Groups, Groups);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Uniform(VectorLane<TV, TF, TI, TW>* words) =>
        Lockstep<TV, TF, TI, TW>.Uniform((Duo<TI>*)words, Groups);
}

/// <summary>
/// Precomputed normals and uniform variates of one lane of trajectories for a run of steps. The Philox, Box–Muller and
/// uniform work of many steps is done in one tight loop (<see cref="Fill"/>) whose iterations are independent, so the
/// processor overlaps them; the step loop then only loads its variates from this L1-resident buffer.
/// Layout per step k, in groups of four lane values: the normal groups, the uniform groups, then the minibatch indices
/// (exact floats); with S = groups + uniformGroups + indexGroups, normal n of step k is at
/// <c>buffer[((k − firstStep)·S + n/4)·4 + n mod 4]</c>, uniform n at <c>buffer[((k − firstStep)·S + groups + n/4)·4 + n mod 4]</c>,
/// index j at <c>buffer[((k − firstStep)·S + groups + uniformGroups)·4 + j]</c>.
/// </summary>
internal readonly unsafe struct BufferedNormals<T> : INormalSource<T> where T : unmanaged, IBlockLane<T>
{
    private readonly T* buffer;
    private readonly uint firstStep;
    private readonly int groups;
    private readonly int indexGroup;
    private readonly int stride;

    private BufferedNormals(T* buffer, uint firstStep, int groups, int indexGroup, int stride)
    {
        this.buffer = buffer;
        this.firstStep = firstStep;
        this.groups = groups;
        this.indexGroup = indexGroup;
        this.stride = stride;
    }

    /// <summary>Groups of four variates per step for <paramref name="perStep"/> of them.</summary>
    public static int Groups(int perStep) => (perStep + 3) / 4;

    /// <summary>Lane values a step takes in the buffer.</summary>
    public static int ValuesPerStep(int normalsPerStep, int uniformsPerStep, int indicesPerStep = 0) =>
        4 * (Groups(normalsPerStep) + Groups(uniformsPerStep) + Groups(indicesPerStep));

    /// <summary>
    /// Draws the first <paramref name="normalsPerStep"/> normals of counters (k, ·, <paramref name="stream"/>) and the first
    /// <paramref name="uniformsPerStep"/> uniform variates of counters (k, ·, <see cref="Philox4x32.UniformStream"/>) for
    /// k = <paramref name="firstStep"/> … + <paramref name="steps"/> − 1, and the first <paramref name="indicesPerStep"/>
    /// minibatch indices of each step under <paramref name="sampler"/>, into <paramref name="buffer"/> and returns the
    /// source that reads them back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BufferedNormals<T> Fill(
        T* buffer, void* keys, uint seed, uint firstStep, int steps, int normalsPerStep, uint stream, int uniformsPerStep = 0, int indicesPerStep = 0, IndexSampler sampler = default)
    {
        // Separate passes, each its own method so the JIT's inlining budget covers every lockstep operation:
        // Philox words first, then Box–Muller and the uniform conversion in place.
        int groups = Groups(normalsPerStep);
        int indexGroup = groups + Groups(uniformsPerStep);
        int stride = indexGroup + Groups(indicesPerStep);
        WordsPass(buffer, keys, seed, firstStep, steps, normalsPerStep, stream, stride);
        GaussianPass(buffer, steps, normalsPerStep, stride);
        if (uniformsPerStep > 0)
        {
            WordsPass(buffer + 4 * groups, keys, seed, firstStep, steps, uniformsPerStep, Philox4x32.UniformStream, stride);
            UniformPass(buffer + 4 * groups, steps, uniformsPerStep, stride);
        }

        if (indicesPerStep > 0)
        {
            IndexPass(buffer + 4 * indexGroup, keys, seed, firstStep, steps, indicesPerStep, sampler, stride);
        }

        return new BufferedNormals<T>(buffer, firstStep, groups, indexGroup, stride);
    }

    /// <summary>
    /// The minibatch indices of the steps with the <see cref="IndexSampler"/> arithmetic on the lockstep Philox words (so
    /// every backend draws the same indices): with replacement one counter per two indices, without replacement one counter
    /// per epoch for the permutation's keys. Eight lanes at a time in Vector256 integer arithmetic where it is accelerated
    /// (the permutation's twelve round keys computed once per epoch; cycle walking per lane under a mask), else lane by lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void IndexPass(T* buffer, void* keys, uint seed, uint firstStep, int steps, int indicesPerStep, IndexSampler sampler, int stride)
    {
        int width = T.Width;
        bool simd = Vector256.IsHardwareAccelerated && Avx2.IsSupported && width % Vector256<uint>.Count == 0;
        T* words = stackalloc T[4];
        var w0 = (uint*)words;
        var w1 = (uint*)(words + 1);
        var w2 = (uint*)(words + 2);
        var w3 = (uint*)(words + 3);
        uint* roundKeys = stackalloc uint[IndexSampler.Rounds * width];
        uint epoch = uint.MaxValue;
        bool haveEpoch = false;
        for (int s = 0; s < steps; s++)
        {
            uint step = firstStep + (uint)s;
            var p = (float*)(buffer + s * stride * 4);
            if (sampler.Mode == IndexSampler.WithReplacement)
            {
                for (int j = 0; j < indicesPerStep; j += 2)
                {
                    T.Words(keys, seed, step, (uint)(j >> 1), Philox4x32.IndexStream, true, words);
                    float* first = p + j * width;
                    float* second = j + 1 < indicesPerStep ? first + width : null;
                    if (simd)
                    {
                        DrawLanes(sampler.Count, w0, w1, first, width);
                        if (second != null)
                        {
                            DrawLanes(sampler.Count, w2, w3, second, width);
                        }

                        continue;
                    }

                    for (int k = 0; k < width; k++)
                    {
                        first[k] = sampler.Draw(w0[k], w1[k]);
                    }

                    if (second != null)
                    {
                        for (int k = 0; k < width; k++)
                        {
                            second[k] = sampler.Draw(w2[k], w3[k]);
                        }
                    }
                }

                continue;
            }

            for (int j = 0; j < indicesPerStep; j++)
            {
                ulong position = sampler.Position(step, j);
                uint e = sampler.Epoch(position);
                if (!haveEpoch || e != epoch)
                {
                    T.Words(keys, seed, e, 0, Philox4x32.PermutationStream, true, words);
                    epoch = e;
                    haveEpoch = true;
                    if (simd)
                    {
                        RoundKeys(w0, w1, w2, w3, roundKeys, width);
                    }
                }

                uint place = sampler.Place(position);
                float* target = p + j * width;
                if (simd)
                {
                    PermuteLanes(sampler, place, roundKeys, target, width);
                    continue;
                }

                for (int k = 0; k < width; k++)
                {
                    target[k] = sampler.Permute(place, w0[k], w1[k], w2[k], w3[k]);
                }
            }
        }
    }

    /// <summary><see cref="IndexSampler.Draw"/> of (<paramref name="high"/>[k], <paramref name="low"/>[k]) for every lane, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DrawLanes(uint count, uint* high, uint* low, float* target, int width)
    {
        // 32×32→64 products of the zero-extended words (vpmuludq): ⌊(high·2³² + low)·n / 2⁶⁴⌋ exactly as the scalar Draw
        Vector256<uint> n = Vector256.Create((ulong)count).AsUInt32();
        for (int k = 0; k < width; k += Vector256<uint>.Count)
        {
            (Vector256<ulong> lowLower, Vector256<ulong> lowUpper) = Vector256.Widen(Vector256.Load(low + k));
            (Vector256<ulong> highLower, Vector256<ulong> highUpper) = Vector256.Widen(Vector256.Load(high + k));
            Vector256<ulong> lower = Avx2.Multiply(highLower.AsUInt32(), n) + (Avx2.Multiply(lowLower.AsUInt32(), n) >>> 32);
            Vector256<ulong> upper = Avx2.Multiply(highUpper.AsUInt32(), n) + (Avx2.Multiply(lowUpper.AsUInt32(), n) >>> 32);
            Vector256.ConvertToSingle(Vector256.Narrow(lower >>> 32, upper >>> 32).AsInt32()).Store(target + k);
        }
    }

    /// <summary>The round keys of <see cref="IndexSampler.Permute"/> for every lane: key r of lane k at <c>roundKeys[r·width + k]</c>.</summary>
    private static void RoundKeys(uint* w0, uint* w1, uint* w2, uint* w3, uint* roundKeys, int width)
    {
        for (int r = 0; r < IndexSampler.Rounds; r++)
        {
            uint* word = (r & 3) switch { 0 => w0, 1 => w1, 2 => w2, _ => w3 };
            for (int k = 0; k < width; k++)
            {
                roundKeys[(r * width) + k] = r < 4 ? word[k] : IndexSampler.Mix(word[k] ^ ((uint)r * 0x9E3779B9u));
            }
        }
    }

    /// <summary>
    /// <see cref="IndexSampler.Permute"/> of <paramref name="place"/> under each lane's keys, eight lanes at a time: every
    /// lane runs the Feistel network until its value falls below n; lanes already there keep their value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PermuteLanes(IndexSampler sampler, uint place, uint* roundKeys, float* target, int width)
    {
        int h = sampler.HalfBits;
        Vector256<uint> mask = Vector256.Create((1u << h) - 1u);
        Vector256<uint> count = Vector256.Create(sampler.Count);
        for (int k = 0; k < width; k += Vector256<uint>.Count)
        {
            Vector256<uint> v = Vector256.Create(place);
            Vector256<uint> walking = Vector256<uint>.AllBitsSet;
            do
            {
                Vector256<uint> left = Vector256.ShiftRightLogical(v, h), right = v & mask;
                uint* key = roundKeys + k;
                for (int r = 0; r < IndexSampler.Rounds; r++, key += width)
                {
                    Vector256<uint> t = left ^ (Mix(right ^ Vector256.Load(key)) & mask);
                    left = right;
                    right = t;
                }

                v = Vector256.ConditionalSelect(walking, Vector256.ShiftLeft(left, h) | right, v);
                walking = Vector256.GreaterThanOrEqual(v, count);
            }
            while (walking != Vector256<uint>.Zero);

            Vector256.ConvertToSingle(v.AsInt32()).Store(target + k);
        }
    }

    /// <summary><see cref="IndexSampler.Mix"/> in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= x >>> 16;
        x *= Vector256.Create(0x7FEB352Du);
        x ^= x >>> 15;
        x *= Vector256.Create(0x846CA68Bu);
        x ^= x >>> 16;
        return x;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void WordsPass(T* buffer, void* keys, uint seed, uint firstStep, int steps, int perStep, uint stream, int stride)
    {
        int groups = Groups(perStep);
        for (int s = 0; s < steps; s++)
        {
            uint step = firstStep + (uint)s;
            T* p = buffer + s * stride * 4;
            for (int g = 0; g < groups; g++, p += 4)
            {
                T.Words(keys, seed, step, (uint)g, stream, perStep - 4 * g > 2, p);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GaussianPass(T* buffer, int steps, int normalsPerStep, int stride)
    {
        // The pairs of a step lie every two values; only the last group may lack its second pair. One call site,
        // so the JIT inlines a single Box–Muller body.
        int pairs = (normalsPerStep + 1) / 2;
        for (int s = 0; s < steps; s++)
        {
            T* p = buffer + s * stride * 4;
            for (int j = 0; j < pairs; j++)
            {
                T.Gaussian(p + 2 * j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void UniformPass(T* buffer, int steps, int uniformsPerStep, int stride)
    {
        for (int s = 0; s < steps; s++)
        {
            T* p = buffer + s * stride * 4;
            for (int j = 0; j < uniformsPerStep; j++)
            {
                T.Uniform(p + j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Four(uint step, uint sub, uint stream, out T z0, out T z1, out T z2, out T z3)
    {
        T* p = buffer + (((int)(step - firstStep) * stride + (int)sub) << 2);
        z0 = p[0];
        z1 = p[1];
        z2 = p[2];
        z3 = p[3];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Two(uint step, uint sub, uint stream, out T z0, out T z1)
    {
        T* p = buffer + (((int)(step - firstStep) * stride + (int)sub) << 2);
        z0 = p[0];
        z1 = p[1];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Uniforms(uint step, uint sub, out T u0, out T u1, out T u2, out T u3)
    {
        T* p = buffer + (((int)(step - firstStep) * stride + groups + (int)sub) << 2);
        u0 = p[0];
        u1 = p[1];
        u2 = p[2];
        u3 = p[3];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Index(IndexSampler sampler, uint step, int j) => buffer[(((int)(step - firstStep) * stride + indexGroup) << 2) + j];
}

/// <summary>A lane state vector in worker-owned memory.</summary>
internal readonly unsafe struct BlockState<T> : IStateView<T> where T : unmanaged, ILane<T>
{
    private readonly T* data;

    public BlockState(T* data) => this.data = data;

    /// <summary>Coordinate 0.</summary>
    public T* Pointer => data;

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

    /// <summary>The first entry.</summary>
    public float* Pointer => data;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Get(int i) => data[i];
}
