using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SgdDynamics.Backends.Managed;

/// <summary>
/// The SIMD operations the managed random-number path is written in, once for every vector width: float
/// values <typeparamref name="TF"/>, 32-bit integer values <typeparamref name="TI"/> and 64-bit word values
/// <typeparamref name="TW"/> of the same trajectories (a 32-bit Philox word in the low half of each 64-bit
/// lane, so the 32×32→64 multiply is one <c>vpmuludq</c>; <see cref="Pack"/> gathers the low halves).
/// </summary>
internal interface ISimdOps<TF, TI, TW>
    where TF : struct
    where TI : struct
    where TW : struct
{
    static abstract TF Splat(float value);
    static abstract TI SplatInt(int value);
    static abstract TW SplatWord(ulong value);
    static abstract TF Add(TF a, TF b);
    static abstract TF Mul(TF a, TF b);
    static abstract TF MulAdd(TF a, TF b, TF c);
    static abstract TF Sqrt(TF a);
    static abstract TF ToFloat(TI a);
    static abstract TI Bits(TF a);
    static abstract TF FromBits(TI a);
    static abstract TI AddInt(TI a, TI b);
    static abstract TI SubInt(TI a, TI b);
    static abstract TI And(TI a, TI b);
    static abstract TI Xor(TI a, TI b);
    static abstract TI ShiftRightLogical(TI a, byte count);
    static abstract TI ShiftRightArithmetic(TI a, byte count);
    static abstract TI ShiftLeft(TI a, byte count);
    static abstract TF SelectNonZero(TI mask, TF ifSet, TF ifClear);
    static abstract TW MulWide(TW a, TW m);
    static abstract TW High(TW a);
    static abstract TW Xor3(TW a, TW b, TW c);
    static abstract TW XorWord(TW a, TW b);
    static abstract TI Pack(TW words);
}

/// <summary>Two independent values side by side.</summary>
internal struct Duo<T>(T a, T b) where T : struct
{
    public T A = a;
    public T B = b;
}

/// <summary>Four independent values side by side.</summary>
internal struct Quad<T>(T a, T b, T c, T d) where T : struct
{
    public T A = a;
    public T B = b;
    public T C = c;
    public T D = d;
}

