using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SgdDynamics.Backends.Managed;

/// <summary>
/// One SIMD vector width: float values <typeparamref name="TF"/>, 32-bit integer values <typeparamref name="TI"/> and
/// 64-bit word values <typeparamref name="TW"/> (a 32-bit Philox word in the low half of each 64-bit lane, so the
/// 32×32→64 multiply is one <c>vpmuludq</c>; <see cref="Pack"/> gathers the low halves). The members map
/// each operation to <see cref="Vector512Width"/> and <see cref="Vector256Width"/>. The managed lanes
/// (<see cref="VectorLane{TV, TF, TI, TW}"/>) and the random-number path (<see cref="Lockstep{TV, TF, TI, TW}"/>) are
/// written once over this interface; only these one-line mappings exist per width.
/// </summary>
internal interface IVectorWidth<TF, TI, TW>
    where TF : unmanaged
    where TI : unmanaged
    where TW : unmanaged
{
    /// <summary>Floats (trajectories) per vector.</summary>
    static abstract int Floats { get; }

    static abstract TF Splat(float value);
    static abstract TI SplatInt(int value);
    static abstract TW SplatWord(ulong value);
    static abstract TF Add(TF a, TF b);
    static abstract TF Sub(TF a, TF b);
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

    /// <summary>a / b, correctly rounded.</summary>
    static abstract TF Divide(TF a, TF b);

    /// <summary><c>a &gt; b ? a : b</c> per lane (the <c>maxps</c> rule: b where either is NaN or both are zeros).</summary>
    static abstract TF Max(TF a, TF b);

    /// <summary><c>a &lt; b ? a : b</c> per lane (the <c>minps</c> rule: b where either is NaN or both are zeros).</summary>
    static abstract TF Min(TF a, TF b);

    /// <summary><c>a &lt; b ? ifLess : otherwise</c> per lane.</summary>
    static abstract TF SelectLess(TF a, TF b, TF ifLess, TF otherwise);

    /// <summary><c>acc + (|x| ≤ bound ? 0 : 1)</c>, NaN counted as outside.</summary>
    static abstract TF CountOutside(TF acc, TF x, float bound);

    /// <summary>NaN where <paramref name="flag"/> ≠ 0, else <paramref name="x"/>.</summary>
    static abstract TF PoisonWhere(TF x, TF flag);

    /// <summary>Low 32 bits of each 64-bit lane of <paramref name="a"/> times those of <paramref name="m"/>, as 64 bits.</summary>
    static abstract TW MulWide(TW a, TW m);

    /// <summary>The high 32 bits of each 64-bit lane, moved to the low half.</summary>
    static abstract TW High(TW a);

    /// <summary><c>a ^ b ^ c</c>.</summary>
    static abstract TW Xor3(TW a, TW b, TW c);

    static abstract TW XorWord(TW a, TW b);

    /// <summary>The low 32 bits of every 64-bit lane of <paramref name="low"/>, then of <paramref name="high"/>.</summary>
    static abstract TI Pack(TW low, TW high);

    /// <summary>In each lane, <c>table[index·stride]</c>; <paramref name="index"/> holds exact non-negative integers.</summary>
    static abstract unsafe TF Gather(float* table, TF index, int stride);

    /// <summary>
    /// <paramref name="count"/> columns of rows: <c>output[f·outputStride + k] = table[index_k·stride + f]</c> for
    /// f = 0 … count − 1 and every lane k (<see cref="Gather"/> of each column, or the rows read whole and transposed).
    /// </summary>
    static abstract unsafe void GatherRows(float* table, TF index, int stride, int count, float* output, int outputStride);
}

