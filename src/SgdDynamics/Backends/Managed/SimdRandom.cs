using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Backends.Managed;

/// <summary>
/// The random numbers of the managed lanes, in lockstep operations: Philox4x32-10 key schedules and words, and
/// Box–Muller, for a lane of <c>groups</c> lockstep groups (each <see cref="Quad{T}"/> of word vectors, i.e. a
/// <see cref="Duo{T}"/> of float vectors). Bit-identical to <see cref="Philox4x32"/> and <see cref="BoxMuller"/>.
/// </summary>
internal static unsafe partial class Lockstep<TV, TF, TI, TW>
{
    /// <summary>Philox rounds, and key-schedule entries per group.</summary>
    public const int Rounds = 10;

    /// <summary>Bytes of the lane-uniform key words (key word 0 of every round), at the start of a key schedule.</summary>
    private const int UniformKeyBytes = 128;

    /// <summary>Bytes of the key schedule of a lane of <paramref name="groups"/> groups.</summary>
    public static int KeyBytes(int groups) => UniformKeyBytes + groups * Rounds * sizeof(Quad<TW>);

    /// <summary>
    /// Writes the key schedule of the trajectories firstTrajectory, firstTrajectory + 1, … (group g, word vector m,
    /// 64-bit lane l is trajectory firstTrajectory + g·4·L + m·L + l, L lanes per word vector): key word 0 of round r,
    /// seed + r·W0, once as a scalar; key word 1, trajectory + r·W1, per lane, group after group.
    /// </summary>
    public static void Schedule(void* keys, int groups, uint seed, uint firstTrajectory)
    {
        var k0 = (ulong*)keys;
        var k1 = (ulong*)((byte*)keys + UniformKeyBytes);
        int lanes = sizeof(Quad<TW>) / sizeof(ulong);
        for (int r = 0; r < Rounds; r++)
        {
            k0[r] = unchecked(seed + (uint)r * Philox4x32.KeyStep0);
        }

        for (int g = 0; g < groups; g++)
        {
            for (int r = 0; r < Rounds; r++, k1 += lanes)
            {
                for (int l = 0; l < lanes; l++)
                {
                    k1[l] = unchecked(firstTrajectory + (uint)(g * lanes + l) + (uint)r * Philox4x32.KeyStep1);
                }
            }
        }
    }

    /// <summary>
    /// Philox output words r0…r3 (r0, r1 unless <paramref name="allFour"/>) of counter (step, sub, stream, 0), packed to
    /// 32 bits: word i of group g into <c>words[i·stride + g]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Words(void* keys, int groups, uint seed, uint step, uint sub, uint stream, bool allFour, Duo<TI>* words, int stride)
    {
        var k0 = (ulong*)keys;
        var k1 = (Quad<TW>*)((byte*)keys + UniformKeyBytes);

        // rounds 0 and 1 are partly lane-uniform (counter words 0 and 2, then word 0): done once, in scalar
        ulong p0 = (ulong)Philox4x32.M0 * step;
        ulong p1 = (ulong)Philox4x32.M1 * stream;
        uint u0 = (uint)(p1 >> 32) ^ sub ^ seed;
        ulong q0 = (ulong)Philox4x32.M0 * u0;
        TW round0High = TV.SplatWord(p0 >> 32);
        TW round1Low = TV.SplatWord((uint)p1 ^ k0[1]);
        TW round1Word2 = TV.SplatWord((q0 >> 32) ^ (uint)p0);
        TW round1Word3 = TV.SplatWord((uint)q0);
        for (int g = 0; g < groups; g++, k1 += Rounds, words++)
        {
            Philox(k0, k1, round0High, round1Low, round1Word2, round1Word3, allFour, out var c0, out var c1, out var c2, out var c3);
            words[0] = Pack(c0);
            words[stride] = Pack(c1);
            if (allFour)
            {
                words[2 * stride] = Pack(c2);
                words[3 * stride] = Pack(c3);
            }
        }
    }

    /// <summary>Box–Muller in place: the words in <c>pair[g]</c>, <c>pair[stride + g]</c> of every group g become two standard normals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gaussian(Duo<TI>* pair, int groups, int stride)
    {
        for (int g = 0; g < groups; g++, pair++)
        {
            BoxMullerPair(pair[0], pair[stride], out var za, out var zb);
            *(Duo<TF>*)pair = za;
            *(Duo<TF>*)(pair + stride) = zb;
        }
    }

