using System.Runtime.CompilerServices;
using ILGPU;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// Separable windows: when the one-step covariance of every resolved source is diagonal (<c>C₀₁ = 0</c>, so the
/// conditional window of axis 1 is the same in every row), the sampled kernel of source c is an outer product
/// <c>w_c(v₀, v₁) = A_c(v₀) B_c(v₁)</c> of two 1-D windows, each normalised to sum to one. A Gaussian sampled on a
/// lattice is <c>w_k = w₀ ρ₀ ρ₁ … ρ_{k−1}</c> with <c>ρ_k = ρ₀ Q^k</c>: from the start weight
/// <c>w₀ = exp(−z₀²/2)/Z</c>, the ratio <c>ρ₀ = exp(−(2 d₀ h + h²)/(2 s²))</c> (d₀ the offset of the first cell from μ)
/// and <c>Q = exp(−h²/s²)</c> the recurrence <c>w ← w ρ, ρ ← ρ Q</c> gives every weight of the window with two
/// multiplications and no exponential. Every backend generates a window by this same recurrence, so cached and
/// regenerated windows are the same numbers; the recurrence's relative error grows like <c>k² ε/2</c> at index k
/// (windows are limited to <see cref="MaxSeparableWindow"/> cells per axis, about 10⁻⁹ at worst, ~10⁻¹² at 123).
/// <para>
/// Per source: <see cref="WindowInts"/> ints (kind, first row and row count, first column and column count, virtual
/// indices; a negative count −2 marks a cloud-in-cell pair, whose two weights <c>1 − f</c> and <c>f</c> sit in the
/// start and ratio slots and whose out-of-box cells fold onto the face cell under absorbing walls) and
/// <see cref="WindowDoubles"/> doubles (start, ratio, factor Q for rows, then for columns); 1-D has one trivial row
/// window <c>[1]</c> and its axis in the column slots, so one code path serves both dimensions. ℓ (the lost
/// fraction) is a separate array.
/// </para>
/// <para>
/// The step sums, for every target, its sources in increasing cell index, and within a source its window rows and
/// then columns in increasing virtual index: <c>p'(r, q) += (m_c A_c(v₀)) B_c(v₁)</c> for every image (v₀, v₁) of the
/// target. The managed backend runs this as a scatter over tiles of targets (each tile visits the sources that reach
/// it in increasing order), the device as one thread per target (<see cref="StepWindows"/>): the same products added
/// in the same order, so any thread count and tiling, and every backend on the CPU, give the same bits.
/// </para>
/// </summary>
public static partial class MasterEquationKernels
{
    /// <summary>Ints per source in the window table.</summary>
    public const int WindowInts = 5;

    /// <summary>Offset of the kind in a window-table row.</summary>
    public const int WindowKind = 0;

    /// <summary>Offset of the first window row (virtual index).</summary>
    public const int RowFirst = 1;

    /// <summary>Offset of the row count (−2: a cloud-in-cell pair).</summary>
    public const int RowCount = 2;

    /// <summary>Offset of the first window column (virtual index).</summary>
    public const int ColumnFirst = 3;

    /// <summary>Offset of the column count (−2: a cloud-in-cell pair).</summary>
    public const int ColumnCount = 4;

    /// <summary>Doubles per source in the window parameters: start, ratio, factor for rows, then for columns.</summary>
    public const int WindowDoubles = 6;

    /// <summary>Count that marks a cloud-in-cell pair (two explicit weights).</summary>
    public const int PairCount = -2;

    /// <summary>
    /// Kind: a resolved Gaussian kernel with a non-diagonal covariance, as row windows: the marginal of axis 0 as the
    /// row window (start, ratio, factor as usual, normalised by the whole window's sum) and, per row, the conditional
    /// window of axis 1 from the row table (<see cref="ColumnFirst"/> holds the source's first row entry: first column
    /// and count in two ints, start and ratio in two doubles per row; the conditional factor Q in the column-factor slot).
    /// </summary>
    public const int KindGaussianRows = 3;

    /// <summary>Kind: a resolved kernel whose covariance is not diagonal, or whose window is too wide for the recurrence.</summary>
    public const int KindNotSeparable = -4;

