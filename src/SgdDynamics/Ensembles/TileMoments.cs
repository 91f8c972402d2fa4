using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>
/// The host routine behind projections (<see cref="ProjectionSpec"/>) and the state's full covariance above
/// <see cref="Problems.Limits.MaxDimension"/>: tile sums of K per-trajectory coordinates y (K rows of
/// <see cref="TileLayout.TileSize"/> slots, in double) in the canonical order of <see cref="TileLayout"/>, and the
/// projections y = V(x − c) themselves. Vectorised across the tile's slots, eight at a time (Vector512, where the CPU
/// has AVX-512) or four (Vector256), in register blocks of four rows (projections: 4 directions × 32 or 16 slots; pair
/// sums: 4 × 4 or 4 × 2 pairs, in squares of 32 × 32 rows that stay in cache): every slot goes through the same sequence
/// of IEEE operations as the scalar definition (a product, then a sum, never a fused multiply-add; the eight partial
/// sums of a tile sum accumulate blocks in order, then <see cref="TileLayout.Combine"/>), so the results do not depend
/// on the vector width, the backend or the machine.
/// </summary>
internal static unsafe class TileMoments
{
    private const int Tile = TileLayout.TileSize;

    /// <summary>Rows are processed in groups of this many: scratch holds K rounded up to it (the extra rows zero).</summary>
    public const int RowGroup = 4;

    /// <summary>Doubles of scratch a K-coordinate tile needs: K rounded up to <see cref="RowGroup"/>, times the tile size.</summary>
    public static int ScratchLength(int k) => (k + RowGroup - 1) / RowGroup * RowGroup * Tile;

    /// <summary>
    /// The tile sums of <paramref name="y"/> (coordinate a of slot s at a·TileSize + s; at least <see cref="ScratchLength"/>
    /// doubles, rows K and above zero when <paramref name="plan"/> is <see cref="StatisticsPlan.FullPairs"/>) in the order of
    /// <see cref="TileLayout.Statistics(int, StatisticsPlan)"/>: Σy (K), Σy_a y_b (a ≤ b, row-major upper triangle) or Σy² (K),
    /// Σy³ (K), Σy⁴ (K).
    /// </summary>
    public static void Sums(ReadOnlySpan<double> y, int k, StatisticsPlan plan, Span<double> sums)
    {
        int products = TileLayout.ProductCount(k, plan);
        if (sums.Length != 3 * k + products || y.Length < (plan == StatisticsPlan.FullPairs ? ScratchLength(k) : k * Tile))
        {
            throw new ArgumentException($"{k} coordinates: {3 * k + products} sums from {ScratchLength(k)} values (got {sums.Length} and {y.Length})");
        }

        fixed (double* rows = y)
        fixed (double* output = sums)
        {
            for (int a = 0; a < k; a++)
            {
                double* row = rows + (a * Tile);
                output[a] = Sum<SumTerm>(row);
                output[k + products + a] = Sum<CubeTerm>(row);
                output[(2 * k) + products + a] = Sum<FourthTerm>(row);
                if (plan == StatisticsPlan.Coordinates)
                {
                    output[k + a] = Sum<SquareTerm>(row);
                }
            }

            if (plan == StatisticsPlan.FullPairs)
            {
                Pairs(rows, k, output + k);
            }
        }
    }

