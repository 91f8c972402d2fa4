using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Managed backend of the master-equation gather (<see cref="MasterEquationKernels.Gather1"/>,
/// <see cref="MasterEquationKernels.Gather2"/>): the same terms
/// <c>m_c (exp(−z²/2)/Z_c)</c>, <c>z = (x_j − μ_c)/s_c</c>, the same eight-lane summation order and the same
/// exponential (<see cref="KernelMath.ExpNonPositive"/>, lane by lane in <see cref="Vector512{T}"/>), so it
/// reproduces the kernel's sums. Blocks of eight sources whose windows need no mirror images run as one vector
/// operation; other blocks (push-forwards, windows crossing a reflecting wall) fall back to the kernel's scalar
/// term per lane. Source ranges are virtual on a ring (<see cref="MasterEquationRanges"/>): a block of eight runs as a
/// vector only when its sources are contiguous cells.
/// </summary>
internal sealed class ManagedGather
{
    private readonly double[] mean;
    private readonly double[] sd;
    private readonly double[] invNorm;
    private readonly double[] first;
    private readonly double[] last;
    private readonly double[] simple;
    private readonly double[] mean1;
    private readonly double[] slope;
    private readonly double[] sdCond;

    /// <summary>
    /// Structure-of-arrays copy of the source table (padded by 8 for whole-vector loads). A source is "simple"
    /// when it is Gaussian and needs no images (absorbing, or its whole window inside a reflecting or periodic box).
    /// </summary>
    public ManagedGather(double[] table, MasterGrid grid)
    {
        int count = (int)grid.Count;
        mean = new double[count + 8];
        sd = new double[count + 8];
        invNorm = new double[count + 8];
        first = new double[count + 8];
        last = new double[count + 8];
        simple = new double[count + 8];
        mean1 = new double[count + 8];
        slope = new double[count + 8];
        sdCond = new double[count + 8];
        for (int c = 0; c < count; c++)
        {
            int o = c * K.Stride;
            mean[c] = table[o + K.Mean0];
            sd[c] = table[o + K.Sd0];
            invNorm[c] = table[o + K.InvNorm];
            first[c] = table[o + K.First];
            last[c] = table[o + K.Last];
            mean1[c] = table[o + K.Mean1];
            slope[c] = table[o + K.Slope];
            sdCond[c] = table[o + K.SdCond];
            bool gaussian = table[o + K.Kind] == K.KindGaussian;
            bool inside = first[c] >= 0 && last[c] < grid.Rows;
            if (gaussian && inside && grid.Walls != GridWalls.Absorbing && grid.Dimension == 2)
            {
                for (long r = (long)first[c]; r <= (long)last[c] && inside; r++)
                {
                    double mc = mean1[c] + slope[c] * (grid.Lower0 + (r + 0.5) * grid.H0 - mean[c]);
                    inside = K.WindowFirst(mc, sdCond[c], grid.Truncation, grid.Lower1, grid.H1) >= 0
                        && K.WindowLast(mc, sdCond[c], grid.Truncation, grid.Lower1, grid.H1) < grid.Columns;
                }
            }

            simple[c] = gaussian && (grid.Walls == GridWalls.Absorbing || inside) ? 1.0 : 0.0;
        }
    }

    /// <summary>Targets [start, end) of a 2-D step into <paramref name="output"/> (same terms and lane order as <see cref="MasterEquationKernels.Gather2"/>).</summary>
    public void Gather2(int start, int end, MasterGrid grid, double[] table, int[] ranges, double[] mass, double[] output)
    {
        var t = new ArrayDoubles(table);
        var rb = new ArrayInts(ranges);
        var m = new ArrayDoubles(mass);
        if (!Vectorised)
        {
            for (int j = start; j < end; j++)
            {
                output[j] = K.Gather2(j, grid, t, rb, m);
            }

            return;
        }

        Vector512<double> one = Vector512<double>.One;
        int columns = grid.Columns;
        Vector512<double> truncation = Vector512.Create(grid.Truncation);
        Vector512<double> lower1 = Vector512.Create(grid.Lower1);
        Vector512<double> h1 = Vector512.Create(grid.H1);
        Vector512<double> half = Vector512.Create(-0.5);
        for (int j = start; j < end; j++)
        {
            int r = j / columns, q = j - r * columns;
            int rowFrom = ranges[2 * r], rowTo = ranges[2 * r + 1];
            int colFrom = ranges[2 * grid.Rows + 2 * q], colTo = ranges[2 * grid.Rows + 2 * q + 1];
            Vector512<double> x0 = Vector512.Create(grid.Lower0 + (r + 0.5) * grid.H0);
            Vector512<double> xq = Vector512.Create(grid.Lower1 + (q + 0.5) * grid.H1);
            Vector512<double> row = Vector512.Create((double)r);
            Vector512<double> col = Vector512.Create((double)q);
            Vector512<double> sum = Vector512<double>.Zero;
            for (int rs = rowFrom; rs <= rowTo; rs++)
            {
                int rowBase = (int)GridWalls.Wrap(rs, grid.Rows) * columns;
                for (int v = colFrom; v <= colTo; v += 8)
                {
                    int column = (int)GridWalls.Wrap(v, columns);
                    int c = rowBase + column;
                    if (v + 7 <= colTo && column + 7 < columns && Vector512.EqualsAll(Vector512.Create(simple.AsSpan(c, 8)), one))
                    {
                        Vector512<double> d0 = x0 - Vector512.Create(mean.AsSpan(c, 8));
                        Vector512<double> z0 = d0 / Vector512.Create(sd.AsSpan(c, 8));
                        Vector512<double> sdc = Vector512.Create(sdCond.AsSpan(c, 8));
                        Vector512<double> mc = Vector512.Create(mean1.AsSpan(c, 8)) + Vector512.Create(slope.AsSpan(c, 8)) * d0;
                        Vector512<double> reach = truncation * sdc;
                        Vector512<double> clo = Vector512.Floor(((mc - reach) - lower1) / h1);
                        Vector512<double> chi = Vector512.Floor(((mc + reach) - lower1) / h1);
                        Vector512<double> zc = (xq - mc) / sdc;
                        Vector512<double> w = Exp(half * (z0 * z0 + zc * zc));
                        Vector512<double> inside = Vector512.GreaterThanOrEqual(row, Vector512.Create(first.AsSpan(c, 8)))
                            & Vector512.LessThanOrEqual(row, Vector512.Create(last.AsSpan(c, 8)))
                            & Vector512.GreaterThanOrEqual(col, clo) & Vector512.LessThanOrEqual(col, chi);
                        w = Vector512.ConditionalSelect(inside, w, Vector512<double>.Zero);
                        sum += Vector512.Create(mass.AsSpan(c, 8)) * (w * Vector512.Create(invNorm.AsSpan(c, 8)));
                    }
                    else
                    {
                        sum += Vector512.Create(
                            Term2(rowBase, v, colTo, r, q, grid, t, m), Term2(rowBase, v + 1, colTo, r, q, grid, t, m), Term2(rowBase, v + 2, colTo, r, q, grid, t, m), Term2(rowBase, v + 3, colTo, r, q, grid, t, m),
                            Term2(rowBase, v + 4, colTo, r, q, grid, t, m), Term2(rowBase, v + 5, colTo, r, q, grid, t, m), Term2(rowBase, v + 6, colTo, r, q, grid, t, m), Term2(rowBase, v + 7, colTo, r, q, grid, t, m));
                    }
                }
            }

            output[j] = K.CombineLanes(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]);
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
            for (int v = from; v <= to; v += 8)
            {
                int c = (int)GridWalls.Wrap(v, grid.Rows);
                if (v + 7 <= to && c + 7 < grid.Rows && Vector512.EqualsAll(Vector512.Create(simple.AsSpan(c, 8)), one))
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
                        Term(v, to, j, grid, t, m), Term(v + 1, to, j, grid, t, m), Term(v + 2, to, j, grid, t, m), Term(v + 3, to, j, grid, t, m),
                        Term(v + 4, to, j, grid, t, m), Term(v + 5, to, j, grid, t, m), Term(v + 6, to, j, grid, t, m), Term(v + 7, to, j, grid, t, m));
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

    /// <summary>Scalar lane: virtual column v of the source row at <paramref name="rowBase"/> (0 past the range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Term2(int rowBase, int v, int end, int r, int q, MasterGrid grid, ArrayDoubles table, ArrayDoubles mass) =>
        v <= end ? K.Term2(rowBase + GridWalls.Wrap(v, grid.Columns), r, q, grid, table, mass) : 0.0;

    /// <summary>Scalar lane: virtual source v (0 past the range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Term(int v, int to, int j, MasterGrid grid, ArrayDoubles table, ArrayDoubles mass) =>
        v <= to ? K.Term1(GridWalls.Wrap(v, grid.Rows), j, grid, table, mass) : 0.0;
}
