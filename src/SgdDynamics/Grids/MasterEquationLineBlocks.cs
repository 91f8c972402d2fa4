using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The 1-D separable master-equation step as a gather over blocks of <see cref="Width"/> targets. Per block the table
/// holds one entry per source that reaches it: the source's cell and its eight weights on the block's targets (zero
/// where its window does not reach), in increasing source order; a source whose window lands on one target more than
/// once (a window folded by reflecting walls or wrapped on a ring, a cloud-in-cell pair folded onto a face cell) has
/// one entry per fold, in window order. The step keeps a block's eight sums in one register and adds the entries'
/// products <c>m_c · w</c> in table order, so every target sums the same products in the same order as the scatter of
/// <see cref="ManagedWindowStepper"/> and the device gather (sources in increasing cell, a source's window in
/// increasing virtual cell): the same bits, with no store to memory in the inner loop. The scatter's stores of
/// overlapping, one-cell-shifted windows are what held it to a fraction of the machine's pace: each load of the next
/// source's targets waited on the previous source's stores.
/// </summary>
/// <remarks>
/// Memory: <see cref="EntryBytes"/> per entry, about (window + 7) entries per block of eight cells, i.e. about
/// (window + 7) × 8.5 bytes per cell. A step streams the table once, so its pace is bounded by
/// <see cref="BytesPerStep"/> over the memory bandwidth.
/// </remarks>
internal sealed class MasterEquationLineBlocks
{
    /// <summary>Targets per block: one 512-bit vector of doubles.</summary>
    public const int Width = 8;

    /// <summary>Bytes per entry: the source cell (4) and eight weights (64).</summary>
    public const int EntryBytes = 4 + (8 * Width);

    private readonly int[] starts;
    private readonly int[] sources;
    private readonly double[] weights;

    private MasterEquationLineBlocks(int cells, int[] starts, int[] sources, double[] weights)
    {
        Cells = cells;
        this.starts = starts;
        this.sources = sources;
        this.weights = weights;
    }

    /// <summary>Cells of the line.</summary>
    public int Cells { get; }

    /// <summary>Blocks of <see cref="Width"/> targets (the last one may be partial).</summary>
    public int Blocks => starts.Length - 1;

    /// <summary>Entries of all blocks.</summary>
    public int Entries => sources.Length;

    /// <summary>Bytes one step reads and writes: the table, the density read (8 B a cell) and the next density written (8 B a cell).</summary>
    public long BytesPerStep => ((long)Entries * EntryBytes) + (16L * Cells);

    /// <summary>Length of an output buffer for <see cref="Step"/>: the cells rounded up to whole blocks.</summary>
    public int PaddedCells => Blocks * Width;

    /// <summary>Table bytes for <paramref name="entries"/> entries and <paramref name="cells"/> cells.</summary>
    public static long TableBytes(long entries, long cells) => (entries * EntryBytes) + ((cells / Width) + 2) * sizeof(int);