/// <summary>
/// AVX-512: 32 trajectories as two Vector512 float/int values and four Vector512 word values.
/// Every operation is applied to the independent vectors one after the other (lockstep): the JIT emits
/// instructions in source order and does not schedule them, so lockstep is what lets the processor overlap
/// the long dependency chains of Philox (ten multiply rounds) and Box–Muller (a nine-term polynomial).
/// </summary>
internal readonly struct Lockstep512 : ISimdOps<Duo<Vector512<float>>, Duo<Vector512<int>>, Quad<Vector512<ulong>>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> Splat(float value) =>
        new(Vector512.Create(value), Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> SplatInt(int value) =>
        new(Vector512.Create(value), Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector512<ulong>> SplatWord(ulong value) =>
        new(Vector512.Create(value), Vector512.Create(value), Vector512.Create(value), Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> Add(Duo<Vector512<float>> a, Duo<Vector512<float>> b) =>
        new(a.A + b.A, a.B + b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> Mul(Duo<Vector512<float>> a, Duo<Vector512<float>> b) =>
        new(a.A * b.A, a.B * b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> MulAdd(Duo<Vector512<float>> a, Duo<Vector512<float>> b, Duo<Vector512<float>> c) =>
        new(Vector512.FusedMultiplyAdd(a.A, b.A, c.A), Vector512.FusedMultiplyAdd(a.B, b.B, c.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> Sqrt(Duo<Vector512<float>> a) =>
        new(Vector512.Sqrt(a.A), Vector512.Sqrt(a.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> ToFloat(Duo<Vector512<int>> a) =>
        new(Vector512.ConvertToSingle(a.A), Vector512.ConvertToSingle(a.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> Bits(Duo<Vector512<float>> a) =>
        new(a.A.AsInt32(), a.B.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> FromBits(Duo<Vector512<int>> a) =>
        new(a.A.AsSingle(), a.B.AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> AddInt(Duo<Vector512<int>> a, Duo<Vector512<int>> b) =>
        new(a.A + b.A, a.B + b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> SubInt(Duo<Vector512<int>> a, Duo<Vector512<int>> b) =>
        new(a.A - b.A, a.B - b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> And(Duo<Vector512<int>> a, Duo<Vector512<int>> b) =>
        new(a.A & b.A, a.B & b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> Xor(Duo<Vector512<int>> a, Duo<Vector512<int>> b) =>
        new(a.A ^ b.A, a.B ^ b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> ShiftRightLogical(Duo<Vector512<int>> a, byte count) =>
        new(Vector512.ShiftRightLogical(a.A, count), Vector512.ShiftRightLogical(a.B, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> ShiftRightArithmetic(Duo<Vector512<int>> a, byte count) =>
        new(Vector512.ShiftRightArithmetic(a.A, count), Vector512.ShiftRightArithmetic(a.B, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> ShiftLeft(Duo<Vector512<int>> a, byte count) =>
        new(Vector512.ShiftLeft(a.A, count), Vector512.ShiftLeft(a.B, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<float>> SelectNonZero(Duo<Vector512<int>> mask, Duo<Vector512<float>> ifSet, Duo<Vector512<float>> ifClear) =>
        new(Vector512.ConditionalSelect(Vector512.Equals(mask.A, Vector512<int>.Zero).AsSingle(), ifClear.A, ifSet.A), Vector512.ConditionalSelect(Vector512.Equals(mask.B, Vector512<int>.Zero).AsSingle(), ifClear.B, ifSet.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector512<ulong>> MulWide(Quad<Vector512<ulong>> a, Quad<Vector512<ulong>> m) =>
        new(Avx512F.Multiply(a.A.AsUInt32(), m.A.AsUInt32()), Avx512F.Multiply(a.B.AsUInt32(), m.B.AsUInt32()), Avx512F.Multiply(a.C.AsUInt32(), m.C.AsUInt32()), Avx512F.Multiply(a.D.AsUInt32(), m.D.AsUInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector512<ulong>> High(Quad<Vector512<ulong>> a) =>
        new(Vector512.ShiftRightLogical(a.A, 32), Vector512.ShiftRightLogical(a.B, 32), Vector512.ShiftRightLogical(a.C, 32), Vector512.ShiftRightLogical(a.D, 32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector512<ulong>> Xor3(Quad<Vector512<ulong>> a, Quad<Vector512<ulong>> b, Quad<Vector512<ulong>> c) =>
        new(Avx512F.TernaryLogic(a.A, b.A, c.A, 0x96), Avx512F.TernaryLogic(a.B, b.B, c.B, 0x96), Avx512F.TernaryLogic(a.C, b.C, c.C, 0x96), Avx512F.TernaryLogic(a.D, b.D, c.D, 0x96));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector512<ulong>> XorWord(Quad<Vector512<ulong>> a, Quad<Vector512<ulong>> b) =>
        new(a.A ^ b.A, a.B ^ b.B, a.C ^ b.C, a.D ^ b.D);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector512<int>> Pack(Quad<Vector512<ulong>> words) =>
        new(Pack(words.A, words.B), Pack(words.C, words.D));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Pack(Vector512<ulong> low, Vector512<ulong> high) => Avx512F.PermuteVar16x32x2(low.AsUInt32(), Vector512.Create(0u, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), high.AsUInt32()).AsInt32();
}

/// <summary>
/// AVX2 (or portable Vector256): 16 trajectories as two Vector256 float/int values and four Vector256 word values.
/// Every operation is applied to the independent vectors one after the other (lockstep): the JIT emits
/// instructions in source order and does not schedule them, so lockstep is what lets the processor overlap
/// the long dependency chains of Philox (ten multiply rounds) and Box–Muller (a nine-term polynomial).
/// </summary>
internal readonly struct Lockstep256 : ISimdOps<Duo<Vector256<float>>, Duo<Vector256<int>>, Quad<Vector256<ulong>>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> Splat(float value) =>
        new(Vector256.Create(value), Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> SplatInt(int value) =>
        new(Vector256.Create(value), Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector256<ulong>> SplatWord(ulong value) =>
        new(Vector256.Create(value), Vector256.Create(value), Vector256.Create(value), Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> Add(Duo<Vector256<float>> a, Duo<Vector256<float>> b) =>
        new(a.A + b.A, a.B + b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> Mul(Duo<Vector256<float>> a, Duo<Vector256<float>> b) =>
        new(a.A * b.A, a.B * b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> MulAdd(Duo<Vector256<float>> a, Duo<Vector256<float>> b, Duo<Vector256<float>> c) =>
        new(Vector256.FusedMultiplyAdd(a.A, b.A, c.A), Vector256.FusedMultiplyAdd(a.B, b.B, c.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> Sqrt(Duo<Vector256<float>> a) =>
        new(Vector256.Sqrt(a.A), Vector256.Sqrt(a.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> ToFloat(Duo<Vector256<int>> a) =>
        new(Vector256.ConvertToSingle(a.A), Vector256.ConvertToSingle(a.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> Bits(Duo<Vector256<float>> a) =>
        new(a.A.AsInt32(), a.B.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> FromBits(Duo<Vector256<int>> a) =>
        new(a.A.AsSingle(), a.B.AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> AddInt(Duo<Vector256<int>> a, Duo<Vector256<int>> b) =>
        new(a.A + b.A, a.B + b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> SubInt(Duo<Vector256<int>> a, Duo<Vector256<int>> b) =>
        new(a.A - b.A, a.B - b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> And(Duo<Vector256<int>> a, Duo<Vector256<int>> b) =>
        new(a.A & b.A, a.B & b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> Xor(Duo<Vector256<int>> a, Duo<Vector256<int>> b) =>
        new(a.A ^ b.A, a.B ^ b.B);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> ShiftRightLogical(Duo<Vector256<int>> a, byte count) =>
        new(Vector256.ShiftRightLogical(a.A, count), Vector256.ShiftRightLogical(a.B, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> ShiftRightArithmetic(Duo<Vector256<int>> a, byte count) =>
        new(Vector256.ShiftRightArithmetic(a.A, count), Vector256.ShiftRightArithmetic(a.B, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> ShiftLeft(Duo<Vector256<int>> a, byte count) =>
        new(Vector256.ShiftLeft(a.A, count), Vector256.ShiftLeft(a.B, count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<float>> SelectNonZero(Duo<Vector256<int>> mask, Duo<Vector256<float>> ifSet, Duo<Vector256<float>> ifClear) =>
        new(Vector256.ConditionalSelect(Vector256.Equals(mask.A, Vector256<int>.Zero).AsSingle(), ifClear.A, ifSet.A), Vector256.ConditionalSelect(Vector256.Equals(mask.B, Vector256<int>.Zero).AsSingle(), ifClear.B, ifSet.B));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector256<ulong>> MulWide(Quad<Vector256<ulong>> a, Quad<Vector256<ulong>> m) =>
        new(MulLow(a.A, m.A), MulLow(a.B, m.B), MulLow(a.C, m.C), MulLow(a.D, m.D));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector256<ulong>> High(Quad<Vector256<ulong>> a) =>
        new(Vector256.ShiftRightLogical(a.A, 32), Vector256.ShiftRightLogical(a.B, 32), Vector256.ShiftRightLogical(a.C, 32), Vector256.ShiftRightLogical(a.D, 32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector256<ulong>> Xor3(Quad<Vector256<ulong>> a, Quad<Vector256<ulong>> b, Quad<Vector256<ulong>> c) =>
        new(a.A ^ b.A ^ c.A, a.B ^ b.B ^ c.B, a.C ^ b.C ^ c.C, a.D ^ b.D ^ c.D);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<Vector256<ulong>> XorWord(Quad<Vector256<ulong>> a, Quad<Vector256<ulong>> b) =>
        new(a.A ^ b.A, a.B ^ b.B, a.C ^ b.C, a.D ^ b.D);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<Vector256<int>> Pack(Quad<Vector256<ulong>> words) =>
        new(Pack(words.A, words.B), Pack(words.C, words.D));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Pack(Vector256<ulong> low, Vector256<ulong> high) => Vector256.Narrow(low, high).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> MulLow(Vector256<ulong> a, Vector256<ulong> m) =>
        Avx2.IsSupported ? Avx2.Multiply(a.AsUInt32(), m.AsUInt32()) : (a & Vector256.Create(0xFFFFFFFFul)) * m;
}
