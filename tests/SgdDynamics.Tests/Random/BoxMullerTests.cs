using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

// Not "SgdDynamics.Tests.Random": a namespace named Random inside SgdDynamics.Tests would hide System.Random
// from every other test namespace (CS0118). The test filter "FullyQualifiedName~SgdDynamics.Tests.Random" still matches.
namespace SgdDynamics.Tests.RandomNumbers;

/// <summary>
/// The scalar Box–Muller transform (<see cref="BoxMuller.Pair{T}"/> on <see cref="FloatLane"/>) against a
/// double-precision evaluation of its stated formula, and the normals of <see cref="PhiloxNormals{T}"/>
/// against N(0, 1).
/// </summary>
public class BoxMullerTests
{
    /// <summary>Allowed |z − exact| / max(radius, 1e-3): a few float ulps relative to the radius √(−2 ln u1).</summary>
    private const double Tolerance = 3e-7;

    private const double TwoToMinus24 = 1.0 / 16777216.0;

    /// <summary>The stated formula in double: u1 = ((ra ≫ 8) + 1)·2⁻²⁴, u2 = (rb ≫ 8)·2⁻²⁴, r = √(−2 ln u1).</summary>
    private static (double Za, double Zb, double Radius) Exact(uint ra, uint rb)
    {
        double u1 = ((ra >> 8) + 1.0) * TwoToMinus24;
        double u2 = (rb >> 8) * TwoToMinus24;
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        return (radius * Math.Cos(angle), radius * Math.Sin(angle), radius);
    }

    /// <summary>Largest scaled error of the pair (za, zb) over the words, and the words where it occurs.</summary>
    private static void Check(uint ra, uint rb, ref double worst, ref (uint, uint) at)
    {
        BoxMuller.Pair(ra, rb, out FloatLane za, out FloatLane zb);
        (double ea, double eb, double radius) = Exact(ra, rb);
        double scale = Math.Max(radius, 1e-3);
        double error = Math.Max(Math.Abs(za.Value - ea), Math.Abs(zb.Value - eb)) / scale;
        if (!(error <= worst))
        {
            worst = error;
            at = (ra, rb);
        }
    }

    internal static uint[] ExtremeFirstWords()
    {
        // u1 at its ends (2^-24 and 1), around the √½ split of the log reduction and powers of two
        uint sqrtHalf = (uint)(Math.Sqrt(0.5) * 16777216.0) << 8;
        return
        [
            0u, 0xffu, 0x100u, 0x1ffu, 0x200u, 0xfffu, 0x10000u, 0x7fffffu, 0x800000u,
            0x3fffffffu, 0x40000000u, 0x7fffff00u, 0x7fffffffu, 0x80000000u, 0x80000100u,
            sqrtHalf - 0x200u, sqrtHalf - 0x100u, sqrtHalf, sqrtHalf + 0x100u, sqrtHalf + 0x200u,
            0xfffffd00u, 0xfffffe00u, 0xfffffeffu, 0xffffff00u, 0xffffffffu,
        ];
    }

    internal static uint[] ExtremeSecondWords()
    {
        var words = new List<uint> { 0u, 0xffu, 0x100u, 0x1ffu, 0xfffffe00u, 0xffffff00u, 0xffffffffu };

        // quadrant boundaries: k2 = rb >> 8 with q = (k2 + 2^21) >> 22 changing at k2 = (2m + 1)·2^21,
        // and the exact axes k2 = m·2^22
        for (uint m = 0; m < 8; m++)
        {
            uint k2 = m << 21;
            foreach (uint k in new[] { k2, k2 - 1, k2 + 1 })
            {
                if (k < 1u << 24)
                {
                    words.Add(k << 8);
                    words.Add(k << 8 | 0xffu);
                }
            }
        }

        return words.ToArray();
    }