    /// <summary>
    /// The table of a 1-D grid from its cached windows (<paramref name="cache"/> at <paramref name="offsets"/>: each
    /// source's row window, the single weight 1, then its column window), built block by block in parallel; null when
    /// the grid is not 1-D, a row window is not the single weight 1 (the products would then not be <c>m_c · w</c>),
    /// or the table would exceed <paramref name="budget"/> bytes.
    /// </summary>
    public static MasterEquationLineBlocks? Build(MasterWindows windows, double[] cache, long[] offsets, long budget, ParallelOptions options)
    {
        MasterGrid geometry = windows.Geometry;
        if (geometry.Dimension != 1 || geometry.Count > int.MaxValue - Width)
        {
            return null;
        }

        int cells = (int)geometry.Count;
        int[] ints = windows.Ints;
        for (int c = 0; c < cells; c++)
        {
            int o = c * K.WindowInts;
            int kind = ints[o + K.WindowKind];
            if ((kind == K.KindGaussian || kind == K.KindPushForward) && (ints[o + K.RowCount] != 1 || ints[o + K.RowFirst] != 0 || cache[offsets[c]] != 1.0))
            {
                return null;
            }
        }

        int blocks = (cells + Width - 1) / Width;
        var counts = new int[blocks];
        Parallel.For(0, blocks, options, () => new List<(long From, long To)>(2 * Width), (b, _, scratch) =>
        {
            counts[b] = Fill(b, windows, cache, offsets, scratch, null, null, 0);
            return scratch;
        }, _ => { });

        var starts = new int[blocks + 1];
        long total = 0;
        for (int b = 0; b < blocks; b++)
        {
            starts[b] = (int)total;
            total += counts[b];
            if (TableBytes(total, cells) > budget || total > Array.MaxLength / Width)
            {
                return null;
            }
        }

        starts[blocks] = (int)total;
        var sources = new int[total];
        var weights = new double[total * Width];
        Parallel.For(0, blocks, options, () => new List<(long From, long To)>(2 * Width), (b, _, scratch) =>
        {
            Fill(b, windows, cache, offsets, scratch, sources, weights, starts[b]);
            return scratch;
        }, _ => { });
        return new MasterEquationLineBlocks(cells, starts, sources, weights);
    }

    /// <summary>
    /// Writes <c>output[t] = Σ_entries m_source · w_t</c> for the targets of blocks [<paramref name="firstBlock"/>,
    /// <paramref name="endBlock"/>); <paramref name="output"/> has at least <see cref="PaddedCells"/> elements (the
    /// padding past <see cref="Cells"/> receives zeros). Four blocks at a time, each its own chain of additions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(double[] mass, double[] output, int firstBlock, int endBlock)
    {
        ref double m = ref MemoryMarshal.GetArrayDataReference(mass);
        ref double w = ref MemoryMarshal.GetArrayDataReference(weights);
        ref int s = ref MemoryMarshal.GetArrayDataReference(sources);
        ref double o = ref MemoryMarshal.GetArrayDataReference(output);
        int b = firstBlock;
        for (; b + 4 <= endBlock; b += 4)
        {
            int e0 = starts[b], e1 = starts[b + 1], e2 = starts[b + 2], e3 = starts[b + 3], e4 = starts[b + 4];
            int n = Math.Min(Math.Min(e1 - e0, e2 - e1), Math.Min(e3 - e2, e4 - e3));
            Vector512<double> a0 = Vector512<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < n; j++)
            {
                a0 += Product(ref m, ref s, ref w, e0 + j);
                a1 += Product(ref m, ref s, ref w, e1 + j);
                a2 += Product(ref m, ref s, ref w, e2 + j);
                a3 += Product(ref m, ref s, ref w, e3 + j);
            }

            a0 = Rest(a0, ref m, ref s, ref w, e0 + n, e1);
            a1 = Rest(a1, ref m, ref s, ref w, e1 + n, e2);
            a2 = Rest(a2, ref m, ref s, ref w, e2 + n, e3);
            a3 = Rest(a3, ref m, ref s, ref w, e3 + n, e4);
            a0.StoreUnsafe(ref o, (nuint)(b * Width));
            a1.StoreUnsafe(ref o, (nuint)((b + 1) * Width));
            a2.StoreUnsafe(ref o, (nuint)((b + 2) * Width));
            a3.StoreUnsafe(ref o, (nuint)((b + 3) * Width));
        }

