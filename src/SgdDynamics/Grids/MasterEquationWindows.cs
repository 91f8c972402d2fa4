using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The separable-window tables of a master-equation grid (<see cref="MasterEquationKernels"/>, file
/// <c>MasterEquationKernels.Separable.cs</c>): per source <see cref="MasterEquationKernels.WindowInts"/> ints,
/// <see cref="MasterEquationKernels.WindowDoubles"/> recurrence parameters and ℓ, built in O(cells × window) without a
/// per-pair exponential, and the gather ranges. 68 bytes per cell (60 under reflecting or periodic walls, where ℓ is
/// not kept) besides the density and the step's output.
/// </summary>
internal sealed class MasterWindows
{
    private MasterWindows(MasterGrid geometry, int[] ints, double[] pars, double[]? lost, int[] rowInts, double[] rowPars)
    {
        Geometry = geometry;
        Ints = ints;
        Pars = pars;
        Lost = lost;
        RowInts = rowInts;
        RowPars = rowPars;
    }

    /// <summary>Bytes of the row table per row entry: first column and count (ints), start and ratio (doubles).</summary>
    public const int RowEntryBytes = 24;

    /// <summary>True when some source has row windows (a non-diagonal covariance, <see cref="MasterEquationKernels.KindGaussianRows"/>).</summary>
    public bool HasRows { get; private init; }

    /// <summary>The row table of full-covariance sources (2 ints per row entry; a two-element placeholder when there are none).</summary>
    public int[] RowInts { get; }

    /// <summary>The row table's doubles (2 per row entry; a placeholder when there are none).</summary>
    public double[] RowPars { get; }

    public MasterGrid Geometry { get; }

    public int[] Ints { get; }

    public double[] Pars { get; }

    /// <summary>ℓ per source (absorbing walls only; null elsewhere, where it is zero).</summary>
    public double[]? Lost { get; }

    public int[] Ranges { get; private set; } = [];

    /// <summary>Kind of source c.</summary>
    public int Kind(int c) => Ints[c * K.WindowInts + K.WindowKind];

    /// <summary>
    /// The window tables of every source, on the host (managed) or by the prepare kernel on the device; null when
    /// some resolved source is not separable (the caller then uses the general gather). Invalid kinds are kept for
    /// the caller's validation; ranges are built only when every kind is valid.
    /// </summary>
    public static MasterWindows? Build(GridLandscape landscape, MasterGrid geometry, ComputeDevice device, long rowTableBytes)
    {
        if (!(geometry.Truncation <= K.MaxSeparableTruncation))
        {
            return null;
        }

        long count = geometry.Count;
        var ints = new int[count * K.WindowInts];
        var pars = new double[count * K.WindowDoubles];
        var lost = new double[count];
        if (device.IsManaged)
        {
            landscape.Accept(new ManagedPrepare(geometry, ints, pars, lost, new ParallelOptions { MaxDegreeOfParallelism = device.Threads }));
        }
        else
        {
            landscape.Accept(new DevicePrepare(device, geometry, ints, pars, lost));
        }

        bool valid = true, rows = false;
        for (long c = 0; c < count; c++)
        {
            int kind = ints[c * K.WindowInts + K.WindowKind];
            rows |= kind == K.KindNotSeparable;
            valid &= kind >= 0 || kind == K.KindNotSeparable;
        }

        int[] rowInts = [0, 0];
        double[] rowPars = [0, 0];
        if (rows)
        {
            var builder = new RowBuilder(geometry, ints, pars, lost, rowTableBytes, new ParallelOptions { MaxDegreeOfParallelism = device.IsManaged ? device.Threads : -1 });
            if (!landscape.Accept(builder))
            {
                return null;
            }

            (rowInts, rowPars) = (builder.RowInts, builder.RowPars);
        }

        var windows = new MasterWindows(geometry, ints, pars, geometry.Walls == GridWalls.Absorbing ? lost : null, rowInts, rowPars) { HasRows = rows };
        if (valid)
        {
            windows.Ranges = MasterEquationRanges.BuildWindows(geometry, ints, rowInts);
        }

        return windows;
    }

    /// <summary>Window products per step, <c>Σ_c |rows_c| |columns_c|</c>: the work of the scatter.</summary>
    public long Products()
    {
        long total = 0;
        for (long c = 0; c < Geometry.Count; c++)
        {
            long o = c * K.WindowInts;
            int kind = Ints[o + K.WindowKind];
            if (kind == K.KindGaussian || kind == K.KindPushForward)
            {
                total += (long)Length(Ints[o + K.RowCount]) * Length(Ints[o + K.ColumnCount]);
            }
            else if (kind == K.KindGaussianRows)
            {
                for (long e = Ints[o + K.ColumnFirst], end = e + Ints[o + K.RowCount]; e < end; e++)
                {
                    total += RowInts[2 * e + 1];
                }
            }
        }

        return total;
    }

    /// <summary>Cells of a window with count <paramref name="count"/> (2 for a pair).</summary>
    public static int Length(int count) => count < 0 ? 2 : count;

    /// <summary>Fills the window weights by the recurrence (the sequential order of <see cref="MasterEquationKernels.WindowValue"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(double start, double ratio, double factor, int count, Span<double> values)
    {
        if (count < 0)
        {
            values[0] = start;
            values[1] = ratio;
            return;
        }

        double w = start, r = ratio;
        for (int k = 0; k < count; k++)
        {
            values[k] = w;
            w *= r;
            r *= factor;
        }
    }

    /// <summary>
    /// Row windows of the sources whose covariance is not diagonal (<see cref="MasterEquationKernels.KindGaussianRows"/>),
    /// on the host: per source the marginal of axis 0 as its row window and per row the conditional window of axis 1
    /// (start and ratio; the factor Q is the source's), normalised together as the general gather normalises its 2-D
    /// window, <c>Z = Σ_v a_v Σ_u b_vu</c>. Fails (false) when T or a window is too wide for the recurrence, or the
    /// row table would take more than its budget; the solver then runs the general gather.
    /// </summary>
    private sealed class RowBuilder(MasterGrid geometry, int[] ints, double[] pars, double[] lost, long budget, ParallelOptions options) : IGridFieldVisitor<bool>
    {
        public int[] RowInts { get; private set; } = [];

        public double[] RowPars { get; private set; } = [];

        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            long count = geometry.Count;
            var offsets = new long[count + 1];
            for (long c = 0; c < count; c++)
            {
                long rows = 0;
                if (ints[c * K.WindowInts + K.WindowKind] == K.KindNotSeparable)
                {
                    K.ClassifySource(c, field, geometry, out double kind, out _, out _, out _, out _, out _, out _, out double first, out double last);
                    rows = (long)last - (long)first + 1;
                    if (kind != K.KindGaussian || rows > K.MaxSeparableWindow)
                    {
                        return false;
                    }
                }

                offsets[c + 1] = offsets[c] + rows;
            }

            long entries = offsets[count];
            if (entries * RowEntryBytes > budget || 2 * entries > Array.MaxLength)
            {
                return false;
            }

            var rowInts = new int[2 * entries];
            var rowPars = new double[2 * entries];
            bool ok = true;
            Parallel.For(0, (int)((count + 1023) / 1024), options, b =>
            {
                long end = Math.Min(count, (b + 1L) * 1024);
                for (long c = b * 1024L; c < end; c++)
                {
                    if (offsets[c + 1] > offsets[c] && !Rows(field, c, offsets[c], rowInts, rowPars))
                    {
                        ok = false;
                    }
                }
            });
            RowInts = rowInts;
            RowPars = rowPars;
            return ok;
        }

        private bool Rows<TField>(TField field, long c, long entry, int[] rowInts, double[] rowPars) where TField : struct, IGridField
        {
            MasterGrid g = geometry;
            K.ClassifySource(c, field, g, out _, out double mu0, out double mu1, out double sd0, out double slope, out double sdc, out _, out double first, out double last);
            long lo = (long)first, hi = (long)last;
            int rows = (int)(hi - lo + 1);
            K.AxisRaw(mu0, sd0, lo, g.Lower0, g.H0, out double start0, out double ratio0, out double factor0);
            double factor1 = 0;
            double total = 0;
            double a = start0, ra = ratio0;
            for (int k = 0; k < rows; k++)
            {
                double mc = mu1 + slope * (g.Lower0 + (lo + k + 0.5) * g.H0 - mu0);
                long clo = K.WindowFirst(mc, sdc, g.Truncation, g.Lower1, g.H1);
                long chi = K.WindowLast(mc, sdc, g.Truncation, g.Lower1, g.H1);
                if (chi - clo + 1 > K.MaxSeparableWindow)
                {
                    return false;
                }

                K.AxisRaw(mc, sdc, clo, g.Lower1, g.H1, out double start1, out double ratio1, out factor1);
                long e = entry + k;
                rowInts[2 * e] = (int)clo;
                rowInts[2 * e + 1] = (int)(chi - clo + 1);
                rowPars[2 * e] = start1;
                rowPars[2 * e + 1] = ratio1;
                total += a * Sum(start1, ratio1, factor1, (int)(chi - clo + 1), 0, 0, out _);
                a *= ra;
                ra *= factor0;
            }

            double start = start0 / total;
            long o = c * K.WindowInts;
            long p = c * K.WindowDoubles;
            ints[o + K.WindowKind] = K.KindGaussianRows;
            ints[o + K.RowFirst] = (int)lo;
            ints[o + K.RowCount] = rows;
            ints[o + K.ColumnFirst] = (int)entry;
            ints[o + K.ColumnCount] = 0;
            pars[p] = start;
            pars[p + 1] = ratio0;
            pars[p + 2] = factor0;
            pars[p + 3] = 0;
            pars[p + 4] = 0;
            pars[p + 5] = factor1;
            double lostFraction = 0;
            if (g.Walls == GridWalls.Absorbing)
            {
                if (hi < 0 || lo >= g.Rows)
                {
                    ints[o + K.WindowKind] = K.KindLost;
                    ints[o + K.RowCount] = 0;
                    lost[c] = 1;
                    return true;
                }

                a = start;
                ra = ratio0;
                for (int k = 0; k < rows; k++)
                {
                    long e = entry + k;
                    bool rowInside = lo + k >= 0 && lo + k < g.Rows;
                    double rowSum = Sum(rowPars[2 * e], rowPars[2 * e + 1], factor1, rowInts[2 * e + 1], rowInts[2 * e], g.Columns, out double outside);
                    lostFraction += a * (rowInside ? outside : rowSum);
                    a *= ra;
                    ra *= factor0;
                }
            }

            lost[c] = lostFraction;
            return true;
        }

        /// <summary>The sum of a window's recurrence, and the part outside [0, n) of the cells from <paramref name="first"/>.</summary>
        private static double Sum(double start, double ratio, double factor, int count, long first, long n, out double outside)
        {
            double total = 0, w = start, r = ratio;
            outside = 0;
            for (int k = 0; k < count; k++)
            {
                total += w;
                if (first + k < 0 || first + k >= n)
                {
                    outside += w;
                }

                w *= r;
                r *= factor;
            }

            return total;
        }
    }

    private sealed class ManagedPrepare(MasterGrid geometry, int[] ints, double[] pars, double[] lost, ParallelOptions options) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            long count = geometry.Count;
            const int chunk = 1024;
            Parallel.For(0, (int)((count + chunk - 1) / chunk), options, b =>
            {
                long end = Math.Min(count, (b + 1L) * chunk);
                for (long c = (long)b * chunk; c < end; c++)
                {
                    K.StoreWindows(c, field, geometry, new ArrayInts(ints), new ArrayDoubles(pars), new ArrayDoubles(lost));
                }
            });
            return true;
        }
    }

    private sealed class DevicePrepare(ComputeDevice device, MasterGrid geometry, int[] ints, double[] pars, double[] lost) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            var prepare = device.Load(GridKernels.PrepareWindows<TField>());
            Accelerator accelerator = device.Accelerator!;
            using var intBuffer = accelerator.Allocate1D<int>(ints.Length);
            using var parBuffer = accelerator.Allocate1D<double>(pars.Length);
            using var lostBuffer = accelerator.Allocate1D<double>(lost.Length);
            prepare((int)geometry.Count, field, geometry, intBuffer.View, parBuffer.View, lostBuffer.View);
            accelerator.Synchronize();
            intBuffer.CopyToCPU(ints);
            parBuffer.CopyToCPU(pars);
            lostBuffer.CopyToCPU(lost);
            return true;
        }
    }
}