    [Fact]
    public void ExtremeWordPairsMatchTheStatedFormula()
    {
        double worst = 0;
        (uint, uint) at = default;
        foreach (uint ra in ExtremeFirstWords())
        {
            foreach (uint rb in ExtremeSecondWords())
            {
                Check(ra, rb, ref worst, ref at);
            }
        }

        Assert.True(worst <= Tolerance, $"scaled error {worst:E3} at (ra, rb) = (0x{at.Item1:x8}, 0x{at.Item2:x8})");
    }

    /// <summary>
    /// 24-bit values k = word ≫ 8 to sweep: every value within 2^14 of each end and of every multiple of 2^21
    /// (the quadrant boundaries and exact axes of the angle, the binade edges of u1 near 1), every value
    /// around the √½ split of the log reduction, and every 61st value in between (an exhaustive sweep of all
    /// 2^24 values takes about 30 s; this one about 1 s).
    /// </summary>
    private static IEnumerable<uint> SweepValues()
    {
        const uint top = 1u << 24;
        uint sqrtHalf = (uint)(Math.Sqrt(0.5) * top);
        var dense = new List<(uint From, uint To)> { (0, 1u << 14), (top - (1u << 14), top), (sqrtHalf - 4096, sqrtHalf + 4096) };
        for (uint m = 1; m < 8; m++)
        {
            dense.Add(((m << 21) - 1024, (m << 21) + 1024));
        }

        for (uint k = 0; k < top; k++)
        {
            bool inDense = false;
            foreach ((uint from, uint to) in dense)
            {
                inDense |= k >= from && k < to;
            }

            if (inDense || k % 61 == 0)
            {
                yield return k;
            }
        }
    }

    [Fact]
    public void SweptFirstWordsMatchTheStatedFormula()
    {
        // u1 over its range (the log and square root), with angle 0 and about 1 radian; the low byte of the
        // word must be ignored
        uint[] values = SweepValues().ToArray();
        double worst = 0;
        (uint, uint) at = default;
        foreach (uint rb in new[] { 0u, 0x28be6100u })
        {
            foreach (uint k in values)
            {
                Check(k << 8 | (k * 0x9du & 0xffu), rb, ref worst, ref at);
            }
        }

        Assert.True(worst <= Tolerance, $"scaled error {worst:E3} at (ra, rb) = (0x{at.Item1:x8}, 0x{at.Item2:x8})");
    }

    [Fact]
    public void SweptSecondWordsMatchTheStatedFormula()
    {
        // u2 over its range (the angle reduction and sin/cos), at radius ≈ 1 (u1 ≈ e^-½) and ≈ 5.77 (u1 = 2^-24)
        uint unitRadius = ((uint)Math.Round(Math.Exp(-0.5) * 16777216.0) - 1u) << 8;
        uint[] values = SweepValues().ToArray();
        double worst = 0;
        (uint, uint) at = default;
        foreach (uint ra in new[] { unitRadius, 0u })
        {
            foreach (uint k in values)
            {
                Check(ra, k << 8 | (k * 0x9du & 0xffu), ref worst, ref at);
            }
        }

        Assert.True(worst <= Tolerance, $"scaled error {worst:E3} at (ra, rb) = (0x{at.Item1:x8}, 0x{at.Item2:x8})");
    }

    [Fact]
    public void RandomWordPairsMatchTheStatedFormula()
    {
        var random = new System.Random(20240611);
        double worst = 0;
        (uint, uint) at = default;
        for (int n = 0; n < 300_000; n++)
        {
            Check((uint)random.NextInt64(1L << 32), (uint)random.NextInt64(1L << 32), ref worst, ref at);
        }

        Assert.True(worst <= Tolerance, $"scaled error {worst:E3} at (ra, rb) = (0x{at.Item1:x8}, 0x{at.Item2:x8})");
    }