    /// <summary>Largest truncation T for separable windows (the start weight e^{−T²/2} stays a normal double).</summary>
    public const double MaxSeparableTruncation = 30;

    /// <summary>Largest separable window, in cells per axis.</summary>
    public const long MaxSeparableWindow = 4096;

    /// <summary>The window-table row of source c (<see cref="ComputeWindows{TField}"/>), one thread per source.</summary>
    public static void PrepareWindows<TField>(Index1D cell, TField field, MasterGrid grid, ArrayView<int> ints, ArrayView<double> pars, ArrayView<double> lost)
        where TField : struct, IGridField =>
        StoreWindows(cell, field, grid, new IntView(ints), new DoubleView(pars), new DoubleView(lost));

    /// <summary>
    /// Computes source c's windows (<see cref="ComputeWindows{TField}"/>) and stores its row of the window table:
    /// <see cref="WindowInts"/> ints, <see cref="WindowDoubles"/> doubles and ℓ (the device kernel and the host alike).
    /// </summary>
    public static void StoreWindows<TField, TInts, TPars>(long cell, TField field, MasterGrid grid, TInts ints, TPars pars, TPars lost)
        where TField : struct, IGridField
        where TInts : struct, IIntBuffer
        where TPars : struct, IDoubleBuffer
    {
        ComputeWindows(
            cell, field, grid, out int kind, out int rowFirst, out int rowCount, out int columnFirst, out int columnCount,
            out double rowStart, out double rowRatio, out double rowFactor, out double columnStart, out double columnRatio, out double columnFactor,
            out double lostFraction);
        long o = cell * WindowInts;
        ints.Set(o + WindowKind, kind);
        ints.Set(o + RowFirst, rowFirst);
        ints.Set(o + RowCount, rowCount);
        ints.Set(o + ColumnFirst, columnFirst);
        ints.Set(o + ColumnCount, columnCount);
        long p = cell * WindowDoubles;
        pars.Set(p, rowStart);
        pars.Set(p + 1, rowRatio);
        pars.Set(p + 2, rowFactor);
        pars.Set(p + 3, columnStart);
        pars.Set(p + 4, columnRatio);
        pars.Set(p + 5, columnFactor);
        lost.Set(cell, lostFraction);
    }