/// <summary>
/// The managed separable step: a scatter over tiles of targets (bands of outer rows in 2-D, blocks of cells in
/// 1-D). A tile visits the sources that reach it (from the ranges) in increasing cell index and adds, for each window
/// row landing in the tile, <c>(m_c A_c(v₀)) B_c(v₁)</c> to the tile's targets, vectorised along the contiguous
/// columns (element-wise products and sums, so the same bits as the scalar kernel). Every target therefore receives
/// the products of <see cref="MasterEquationKernels.GatherWindows"/> in its order, whatever the tiling and the thread
/// count. Windows come from a cache filled once at set-up (when it fits the solver's window-cache budget) or are
/// regenerated by the recurrence at each visit: the same numbers either way.
/// </summary>
internal sealed class ManagedWindowStepper : IMasterEquationStepper
{
    private readonly MasterWindows windows;
    private readonly MasterGrid geometry;
    private readonly int outer;
    private readonly int inner;
    private readonly (int R0, int R1, int Q0, int Q1)[] tiles;
    private readonly ParallelOptions options;
    private readonly int sumBlocks;
    private readonly double[] lostSums;
    private readonly double[][] driftSums;
    private readonly double[]? cache;
    private readonly long[]? offsets;
    private readonly int maxRows;
    private readonly int maxColumns;
    private readonly double[] next;
    private readonly MasterEquationLineBlocks? lineBlocks;
    private readonly int[] blockChunks = [];