    /// <summary>
    /// y = V(x − c) for one tile: <paramref name="state"/>[i·TileSize + s] is coordinate i of slot s (d rows),
    /// <paramref name="directions"/> K × d row-major, <paramref name="centred"/> scratch of d·TileSize, <paramref name="y"/>
    /// of <see cref="ScratchLength"/>(K) (rows K and above are set to zero). Each y_a of a slot is
    /// ((0 + v_a0·x_0) + v_a1·x_1) + … in the order i = 0 … d − 1, x_i = state − c_i; slots not
    /// <paramref name="included"/> get y = 0.
    /// </summary>
    public static void Project(
        ReadOnlySpan<double> state, ReadOnlySpan<double> centre, ReadOnlySpan<double> directions, int k, ReadOnlySpan<bool> included, Span<double> centred, Span<double> y)
    {
        int d = centre.Length;
        if (state.Length < d * Tile || centred.Length < d * Tile || directions.Length != k * d || y.Length < ScratchLength(k) || included.Length < Tile)
        {
            throw new ArgumentException("projection buffers of the wrong size");
        }

        fixed (double* x = state)
        fixed (double* c = centre)
        fixed (double* v = directions)
        fixed (double* xc = centred)
        fixed (double* output = y)
        {
            for (int i = 0; i < d; i++)
            {
                Vector256<double> ci = Vector256.Create(c[i]);
                double* source = x + (i * Tile);
                double* target = xc + (i * Tile);
                for (int s = 0; s < Tile; s += Vector256<double>.Count)
                {
                    (Vector256.Load(source + s) - ci).Store(target + s);
                }
            }

            int groups = (k + RowGroup - 1) / RowGroup;
            for (int g = 0; g < groups; g++)
            {
                int a = g * RowGroup;
                if (a + RowGroup <= k && Wide)
                {
                    ProjectGroup<Lanes512, Vector512<double>>(xc, d, v + (a * d), output + (a * Tile));
                }
                else if (a + RowGroup <= k)
                {
                    ProjectGroup<Lanes256, Vector256<double>>(xc, d, v + (a * d), output + (a * Tile));
                }
                else
                {
                    // the last, partial group: one row at a time
                    for (int r = a; r < k; r++)
                    {
                        for (int s = 0; s < Tile; s += 16)
                        {
                            ProjectRow(xc + s, d, v + (r * d), output + (r * Tile) + s);
                        }
                    }
                }
            }

            new Span<double>(output + (k * Tile), ScratchLength(k) - (k * Tile)).Clear();
            for (int s = 0; s < Tile; s++)
            {
                if (!included[s])
                {
                    for (int a = 0; a < k; a++)
                    {
                        output[(a * Tile) + s] = 0.0;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether the 512-bit blocks are used (by default where the CPU has AVX-512); the results are the same either way
    /// (tests and the benchmark switch it to compare the widths).
    /// </summary>
    public static bool Wide { get; set; } = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Four rows of y (directions <paramref name="v0"/> … + 3d) over the whole tile, in blocks of four vectors of
    /// <typeparamref name="TW"/>'s width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ProjectGroup<TW, TV>(double* xc, int d, double* v0, double* y)
        where TW : struct, ILanes<TV>
        where TV : struct
    {
        for (int s = 0; s < Tile; s += 4 * TW.Count)
        {
            ProjectBlock<TW, TV>(xc + s, d, v0, v0 + d, v0 + (2 * d), v0 + (3 * d), y + s);
        }
    }

    /// <summary>Four rows of y over four vectors of slots: y_r[s] = Σ_i v_r[i]·xc[i·TileSize + s], i in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ProjectBlock<TW, TV>(double* xc, int d, double* v0, double* v1, double* v2, double* v3, double* y)
        where TW : struct, ILanes<TV>
        where TV : struct
    {
        int n = TW.Count;
        TV a00 = TW.Zero, a01 = a00, a02 = a00, a03 = a00;
        TV a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        TV a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        TV a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < d; i++)
        {
            double* row = xc + (i * Tile);
            TV x0 = TW.Load(row);
            TV x1 = TW.Load(row + n);
            TV x2 = TW.Load(row + (2 * n));
            TV x3 = TW.Load(row + (3 * n));
            TV w = TW.Broadcast(v0[i]);
            a00 = TW.AddProduct(a00, w, x0);
            a01 = TW.AddProduct(a01, w, x1);
            a02 = TW.AddProduct(a02, w, x2);
            a03 = TW.AddProduct(a03, w, x3);
            w = TW.Broadcast(v1[i]);
            a10 = TW.AddProduct(a10, w, x0);
            a11 = TW.AddProduct(a11, w, x1);
            a12 = TW.AddProduct(a12, w, x2);
            a13 = TW.AddProduct(a13, w, x3);
            w = TW.Broadcast(v2[i]);
            a20 = TW.AddProduct(a20, w, x0);
            a21 = TW.AddProduct(a21, w, x1);
            a22 = TW.AddProduct(a22, w, x2);
            a23 = TW.AddProduct(a23, w, x3);
            w = TW.Broadcast(v3[i]);
            a30 = TW.AddProduct(a30, w, x0);
            a31 = TW.AddProduct(a31, w, x1);
            a32 = TW.AddProduct(a32, w, x2);
            a33 = TW.AddProduct(a33, w, x3);
        }

        Store4<TW, TV>(y, a00, a01, a02, a03);
        Store4<TW, TV>(y + Tile, a10, a11, a12, a13);
        Store4<TW, TV>(y + (2 * Tile), a20, a21, a22, a23);
        Store4<TW, TV>(y + (3 * Tile), a30, a31, a32, a33);
    }

    /// <summary>One row of y over 16 slots.</summary>
    private static void ProjectRow(double* xc, int d, double* v, double* y)
    {
        Vector256<double> a0 = Vector256<double>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < d; i++)
        {
            double* row = xc + (i * Tile);
            Vector256<double> w = Vector256.Create(v[i]);
            a0 += w * Vector256.Load(row);
            a1 += w * Vector256.Load(row + 4);
            a2 += w * Vector256.Load(row + 8);
            a3 += w * Vector256.Load(row + 12);
        }

        Store4<Lanes256, Vector256<double>>(y, a0, a1, a2, a3);
    }

    /// <summary>Stores four vectors of <typeparamref name="TW"/>'s width one after the other from <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4<TW, TV>(double* y, TV a0, TV a1, TV a2, TV a3)
        where TW : struct, ILanes<TV>
        where TV : struct
    {
        int n = TW.Count;
        TW.Store(a0, y);
        TW.Store(a1, y + n);
        TW.Store(a2, y + (2 * n));
        TW.Store(a3, y + (3 * n));
    }

    /// <summary>The operations of the projection blocks on vectors <typeparamref name="TV"/> of doubles, for one width.</summary>
    private interface ILanes<TV>
        where TV : struct
    {
        /// <summary>Doubles in a vector.</summary>
        static abstract int Count { get; }

        /// <summary>The vector of zeros.</summary>
        static abstract TV Zero { get; }

        /// <summary>The vector at <paramref name="source"/>.</summary>
        static abstract TV Load(double* source);

        /// <summary>The vector with every element <paramref name="value"/>.</summary>
        static abstract TV Broadcast(double value);

        /// <summary>Stores <paramref name="value"/> at <paramref name="target"/>.</summary>
        static abstract void Store(TV value, double* target);

        /// <summary>sum + w·x: the product rounded, then the sum (never a fused multiply-add).</summary>
        static abstract TV AddProduct(TV sum, TV w, TV x);
    }

    /// <summary>Four doubles a vector (<see cref="Vector256{T}"/>).</summary>
    private readonly struct Lanes256 : ILanes<Vector256<double>>
    {
        /// <inheritdoc/>
        public static int Count => Vector256<double>.Count;

        /// <inheritdoc/>
        public static Vector256<double> Zero => Vector256<double>.Zero;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Load(double* source) => Vector256.Load(source);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Broadcast(double value) => Vector256.Create(value);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<double> value, double* target) => value.Store(target);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> AddProduct(Vector256<double> sum, Vector256<double> w, Vector256<double> x) => sum + (w * x);
    }

    /// <summary>Eight doubles a vector (<see cref="Vector512{T}"/>).</summary>
    private readonly struct Lanes512 : ILanes<Vector512<double>>
    {
        /// <inheritdoc/>
        public static int Count => Vector512<double>.Count;

        /// <inheritdoc/>
        public static Vector512<double> Zero => Vector512<double>.Zero;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(double* source) => Vector512.Load(source);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Broadcast(double value) => Vector512.Create(value);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, double* target) => value.Store(target);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> AddProduct(Vector512<double> sum, Vector512<double> w, Vector512<double> x) => sum + (w * x);
    }

    /// <summary>
    /// Σ y_a y_b for a ≤ b into <paramref name="output"/> (row-major upper triangle), in groups of four rows a against
    /// pairs of rows b (rows past K are zero: their products are computed and dropped).
    /// </summary>
    private static void Pairs(double* y, int k, double* output)
    {
        int padded = (k + RowGroup - 1) / RowGroup * RowGroup;
        int columns = Wide ? 4 : 2;
        double* block = stackalloc double[16];

        // squares of SuperBlock × SuperBlock pairs, so that both sets of rows stay in the L2 cache
        for (int rows = 0; rows < padded; rows += SuperBlock)
        {
            for (int columnStart = rows; columnStart < padded; columnStart += SuperBlock)
            {
                int rowEnd = Math.Min(rows + SuperBlock, padded), columnEnd = Math.Min(columnStart + SuperBlock, padded);
                for (int a = rows; a < rowEnd; a += RowGroup)
                {
                    for (int b = Math.Max(a, columnStart); b < columnEnd; b += columns)
                    {
                        if (Wide)
                        {
                            PairBlock512(y + (a * Tile), y + (b * Tile), block);
                        }
                        else
                        {
                            PairBlock(y + (a * Tile), y + (b * Tile), block);
                        }

                        for (int c = 0; c < columns; c++)
                        {
                            for (int r = 0; r < RowGroup; r++)
                            {
                                int i = a + r, j = b + c;
                                if (i <= j && j < k)
                                {
                                    output[(i * k) - (i * (i - 1) / 2) + (j - i)] = block[(c * RowGroup) + r];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Rows of a square of pair sums computed together (two sets of 32 rows: 128 KiB).</summary>
    private const int SuperBlock = 32;

    /// <summary>
    /// The tile sums of y_{a+r} y_{b+c} for r = 0…3, c = 0…1 into <paramref name="result"/>[c·4 + r]. Per pair: low
    /// accumulates slots 16β + 0…3 and 16β + 8…11, high 16β + 4…7 and 16β + 12…15 (the eight partial sums of
    /// <see cref="TileLayout"/>, four per vector), then <see cref="TileLayout.Combine"/>.
    /// </summary>
    private static void PairBlock(double* a, double* b, double* result)
    {
        Vector256<double> l00 = Vector256<double>.Zero, h00 = l00, l10 = l00, h10 = l00, l20 = l00, h20 = l00, l30 = l00, h30 = l00;
        Vector256<double> l01 = l00, h01 = l00, l11 = l00, h11 = l00, l21 = l00, h21 = l00, l31 = l00, h31 = l00;
        double* b1 = b + Tile;
        for (int p = 0; p < Tile; p += TileLayout.BlockSize)
        {
            Vector256<double> b00 = Vector256.Load(b + p), b01 = Vector256.Load(b + p + 4), b02 = Vector256.Load(b + p + 8), b03 = Vector256.Load(b + p + 12);
            Vector256<double> b10 = Vector256.Load(b1 + p), b11 = Vector256.Load(b1 + p + 4), b12 = Vector256.Load(b1 + p + 8), b13 = Vector256.Load(b1 + p + 12);

            PairRow(a + p, b00, b01, b02, b03, b10, b11, b12, b13, ref l00, ref h00, ref l01, ref h01);
            PairRow(a + p + Tile, b00, b01, b02, b03, b10, b11, b12, b13, ref l10, ref h10, ref l11, ref h11);
            PairRow(a + p + (2 * Tile), b00, b01, b02, b03, b10, b11, b12, b13, ref l20, ref h20, ref l21, ref h21);
            PairRow(a + p + (3 * Tile), b00, b01, b02, b03, b10, b11, b12, b13, ref l30, ref h30, ref l31, ref h31);
        }

        result[0] = Combine(l00, h00);
        result[1] = Combine(l10, h10);
        result[2] = Combine(l20, h20);
        result[3] = Combine(l30, h30);
        result[4] = Combine(l01, h01);
        result[5] = Combine(l11, h11);
        result[6] = Combine(l21, h21);
        result[7] = Combine(l31, h31);
    }

    /// <summary>
    /// One row of <see cref="PairBlock"/> over one block of 16 slots: the row's slots 0…3, 8…11 times those of columns 0 and
    /// 1 (b0·, b1·) into <paramref name="l0"/>, <paramref name="l1"/>, slots 4…7, 12…15 into <paramref name="h0"/>,
    /// <paramref name="h1"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairRow(
        double* row,
        Vector256<double> b00,
        Vector256<double> b01,
        Vector256<double> b02,
        Vector256<double> b03,
        Vector256<double> b10,
        Vector256<double> b11,
        Vector256<double> b12,
        Vector256<double> b13,
        ref Vector256<double> l0,
        ref Vector256<double> h0,
        ref Vector256<double> l1,
        ref Vector256<double> h1)
    {
        Vector256<double> x0 = Vector256.Load(row), x1 = Vector256.Load(row + 4), x2 = Vector256.Load(row + 8), x3 = Vector256.Load(row + 12);
        l0 += (x0 * b00) + (x2 * b02);
        h0 += (x1 * b01) + (x3 * b03);
        l1 += (x0 * b10) + (x2 * b12);
        h1 += (x1 * b11) + (x3 * b13);
    }

    /// <summary>
    /// The tile sums of y_{a+r} y_{b+c} for r, c = 0…3 into <paramref name="result"/>[c·4 + r] with 512-bit vectors: per pair
    /// one vector of the eight partial sums, accumulating slots 16β + 0…7 and 16β + 8…15, then <see cref="TileLayout.Combine"/>.
    /// </summary>
    private static void PairBlock512(double* a, double* b, double* result)
    {
        Vector512<double> s00 = Vector512<double>.Zero, s10 = s00, s20 = s00, s30 = s00;
        Vector512<double> s01 = s00, s11 = s00, s21 = s00, s31 = s00;
        Vector512<double> s02 = s00, s12 = s00, s22 = s00, s32 = s00;
        Vector512<double> s03 = s00, s13 = s00, s23 = s00, s33 = s00;
        for (int p = 0; p < Tile; p += TileLayout.BlockSize)
        {
            double* column = b + p;
            Vector512<double> b0 = Vector512.Load(column), c0 = Vector512.Load(column + 8);
            Vector512<double> b1 = Vector512.Load(column + Tile), c1 = Vector512.Load(column + Tile + 8);
            Vector512<double> b2 = Vector512.Load(column + (2 * Tile)), c2 = Vector512.Load(column + (2 * Tile) + 8);
            Vector512<double> b3 = Vector512.Load(column + (3 * Tile)), c3 = Vector512.Load(column + (3 * Tile) + 8);

            PairRow(a + p, b0, c0, b1, c1, b2, c2, b3, c3, ref s00, ref s01, ref s02, ref s03);
            PairRow(a + p + Tile, b0, c0, b1, c1, b2, c2, b3, c3, ref s10, ref s11, ref s12, ref s13);
            PairRow(a + p + (2 * Tile), b0, c0, b1, c1, b2, c2, b3, c3, ref s20, ref s21, ref s22, ref s23);
            PairRow(a + p + (3 * Tile), b0, c0, b1, c1, b2, c2, b3, c3, ref s30, ref s31, ref s32, ref s33);
        }

        result[0] = Combine(s00);
        result[1] = Combine(s10);
        result[2] = Combine(s20);
        result[3] = Combine(s30);
        result[4] = Combine(s01);
        result[5] = Combine(s11);
        result[6] = Combine(s21);
        result[7] = Combine(s31);
        result[8] = Combine(s02);
        result[9] = Combine(s12);
        result[10] = Combine(s22);
        result[11] = Combine(s32);
        result[12] = Combine(s03);
        result[13] = Combine(s13);
        result[14] = Combine(s23);
        result[15] = Combine(s33);
    }

    /// <summary>
    /// One row of <see cref="PairBlock512"/> over one block of 16 slots: the row's slots 0…7 times those of column c (bc)
    /// plus its slots 8…15 times those of column c (cc) into <paramref name="s0"/> … <paramref name="s3"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairRow(
        double* row,
        Vector512<double> b0,
        Vector512<double> c0,
        Vector512<double> b1,
        Vector512<double> c1,
        Vector512<double> b2,
        Vector512<double> c2,
        Vector512<double> b3,
        Vector512<double> c3,
        ref Vector512<double> s0,
        ref Vector512<double> s1,
        ref Vector512<double> s2,
        ref Vector512<double> s3)
    {
        Vector512<double> x = Vector512.Load(row), z = Vector512.Load(row + 8);
        s0 += (x * b0) + (z * c0);
        s1 += (x * b1) + (z * c1);
        s2 += (x * b2) + (z * c2);
        s3 += (x * b3) + (z * c3);
    }

    /// <summary><see cref="TileLayout.Combine"/> of the eight partial sums acc_0…7 in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Combine(Vector512<double> partial) => Combine(partial.GetLower(), partial.GetUpper());

    /// <summary><see cref="TileLayout.Combine"/> of the partial sums acc_0…3 (low) and acc_4…7 (high).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Combine(Vector256<double> low, Vector256<double> high)
    {
        Vector256<double> h = low + high;
        return (h[0] + h[2]) + (h[1] + h[3]);
    }

    /// <summary>The tile sum of one row's per-slot term in the canonical order.</summary>
    private static double Sum<TK>(double* y)
        where TK : struct, ITerm
    {
        Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
        for (int p = 0; p < Tile; p += TileLayout.BlockSize)
        {
            low += TK.Of(Vector256.Load(y + p)) + TK.Of(Vector256.Load(y + p + 8));
            high += TK.Of(Vector256.Load(y + p + 4)) + TK.Of(Vector256.Load(y + p + 12));
        }

        return Combine(low, high);
    }

    /// <summary>The per-slot quantity of one kind of tile sum, four slots at a time.</summary>
    private interface ITerm
    {
        static abstract Vector256<double> Of(Vector256<double> y);
    }

    private readonly struct SumTerm : ITerm
    {
        public static Vector256<double> Of(Vector256<double> y) => y;
    }

    private readonly struct SquareTerm : ITerm
    {
        public static Vector256<double> Of(Vector256<double> y) => y * y;
    }

    private readonly struct CubeTerm : ITerm
    {
        public static Vector256<double> Of(Vector256<double> y)
        {
            Vector256<double> square = y * y;
            return square * y;
        }
    }

    private readonly struct FourthTerm : ITerm
    {
        public static Vector256<double> Of(Vector256<double> y)
        {
            Vector256<double> square = y * y;
            return square * square;
        }
    }
}
