using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The source ranges of the master-equation gather, built once on the host from the source table: 1-D
/// <c>ranges[2j], ranges[2j+1]</c> = first and last source that can reach target j; 2-D the same per target row
/// (source rows) followed by per target column (source columns). Empty ranges are (0, −1). Absorbing and
/// reflecting walls give ranges of box cells; on a ring a range is of virtual sources (source v is cell v mod n),
/// each source written as seen from the target (a source one cell left of the first target is −1), so that the
/// ranges stay as short as the windows; a range of n or more becomes the whole ring [0, n − 1].
/// </summary>
internal static class MasterEquationRanges
{
    /// <summary>Builds the ranges of <paramref name="grid"/> from its source table.</summary>
    public static int[] Build(MasterGrid grid, double[] table)
    {
        int rows = grid.Rows, columns = grid.Columns;
        int d = grid.Dimension;
        int[] result = Unreached(d == 1 ? rows : rows + columns);

        bool ring = grid.Walls == GridWalls.Periodic;
        bool allRows = false, allColumns = false;
        for (int c = 0; c < grid.Count; c++)
        {
            int sourceRow = c / columns, sourceColumn = c - sourceRow * columns;
            if (ring)
            {
                if (VirtualBox(grid, table, c, out long vr0, out long vr1, out long vc0, out long vc1))
                {
                    allRows |= Spread(result, 0, rows, sourceRow, vr0, vr1);
                    allColumns |= d == 2 && Spread(result, 2 * rows, columns, sourceColumn, vc0, vc1);
                }

                continue;
            }

            if (!TargetBox(grid, table, c, out long rowLow, out long rowHigh, out long columnLow, out long columnHigh))
            {
                continue;
            }

            for (long r = rowLow; r <= rowHigh; r++)
            {
                result[2 * r] = Math.Min(result[2 * r], sourceRow);
                result[2 * r + 1] = Math.Max(result[2 * r + 1], sourceRow);
            }

            if (d == 2)
            {
                for (long q = columnLow; q <= columnHigh; q++)
                {
                    long o = 2 * rows + 2 * q;
                    result[o] = Math.Min(result[o], sourceColumn);
                    result[o + 1] = Math.Max(result[o + 1], sourceColumn);
                }
            }
        }

        return Finish(result, ring, rows, allRows, d == 2 ? columns : 0, allColumns);
    }

    /// <summary>
    /// The ranges of the separable-window step (<see cref="MasterEquationKernels.GatherWindows"/>) from the window
    /// table: per target outer row the source rows that reach it, then per target column the source columns (1-D:
    /// one outer row, the axis as columns). Same conventions as <see cref="Build"/>: box cells, or virtual sources on a
    /// ring; empty ranges (0, −1).
    /// </summary>
    public static int[] BuildWindows(MasterGrid grid, int[] ints, int[] rowInts)
    {
        int outer = grid.Dimension == 2 ? grid.Rows : 1;
        int inner = grid.Dimension == 2 ? grid.Columns : grid.Rows;
        int[] result = Unreached(outer + inner);

        bool ring = grid.Walls == GridWalls.Periodic;
        bool allRows = false, allColumns = false;
        long count = grid.Count;
        for (int c = 0; c < count; c++)
        {
            int o = c * K.WindowInts;
            int kind = ints[o + K.WindowKind];
            if (kind != K.KindGaussian && kind != K.KindPushForward && kind != K.KindGaussianRows)
            {
                continue;
            }

            int sourceRow = c / inner, sourceColumn = c - sourceRow * inner;
            long rowLow = ints[o + K.RowFirst], columnLow = ints[o + K.ColumnFirst];
            int rowCount = ints[o + K.RowCount], columnCount = ints[o + K.ColumnCount];
            long rowHigh = rowLow + (rowCount < 0 ? 2 : rowCount) - 1;
            long columnHigh = columnLow + (columnCount < 0 ? 2 : columnCount) - 1;
            if (kind == K.KindGaussianRows)
            {
                // the union of the rows' conditional windows
                long entry = columnLow;
                columnLow = long.MaxValue;
                columnHigh = long.MinValue;
                for (long e = entry; e < entry + rowCount; e++)
                {
                    columnLow = Math.Min(columnLow, rowInts[2 * e]);
                    columnHigh = Math.Max(columnHigh, rowInts[2 * e] + rowInts[2 * e + 1] - 1L);
                }
            }

            if (ring)
            {
                allRows |= Spread(result, 0, outer, sourceRow, rowLow, rowHigh);
                allColumns |= Spread(result, 2 * outer, inner, sourceColumn, columnLow, columnHigh);
                continue;
            }

            (long rl, long rh) = WindowTargets(grid.Walls, rowLow, rowHigh, outer, rowCount < 0);
            (long cl, long ch) = WindowTargets(grid.Walls, columnLow, columnHigh, inner, columnCount < 0);
            if (rl > rh || cl > ch)
            {
                continue;
            }

            for (long r = rl; r <= rh; r++)
            {
                result[2 * r] = Math.Min(result[2 * r], sourceRow);
                result[2 * r + 1] = Math.Max(result[2 * r + 1], sourceRow);
            }

            for (long q = cl; q <= ch; q++)
            {
                long t = 2 * outer + 2 * q;
                result[t] = Math.Min(result[t], sourceColumn);
                result[t + 1] = Math.Max(result[t + 1], sourceColumn);
            }
        }

        return Finish(result, ring, outer, allRows, inner, allColumns);
    }