    /// <summary>
    /// In place: the words in <c>words[g]</c> of every group g become uniform variates on (−1, 1), as
    /// <see cref="UniformVariate.FromWord"/>: (2·(w ≫ 9) + 1 − 2²³)·2⁻²³, every operation exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Uniform(Duo<TI>* words, int groups)
    {
        TI offset = TV.SplatInt(1 - (1 << 23));
        TF scale = TV.Splat(UniformVariate.Scale);
        for (int g = 0; g < groups; g++, words++)
        {
            Duo<TI> w = *words;
            TF a = TV.Mul(TV.ToFloat(TV.AddInt(TV.ShiftLeft(TV.ShiftRightLogical(w.A, 9), 1), offset)), scale);
            TF b = TV.Mul(TV.ToFloat(TV.AddInt(TV.ShiftLeft(TV.ShiftRightLogical(w.B, 9), 1), offset)), scale);
            *(Duo<TF>*)words = new Duo<TF> { A = a, B = b };
        }
    }

    /// <summary>
    /// Rounds 1 (its lane-dependent part) to 9 of Philox4x32-10 for one group; key word 1 from <paramref name="k1"/>,
    /// the other inputs lane-uniform. Written without variable rotation so the register allocator needs no copies.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Philox(
        ulong* k0, Quad<TW>* k1, TW round0High, TW round1Low, TW round1Word2, TW round1Word3, bool allFour,
        out Quad<TW> c0, out Quad<TW> c1, out Quad<TW> c2, out Quad<TW> c3)
    {
        TW m0 = TV.SplatWord(Philox4x32.M0);
        TW m1 = TV.SplatWord(Philox4x32.M1);

        // round 0 (word 2), round 1
        Quad<TW> w2 = Xor(k1[0], round0High);
        Quad<TW> r1 = MulWide(w2, m1);
        Quad<TW> e0 = Xor(High(r1), round1Low);
        Quad<TW> e2 = Xor(k1[1], round1Word2);

        // rounds 2-8; word 3 after round 1 is lane-uniform
        Quad<TW> a2 = MulWide(e0, m0), b2 = MulWide(e2, m1);
        Quad<TW> f0 = Xor3(High(b2), r1, TV.SplatWord(k0[2]));
        Quad<TW> f2 = Xor3(High(a2), k1[2], round1Word3);
        Quad<TW> a3 = MulWide(f0, m0), b3 = MulWide(f2, m1);
        Quad<TW> h0 = Xor3(High(b3), b2, TV.SplatWord(k0[3])), h2 = Xor3(High(a3), a2, k1[3]);
        Quad<TW> a4 = MulWide(h0, m0), b4 = MulWide(h2, m1);
        Quad<TW> t0 = Xor3(High(b4), b3, TV.SplatWord(k0[4])), t2 = Xor3(High(a4), a3, k1[4]);
        Quad<TW> a5 = MulWide(t0, m0), b5 = MulWide(t2, m1);
        Quad<TW> g0 = Xor3(High(b5), b4, TV.SplatWord(k0[5])), g2 = Xor3(High(a5), a4, k1[5]);
        Quad<TW> a6 = MulWide(g0, m0), b6 = MulWide(g2, m1);
        Quad<TW> s0 = Xor3(High(b6), b5, TV.SplatWord(k0[6])), s2 = Xor3(High(a6), a5, k1[6]);
        Quad<TW> a7 = MulWide(s0, m0), b7 = MulWide(s2, m1);
        Quad<TW> v0 = Xor3(High(b7), b6, TV.SplatWord(k0[7])), v2 = Xor3(High(a7), a6, k1[7]);
        Quad<TW> a8 = MulWide(v0, m0), b8 = MulWide(v2, m1);
        c0 = Xor3(High(b8), b7, TV.SplatWord(k0[8]));
        c2 = Xor3(High(a8), a7, k1[8]);
        c1 = b8;
        c3 = a8;

        // round 9 (words 2 and 3 only when needed)
        Quad<TW> last = MulWide(c2, m1);
        if (allFour)
        {
            Quad<TW> a = MulWide(c0, m0);
            c2 = Xor3(High(a), c3, k1[Rounds - 1]);
            c3 = a;
        }

        c0 = Xor3(High(last), c1, TV.SplatWord(k0[Rounds - 1]));
        c1 = last;
    }

    /// <summary>
    /// The vectorised twin of <see cref="BoxMuller.Pair{T}"/>: the same operations in the same order, except two
    /// multiplications that are exact and so are replaced by cheaper operations with the same result, bit for bit
    /// (multiplies and fused multiply-adds share two of the four vector pipes and bound this function):
    /// <c>u1 = (float)(k + 1)·2⁻²⁴</c> with k + 1 ≤ 2²⁴ only shifts the exponent of a normal float, so its bits are
    /// those of <c>(float)(k + 1)</c> minus 24·2²³ (folded into the log's bias); and <c>−2·lg</c> is
    /// <c>−(lg + lg)</c>, the sign flipped by a bitwise exclusive or (also for lg = ±0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BoxMullerPair(Duo<TI> ra, Duo<TI> rb, out Duo<TF> za, out Duo<TF> zb)
    {
        Duo<TF> u1Unscaled = ToFloat(AddInt(ShiftRightLogical(ra, 8), SplatInt(1)));
        Duo<TI> ix = AddInt(Bits(u1Unscaled), SplatInt(unchecked((int)BoxMuller.LogBias - (24 << 23))));
        Duo<TF> e = ToFloat(SubInt(ShiftRightLogical(ix, 23), SplatInt(127)));
        Duo<TF> f = Add(FromBits(AddInt(And(ix, SplatInt(0x007fffff)), SplatInt(unchecked((int)BoxMuller.SqrtHalfBits)))), Splat(-1f));
        Duo<TF> z = Mul(f, f);
        Duo<TF> y = Splat(BoxMuller.L0);
        y = MulAdd(y, f, Splat(BoxMuller.L1));
        y = MulAdd(y, f, Splat(BoxMuller.L2));
        y = MulAdd(y, f, Splat(BoxMuller.L3));
        y = MulAdd(y, f, Splat(BoxMuller.L4));
        y = MulAdd(y, f, Splat(BoxMuller.L5));
        y = MulAdd(y, f, Splat(BoxMuller.L6));
        y = MulAdd(y, f, Splat(BoxMuller.L7));
        y = MulAdd(y, f, Splat(BoxMuller.L8));
        y = Mul(Mul(y, f), z);
        y = MulAdd(Splat(BoxMuller.Ln2Low), e, y);
        y = MulAdd(Splat(-0.5f), z, y);
        Duo<TF> lg = MulAdd(Splat(BoxMuller.Ln2High), e, Add(f, y));
        Duo<TF> radius = Sqrt(FromBits(Xor(Bits(Add(lg, lg)), SplatInt(int.MinValue))));

        Duo<TI> k2 = ShiftRightLogical(rb, 8);
        Duo<TI> q = ShiftRightArithmetic(AddInt(k2, SplatInt(1 << 21)), 22);
        Duo<TF> t = Mul(ToFloat(SubInt(k2, ShiftLeft(q, 22))), Splat(BoxMuller.TwoPiOver2To24));
        Duo<TF> t2 = Mul(t, t);
        Duo<TF> sp = MulAdd(MulAdd(Splat(BoxMuller.S1), t2, Splat(BoxMuller.S2)), t2, Splat(BoxMuller.S3));
        Duo<TF> s = MulAdd(Mul(sp, t2), t, t);
        Duo<TF> cp = MulAdd(MulAdd(Splat(BoxMuller.C1), t2, Splat(BoxMuller.C2)), t2, Splat(BoxMuller.C3));
        Duo<TF> c = Add(MulAdd(Mul(cp, t2), t2, Mul(Splat(-0.5f), t2)), Splat(1f));
        Duo<TI> swap = And(q, SplatInt(1));
        Duo<TF> cv = SelectNonZero(swap, s, c);
        Duo<TF> sv = SelectNonZero(swap, c, s);
        Duo<TI> cosSign = ShiftLeft(And(AddInt(q, SplatInt(1)), SplatInt(2)), 30);
        Duo<TI> sinSign = ShiftLeft(And(q, SplatInt(2)), 30);
        za = Mul(radius, FromBits(Xor(Bits(cv), cosSign)));
        zb = Mul(radius, FromBits(Xor(Bits(sv), sinSign)));
    }
}