        for (; b < endBlock; b++)
        {
            Rest(Vector512<double>.Zero, ref m, ref s, ref w, starts[b], starts[b + 1]).StoreUnsafe(ref o, (nuint)(b * Width));
        }
    }

    /// <summary>Entry e's products: the source's mass times each of its eight weights (a product, never fused with the sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Product(ref double mass, ref int sources, ref double weights, int e) =>
        Vector512.Create(Unsafe.Add(ref mass, Unsafe.Add(ref sources, e))) * Vector512.LoadUnsafe(ref weights, (nuint)e * Width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Rest(Vector512<double> sum, ref double mass, ref int sources, ref double weights, int from, int to)
    {
        for (int e = from; e < to; e++)
        {
            sum += Product(ref mass, ref sources, ref weights, e);
        }

        return sum;
    }

    /// <summary>
    /// Block b's entries: counted (<paramref name="sources"/> null) or written from entry <paramref name="at"/>. The
    /// sources are the union of the block's targets' ranges, visited in increasing cell; a source contributes the
    /// weights of its window cells that land in the block, a second landing on the same target going to a further
    /// entry of the same source (<paramref name="pieces"/>: the thread's scratch list).
    /// </summary>
    private static int Fill(int b, MasterWindows windows, double[] cache, long[] offsets, List<(long From, long To)> pieces, int[]? sources, double[]? weights, int at)
    {
        MasterGrid geometry = windows.Geometry;
        int cells = (int)geometry.Count;
        int walls = geometry.Walls;
        int t0 = b * Width, t1 = Math.Min(cells, t0 + Width);
        int[] ints = windows.Ints;
        int[] ranges = windows.Ranges;
        pieces.Clear();
        for (int t = t0; t < t1; t++)
        {
            // 1-D: one outer row, so target t's source range follows the row's two entries
            K.RangePieces(ranges[2 + (2 * t)], ranges[3 + (2 * t)], cells, out long a0, out long b0, out long a1, out long b1);
            if (a0 <= b0)
            {
                pieces.Add((a0, b0));
            }

            if (a1 <= b1)
            {
                pieces.Add((a1, b1));
            }
        }

        pieces.Sort();
        int entries = 0;
        long next = long.MinValue;
        Span<int> hits = stackalloc int[Width];
        foreach ((long from, long to) in pieces)
        {
            for (long source = Math.Max(from, next); source <= to; source++)
            {
                int c = (int)source;
                int o = c * K.WindowInts;
                int kind = ints[o + K.WindowKind];
                if (kind != K.KindGaussian && kind != K.KindPushForward)
                {
                    continue;
                }

                int first = ints[o + K.ColumnFirst], count = ints[o + K.ColumnCount];
                bool pair = count < 0;
                int columns = MasterWindows.Length(count);
                ReadOnlySpan<double> values = cache.AsSpan((int)offsets[c] + 1, columns);
                if (!pair && (walls == GridWalls.Absorbing || (first >= 0 && first + columns <= cells)))
                {
                    // a plain window: one entry when it overlaps the block
                    int l0 = Math.Max(t0, first), l1 = Math.Min(t1, first + columns);
                    if (l1 <= l0)
                    {
                        continue;
                    }

                    if (sources is not null)
                    {
                        sources[at + entries] = c;
                        Span<double> lanes = weights.AsSpan((at + entries) * Width, Width);
                        lanes.Clear();
                        values[(l0 - first)..(l1 - first)].CopyTo(lanes[(l0 - t0)..]);
                    }

                    entries++;
                    continue;
                }

                // a folded, wrapped or paired window: its cells in window order, the k-th landing on a target in entry k
                hits.Clear();
                int layers = 0;
                for (int l = 0; l < columns; l++)
                {
                    long u = K.WindowMap(first + l, cells, walls, pair);
                    if (u < t0 || u >= t1)
                    {
                        continue;
                    }

                    int lane = (int)u - t0;
                    int layer = hits[lane]++;
                    if (layer == layers)
                    {
                        if (sources is not null)
                        {
                            sources[at + entries + layer] = c;
                            weights.AsSpan((at + entries + layer) * Width, Width).Clear();
                        }

                        layers++;
                    }

                    if (weights is not null)
                    {
                        weights[((at + entries + layer) * Width) + lane] = values[l];
                    }
                }

                entries += layers;
            }

            next = Math.Max(next, to + 1);
        }

        return entries;
    }
}