    /// <summary>
    /// The separable windows of source c: kind, μ and the windows as for <see cref="ComputeSource{TField}"/> (same
    /// cells), each 1-D window normalised to sum one (its start weight divided by the sum of its recurrence), and ℓ
    /// = <c>out_A (in_B + out_B) + in_A out_B</c> from the normalised windows' sums inside and outside an absorbing box
    /// (0 elsewhere). Cost O(window rows + columns). A resolved kernel with <c>C₀₁ ≠ 0</c>, T above
    /// <see cref="MaxSeparableTruncation"/> or a window above <see cref="MaxSeparableWindow"/> is
    /// <see cref="KindNotSeparable"/>.
    /// </summary>
    public static void ComputeWindows<TField>(
        long cell, TField field, MasterGrid grid, out int kind, out int rowFirst, out int rowCount, out int columnFirst, out int columnCount,
        out double rowStart, out double rowRatio, out double rowFactor, out double columnStart, out double columnRatio, out double columnFactor,
        out double lostFraction)
        where TField : struct, IGridField
    {
        Classify(cell, field, grid, out double k, out double mu0, out double mu1, out double sd0, out double slope, out double sdc,
            out double _, out double lost, out double first, out double last);
        kind = (int)k;
        lostFraction = lost;
        rowFirst = 0;
        rowCount = 0;
        columnFirst = 0;
        columnCount = 0;
        rowStart = 1;
        rowRatio = 1;
        rowFactor = 1;
        columnStart = 0;
        columnRatio = 0;
        columnFactor = 0;
        bool two = grid.Dimension == 2;
        if (kind == KindPushForward)
        {
            // cloud-in-cell pairs; 1-D keeps the trivial row [1] and its axis in the column slots
            if (two)
            {
                CloudPair(mu0, grid.Lower0, grid.H0, out rowFirst, out rowStart, out rowRatio);
                rowCount = PairCount;
                rowFactor = 0;
                CloudPair(mu1, grid.Lower1, grid.H1, out columnFirst, out columnStart, out columnRatio);
            }
            else
            {
                rowCount = 1;
                CloudPair(mu0, grid.Lower0, grid.H0, out columnFirst, out columnStart, out columnRatio);
            }

            columnCount = PairCount;
            return;
        }

        if (kind != KindGaussian)
        {
            return;
        }

        long lo = (long)first, hi = (long)last;
        long clo = 0, chi = 0;
        if (two)
        {
            clo = WindowFirst(mu1, sdc, grid.Truncation, grid.Lower1, grid.H1);
            chi = WindowLast(mu1, sdc, grid.Truncation, grid.Lower1, grid.H1);
        }

        if ((two && slope != 0) || !(grid.Truncation <= MaxSeparableTruncation)
            || hi - lo + 1 > MaxSeparableWindow || chi - clo + 1 > MaxSeparableWindow)
        {
            kind = KindNotSeparable;
            return;
        }

        double inRows = 1, outRows = 0;
        if (two)
        {
            rowFirst = (int)lo;
            rowCount = (int)(hi - lo + 1);
            AxisWindow(mu0, sd0, lo, rowCount, grid.Lower0, grid.H0, grid.Rows, out rowStart, out rowRatio, out rowFactor, out inRows, out outRows);
            columnFirst = (int)clo;
            columnCount = (int)(chi - clo + 1);
            AxisWindow(mu1, sdc, clo, columnCount, grid.Lower1, grid.H1, grid.Columns, out columnStart, out columnRatio, out columnFactor, out double inColumns, out double outColumns);
            lostFraction = grid.Walls == GridWalls.Absorbing ? outRows * (inColumns + outColumns) + inRows * outColumns : 0.0;
        }
        else
        {
            rowCount = 1;
            columnFirst = (int)lo;
            columnCount = (int)(hi - lo + 1);
            AxisWindow(mu0, sd0, lo, columnCount, grid.Lower0, grid.H0, grid.Rows, out columnStart, out columnRatio, out columnFactor, out double inColumns, out double outColumns);
            lostFraction = grid.Walls == GridWalls.Absorbing ? outColumns : 0.0;
        }

        if (grid.Walls == GridWalls.Absorbing && (hi < 0 || lo >= grid.Rows))
        {
            kind = KindLost;
            lostFraction = 1;
            rowCount = 0;
            columnCount = 0;
        }
    }

    /// <summary>
    /// A normalised 1-D window of <paramref name="count"/> cells from virtual cell <paramref name="first"/>: start,
    /// ratio and factor of the recurrence (<c>exp(−z₀²/2)</c> divided by the recurrence's own sum), and the sums of
    /// the normalised weights inside and outside the box [0, n).
    /// </summary>
    public static void AxisWindow(
        double mu, double s, long first, long count, double lower, double h, long n,
        out double start, out double ratio, out double factor, out double inside, out double outside)
    {
        AxisRaw(mu, s, first, lower, h, out double raw, out ratio, out factor);
        double total = 0;
        double w = raw, r = ratio;
        for (long k = 0; k < count; k++)
        {
            total += w;
            w *= r;
            r *= factor;
        }

        start = raw / total;
        inside = 0;
        outside = 0;
        w = start;
        r = ratio;
        for (long k = 0; k < count; k++)
        {
            long v = first + k;
            if (v >= 0 && v < n)
            {
                inside += w;
            }
            else
            {
                outside += w;
            }

            w *= r;
            r *= factor;
        }
    }

    /// <summary>
    /// The kind, μ, marginal and conditional sd and window rows of source c before any weight (the general
    /// prepare's first part), for host code that builds row windows.
    /// </summary>
    public static void ClassifySource<TField>(
        long cell, TField field, MasterGrid grid, out double kind, out double mu0, out double mu1, out double sd0, out double slope,
        out double sdc, out double lost, out double first, out double last)
        where TField : struct, IGridField =>
        Classify(cell, field, grid, out kind, out mu0, out mu1, out sd0, out slope, out sdc, out double _, out lost, out first, out last);