    /// <summary><paramref name="pairs"/> ranges that no source reaches yet, (int.MaxValue, −1), for the builders to widen.</summary>
    private static int[] Unreached(int pairs)
    {
        var result = new int[2 * pairs];
        for (int i = 0; i < result.Length; i += 2)
        {
            result[i] = int.MaxValue;
            result[i + 1] = -1;
        }

        return result;
    }

    /// <summary>
    /// The common end of both builders: on a ring the row ranges (the first <paramref name="rows"/> pairs) and the
    /// column ranges after them (<paramref name="columns"/> pairs; 0: none) are closed (<see cref="Close"/>); then every
    /// empty range becomes (0, −1).
    /// </summary>
    private static int[] Finish(int[] result, bool ring, int rows, bool allRows, int columns, bool allColumns)
    {
        if (ring)
        {
            Close(result, 0, rows, allRows);
            if (columns > 0)
            {
                Close(result, 2 * rows, columns, allColumns);
            }
        }

        for (int i = 0; i < result.Length; i += 2)
        {
            if (result[i] > result[i + 1])
            {
                result[i] = 0;
                result[i + 1] = -1;
            }
        }

        return result;
    }

    /// <summary>
    /// Box cells that a window's virtual cells [lo, hi] land on, as a bounding range: clipped (absorbing Gaussian),
    /// folded onto the face (absorbing cloud-in-cell pair) or mirrored (reflecting).
    /// </summary>
    private static (long Low, long High) WindowTargets(int walls, long lo, long hi, int n, bool pair)
    {
        if (walls == GridWalls.Absorbing)
        {
            return pair
                ? (GridWalls.Map(lo, n, walls), GridWalls.Map(hi, n, walls))
                : (Math.Max(lo, 0), Math.Min(hi, n - 1));
        }

        return MirroredRange(lo, hi, n);
    }

    /// <summary>
    /// Weight evaluations per step, <c>Σ_j |range(j)|</c> (1-D) or <c>Σ_{(r,q)} |rows(r)| |columns(q)|</c> (2-D).
    /// </summary>
    public static long Pairs(MasterGrid grid, int[] ranges)
    {
        long total = 0;
        if (grid.Dimension == 1)
        {
            for (int j = 0; j < grid.Rows; j++)
            {
                total += Math.Max(0, ranges[2 * j + 1] - ranges[2 * j] + 1);
            }

            return total;
        }

        long rowSum = 0, colSum = 0;
        for (int r = 0; r < grid.Rows; r++)
        {
            rowSum += Math.Max(0, ranges[2 * r + 1] - ranges[2 * r] + 1);
        }

        for (int q = 0; q < grid.Columns; q++)
        {
            colSum += Math.Max(0, ranges[2 * grid.Rows + 2 * q + 1] - ranges[2 * grid.Rows + 2 * q] + 1);
        }

        return rowSum * colSum;
    }

    /// <summary>
    /// Ring: the source (index <paramref name="source"/> along the axis) reaches the virtual cells [lo, hi]; each lands
    /// on target t = v mod n, where the source is seen at <c>source − (v − t)</c>. Returns true when the window covers
    /// the whole ring (every target is reached).
    /// </summary>
    private static bool Spread(int[] result, int offset, int n, int source, long lo, long hi)
    {
        if (hi - lo + 1 >= n)
        {
            return true;
        }

        for (long v = lo; v <= hi; v++)
        {
            long t = GridWalls.Wrap(v, n);
            int seen = (int)(source - (v - t));
            long o = offset + 2 * t;
            result[o] = Math.Min(result[o], seen);
            result[o + 1] = Math.Max(result[o + 1], seen);
        }

        return false;
    }

    /// <summary>Ring: ranges of n or more sources (or every range, when some window covers the ring) become [0, n − 1].</summary>
    private static void Close(int[] result, int offset, int n, bool all)
    {
        for (int t = 0; t < n; t++)
        {
            int o = offset + 2 * t;
            if (all || (result[o] <= result[o + 1] && result[o + 1] - result[o] + 1 >= n))
            {
                result[o] = 0;
                result[o + 1] = n - 1;
            }
        }
    }

