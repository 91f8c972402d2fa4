using System.Runtime.CompilerServices;
using ILGPU;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// The gather: every target sums its sources in a fixed order. Source ranges are virtual indices: on a ring a range
/// may run past either end of the box (source v is cell v mod n), elsewhere they lie inside it.
/// </summary>
public static partial class MasterEquationKernels
{
    /// <summary>
    /// Contribution <c>m_c w_cj</c> of source c to target j in 1-D: <c>m_c (W/Z_c)</c> with W the image-summed
    /// sampled Gaussian weight, or <c>m_c</c> times the cloud-in-cell weight; 0 for lost or empty sources.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Term1<TTable, TMass>(long c, long j, MasterGrid grid, TTable table, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TMass : struct, IDoubleBuffer
    {
        double m = mass.Get(c);
        long o = c * Stride;
        double kind = table.Get(o + Kind);
        if (m == 0)
        {
            return 0.0;
        }

        if (kind == KindGaussian)
        {
            double w = ImageWeights1(
                table.Get(o + Mean0), table.Get(o + Sd0), grid.Lower0, grid.H0, grid.Rows, grid.Walls,
                (long)table.Get(o + First), (long)table.Get(o + Last), j);
            return m * (w * table.Get(o + InvNorm));
        }

        if (kind == KindPushForward)
        {
            return m * CloudWeight(table.Get(o + Mean0), grid.Lower0, grid.H0, grid.Rows, grid.Walls, j);
        }

        return 0.0;
    }