    /// <summary>
    /// The unnormalised recurrence of a sampled Gaussian window from virtual cell <paramref name="first"/>:
    /// <c>start = exp(−z₀²/2)</c>, <c>ratio = exp(−(2 d₀ h + h²)/(2 s²))</c>, <c>factor = exp(−h²/s²)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AxisRaw(double mu, double s, long first, double lower, double h, out double start, out double ratio, out double factor)
    {
        double d = lower + (first + 0.5) * h - mu;
        double z = d / s;
        start = KernelMath.ExpNonPositive(-0.5 * (z * z));
        ratio = ExpSigned(-(2 * d * h + h * h) / (2 * (s * s)));
        factor = KernelMath.ExpNonPositive(-(h * h) / (s * s));
    }

    /// <summary>exp(x) of either sign: <see cref="KernelMath.ExpNonPositive"/>, or its reciprocal at −x for x &gt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ExpSigned(double x) => x <= 0 ? KernelMath.ExpNonPositive(x) : 1.0 / KernelMath.ExpNonPositive(-x);

    /// <summary>Cloud-in-cell pair along one axis: <c>u = (μ − lower)/h − ½</c>, first = ⌊u⌋, weights 1 − f and f.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CloudPair(double mu, double lower, double h, out int first, out double near, out double far)
    {
        double u = (mu - lower) / h - 0.5;
        double floor = Math.Floor(u);
        double f = u - floor;
        first = (int)floor;
        near = 1 - f;
        far = f;
    }

    /// <summary>
    /// Weight k of a window: the pair's explicit weights, or <c>w₀</c> after k steps of <c>w ← w ρ, ρ ← ρ Q</c> — the
    /// same operations in the same order as a sequential fill of the window.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double WindowValue(double start, double ratio, double factor, int count, int k)
    {
        if (count < 0)
        {
            return k == 0 ? start : ratio;
        }

        double w = start, r = ratio;
        for (int i = 0; i < k; i++)
        {
            w *= r;
            r *= factor;
        }

        return w;
    }

    /// <summary>
    /// The box cell that virtual cell v of a window lands on, or −1 when it leaves an absorbing box (a cloud-in-cell
    /// pair folds onto the face cell instead): mirrored under reflection, wrapped on a ring.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WindowMap(long v, long n, int walls, bool pair)
    {
        if (walls == GridWalls.Absorbing && !pair)
        {
            return v < 0 || v >= n ? -1 : v;
        }

        return GridWalls.Map(v, n, walls);
    }

    /// <summary>
    /// The cells of a virtual source range [from, to] on an axis of n cells in increasing order, as at most two
    /// pieces [a₀, b₀] then [a₁, b₁] (empty pieces have b &lt; a): the whole axis when the range spans n or more.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RangePieces(long from, long to, long n, out long a0, out long b0, out long a1, out long b1)
    {
        a1 = 0;
        b1 = -1;
        if (to < from)
        {
            a0 = 0;
            b0 = -1;
            return;
        }

        long length = to - from + 1;
        if (length >= n)
        {
            a0 = 0;
            b0 = n - 1;
            return;
        }

        long a = GridWalls.Wrap(from, n);
        long b = a + length - 1;
        if (b < n)
        {
            a0 = a;
            b0 = b;
            return;
        }

        a0 = 0;
        b0 = b - n;
        a1 = a;
        b1 = n - 1;
    }

