using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Backends.Managed;

/// <summary>
/// Philox4x32-10 for a vector of trajectories (key word 1 differs per lane, everything else is uniform).
/// The lane-uniform part of rounds 0 and 1 is done once in scalar; words live in the low halves of
/// 64-bit lanes so each multiply is one <c>vpmuludq</c>. Bit-identical to <see cref="Philox4x32"/>.
/// </summary>
internal static unsafe class SimdPhilox
{
    /// <summary>Number of key-schedule vectors per word vector.</summary>
    public const int Rounds = 10;

    /// <summary>Philox output words (low 32 bits of each lane) for counter (step, sub, stream, 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Generate<TOps, TF, TI, TW>(
        TW* k0s, TW* k1s, uint seed, uint step, uint sub, uint stream, bool allFour,
        out TW c0, out TW c1, out TW c2, out TW c3)
        where TOps : struct, ISimdOps<TF, TI, TW>
        where TF : struct
        where TI : struct
        where TW : unmanaged
    {
        // round 0: counter words 0 and 2 are uniform
        ulong p0 = (ulong)Philox4x32.M0 * step;
        ulong p1 = (ulong)Philox4x32.M1 * stream;
        uint u0 = (uint)(p1 >> 32) ^ sub ^ seed;
        uint u1 = (uint)p1;
        TW w2 = TOps.XorWord(k1s[0], TOps.SplatWord(p0 >> 32));
        uint u3 = (uint)p0;

        // round 1: word 0 still uniform
        ulong q0 = (ulong)Philox4x32.M0 * u0;
        TW m0 = TOps.SplatWord(Philox4x32.M0);
        TW m1 = TOps.SplatWord(Philox4x32.M1);
        TW r1 = TOps.MulWide(w2, m1);
        c0 = TOps.Xor3(TOps.High(r1), TOps.SplatWord(u1), k0s[1]);
        c1 = r1;
        c2 = TOps.XorWord(k1s[1], TOps.SplatWord((q0 >> 32) ^ u3));
        c3 = TOps.SplatWord((uint)q0);

        // rounds 2-8, written without variable rotation so the register allocator needs no copies
        TW a2 = TOps.MulWide(c0, m0), b2 = TOps.MulWide(c2, m1);
        TW e0 = TOps.Xor3(TOps.High(b2), c1, k0s[2]), e2 = TOps.Xor3(TOps.High(a2), c3, k1s[2]);
        TW a3 = TOps.MulWide(e0, m0), b3 = TOps.MulWide(e2, m1);
        TW f0 = TOps.Xor3(TOps.High(b3), b2, k0s[3]), f2 = TOps.Xor3(TOps.High(a3), a2, k1s[3]);
        TW a4 = TOps.MulWide(f0, m0), b4 = TOps.MulWide(f2, m1);
        TW h0 = TOps.Xor3(TOps.High(b4), b3, k0s[4]), h2 = TOps.Xor3(TOps.High(a4), a3, k1s[4]);
        TW a5 = TOps.MulWide(h0, m0), b5 = TOps.MulWide(h2, m1);
        TW t0 = TOps.Xor3(TOps.High(b5), b4, k0s[5]), t2 = TOps.Xor3(TOps.High(a5), a4, k1s[5]);
        TW a6 = TOps.MulWide(t0, m0), b6 = TOps.MulWide(t2, m1);
        TW g0 = TOps.Xor3(TOps.High(b6), b5, k0s[6]), g2 = TOps.Xor3(TOps.High(a6), a5, k1s[6]);
        TW a7 = TOps.MulWide(g0, m0), b7 = TOps.MulWide(g2, m1);
        TW s0 = TOps.Xor3(TOps.High(b7), b6, k0s[7]), s2 = TOps.Xor3(TOps.High(a7), a6, k1s[7]);
        TW a8 = TOps.MulWide(s0, m0), b8 = TOps.MulWide(s2, m1);
        c0 = TOps.Xor3(TOps.High(b8), b7, k0s[8]);
        c2 = TOps.Xor3(TOps.High(a8), a7, k1s[8]);
        c1 = b8;
        c3 = a8;

        TW last = TOps.MulWide(c2, m1);
        if (allFour)
        {
            TW a = TOps.MulWide(c0, m0);
            c2 = TOps.Xor3(TOps.High(a), c3, k1s[Rounds - 1]);
            c3 = a;
        }

        c0 = TOps.Xor3(TOps.High(last), c1, k0s[Rounds - 1]);
        c1 = last;
    }

}