    /// <summary>
    /// Fixed combination of eight lane sums, <c>((a₀ + a₁) + (a₂ + a₃)) + ((a₄ + a₅) + (a₆ + a₇))</c>, shared by the
    /// scalar kernel and the managed SIMD lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double CombineLanes(double a0, double a1, double a2, double a3, double a4, double a5, double a6, double a7) =>
        ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));

    /// <summary>
    /// The gathered mass of target cell j in 1-D: <c>Σ_{v = from(j)}^{to(j)} m_c w_cj</c>, c = v mod n
    /// (<c>ranges[2j]</c>, <c>ranges[2j+1]</c> bound the sources that can reach j), summed in eight lanes
    /// (source <c>from + 8i + l</c> into lane l, in increasing i) combined by <see cref="CombineLanes"/>: the order
    /// the managed backend's 8-wide SIMD path uses, so both give the same sums.
    /// </summary>
    public static double Gather1<TTable, TRanges, TMass>(long j, MasterGrid grid, TTable table, TRanges ranges, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TRanges : struct, IIntBuffer
        where TMass : struct, IDoubleBuffer
    {
        long n = grid.Rows;
        long from = ranges.Get(2 * j), to = ranges.Get(2 * j + 1);
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        long v = from;
        for (; v + 7 <= to; v += 8)
        {
            a0 += Term1(GridWalls.Wrap(v, n), j, grid, table, mass);
            a1 += Term1(GridWalls.Wrap(v + 1, n), j, grid, table, mass);
            a2 += Term1(GridWalls.Wrap(v + 2, n), j, grid, table, mass);
            a3 += Term1(GridWalls.Wrap(v + 3, n), j, grid, table, mass);
            a4 += Term1(GridWalls.Wrap(v + 4, n), j, grid, table, mass);
            a5 += Term1(GridWalls.Wrap(v + 5, n), j, grid, table, mass);
            a6 += Term1(GridWalls.Wrap(v + 6, n), j, grid, table, mass);
            a7 += Term1(GridWalls.Wrap(v + 7, n), j, grid, table, mass);
        }

        long left = to - v + 1;
        if (left > 0)
        {
            a0 += Term1(GridWalls.Wrap(v, n), j, grid, table, mass);
        }

        if (left > 1)
        {
            a1 += Term1(GridWalls.Wrap(v + 1, n), j, grid, table, mass);
        }

        if (left > 2)
        {
            a2 += Term1(GridWalls.Wrap(v + 2, n), j, grid, table, mass);
        }

        if (left > 3)
        {
            a3 += Term1(GridWalls.Wrap(v + 3, n), j, grid, table, mass);
        }

        if (left > 4)
        {
            a4 += Term1(GridWalls.Wrap(v + 4, n), j, grid, table, mass);
        }

        if (left > 5)
        {
            a5 += Term1(GridWalls.Wrap(v + 5, n), j, grid, table, mass);
        }

        if (left > 6)
        {
            a6 += Term1(GridWalls.Wrap(v + 6, n), j, grid, table, mass);
        }

        return CombineLanes(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>Contribution <c>m_c w_c,(r,q)</c> of source c to target (r, q) in 2-D (0 for lost or empty sources).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Term2<TTable, TMass>(long c, long r, long q, MasterGrid grid, TTable table, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TMass : struct, IDoubleBuffer
    {
        double m = mass.Get(c);
        if (m == 0)
        {
            return 0.0;
        }

        long o = c * Stride;
        double kind = table.Get(o + Kind);
        if (kind == KindGaussian)
        {
            double w = ImageWeights2(
                grid, table.Get(o + Mean0), table.Get(o + Mean1), table.Get(o + Sd0), table.Get(o + Slope), table.Get(o + SdCond),
                (long)table.Get(o + First), (long)table.Get(o + Last), r, q);
            return m * (w * table.Get(o + InvNorm));
        }

        if (kind == KindPushForward)
        {
            double w0 = CloudWeight(table.Get(o + Mean0), grid.Lower0, grid.H0, grid.Rows, grid.Walls, r);
            return w0 == 0 ? 0.0 : m * (w0 * CloudWeight(table.Get(o + Mean1), grid.Lower1, grid.H1, grid.Columns, grid.Walls, q));
        }

        return 0.0;
    }

    /// <summary>
    /// The gathered mass of target cell (r, q) in 2-D: <c>Σ m_c w_c,(r,q)</c> over source rows
    /// <c>ranges[2r] … ranges[2r+1]</c> and source columns <c>ranges[2R + 2q] … ranges[2R + 2q + 1]</c> (R the
    /// row count; virtual indices, wrapped on a ring): row by row, the columns <c>from + 8i + l</c> summed into lane
    /// l (in increasing row, then i), lanes combined by <see cref="CombineLanes"/> — the managed SIMD order.
    /// </summary>
    public static double Gather2<TTable, TRanges, TMass>(long target, MasterGrid grid, TTable table, TRanges ranges, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TRanges : struct, IIntBuffer
        where TMass : struct, IDoubleBuffer
    {
        long rows = grid.Rows, columns = grid.Columns;
        long r = target / columns, q = target - r * columns;
        long rowFrom = ranges.Get(2 * r), rowTo = ranges.Get(2 * r + 1);
        long colFrom = ranges.Get(2 * rows + 2 * q), colTo = ranges.Get(2 * rows + 2 * q + 1);
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (long rs = rowFrom; rs <= rowTo; rs++)
        {
            long row = GridWalls.Wrap(rs, rows) * columns;
            long v = colFrom;
            for (; v + 7 <= colTo; v += 8)
            {
                a0 += Term2(row + GridWalls.Wrap(v, columns), r, q, grid, table, mass);
                a1 += Term2(row + GridWalls.Wrap(v + 1, columns), r, q, grid, table, mass);
                a2 += Term2(row + GridWalls.Wrap(v + 2, columns), r, q, grid, table, mass);
                a3 += Term2(row + GridWalls.Wrap(v + 3, columns), r, q, grid, table, mass);
                a4 += Term2(row + GridWalls.Wrap(v + 4, columns), r, q, grid, table, mass);
                a5 += Term2(row + GridWalls.Wrap(v + 5, columns), r, q, grid, table, mass);
                a6 += Term2(row + GridWalls.Wrap(v + 6, columns), r, q, grid, table, mass);
                a7 += Term2(row + GridWalls.Wrap(v + 7, columns), r, q, grid, table, mass);
            }

            long left = colTo - v + 1;
            if (left > 0)
            {
                a0 += Term2(row + GridWalls.Wrap(v, columns), r, q, grid, table, mass);
            }

            if (left > 1)
            {
                a1 += Term2(row + GridWalls.Wrap(v + 1, columns), r, q, grid, table, mass);
            }

            if (left > 2)
            {
                a2 += Term2(row + GridWalls.Wrap(v + 2, columns), r, q, grid, table, mass);
            }

            if (left > 3)
            {
                a3 += Term2(row + GridWalls.Wrap(v + 3, columns), r, q, grid, table, mass);
            }

            if (left > 4)
            {
                a4 += Term2(row + GridWalls.Wrap(v + 4, columns), r, q, grid, table, mass);
            }

            if (left > 5)
            {
                a5 += Term2(row + GridWalls.Wrap(v + 5, columns), r, q, grid, table, mass);
            }

            if (left > 6)
            {
                a6 += Term2(row + GridWalls.Wrap(v + 6, columns), r, q, grid, table, mass);
            }
        }

        return CombineLanes(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>One master-equation step, one thread per target cell: <c>next[j] = Σ_c mass[c] w_cj</c>.</summary>
    public static void Step(Index1D target, MasterGrid grid, ArrayView<double> table, ArrayView<int> ranges, ArrayView<double> mass, ArrayView<double> next)
    {
        next[target] = grid.Dimension == 1
            ? Gather1(target, grid, new DoubleView(table), new IntView(ranges), new DoubleView(mass))
            : Gather2(target, grid, new DoubleView(table), new IntView(ranges), new DoubleView(mass));
    }
}