    /// <summary>
    /// Adds source c's products to the sum of target (r, q): for each window row v₀ landing on r (increasing),
    /// <c>coef = m_c A_c(v₀)</c>, then for each window column v₁ of that row landing on q (increasing),
    /// <c>sum += coef B_c(v₁)</c> (row windows: the row's own conditional window from the row table).
    /// </summary>
    public static double AddWindowSource<TInts, TPars, TMass>(
        double sum, long c, long r, long q, long outer, long inner, int walls, TInts ints, TPars pars, TInts rowInts, TPars rowPars, TMass mass)
        where TInts : struct, IIntBuffer
        where TPars : struct, IDoubleBuffer
        where TMass : struct, IDoubleBuffer
    {
        double m = mass.Get(c);
        if (m == 0)
        {
            return sum;
        }

        long o = c * WindowInts;
        int kind = ints.Get(o + WindowKind);
        if (kind != KindGaussian && kind != KindPushForward && kind != KindGaussianRows)
        {
            return sum;
        }

        bool perRow = kind == KindGaussianRows;
        int rowFirst = ints.Get(o + RowFirst), rowCount = ints.Get(o + RowCount);
        int columnFirst = ints.Get(o + ColumnFirst), columnCount = ints.Get(o + ColumnCount);
        bool rowPair = rowCount < 0;
        int rows = rowPair ? 2 : rowCount;
        long p = c * WindowDoubles;
        double columnStart = pars.Get(p + 3), columnRatio = pars.Get(p + 4), columnFactor = pars.Get(p + 5);
        for (int k = 0; k < rows; k++)
        {
            if (WindowMap(rowFirst + k, outer, walls, rowPair) != r)
            {
                continue;
            }

            int first = columnFirst, count = columnCount;
            double start = columnStart, ratio = columnRatio;
            if (perRow)
            {
                long e = columnFirst + k;
                first = rowInts.Get(2 * e);
                count = rowInts.Get(2 * e + 1);
                start = rowPars.Get(2 * e);
                ratio = rowPars.Get(2 * e + 1);
            }

            bool columnPair = count < 0;
            int columns = columnPair ? 2 : count;
            double coef = m * WindowValue(pars.Get(p), pars.Get(p + 1), pars.Get(p + 2), rowCount, k);
            for (int l = 0; l < columns; l++)
            {
                if (WindowMap(first + l, inner, walls, columnPair) == q)
                {
                    sum += coef * WindowValue(start, ratio, columnFactor, count, l);
                }
            }
        }

        return sum;
    }

    /// <summary>
    /// The gathered mass of target (r, q) from separable windows: source rows of <c>ranges[2r], ranges[2r+1]</c> and
    /// source columns of <c>ranges[2R + 2q], ranges[2R + 2q + 1]</c> (R outer rows; virtual, visited as cells in
    /// increasing order), sources in increasing cell index (<see cref="AddWindowSource"/>). 1-D: one outer row.
    /// </summary>
    public static double GatherWindows<TInts, TPars, TMass>(
        long target, MasterGrid grid, TInts ints, TPars pars, TInts rowInts, TPars rowPars, TInts ranges, TMass mass)
        where TInts : struct, IIntBuffer
        where TPars : struct, IDoubleBuffer
        where TMass : struct, IDoubleBuffer
    {
        long outer = grid.Dimension == 2 ? grid.Rows : 1;
        long inner = grid.Dimension == 2 ? grid.Columns : grid.Rows;
        long r = target / inner, q = target - r * inner;
        RangePieces(ranges.Get(2 * r), ranges.Get(2 * r + 1), outer, out long ra0, out long rb0, out long ra1, out long rb1);
        RangePieces(ranges.Get(2 * outer + 2 * q), ranges.Get(2 * outer + 2 * q + 1), inner, out long ca0, out long cb0, out long ca1, out long cb1);
        double sum = 0;
        for (int rp = 0; rp < 2; rp++)
        {
            long ra = rp == 0 ? ra0 : ra1, rb = rp == 0 ? rb0 : rb1;
            for (long sr = ra; sr <= rb; sr++)
            {
                for (int cp = 0; cp < 2; cp++)
                {
                    long ca = cp == 0 ? ca0 : ca1, cb = cp == 0 ? cb0 : cb1;
                    for (long sc = ca; sc <= cb; sc++)
                    {
                        sum = AddWindowSource(sum, sr * inner + sc, r, q, outer, inner, grid.Walls, ints, pars, rowInts, rowPars, mass);
                    }
                }
            }
        }

        return sum;
    }

    /// <summary>
    /// One master-equation step from separable windows (and row windows: <paramref name="rowInts"/>,
    /// <paramref name="rowPars"/>, one-element placeholders when there are none), one thread per target cell.
    /// </summary>
    public static void StepWindows(
        Index1D target, MasterGrid grid, ArrayView<int> ints, ArrayView<double> pars, ArrayView<int> rowInts, ArrayView<double> rowPars,
        ArrayView<int> ranges, ArrayView<double> mass, ArrayView<double> next)
    {
        next[target] = GatherWindows(
            target, grid, new IntView(ints), new DoubleView(pars), new IntView(rowInts), new DoubleView(rowPars), new IntView(ranges), new DoubleView(mass));
    }
}
