using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Managed backend of the 1-D master-equation gather (<see cref="MasterEquationKernels.Gather1"/>): the same terms
/// <c>m_c (exp(−z²/2)/Z_c)</c>, <c>z = (x_j − μ_c)/s_c</c>, the same eight-lane summation order and the same
/// exponential (<see cref="KernelMath.ExpNonPositive"/>, lane by lane in <see cref="Vector512{T}"/>), so it
/// reproduces the kernel's sums. Blocks of eight sources whose windows need no mirror images run as one vector
/// operation; other blocks (push-forwards, windows crossing a reflecting wall) fall back to the kernel's scalar
/// term per lane.
/// </summary>
internal sealed class ManagedGather
{
    private readonly double[] mean;
    private readonly double[] sd;
    private readonly double[] invNorm;
    private readonly double[] first;
    private readonly double[] last;
    private readonly double[] simple;

    /// <summary>Structure-of-arrays copy of the 1-D source table (padded by 8 for whole-vector loads).</summary>
    public ManagedGather(double[] table, int count, int reflecting)
    {
        mean = new double[count + 8];
        sd = new double[count + 8];
        invNorm = new double[count + 8];
        first = new double[count + 8];
        last = new double[count + 8];
        simple = new double[count + 8];
        for (int c = 0; c < count; c++)
        {
            int o = c * K.Stride;
            mean[c] = table[o + K.Mean0];
            sd[c] = table[o + K.Sd0];
            invNorm[c] = table[o + K.InvNorm];
            first[c] = table[o + K.First];
            last[c] = table[o + K.Last];
            bool gaussian = table[o + K.Kind] == K.KindGaussian;
            simple[c] = gaussian && (reflecting == 0 || (first[c] >= 0 && last[c] < count)) ? 1.0 : 0.0;
        }
    }

    /// <summary>True where the 8-wide path runs (AVX-512); elsewhere the scalar kernel code runs, with the same result.</summary>
    public static bool Vectorised => Vector512.IsHardwareAccelerated;

    /// <summary>Targets [start, end) of a 1-D step into <paramref name="output"/>.</summary>
    public void Gather1(int start, int end, MasterGrid grid, double[] table, int[] ranges, double[] mass, double[] output)
    {
        var t = new ArrayDoubles(table);
        var r = new ArrayInts(ranges);
        var m = new ArrayDoubles(mass);
        if (!Vectorised)
        {
            for (int j = start; j < end; j++)
            {
                output[j] = K.Gather1(j, grid, t, r, m);
            }

            return;
        }

        Vector512<double> one = Vector512<double>.One;
        for (int j = start; j < end; j++)
        {
            int from = ranges[2 * j], to = ranges[2 * j + 1];
            Vector512<double> x = Vector512.Create(grid.Lower0 + (j + 0.5) * grid.H0);
            Vector512<double> target = Vector512.Create((double)j);
            Vector512<double> sum = Vector512<double>.Zero;
            for (int c = from; c <= to; c += 8)
            {
                if (c + 7 <= to && Vector512.EqualsAll(Vector512.Create(simple.AsSpan(c, 8)), one))
                {
                    Vector512<double> z = (x - Vector512.Create(mean.AsSpan(c, 8))) / Vector512.Create(sd.AsSpan(c, 8));
                    Vector512<double> w = Exp(Vector512.Create(-0.5) * (z * z));
                    Vector512<double> inside = Vector512.GreaterThanOrEqual(target, Vector512.Create(first.AsSpan(c, 8)))
                        & Vector512.LessThanOrEqual(target, Vector512.Create(last.AsSpan(c, 8)));
                    w = Vector512.ConditionalSelect(inside, w, Vector512<double>.Zero);
                    sum += Vector512.Create(mass.AsSpan(c, 8)) * (w * Vector512.Create(invNorm.AsSpan(c, 8)));
                }
                else
                {
                    sum += Vector512.Create(
                        Term(c, to, j, grid, t, m), Term(c + 1, to, j, grid, t, m), Term(c + 2, to, j, grid, t, m), Term(c + 3, to, j, grid, t, m),
                        Term(c + 4, to, j, grid, t, m), Term(c + 5, to, j, grid, t, m), Term(c + 6, to, j, grid, t, m), Term(c + 7, to, j, grid, t, m));
                }
            }

            output[j] = K.CombineLanes(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]);
        }
    }

    /// <summary><see cref="KernelMath.ExpNonPositive"/> lane by lane, operation for operation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x)
    {
        Vector512<double> valid = Vector512.GreaterThanOrEqual(x, Vector512.Create(KernelMath.Underflow));
        Vector512<double> k = Vector512.Floor(x * Vector512.Create(KernelMath.Log2E) + Vector512.Create(0.5));
        Vector512<double> r = (x - k * Vector512.Create(KernelMath.Ln2High)) - k * Vector512.Create(KernelMath.Ln2Low);
        Vector512<double> p = Vector512.Create(1.0 / 6227020800.0);
        p = p * r + Vector512.Create(1.0 / 479001600.0);
        p = p * r + Vector512.Create(1.0 / 39916800.0);
        p = p * r + Vector512.Create(1.0 / 3628800.0);
        p = p * r + Vector512.Create(1.0 / 362880.0);
        p = p * r + Vector512.Create(1.0 / 40320.0);
        p = p * r + Vector512.Create(1.0 / 5040.0);
        p = p * r + Vector512.Create(1.0 / 720.0);
        p = p * r + Vector512.Create(1.0 / 120.0);
        p = p * r + Vector512.Create(1.0 / 24.0);
        p = p * r + Vector512.Create(1.0 / 6.0);
        p = p * r + Vector512.Create(0.5);
        p = p * r + Vector512.Create(1.0);
        p = p * r + Vector512.Create(1.0);
        Vector512<long> bits = Vector512.ShiftLeft(Vector512.ConvertToInt64(k) + Vector512.Create(1023L), 52);
        return Vector512.ConditionalSelect(valid, p * bits.AsDouble(), Vector512<double>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Term(int c, int to, int j, MasterGrid grid, ArrayDoubles table, ArrayDoubles mass) =>
        c <= to ? K.Term1(c, j, grid, table, mass) : 0.0;
}