    /// <summary>
    /// Virtual rows and columns that source c reaches (unmapped): the Gaussian window (columns: the union of the
    /// conditional windows of its rows) or the two cloud-in-cell cells per axis; false when it reaches none.
    /// </summary>
    private static bool VirtualBox(MasterGrid grid, double[] table, int c, out long rowLow, out long rowHigh, out long columnLow, out long columnHigh)
    {
        int o = c * K.Stride;
        int kind = (int)table[o + K.Kind];
        rowLow = columnLow = 0;
        rowHigh = columnHigh = -1;
        if (kind == K.KindPushForward)
        {
            rowLow = (long)Math.Floor((table[o + K.Mean0] - grid.Lower0) / grid.H0 - 0.5);
            rowHigh = rowLow + 1;
            if (grid.Dimension == 2)
            {
                columnLow = (long)Math.Floor((table[o + K.Mean1] - grid.Lower1) / grid.H1 - 0.5);
                columnHigh = columnLow + 1;
            }

            return true;
        }

        if (kind != K.KindGaussian)
        {
            return false;
        }

        rowLow = (long)table[o + K.First];
        rowHigh = (long)table[o + K.Last];
        if (grid.Dimension == 2)
        {
            (columnLow, columnHigh) = ColumnWindow(grid, table, o, rowLow, rowHigh);
        }

        return true;
    }

    /// <summary>Union of the conditional column windows of the rows [lo, hi] of the Gaussian source at table offset o.</summary>
    private static (long Low, long High) ColumnWindow(MasterGrid grid, double[] table, int o, long lo, long hi)
    {
        double mu0 = table[o + K.Mean0], mu1 = table[o + K.Mean1], slope = table[o + K.Slope], sdc = table[o + K.SdCond];
        long clo = long.MaxValue, chi = long.MinValue;
        for (long r = lo; r <= hi; r++)
        {
            double mc = mu1 + slope * (grid.Lower0 + (r + 0.5) * grid.H0 - mu0);
            clo = Math.Min(clo, K.WindowFirst(mc, sdc, grid.Truncation, grid.Lower1, grid.H1));
            chi = Math.Max(chi, K.WindowLast(mc, sdc, grid.Truncation, grid.Lower1, grid.H1));
        }

        return (clo, chi);
    }

    /// <summary>Bounding box of the target rows and columns (in the box) that source c reaches; false when it reaches none.</summary>
    private static bool TargetBox(MasterGrid grid, double[] table, int c, out long rowLow, out long rowHigh, out long columnLow, out long columnHigh)
    {
        int o = c * K.Stride;
        int kind = (int)table[o + K.Kind];
        int rows = grid.Rows, columns = grid.Columns;
        int walls = grid.Walls;
        rowLow = columnLow = 0;
        rowHigh = columnHigh = -1;
        if (kind == K.KindPushForward)
        {
            long i = (long)Math.Floor((table[o + K.Mean0] - grid.Lower0) / grid.H0 - 0.5);
            long a = GridWalls.Map(i, rows, walls), b = GridWalls.Map(i + 1, rows, walls);
            (rowLow, rowHigh) = (Math.Min(a, b), Math.Max(a, b));
            if (grid.Dimension == 2)
            {
                long i1 = (long)Math.Floor((table[o + K.Mean1] - grid.Lower1) / grid.H1 - 0.5);
                long a1 = GridWalls.Map(i1, columns, walls), b1 = GridWalls.Map(i1 + 1, columns, walls);
                (columnLow, columnHigh) = (Math.Min(a1, b1), Math.Max(a1, b1));
            }

            return true;
        }

        if (kind != K.KindGaussian)
        {
            return false;
        }

        long lo = (long)table[o + K.First], hi = (long)table[o + K.Last];
        (rowLow, rowHigh) = MappedRange(grid, lo, hi, rows);
        if (grid.Dimension == 2)
        {
            (long clo, long chi) = ColumnWindow(grid, table, o, lo, hi);
            (columnLow, columnHigh) = MappedRange(grid, clo, chi, columns);
        }

        return rowLow <= rowHigh && (grid.Dimension == 1 || columnLow <= columnHigh);
    }

    /// <summary>Cells of the box that the virtual cells [lo, hi] land on: clipped (absorbing) or mirrored (reflecting), as a bounding range.</summary>
    private static (long Low, long High) MappedRange(MasterGrid grid, long lo, long hi, int n)
    {
        if (grid.Walls == GridWalls.Absorbing)
        {
            return (Math.Max(lo, 0), Math.Min(hi, n - 1));
        }

        return MirroredRange(lo, hi, n);
    }

    /// <summary>The bounding range of the box cells that the virtual cells [lo, hi] land on under reflection (images).</summary>
    private static (long Low, long High) MirroredRange(long lo, long hi, int n)
    {
        if (lo >= 0 && hi < n)
        {
            return (lo, hi);
        }

        if (hi - lo + 1 >= 2L * n)
        {
            return (0, n - 1);
        }

        long low = long.MaxValue, high = long.MinValue;
        for (long v = lo; v <= hi; v++)
        {
            long m = GridWalls.Mirror(v, n);
            low = Math.Min(low, m);
            high = Math.Max(high, m);
        }

        return (low, high);
    }
}