/// <summary>The vectorised twin of <see cref="BoxMuller.Pair{T}"/>: the same operations in the same order.</summary>
internal static class SimdBoxMuller
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pair<TOps, TF, TI, TW>(TI ra, TI rb, out TF za, out TF zb)
        where TOps : struct, ISimdOps<TF, TI, TW>
        where TF : struct
        where TI : struct
        where TW : unmanaged
    {
        TF u1 = TOps.Mul(TOps.ToFloat(TOps.AddInt(TOps.ShiftRightLogical(ra, 8), TOps.SplatInt(1))), TOps.Splat(BoxMuller.TwoToMinus24));
        TI ix = TOps.AddInt(TOps.Bits(u1), TOps.SplatInt(unchecked((int)BoxMuller.LogBias)));
        TF e = TOps.ToFloat(TOps.SubInt(TOps.ShiftRightLogical(ix, 23), TOps.SplatInt(127)));
        TF f = TOps.Add(
            TOps.FromBits(TOps.AddInt(TOps.And(ix, TOps.SplatInt(0x007fffff)), TOps.SplatInt(unchecked((int)BoxMuller.SqrtHalfBits)))),
            TOps.Splat(-1f));
        TF z = TOps.Mul(f, f);
        TF y = TOps.Splat(BoxMuller.L0);
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L1));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L2));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L3));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L4));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L5));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L6));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L7));
        y = TOps.MulAdd(y, f, TOps.Splat(BoxMuller.L8));
        y = TOps.Mul(TOps.Mul(y, f), z);
        y = TOps.MulAdd(TOps.Splat(BoxMuller.Ln2Low), e, y);
        y = TOps.MulAdd(TOps.Splat(-0.5f), z, y);
        TF lg = TOps.MulAdd(TOps.Splat(BoxMuller.Ln2High), e, TOps.Add(f, y));
        TF radius = TOps.Sqrt(TOps.Mul(TOps.Splat(-2f), lg));

        TI k2 = TOps.ShiftRightLogical(rb, 8);
        TI q = TOps.ShiftRightArithmetic(TOps.AddInt(k2, TOps.SplatInt(1 << 21)), 22);
        TF t = TOps.Mul(TOps.ToFloat(TOps.SubInt(k2, TOps.ShiftLeft(q, 22))), TOps.Splat(BoxMuller.TwoPiOver2To24));
        TF t2 = TOps.Mul(t, t);
        TF sp = TOps.MulAdd(TOps.MulAdd(TOps.Splat(BoxMuller.S1), t2, TOps.Splat(BoxMuller.S2)), t2, TOps.Splat(BoxMuller.S3));
        TF s = TOps.MulAdd(TOps.Mul(sp, t2), t, t);
        TF cp = TOps.MulAdd(TOps.MulAdd(TOps.Splat(BoxMuller.C1), t2, TOps.Splat(BoxMuller.C2)), t2, TOps.Splat(BoxMuller.C3));
        TF c = TOps.Add(TOps.MulAdd(TOps.Mul(cp, t2), t2, TOps.Mul(TOps.Splat(-0.5f), t2)), TOps.Splat(1f));
        TI swap = TOps.And(q, TOps.SplatInt(1));
        TF cv = TOps.SelectNonZero(swap, s, c);
        TF sv = TOps.SelectNonZero(swap, c, s);
        TI cosSign = TOps.ShiftLeft(TOps.And(TOps.AddInt(q, TOps.SplatInt(1)), TOps.SplatInt(2)), 30);
        TI sinSign = TOps.ShiftLeft(TOps.And(q, TOps.SplatInt(2)), 30);
        za = TOps.Mul(radius, TOps.FromBits(TOps.Xor(TOps.Bits(cv), cosSign)));
        zb = TOps.Mul(radius, TOps.FromBits(TOps.Xor(TOps.Bits(sv), sinSign)));
    }
}

/// <summary>
/// The random numbers of one managed lane in <see cref="Lockstep{TV, TF, TI, TW}"/> form:
/// key schedules, Philox words and Box–Muller, for any vector width.
/// </summary>
internal static unsafe class LockstepRandom
{
    /// <summary>
    /// Writes the key schedules of the trajectories firstTrajectory, firstTrajectory + 1, … (one per 64-bit lane
    /// of a <see cref="Quad{T}"/> of <typeparamref name="TW"/>): <c>k0s[r]</c> = seed + r·W0 in every lane,
    /// <c>k1s[r]</c> lane l = firstTrajectory + l + r·W1, for the ten rounds r.
    /// </summary>
    public static void Schedule<TW>(void* k0s, void* k1s, uint seed, uint firstTrajectory)
        where TW : unmanaged
    {
        int lanes = sizeof(Quad<TW>) / sizeof(ulong);
        for (int r = 0; r < SimdPhilox.Rounds; r++)
        {
            var k0 = (ulong*)((Quad<TW>*)k0s + r);
            var k1 = (ulong*)((Quad<TW>*)k1s + r);
            for (int l = 0; l < lanes; l++)
            {
                k0[l] = unchecked(seed + (uint)r * Philox4x32.KeyStep0);
                k1[l] = unchecked(firstTrajectory + (uint)l + (uint)r * Philox4x32.KeyStep1);
            }
        }
    }

    /// <summary>Philox words r0…r3 (r0, r1 unless <paramref name="allFour"/>) of counter (step, sub, stream, 0), packed to 32 bits, into <paramref name="words"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Words<TOps, TF, TI, TW>(void* k0s, void* k1s, uint seed, uint step, uint sub, uint stream, bool allFour, void* words)
        where TOps : struct, ISimdOps<Duo<TF>, Duo<TI>, Quad<TW>>
        where TF : unmanaged
        where TI : unmanaged
        where TW : unmanaged
    {
        SimdPhilox.Generate<TOps, Duo<TF>, Duo<TI>, Quad<TW>>(
            (Quad<TW>*)k0s, (Quad<TW>*)k1s, seed, step, sub, stream, allFour, out var c0, out var c1, out var c2, out var c3);
        var w = (Duo<TI>*)words;
        w[0] = TOps.Pack(c0);
        w[1] = TOps.Pack(c1);
        if (allFour)
        {
            w[2] = TOps.Pack(c2);
            w[3] = TOps.Pack(c3);
        }
    }

    /// <summary>Box–Muller in place: the words in <c>pair[0]</c>, <c>pair[1]</c> become two standard normals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gaussian<TOps, TF, TI, TW>(void* pair)
        where TOps : struct, ISimdOps<Duo<TF>, Duo<TI>, Quad<TW>>
        where TF : unmanaged
        where TI : unmanaged
        where TW : unmanaged
    {
        var words = (Duo<TI>*)pair;
        SimdBoxMuller.Pair<TOps, Duo<TF>, Duo<TI>, Quad<TW>>(words[0], words[1], out var za, out var zb);
        var normals = (Duo<TF>*)pair;
        normals[0] = za;
        normals[1] = zb;
    }
}