    [Fact]
    public void RadiusOneGivesExactZeroAndAxesGiveExactSigns()
    {
        // u1 = 1 (ra = 0xffffffff): radius 0, both normals ±0
        BoxMuller.Pair(0xffffffffu, 0x12345678u, out FloatLane za, out FloatLane zb);
        Assert.Equal(0f, Math.Abs(za.Value));
        Assert.Equal(0f, Math.Abs(zb.Value));

        // angle exactly 0, π/2, π, 3π/2: one normal is exactly ±radius, the other exactly ±0
        uint ra = 0x12345600u;
        double radius = Exact(ra, 0).Radius;
        (int Cos, int Sin)[] expected = [(1, 0), (0, 1), (-1, 0), (0, -1)];
        for (uint q = 0; q < 4; q++)
        {
            BoxMuller.Pair(ra, q << 30, out za, out zb);
            Assert.Equal(expected[q].Cos, Math.Abs(za.Value) > 1e-30 ? Math.Sign(za.Value) : 0);
            Assert.Equal(expected[q].Sin, Math.Abs(zb.Value) > 1e-30 ? Math.Sign(zb.Value) : 0);
            Assert.Equal(radius, Math.Abs(za.Value) + Math.Abs(zb.Value), 1e-6 * radius);
        }
    }

    [Fact]
    public void PhiloxNormalsHaveStandardNormalMoments()
    {
        // 10^6 normals: 1000 trajectories × 250 steps × 4 normals (both Box–Muller pairs of each counter).
        // For n i.i.d. N(0, 1) samples the standard errors of the sample statistics are
        //   SE(mean) = 1/√n, SE(variance) = √(2/n), SE(skewness) = √(6/n), SE(excess kurtosis) = √(24/n);
        // the Box–Muller partners (z0, z1) must be uncorrelated: SE(correlation) = 1/√(pairs).
        const int trajectories = 1000, steps = 250;
        const uint seed = 0x5eed1234u;
        var values = new double[trajectories * steps * 4];
        double cross = 0;
        int k = 0;
        for (uint t = 0; t < trajectories; t++)
        {
            var normals = new PhiloxNormals<FloatLane>(seed, t);
            for (uint s = 0; s < steps; s++)
            {
                normals.Four(s, 0, Philox4x32.DynamicsStream, out var z0, out var z1, out var z2, out var z3);
                values[k++] = z0.Value;
                values[k++] = z1.Value;
                values[k++] = z2.Value;
                values[k++] = z3.Value;
                cross += (double)z0.Value * z1.Value + (double)z2.Value * z3.Value;
            }
        }

        int n = values.Length;
        double mean = values.Average();
        double m2 = 0, m3 = 0, m4 = 0;
        foreach (double v in values)
        {
            double c = v - mean;
            double c2 = c * c;
            m2 += c2;
            m3 += c2 * c;
            m4 += c2 * c2;
        }

        m2 /= n;
        m3 /= n;
        m4 /= n;
        double skewness = m3 / Math.Pow(m2, 1.5);
        double excessKurtosis = m4 / (m2 * m2) - 3.0;
        double correlation = cross / (n / 2);

        Assert.True(Math.Abs(mean) <= 5 / Math.Sqrt(n), $"mean {mean:E3}");
        Assert.True(Math.Abs(m2 - 1) <= 5 * Math.Sqrt(2.0 / n), $"variance {m2:F6}");
        Assert.True(Math.Abs(skewness) <= 5 * Math.Sqrt(6.0 / n), $"skewness {skewness:E3}");
        Assert.True(Math.Abs(excessKurtosis) <= 5 * Math.Sqrt(24.0 / n), $"excess kurtosis {excessKurtosis:E3}");
        Assert.True(Math.Abs(correlation) <= 5 / Math.Sqrt(n / 2), $"pair correlation {correlation:E3}");
        Assert.True(values.All(double.IsFinite));
        Assert.True(values.Max(Math.Abs) <= Math.Sqrt(-2 * Math.Log(TwoToMinus24)) * (1 + 1e-6), "a normal beyond the largest Box–Muller radius");
    }
}