    /// <summary>Block-table entries up to which a 1-D step runs on the calling thread (about 40 µs of work, of the order of a hand-off to other threads).</summary>
    private const int SerialEntries = 1 << 15;

    public ManagedWindowStepper(MasterWindows windows, int threads, long cacheBytes)
    {
        this.windows = windows;
        geometry = windows.Geometry;
        outer = geometry.Dimension == 2 ? geometry.Rows : 1;
        inner = geometry.Dimension == 2 ? geometry.Columns : geometry.Rows;
        options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        int count = (int)geometry.Count;
        next = new double[count];
        sumBlocks = (count + K.SumBlock - 1) / K.SumBlock;
        lostSums = new double[sumBlocks];
        driftSums = [new double[sumBlocks], new double[sumBlocks]];
        tiles = Tiles(outer, inner, threads);
        long cached = 0;
        int[] ints = windows.Ints;
        for (int c = 0; c < count; c++)
        {
            int o = c * K.WindowInts;
            int kind = ints[o + K.WindowKind];
            if (kind == K.KindGaussian || kind == K.KindPushForward)
            {
                int rows = MasterWindows.Length(ints[o + K.RowCount]), columns = MasterWindows.Length(ints[o + K.ColumnCount]);
                maxRows = Math.Max(maxRows, rows);
                maxColumns = Math.Max(maxColumns, columns);
                cached += rows + columns;
            }
            else if (kind == K.KindGaussianRows)
            {
                // row windows are always regenerated (their row table is the compact form)
                maxRows = Math.Max(maxRows, ints[o + K.RowCount]);
                for (long e = ints[o + K.ColumnFirst], end = e + ints[o + K.RowCount]; e < end; e++)
                {
                    maxColumns = Math.Max(maxColumns, windows.RowInts[2 * e + 1]);
                }
            }
        }

        if (cached * sizeof(double) + (long)count * sizeof(long) <= cacheBytes)
        {
            (cache, offsets) = FillCache(windows, count, cached, options);
            if (geometry.Dimension == 1 && !windows.HasRows)
            {
                // 1-D: the block gather from the cached windows, which it then replaces
                lineBlocks = MasterEquationLineBlocks.Build(windows, cache, offsets, cacheBytes, options);
                if (lineBlocks is not null)
                {
                    (cache, offsets) = (null, null);
                    next = new double[lineBlocks.PaddedCells];
                    blockChunks = Chunks(lineBlocks.Blocks, threads);
                }
            }
        }
    }