/// <summary>AVX-512: 16 floats per vector.</summary>
internal readonly struct Vector512Width : IVectorWidth<Vector512<float>, Vector512<int>, Vector512<ulong>>
{
    public static int Floats => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> SplatInt(int value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> SplatWord(ulong value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> AddInt(Vector512<int> a, Vector512<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> SubInt(Vector512<int> a, Vector512<int> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> And(Vector512<int> a, Vector512<int> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Xor(Vector512<int> a, Vector512<int> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ShiftRightLogical(Vector512<int> a, byte count) => Vector512.ShiftRightLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ShiftRightArithmetic(Vector512<int> a, byte count) => Vector512.ShiftRightArithmetic(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ShiftLeft(Vector512<int> a, byte count) => Vector512.ShiftLeft(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> High(Vector512<ulong> a) => Vector512.ShiftRightLogical(a, 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> XorWord(Vector512<ulong> a, Vector512<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToFloat(Vector512<int> a) => Vector512.ConvertToSingle(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Bits(Vector512<float> a) => a.AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FromBits(Vector512<int> a) => a.AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SelectNonZero(Vector512<int> mask, Vector512<float> ifSet, Vector512<float> ifClear) =>
        Vector512.ConditionalSelect(Vector512.Equals(mask, Vector512<int>.Zero).AsSingle(), ifClear, ifSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    // maxps/minps return the second operand where either is NaN or both are zeros: a > b ? a : b (the JIT keeps the order)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Avx512F.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Avx512F.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SelectLess(Vector512<float> a, Vector512<float> b, Vector512<float> ifLess, Vector512<float> otherwise) =>
        Vector512.ConditionalSelect(Vector512.LessThan(a, b), ifLess, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> CountOutside(Vector512<float> acc, Vector512<float> x, float bound) =>
        acc + Vector512.AndNot(Vector512<float>.One, Vector512.LessThanOrEqual(Vector512.Abs(x), Vector512.Create(bound)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PoisonWhere(Vector512<float> x, Vector512<float> flag) =>
        Vector512.ConditionalSelect(Vector512.Equals(flag, Vector512<float>.Zero), x, Vector512.Create(float.NaN));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> MulWide(Vector512<ulong> a, Vector512<ulong> m) => Avx512F.Multiply(a.AsUInt32(), m.AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Xor3(Vector512<ulong> a, Vector512<ulong> b, Vector512<ulong> c) => Avx512F.TernaryLogic(a, b, c, 0x96);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Pack(Vector512<ulong> low, Vector512<ulong> high) =>
        Avx512F.PermuteVar16x32x2(low.AsUInt32(), Vector512.Create(0u, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), high.AsUInt32()).AsInt32();

    // .NET has no AVX-512 gather intrinsic: two AVX2 gathers of eight.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Gather(float* table, Vector512<float> index, int stride)
    {
        Vector512<int> offsets = Vector512.ConvertToInt32(index) * stride;
        if (Avx2.IsSupported)
        {
            return Vector512.Create(Avx2.GatherVector256(table, offsets.GetLower(), 4), Avx2.GatherVector256(table, offsets.GetUpper(), 4));
        }

        return SimdGather.Scalar<Vector512<float>, Vector512<int>>(table, offsets, Vector512<float>.Count);
    }

    /// <summary>
    /// Rows of at least 16 floats are read 16 at a time (sixteen unaligned loads, one per lane) and transposed
    /// (<see cref="SimdTranspose.Rows16"/>), the rest of a row (fewer than 16) as one more block of 16 or as blocks of 4
    /// (<see cref="SimdTranspose.Rows4"/>) when at most 8, the last block ending at the row's end (overlapping the one
    /// before); shorter rows by gathers. Measured on the MNIST MLP (36 floats a row: 16 + 16 + 4, 64 lanes): about a
    /// third of the time of the gathers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void GatherRows(float* table, Vector512<float> index, int stride, int count, float* output, int outputStride)
    {
        if (count < 16 || !Avx512F.IsSupported)
        {
            for (int column = 0; column < count; column++)
            {
                Gather(table + column, index, stride).Store(output + (column * outputStride));
            }

            return;
        }

        int* rows = stackalloc int[16];
        (Vector512.ConvertToInt32(index) * stride).Store(rows);
        int f = 0;
        for (; f + 16 <= count; f += 16)
        {
            SimdTranspose.Rows16(table + f, rows, output + (f * outputStride), outputStride, 0);
        }

        int rest = count - f;
        if (rest > 8)
        {
            // one more block of 16, ending at the row's end
            int start = count - 16;
            SimdTranspose.Rows16(table + start, rows, output + (start * outputStride), outputStride, f - start);
        }
        else
        {
            // blocks of 4, the last ending at the row's end
            for (; f < count; f += 4)
            {
                int start = Math.Min(f, count - 4);
                SimdTranspose.Rows4(table + start, rows, output + (start * outputStride), outputStride, f - start);
            }
        }
    }
}

/// <summary>AVX2, or portable Vector256 where neither width is accelerated: 8 floats per vector.</summary>
internal readonly struct Vector256Width : IVectorWidth<Vector256<float>, Vector256<int>, Vector256<ulong>>
{
    public static int Floats => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Splat(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> SplatInt(int value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> SplatWord(ulong value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> AddInt(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> SubInt(Vector256<int> a, Vector256<int> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> And(Vector256<int> a, Vector256<int> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Xor(Vector256<int> a, Vector256<int> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ShiftRightLogical(Vector256<int> a, byte count) => Vector256.ShiftRightLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ShiftRightArithmetic(Vector256<int> a, byte count) => Vector256.ShiftRightArithmetic(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ShiftLeft(Vector256<int> a, byte count) => Vector256.ShiftLeft(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> High(Vector256<ulong> a) => Vector256.ShiftRightLogical(a, 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> XorWord(Vector256<ulong> a, Vector256<ulong> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToFloat(Vector256<int> a) => Vector256.ConvertToSingle(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Bits(Vector256<float> a) => a.AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FromBits(Vector256<int> a) => a.AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SelectNonZero(Vector256<int> mask, Vector256<float> ifSet, Vector256<float> ifClear) =>
        Vector256.ConditionalSelect(Vector256.Equals(mask, Vector256<int>.Zero).AsSingle(), ifClear, ifSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    // maxps/minps return the second operand where either is NaN or both are zeros: a > b ? a : b (the JIT keeps the order)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Avx.IsSupported ? Avx.Max(a, b) : Vector256.ConditionalSelect(Vector256.GreaterThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Avx.IsSupported ? Avx.Min(a, b) : Vector256.ConditionalSelect(Vector256.LessThan(a, b), a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SelectLess(Vector256<float> a, Vector256<float> b, Vector256<float> ifLess, Vector256<float> otherwise) =>
        Vector256.ConditionalSelect(Vector256.LessThan(a, b), ifLess, otherwise);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> CountOutside(Vector256<float> acc, Vector256<float> x, float bound) =>
        acc + Vector256.AndNot(Vector256<float>.One, Vector256.LessThanOrEqual(Vector256.Abs(x), Vector256.Create(bound)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PoisonWhere(Vector256<float> x, Vector256<float> flag) =>
        Vector256.ConditionalSelect(Vector256.Equals(flag, Vector256<float>.Zero), x, Vector256.Create(float.NaN));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> MulWide(Vector256<ulong> a, Vector256<ulong> m) =>
        Avx2.IsSupported ? Avx2.Multiply(a.AsUInt32(), m.AsUInt32()) : (a & Vector256.Create(0xFFFFFFFFul)) * m;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Xor3(Vector256<ulong> a, Vector256<ulong> b, Vector256<ulong> c) => a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Pack(Vector256<ulong> low, Vector256<ulong> high) => Vector256.Narrow(low, high).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Gather(float* table, Vector256<float> index, int stride)
    {
        Vector256<int> offsets = Vector256.ConvertToInt32(index) * stride;
        return Avx2.IsSupported
            ? Avx2.GatherVector256(table, offsets, 4)
            : SimdGather.Scalar<Vector256<float>, Vector256<int>>(table, offsets, Vector256<float>.Count);
    }

    /// <summary>Column by column, with <see cref="Gather"/>.</summary>
    public static unsafe void GatherRows(float* table, Vector256<float> index, int stride, int count, float* output, int outputStride)
    {
        for (int f = 0; f < count; f++)
        {
            Gather(table + f, index, stride).Store(output + (f * outputStride));
        }
    }
}

/// <summary>The gather of lanes without a hardware gather instruction.</summary>
internal static class SimdGather
{
    /// <summary>A vector of <paramref name="count"/> floats <c>table[offsets[k]]</c>.</summary>
    public static unsafe TF Scalar<TF, TI>(float* table, TI offsets, int count)
        where TF : unmanaged
        where TI : unmanaged
    {
        TF result = default;
        var values = (float*)&result;
        var at = (int*)&offsets;
        for (int k = 0; k < count; k++)
        {
            values[k] = table[at[k]];
        }

        return result;
    }
}

/// <summary>Transposition of rows read from memory into column vectors.</summary>
internal static class SimdTranspose
{
    /// <summary>
    /// Sixteen rows of sixteen floats, row k at <c>table + rows[k]</c>, into sixteen column vectors, column c (element k
    /// from row k) at <c>output + c·outputStride</c> for c ≥ <paramref name="skip"/> (the columns before are not
    /// written): a 16 × 16 transposition in four rounds of sixteen two-source shuffles (32-bit and 64-bit unpacks, then two
    /// rounds of 128-bit block shuffles).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Rows16(float* table, int* rows, float* output, int outputStride, int skip)
    {
        Vector512<float> m0 = Vector512.Load(table + rows[0]), m1 = Vector512.Load(table + rows[1]);
        Vector512<float> m2 = Vector512.Load(table + rows[2]), m3 = Vector512.Load(table + rows[3]);
        Vector512<float> m4 = Vector512.Load(table + rows[4]), m5 = Vector512.Load(table + rows[5]);
        Vector512<float> m6 = Vector512.Load(table + rows[6]), m7 = Vector512.Load(table + rows[7]);
        Vector512<float> m8 = Vector512.Load(table + rows[8]), m9 = Vector512.Load(table + rows[9]);
        Vector512<float> m10 = Vector512.Load(table + rows[10]), m11 = Vector512.Load(table + rows[11]);
        Vector512<float> m12 = Vector512.Load(table + rows[12]), m13 = Vector512.Load(table + rows[13]);
        Vector512<float> m14 = Vector512.Load(table + rows[14]), m15 = Vector512.Load(table + rows[15]);

        // rows 2j and 2j + 1 interleaved element by element within each 128-bit block
        Vector512<double> t0 = Avx512F.UnpackLow(m0, m1).AsDouble(), t1 = Avx512F.UnpackHigh(m0, m1).AsDouble();
        Vector512<double> t2 = Avx512F.UnpackLow(m2, m3).AsDouble(), t3 = Avx512F.UnpackHigh(m2, m3).AsDouble();
        Vector512<double> t4 = Avx512F.UnpackLow(m4, m5).AsDouble(), t5 = Avx512F.UnpackHigh(m4, m5).AsDouble();
        Vector512<double> t6 = Avx512F.UnpackLow(m6, m7).AsDouble(), t7 = Avx512F.UnpackHigh(m6, m7).AsDouble();
        Vector512<double> t8 = Avx512F.UnpackLow(m8, m9).AsDouble(), t9 = Avx512F.UnpackHigh(m8, m9).AsDouble();
        Vector512<double> t10 = Avx512F.UnpackLow(m10, m11).AsDouble(), t11 = Avx512F.UnpackHigh(m10, m11).AsDouble();
        Vector512<double> t12 = Avx512F.UnpackLow(m12, m13).AsDouble(), t13 = Avx512F.UnpackHigh(m12, m13).AsDouble();
        Vector512<double> t14 = Avx512F.UnpackLow(m14, m15).AsDouble(), t15 = Avx512F.UnpackHigh(m14, m15).AsDouble();

        // four rows' element c in each 128-bit block, c = 4·block + (which of the four u)
        Vector512<float> u0 = Avx512F.UnpackLow(t0, t2).AsSingle(), u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        Vector512<float> u2 = Avx512F.UnpackLow(t1, t3).AsSingle(), u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
        Vector512<float> u4 = Avx512F.UnpackLow(t4, t6).AsSingle(), u5 = Avx512F.UnpackHigh(t4, t6).AsSingle();
        Vector512<float> u6 = Avx512F.UnpackLow(t5, t7).AsSingle(), u7 = Avx512F.UnpackHigh(t5, t7).AsSingle();
        Vector512<float> u8 = Avx512F.UnpackLow(t8, t10).AsSingle(), u9 = Avx512F.UnpackHigh(t8, t10).AsSingle();
        Vector512<float> u10 = Avx512F.UnpackLow(t9, t11).AsSingle(), u11 = Avx512F.UnpackHigh(t9, t11).AsSingle();
        Vector512<float> u12 = Avx512F.UnpackLow(t12, t14).AsSingle(), u13 = Avx512F.UnpackHigh(t12, t14).AsSingle();
        Vector512<float> u14 = Avx512F.UnpackLow(t13, t15).AsSingle(), u15 = Avx512F.UnpackHigh(t13, t15).AsSingle();

        // blocks 0 and 2 (0x88) or 1 and 3 (0xDD) of two vectors
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), v1 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        Vector512<float> v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), v3 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        Vector512<float> v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD), v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        Vector512<float> v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD), v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        Vector512<float> v8 = Avx512F.Shuffle4x128(u8, u12, 0x88), v9 = Avx512F.Shuffle4x128(u9, u13, 0x88);
        Vector512<float> v10 = Avx512F.Shuffle4x128(u10, u14, 0x88), v11 = Avx512F.Shuffle4x128(u11, u15, 0x88);
        Vector512<float> v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD), v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Vector512<float> v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD), v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        Store(Avx512F.Shuffle4x128(v0, v8, 0x88), output, outputStride, 0, skip);
        Store(Avx512F.Shuffle4x128(v1, v9, 0x88), output, outputStride, 1, skip);
        Store(Avx512F.Shuffle4x128(v2, v10, 0x88), output, outputStride, 2, skip);
        Store(Avx512F.Shuffle4x128(v3, v11, 0x88), output, outputStride, 3, skip);
        Store(Avx512F.Shuffle4x128(v4, v12, 0x88), output, outputStride, 4, skip);
        Store(Avx512F.Shuffle4x128(v5, v13, 0x88), output, outputStride, 5, skip);
        Store(Avx512F.Shuffle4x128(v6, v14, 0x88), output, outputStride, 6, skip);
        Store(Avx512F.Shuffle4x128(v7, v15, 0x88), output, outputStride, 7, skip);
        Store(Avx512F.Shuffle4x128(v0, v8, 0xDD), output, outputStride, 8, skip);
        Store(Avx512F.Shuffle4x128(v1, v9, 0xDD), output, outputStride, 9, skip);
        Store(Avx512F.Shuffle4x128(v2, v10, 0xDD), output, outputStride, 10, skip);
        Store(Avx512F.Shuffle4x128(v3, v11, 0xDD), output, outputStride, 11, skip);
        Store(Avx512F.Shuffle4x128(v4, v12, 0xDD), output, outputStride, 12, skip);
        Store(Avx512F.Shuffle4x128(v5, v13, 0xDD), output, outputStride, 13, skip);
        Store(Avx512F.Shuffle4x128(v6, v14, 0xDD), output, outputStride, 14, skip);
        Store(Avx512F.Shuffle4x128(v7, v15, 0xDD), output, outputStride, 15, skip);
    }

    /// <summary>
    /// Sixteen rows of four floats, row k at <c>table + rows[k]</c>, into four column vectors at
    /// <c>output + c·outputStride</c> for c ≥ <paramref name="skip"/>: each row's four floats broadcast to the 128-bit
    /// block of its vector (block q of vector s: row 4q + s) and merged, then a 4 × 4 transposition within the blocks
    /// (eight unpacks).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Rows4(float* table, int* rows, float* output, int outputStride, int skip)
    {
        Vector512<float> a0 = Blocks(table, rows, 0), a1 = Blocks(table, rows, 1), a2 = Blocks(table, rows, 2), a3 = Blocks(table, rows, 3);
        Vector512<double> t0 = Avx512F.UnpackLow(a0, a1).AsDouble(), t1 = Avx512F.UnpackHigh(a0, a1).AsDouble();
        Vector512<double> t2 = Avx512F.UnpackLow(a2, a3).AsDouble(), t3 = Avx512F.UnpackHigh(a2, a3).AsDouble();
        Store(Avx512F.UnpackLow(t0, t2).AsSingle(), output, outputStride, 0, skip);
        Store(Avx512F.UnpackHigh(t0, t2).AsSingle(), output, outputStride, 1, skip);
        Store(Avx512F.UnpackLow(t1, t3).AsSingle(), output, outputStride, 2, skip);
        Store(Avx512F.UnpackHigh(t1, t3).AsSingle(), output, outputStride, 3, skip);
    }

    /// <summary>Block q of the result: the four floats of row 4q + <paramref name="s"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Blocks(float* table, int* rows, int s)
    {
        Vector512<float> result = Avx512F.BroadcastVector128ToVector512(table + rows[s]);
        result = Vector512.ConditionalSelect(Vector512.Create(0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0).AsSingle(), Avx512F.BroadcastVector128ToVector512(table + rows[4 + s]), result);
        result = Vector512.ConditionalSelect(Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0).AsSingle(), Avx512F.BroadcastVector128ToVector512(table + rows[8 + s]), result);
        return Vector512.ConditionalSelect(Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1).AsSingle(), Avx512F.BroadcastVector128ToVector512(table + rows[12 + s]), result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(Vector512<float> column, float* output, int outputStride, int c, int skip)
    {
        if (c >= skip)
        {
            column.Store(output + (c * outputStride));
        }
    }
}

/// <summary>Two independent vectors side by side.</summary>
internal struct Duo<T> where T : struct
{
    public T A;
    public T B;
}

/// <summary>Four independent vectors side by side.</summary>
internal struct Quad<T> where T : struct
{
    public T A;
    public T B;
    public T C;
    public T D;
}

/// <summary>
/// Lockstep operations of width <typeparamref name="TV"/> on two float/int vectors (<see cref="Duo{T}"/>) and four
/// 64-bit word vectors (<see cref="Quad{T}"/>): 32 trajectories with AVX-512, 16 with Vector256. Every operation is
/// applied to the independent vectors one after the other: the JIT emits instructions in source order and does not
/// schedule them, so lockstep is what lets the processor overlap the long dependency chains of Philox (ten multiply
/// rounds) and Box–Muller (a nine-term polynomial). A splatted constant is materialised once for all the vectors.
/// Results are built field by field (object initialisers, not constructors): constructor arguments that are inlined
/// calls would each need a temporary, and the JIT stops inlining a method that has too many of them.
/// The random-number algorithms written in these operations are in SimdRandom.cs.
/// </summary>
internal static partial class Lockstep<TV, TF, TI, TW>
    where TV : struct, IVectorWidth<TF, TI, TW>
    where TF : unmanaged
    where TI : unmanaged
    where TW : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> Splat(float value)
    {
        TF v = TV.Splat(value);
        return new() { A = v, B = v };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> SplatInt(int value)
    {
        TI v = TV.SplatInt(value);
        return new() { A = v, B = v };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> Add(Duo<TF> a, Duo<TF> b) => new() { A = TV.Add(a.A, b.A), B = TV.Add(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> Sub(Duo<TF> a, Duo<TF> b) => new() { A = TV.Sub(a.A, b.A), B = TV.Sub(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> Mul(Duo<TF> a, Duo<TF> b) => new() { A = TV.Mul(a.A, b.A), B = TV.Mul(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> MulAdd(Duo<TF> a, Duo<TF> b, Duo<TF> c) => new() { A = TV.MulAdd(a.A, b.A, c.A), B = TV.MulAdd(a.B, b.B, c.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> Sqrt(Duo<TF> a) => new() { A = TV.Sqrt(a.A), B = TV.Sqrt(a.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> CountOutside(Duo<TF> acc, Duo<TF> x, float bound) =>
        new() { A = TV.CountOutside(acc.A, x.A, bound), B = TV.CountOutside(acc.B, x.B, bound) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> PoisonWhere(Duo<TF> x, Duo<TF> flag) => new() { A = TV.PoisonWhere(x.A, flag.A), B = TV.PoisonWhere(x.B, flag.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> ToFloat(Duo<TI> a) => new() { A = TV.ToFloat(a.A), B = TV.ToFloat(a.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> Bits(Duo<TF> a) => new() { A = TV.Bits(a.A), B = TV.Bits(a.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> FromBits(Duo<TI> a) => new() { A = TV.FromBits(a.A), B = TV.FromBits(a.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> AddInt(Duo<TI> a, Duo<TI> b) => new() { A = TV.AddInt(a.A, b.A), B = TV.AddInt(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> SubInt(Duo<TI> a, Duo<TI> b) => new() { A = TV.SubInt(a.A, b.A), B = TV.SubInt(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> And(Duo<TI> a, Duo<TI> b) => new() { A = TV.And(a.A, b.A), B = TV.And(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> Xor(Duo<TI> a, Duo<TI> b) => new() { A = TV.Xor(a.A, b.A), B = TV.Xor(a.B, b.B) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> ShiftRightLogical(Duo<TI> a, byte count) =>
        new() { A = TV.ShiftRightLogical(a.A, count), B = TV.ShiftRightLogical(a.B, count) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> ShiftRightArithmetic(Duo<TI> a, byte count) =>
        new() { A = TV.ShiftRightArithmetic(a.A, count), B = TV.ShiftRightArithmetic(a.B, count) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> ShiftLeft(Duo<TI> a, byte count) => new() { A = TV.ShiftLeft(a.A, count), B = TV.ShiftLeft(a.B, count) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TF> SelectNonZero(Duo<TI> mask, Duo<TF> ifSet, Duo<TF> ifClear) =>
        new() { A = TV.SelectNonZero(mask.A, ifSet.A, ifClear.A), B = TV.SelectNonZero(mask.B, ifSet.B, ifClear.B) };

    /// <summary>Each word vector times the same multiplier <paramref name="m"/> (see <see cref="IVectorWidth{TF, TI, TW}.MulWide"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<TW> MulWide(Quad<TW> a, TW m) =>
        new() { A = TV.MulWide(a.A, m), B = TV.MulWide(a.B, m), C = TV.MulWide(a.C, m), D = TV.MulWide(a.D, m) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<TW> High(Quad<TW> a) => new() { A = TV.High(a.A), B = TV.High(a.B), C = TV.High(a.C), D = TV.High(a.D) };

    /// <summary><c>a ^ b ^ k</c> with <paramref name="k"/> the same for all four vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<TW> Xor3(Quad<TW> a, Quad<TW> b, TW k) =>
        new() { A = TV.Xor3(a.A, b.A, k), B = TV.Xor3(a.B, b.B, k), C = TV.Xor3(a.C, b.C, k), D = TV.Xor3(a.D, b.D, k) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<TW> Xor3(Quad<TW> a, Quad<TW> b, Quad<TW> c) =>
        new() { A = TV.Xor3(a.A, b.A, c.A), B = TV.Xor3(a.B, b.B, c.B), C = TV.Xor3(a.C, b.C, c.C), D = TV.Xor3(a.D, b.D, c.D) };

    /// <summary><c>a ^ k</c> with <paramref name="k"/> the same for all four vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<TW> Xor(Quad<TW> a, TW k) =>
        new() { A = TV.XorWord(a.A, k), B = TV.XorWord(a.B, k), C = TV.XorWord(a.C, k), D = TV.XorWord(a.D, k) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Duo<TI> Pack(Quad<TW> words) => new() { A = TV.Pack(words.A, words.B), B = TV.Pack(words.C, words.D) };
}