    /// <summary>True when the windows are cached (rather than regenerated at each visit).</summary>
    public bool Cached => cache is not null || lineBlocks is not null;

    /// <summary>The 1-D block table when the step runs as a block gather (<see cref="MasterEquationLineBlocks"/>); else null.</summary>
    public MasterEquationLineBlocks? LineBlocks => lineBlocks;

    /// <summary>
    /// Bytes a step streams from cached tables: the block table (1-D), or the cached windows with their offsets and
    /// window rows (2-D), plus the density read and written; null when the windows are regenerated (the step is then
    /// bound by arithmetic, not by memory).
    /// </summary>
    public long? StreamedBytesPerStep => lineBlocks is not null
        ? lineBlocks.BytesPerStep
        : cache is null ? null : (cache.LongLength * sizeof(double)) + (offsets!.LongLength * sizeof(long)) + (geometry.Count * ((K.WindowInts * sizeof(int)) + 16));

    public void Advance(GridDensity density, int steps, double[]? gradient, double[]? displacement)
    {
        for (int s = 0; s < steps; s++)
        {
            Step(density, gradient, displacement);
        }
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// Tiles: eight, or two per thread beyond four threads (at least one row or 32 cells each), bands of whole rows in
    /// 2-D, blocks of cells in 1-D; one and two threads share a tiling, so they do the same work. The tiling changes no
    /// result.
    /// </summary>
    private static (int, int, int, int)[] Tiles(int outer, int inner, int threads)
    {
        var list = new List<(int, int, int, int)>();
        int wanted = Math.Max(8, 2 * threads);
        if (outer > 1)
        {
            int band = Math.Max(1, (outer + wanted - 1) / wanted);
            for (int r = 0; r < outer; r += band)
            {
                list.Add((r, Math.Min(outer, r + band), 0, inner));
            }
        }
        else
        {
            int block = Math.Max(32, (inner + wanted - 1) / wanted);
            for (int q = 0; q < inner; q += block)
            {
                list.Add((0, 1, q, Math.Min(inner, q + block)));
            }
        }

        return [.. list];
    }

    /// <summary>
    /// Bounds of the block chunks of the 1-D gather: eight, or two per thread beyond four threads, of whole groups of
    /// four blocks (each target's sum does not depend on the chunks).
    /// </summary>
    private static int[] Chunks(int blocks, int threads)
    {
        int wanted = Math.Max(8, 2 * threads);
        int size = Math.Max(4, (((blocks + wanted - 1) / wanted) + 3) / 4 * 4);
        var bounds = new List<int> { 0 };
        for (int b = size; b < blocks; b += size)
        {
            bounds.Add(b);
        }

        bounds.Add(blocks);
        return [.. bounds];
    }

    private static (double[] Cache, long[] Offsets) FillCache(MasterWindows windows, int count, long total, ParallelOptions options)
    {
        var offsets = new long[count];
        int[] ints = windows.Ints;
        long at = 0;
        for (int c = 0; c < count; c++)
        {
            offsets[c] = at;
            int o = c * K.WindowInts;
            int kind = ints[o + K.WindowKind];
            if (kind == K.KindGaussian || kind == K.KindPushForward)
            {
                at += MasterWindows.Length(ints[o + K.RowCount]) + MasterWindows.Length(ints[o + K.ColumnCount]);
            }
        }

        var cache = new double[total];
        double[] pars = windows.Pars;
        Parallel.For(0, (count + 1023) / 1024, options, b =>
        {
            int end = Math.Min(count, (b + 1) * 1024);
            for (int c = b * 1024; c < end; c++)
            {
                int o = c * K.WindowInts;
                int kind = ints[o + K.WindowKind];
                if (kind != K.KindGaussian && kind != K.KindPushForward)
                {
                    continue;
                }

                int rowCount = ints[o + K.RowCount], columnCount = ints[o + K.ColumnCount];
                int rows = MasterWindows.Length(rowCount), columns = MasterWindows.Length(columnCount);
                long p = (long)c * K.WindowDoubles;
                MasterWindows.Fill(pars[p], pars[p + 1], pars[p + 2], rowCount, cache.AsSpan((int)offsets[c], rows));
                MasterWindows.Fill(pars[p + 3], pars[p + 4], pars[p + 5], columnCount, cache.AsSpan((int)(offsets[c] + rows), columns));
            }
        });
        return (cache, offsets);
    }

    private void Step(GridDensity density, double[]? gradient, double[]? displacement)
    {
        double[] mass = density.Mass;
        var massBuffer = new ArrayDoubles(mass);
        double[] output = next;
        int count = (int)geometry.Count;
        int d = geometry.Dimension;
        int lostBlocks = windows.Lost is null ? 0 : sumBlocks;
        int driftBlocks = gradient is null ? 0 : d * sumBlocks;
        MasterEquationLineBlocks? line = lineBlocks;
        int tileCount = line is null ? tiles.Length : blockChunks.Length - 1;
        void Part(int b)
        {
            if (b < tileCount)
            {
                if (line is not null)
                {
                    line.Step(mass, output, blockChunks[b], blockChunks[b + 1]);
                }
                else
                {
                    Tile(tiles[b], mass, output);
                }

                return;
            }

            int k = b - tileCount;
            if (k < lostBlocks)
            {
                lostSums[k] = K.WeightedBlockSum(k, count, new ArrayDoubles(windows.Lost!), 1, 0, massBuffer);
                return;
            }

            k -= lostBlocks;
            int axis = k / sumBlocks, block = k - axis * sumBlocks;
            driftSums[axis][block] = K.WeightedBlockSum(block, count, new ArrayDoubles(gradient!), d, axis, massBuffer);
        }

        int parts = tileCount + lostBlocks + driftBlocks;
        if (line is not null && line.Entries <= SerialEntries)
        {
            // a step of a few microseconds: handing parts to other threads would cost more than it saves
            for (int b = 0; b < parts; b++)
            {
                Part(b);
            }
        }
        else
        {
            Parallel.For(0, parts, options, Part);
        }

        Array.Copy(output, mass, count);
        ManagedMasterStepper.AddBlockTotals(density, displacement, lostBlocks > 0 ? lostSums : null, gradient is null ? null : driftSums, d, sumBlocks, geometry.Eta);
    }

    /// <summary>The targets of one tile: cleared, then every source that reaches the tile scattered in increasing cell index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile((int R0, int R1, int Q0, int Q1) tile, double[] mass, double[] output)
    {
        (int r0, int r1, int q0, int q1) = tile;
        for (int r = r0; r < r1; r++)
        {
            output.AsSpan(r * inner + q0, q1 - q0).Clear();
        }

        int[] ranges = windows.Ranges;
        var rowMark = new bool[outer];
        var columnMark = new bool[inner];
        for (int r = r0; r < r1; r++)
        {
            Mark(rowMark, ranges[2 * r], ranges[2 * r + 1], outer);
        }

        for (int q = q0; q < q1; q++)
        {
            Mark(columnMark, ranges[2 * outer + 2 * q], ranges[2 * outer + 2 * q + 1], inner);
        }

        Span<double> rowValues = new double[maxRows];
        Span<double> columnValues = new double[maxColumns];
        for (int sr = 0; sr < outer; sr++)
        {
            if (!rowMark[sr])
            {
                continue;
            }

            for (int sc = 0; sc < inner; sc++)
            {
                if (columnMark[sc])
                {
                    Scatter(sr * inner + sc, tile, mass, output, rowValues, columnValues);
                }
            }
        }
    }

    private static void Mark(bool[] mark, int from, int to, int n)
    {
        K.RangePieces(from, to, n, out long a0, out long b0, out long a1, out long b1);
        for (long i = a0; i <= b0; i++)
        {
            mark[i] = true;
        }

        for (long i = a1; i <= b1; i++)
        {
            mark[i] = true;
        }
    }

    /// <summary>Source c's products on the tile's targets: rows in increasing virtual index, columns likewise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scatter(int c, (int R0, int R1, int Q0, int Q1) tile, double[] mass, double[] output, Span<double> rowBuffer, Span<double> columnBuffer)
    {
        double m = mass[c];
        if (m == 0)
        {
            return;
        }

        int[] ints = windows.Ints;
        int o = c * K.WindowInts;
        int kind = ints[o + K.WindowKind];
        if (kind == K.KindGaussianRows)
        {
            ScatterRows(c, m, tile, output, rowBuffer, columnBuffer);
            return;
        }

        if (kind != K.KindGaussian && kind != K.KindPushForward)
        {
            return;
        }

        int walls = geometry.Walls;
        int rowFirst = ints[o + K.RowFirst], rowCount = ints[o + K.RowCount];
        int columnFirst = ints[o + K.ColumnFirst], columnCount = ints[o + K.ColumnCount];
        bool rowPair = rowCount < 0, columnPair = columnCount < 0;
        int rows = MasterWindows.Length(rowCount), columns = MasterWindows.Length(columnCount);
        bool rowsPlain = !rowPair && (walls == GridWalls.Absorbing || (rowFirst >= 0 && rowFirst + rows <= outer));
        bool columnsPlain = !columnPair && (walls == GridWalls.Absorbing || (columnFirst >= 0 && columnFirst + columns <= inner));
        if ((rowsPlain && (rowFirst + rows <= tile.R0 || rowFirst >= tile.R1))
            || (columnsPlain && (columnFirst + columns <= tile.Q0 || columnFirst >= tile.Q1)))
        {
            return;
        }

        ReadOnlySpan<double> rowValues, columnValues;
        if (cache is not null)
        {
            long at = offsets![c];
            rowValues = cache.AsSpan((int)at, rows);
            columnValues = cache.AsSpan((int)(at + rows), columns);
        }
        else
        {
            long p = (long)c * K.WindowDoubles;
            double[] pars = windows.Pars;
            MasterWindows.Fill(pars[p], pars[p + 1], pars[p + 2], rowCount, rowBuffer);
            MasterWindows.Fill(pars[p + 3], pars[p + 4], pars[p + 5], columnCount, columnBuffer);
            rowValues = rowBuffer[..rows];
            columnValues = columnBuffer[..columns];
        }

        if (columnsPlain)
        {
            int l0 = Math.Max(0, tile.Q0 - columnFirst);
            int l1 = Math.Min(columns, tile.Q1 - columnFirst);
            int length = l1 - l0;
            if (length <= 0)
            {
                return;
            }

            ref double column = ref Unsafe.Add(ref MemoryMarshal.GetReference(columnValues), l0);
            ref double origin = ref MemoryMarshal.GetArrayDataReference(output);
            if (rowsPlain)
            {
                int k0 = Math.Max(0, tile.R0 - rowFirst), k1 = Math.Min(rows, tile.R1 - rowFirst);
                for (int k = k0; k < k1; k++)
                {
                    AddScaled(ref Unsafe.Add(ref origin, (rowFirst + k) * inner + columnFirst + l0), m * rowValues[k], ref column, length);
                }

                return;
            }

            for (int k = 0; k < rows; k++)
            {
                long t = K.WindowMap(rowFirst + k, outer, walls, rowPair);
                if (t >= tile.R0 && t < tile.R1)
                {
                    AddScaled(ref Unsafe.Add(ref origin, (int)t * inner + columnFirst + l0), m * rowValues[k], ref column, length);
                }
            }

            return;
        }

        for (int k = 0; k < rows; k++)
        {
            long t = K.WindowMap(rowFirst + k, outer, walls, rowPair);
            if (t < tile.R0 || t >= tile.R1)
            {
                continue;
            }

            double coef = m * rowValues[k];
            int rowBase = (int)t * inner;
            for (int l = 0; l < columns; l++)
            {
                long u = K.WindowMap(columnFirst + l, inner, walls, columnPair);
                if (u >= tile.Q0 && u < tile.Q1)
                {
                    output[rowBase + u] += coef * columnValues[l];
                }
            }
        }
    }

    /// <summary>
    /// A source with row windows (non-diagonal covariance): for each window row landing in the tile, its own
    /// conditional column window regenerated from the row table, then the products added as for separable windows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScatterRows(int c, double m, (int R0, int R1, int Q0, int Q1) tile, double[] output, Span<double> rowBuffer, Span<double> columnBuffer)
    {
        int[] ints = windows.Ints;
        int o = c * K.WindowInts;
        int walls = geometry.Walls;
        int rowFirst = ints[o + K.RowFirst], rows = ints[o + K.RowCount];
        long entry = ints[o + K.ColumnFirst];
        long p = (long)c * K.WindowDoubles;
        double[] pars = windows.Pars;
        double factor = pars[p + 5];
        MasterWindows.Fill(pars[p], pars[p + 1], pars[p + 2], rows, rowBuffer);
        ref double origin = ref MemoryMarshal.GetArrayDataReference(output);
        for (int k = 0; k < rows; k++)
        {
            long t = K.WindowMap(rowFirst + k, outer, walls, false);
            if (t < tile.R0 || t >= tile.R1)
            {
                continue;
            }

            long e = entry + k;
            int columnFirst = windows.RowInts[2 * e], columns = windows.RowInts[2 * e + 1];
            MasterWindows.Fill(windows.RowPars[2 * e], windows.RowPars[2 * e + 1], factor, columns, columnBuffer);
            double coef = m * rowBuffer[k];
            int rowBase = (int)t * inner;
            if (walls == GridWalls.Absorbing || (columnFirst >= 0 && columnFirst + columns <= inner))
            {
                int l0 = Math.Max(0, tile.Q0 - columnFirst);
                int l1 = Math.Min(columns, tile.Q1 - columnFirst);
                if (l1 > l0)
                {
                    AddScaled(ref Unsafe.Add(ref origin, rowBase + columnFirst + l0), coef, ref columnBuffer[l0], l1 - l0);
                }

                continue;
            }

            for (int l = 0; l < columns; l++)
            {
                long u = K.WindowMap(columnFirst + l, inner, walls, false);
                if (u >= tile.Q0 && u < tile.Q1)
                {
                    output[rowBase + u] += coef * columnBuffer[l];
                }
            }
        }
    }

    /// <summary>
    /// <c>target[i] += coef · values[i]</c> for i &lt; n, element by element (a product then a sum, never a fused
    /// multiply-add, so the same bits as the scalar kernel), 8, 4 or 1 lanes at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(ref double target, double coef, ref double values, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var scale = Vector512.Create(coef);
            for (; i + 8 <= n; i += 8)
            {
                var product = Vector512.Multiply(scale, Vector512.LoadUnsafe(ref values, (nuint)i));
                Vector512.Add(Vector512.LoadUnsafe(ref target, (nuint)i), product).StoreUnsafe(ref target, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(coef);
            for (; i + 4 <= n; i += 4)
            {
                var product = Vector256.Multiply(scale, Vector256.LoadUnsafe(ref values, (nuint)i));
                Vector256.Add(Vector256.LoadUnsafe(ref target, (nuint)i), product).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref target, i) += coef * Unsafe.Add(ref values, i);
        }
    }
}

/// <summary>
/// The separable step on an ILGPU accelerator, one thread per target cell (<see cref="MasterEquationKernels.StepWindows"/>),
/// regenerating each window weight by the recurrence; the density, lost mass and displacement stay on the device for
/// all the steps of one <see cref="DeviceMasterStepperBase.Advance"/>.
/// </summary>
internal sealed class DeviceWindowStepper : DeviceMasterStepperBase
{
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ints;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> pars;
    private readonly MemoryBuffer1D<double, Stride1D.Dense>? lost;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> rowInts;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> rowPars;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ranges;

    public DeviceWindowStepper(ComputeDevice device, MasterWindows windows)
        : base(device, windows.Geometry)
    {
        ints = Accelerator.Allocate1D(windows.Ints);
        pars = Accelerator.Allocate1D(windows.Pars);
        lost = windows.Lost is null ? null : Accelerator.Allocate1D(windows.Lost);
        rowInts = Accelerator.Allocate1D(windows.RowInts);
        rowPars = Accelerator.Allocate1D(windows.RowPars);
        ranges = Accelerator.Allocate1D(windows.Ranges);
    }

    protected override (ArrayView<double> Weights, int Stride, int Offset)? LostWeights => lost is null ? null : (lost.View, 1, 0);

    protected override Action<ArrayView<double>, ArrayView<double>> LoadStep()
    {
        var step = Device.Load(GridKernels.MasterStepWindows);
        return (current, next) => step(Count, Geometry, ints.View, pars.View, rowInts.View, rowPars.View, ranges.View, current, next);
    }

    protected override void DisposeTables()
    {
        ints.Dispose();
        pars.Dispose();
        lost?.Dispose();
        rowInts.Dispose();
        rowPars.Dispose();
        ranges.Dispose();
    }
}
