using System.Runtime.CompilerServices;
using ILGPU;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Kernels.Grids;

/// <summary>Read access to a buffer of doubles (an ILGPU view on the device, an array on the managed backend).</summary>
public interface IDoubleBuffer
{
    /// <summary>Element <paramref name="index"/>.</summary>
    double Get(long index);
}

/// <summary>Read access to a buffer of ints (an ILGPU view on the device, an array on the managed backend).</summary>
public interface IIntBuffer
{
    /// <summary>Element <paramref name="index"/>.</summary>
    int Get(long index);
}

/// <summary>An ILGPU view of doubles as an <see cref="IDoubleBuffer"/>.</summary>
public readonly struct DoubleView : IDoubleBuffer
{
    private readonly ArrayView<double> view;

    /// <summary>Wraps <paramref name="view"/>.</summary>
    public DoubleView(ArrayView<double> view) => this.view = view;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Get(long index) => view[index];
}

/// <summary>An ILGPU view of ints as an <see cref="IIntBuffer"/>.</summary>
public readonly struct IntView : IIntBuffer
{
    private readonly ArrayView<int> view;

    /// <summary>Wraps <paramref name="view"/>.</summary>
    public IntView(ArrayView<int> view) => this.view = view;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(long index) => view[index];
}

/// <summary>
/// Geometry and parameters of a master-equation grid, as a kernel argument: box, cells, spacing, learning rate η,
/// truncation T (windows span ± T sd), the resolution threshold r and the boundary (int flags: ILGPU kernel
/// parameters take no bool fields).
/// </summary>
public readonly struct MasterGrid
{
    /// <summary>Dimension (1 or 2).</summary>
    public readonly int Dimension;

    /// <summary>Cells along axis 0 (rows).</summary>
    public readonly int Rows;

    /// <summary>Cells along axis 1 (1 in 1-D).</summary>
    public readonly int Columns;

    /// <summary>1 for reflecting walls (method of images), 0 for absorbing walls.</summary>
    public readonly int Reflecting;

    /// <summary>Lower corner, axis 0.</summary>
    public readonly double Lower0;

    /// <summary>Lower corner, axis 1.</summary>
    public readonly double Lower1;

    /// <summary>Upper corner, axis 0.</summary>
    public readonly double Upper0;

    /// <summary>Upper corner, axis 1.</summary>
    public readonly double Upper1;

    /// <summary>Spacing, axis 0.</summary>
    public readonly double H0;

    /// <summary>Spacing, axis 1.</summary>
    public readonly double H1;

    /// <summary>Learning rate η.</summary>
    public readonly double Eta;

    /// <summary>Truncation T in standard deviations.</summary>
    public readonly double Truncation;

    /// <summary>Resolution threshold r: a kernel whose (conditional) sd along an axis is below r h is a push-forward.</summary>
    public readonly double Threshold;

    /// <summary>Largest Gaussian window, in cells (larger windows are marked <see cref="MasterEquationKernels.KindTooWide"/>).</summary>
    public readonly long MaxWindowCells;

    /// <summary>Creates the description.</summary>
    public MasterGrid(
        int dimension, int rows, int columns, int reflecting, double lower0, double lower1, double upper0, double upper1,
        double eta, double truncation, double threshold, long maxWindowCells)
    {
        Dimension = dimension;
        Rows = rows;
        Columns = columns;
        Reflecting = reflecting;
        Lower0 = lower0;
        Lower1 = lower1;
        Upper0 = upper0;
        Upper1 = upper1;
        H0 = (upper0 - lower0) / rows;
        H1 = dimension == 2 ? (upper1 - lower1) / columns : 1.0;
        Eta = eta;
        Truncation = truncation;
        Threshold = threshold;
        MaxWindowCells = maxWindowCells;
    }

    /// <summary>Number of cells.</summary>
    public long Count => (long)Rows * Columns;
}

/// <summary>
/// The master-equation step of discrete SGD as a deterministic gather:
/// <c>p'_j = Σ_{c ∈ range(j)} m_c w_cj</c>, <c>lost = Σ_c m_c ℓ_c</c>, with the one-step kernel
/// <c>N(μ_c, η²Σ(x_c))</c>, <c>μ_c = x_c − η ḡ(x_c)</c>, sampled at cell centres and normalised over its window:
/// 1-D <c>w_cj = exp(−z²/2)/Z_c</c>, <c>z = (x_j − μ_c)/s_c</c>; 2-D marginal × conditional
/// <c>w_cj = exp(−z₀²/2 − z_c²/2)/Z_c</c>, <c>z₀ = (x_{j0} − μ₀)/√C₀₀</c>,
/// <c>z_c = (x_{j1} − μ₁ − (C₀₁/C₀₀)(x_{j0} − μ₀))/√(det C/C₀₀)</c>; <c>Z_c</c> the sum of the unnormalised weights
/// over the whole (virtual, unfolded) window, <c>ℓ_c</c> the normalised weight outside an absorbing box.
/// Unresolved kernels are cloud-in-cell push-forwards to μ_c. Reflecting walls sum over the mirror images of the
/// target (period 2n). Every thread computes one target from the same source data in the same order: no atomics,
/// so every backend and thread count gives the same sums (up to the exponential's last bit across devices).
/// <para>
/// Per-source table (<see cref="Stride"/> doubles per cell): kind, μ₀, μ₁, s₀ (marginal sd along axis 0),
/// slope C₀₁/C₀₀, conditional sd, 1/Z, ℓ, first and last window row (axis 0, virtual index).
/// </para>
/// </summary>
public static class MasterEquationKernels
{
    /// <summary>Doubles per source cell in the source table.</summary>
    public const int Stride = 10;

    /// <summary>Kind: the whole mass leaves an absorbing box (ℓ = 1).</summary>
    public const int KindLost = 0;

    /// <summary>Kind: cloud-in-cell push-forward to μ (noise unresolved).</summary>
    public const int KindPushForward = 1;

    /// <summary>Kind: centre-sampled Gaussian window.</summary>
    public const int KindGaussian = 2;

    /// <summary>Invalid: a negative noise variance.</summary>
    public const int KindNegativeVariance = -1;

    /// <summary>Invalid: μ not finite under reflection.</summary>
    public const int KindNonFiniteMean = -2;

    /// <summary>Invalid: the window exceeds <see cref="MasterGrid.MaxWindowCells"/>.</summary>
    public const int KindTooWide = -3;

    /// <summary>Offset of the kind in a table row.</summary>
    public const int Kind = 0;

    /// <summary>Offset of μ₀.</summary>
    public const int Mean0 = 1;

    /// <summary>Offset of μ₁.</summary>
    public const int Mean1 = 2;

    /// <summary>Offset of s₀ = √C₀₀ (1-D: s = η√Σ).</summary>
    public const int Sd0 = 3;

    /// <summary>Offset of the slope C₀₁/C₀₀.</summary>
    public const int Slope = 4;

    /// <summary>Offset of the conditional sd √(det C/C₀₀).</summary>
    public const int SdCond = 5;

    /// <summary>Offset of 1/Z.</summary>
    public const int InvNorm = 6;

    /// <summary>Offset of the lost fraction ℓ.</summary>
    public const int Lost = 7;

    /// <summary>Offset of the first window row (virtual index, as a double).</summary>
    public const int First = 8;

    /// <summary>Offset of the last window row (virtual index, as a double).</summary>
    public const int Last = 9;

    /// <summary>Cells per block of the lost-mass reduction (block sums are added on the host in block order).</summary>
    public const int LostBlock = 4096;

    /// <summary>Virtual cells meeting <c>[μ − T s, μ + T s]</c>: first = ⌊(μ − T s − lower)/h⌋.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WindowFirst(double mu, double s, double truncation, double lower, double h) => (long)Math.Floor((mu - truncation * s - lower) / h);

    /// <summary>Last virtual cell meeting the window: ⌊(μ + T s − lower)/h⌋.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WindowLast(double mu, double s, double truncation, double lower, double h) => (long)Math.Floor((mu + truncation * s - lower) / h);

    /// <summary>Mirror image of virtual cell j in a box of n cells (period 2n): −1 − i ↦ i, n + i ↦ n − 1 − i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Mirror(long j, long n)
    {
        long period = 2 * n;
        long r = j % period;
        if (r < 0)
        {
            r += period;
        }

        return r < n ? r : period - 1 - r;
    }

    /// <summary>Push-forward stencil index: mirrored (reflecting) or clamped onto the face cell (absorbing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MapIndex(long i, long n, int reflecting) => reflecting != 0 ? Mirror(i, n) : (i < 0 ? 0 : (i >= n ? n - 1 : i));

    /// <summary>Translates x by a multiple of the mirror period 2(upper − lower) into [lower, lower + 2(upper − lower)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Fold(double x, double lower, double upper)
    {
        // r = (x − lower) mod period by floor (no double remainder: PTX has no intrinsic for it)
        double period = 2 * (upper - lower);
        double u = x - lower;
        double r = u - period * Math.Floor(u / period);
        if (r >= period)
        {
            r -= period;
        }
        else if (r < 0)
        {
            r = 0;
        }

        return lower + r;
    }

    /// <summary>
    /// Cloud-in-cell weight of target j along one axis for a push-forward to μ:
    /// <c>u = (μ − lower)/h − ½</c>, <c>i = ⌊u⌋</c>, <c>f = u − i</c>; weight (1 − f) on map(i), f on map(i + 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double CloudWeight(double mu, double lower, double h, long n, int reflecting, long j)
    {
        double u = (mu - lower) / h - 0.5;
        double floor = Math.Floor(u);
        double f = u - floor;
        long i = (long)floor;
        double w = 0;
        if (MapIndex(i, n, reflecting) == j)
        {
            w += 1 - f;
        }

        if (MapIndex(i + 1, n, reflecting) == j)
        {
            w += f;
        }

        return w;
    }

    /// <summary>
    /// Evaluates the one-step kernel of source cell c (μ, covariance, kind, 1/Z, ℓ, window rows) into the source
    /// table: the "prepare" pass, generic over the landscape so ILGPU specialises it per struct.
    /// </summary>
    public static void Prepare<TField>(Index1D cell, TField field, MasterGrid grid, ArrayView<double> table)
        where TField : struct, IGridField
    {
        ComputeSource(cell, field, grid, out double kind, out double mu0, out double mu1, out double sd0, out double slope, out double sdc,
            out double invNorm, out double lost, out double first, out double last);
        long o = cell * Stride;
        table[o + Kind] = kind;
        table[o + Mean0] = mu0;
        table[o + Mean1] = mu1;
        table[o + Sd0] = sd0;
        table[o + Slope] = slope;
        table[o + SdCond] = sdc;
        table[o + InvNorm] = invNorm;
        table[o + Lost] = lost;
        table[o + First] = first;
        table[o + Last] = last;
    }

    /// <summary>
    /// The source-table row of cell c: <c>μ = x_c − η ḡ(x_c)</c>, <c>C = η² Σ(x_c)</c>; resolved kernels get
    /// their window rows, <c>Z = Σ_window exp(−z₀²/2 − z_c²/2)</c> (1-D: <c>Σ exp(−z²/2)</c>) and
    /// <c>ℓ = Σ_{window ∖ box} exp(…)/Z</c> (absorbing); unresolved kernels are push-forwards (lost whole when μ
    /// leaves an absorbing box).
    /// </summary>
    public static void ComputeSource<TField>(
        long cell, TField field, MasterGrid grid, out double kind, out double mu0, out double mu1, out double sd0, out double slope,
        out double sdc, out double invNorm, out double lost, out double first, out double last)
        where TField : struct, IGridField
    {
        long row = cell / grid.Columns;
        long col = cell - row * grid.Columns;
        double x0 = grid.Lower0 + (row + 0.5) * grid.H0;
        double x1 = grid.Dimension == 2 ? grid.Lower1 + (col + 0.5) * grid.H1 : 0.0;
        field.Field(x0, x1, out double g0, out double g1, out double s00, out double s01, out double s11);
        double eta = grid.Eta, eta2 = eta * eta;
        mu0 = x0 - eta * g0;
        mu1 = grid.Dimension == 2 ? x1 - eta * g1 : 0.0;
        sd0 = 0;
        slope = 0;
        sdc = 0;
        invNorm = 0;
        lost = 0;
        first = 0;
        last = -1;
        double c00 = eta2 * s00;
        double c11 = eta2 * s11;
        if (!(c00 >= 0) || (grid.Dimension == 2 && !(c11 >= 0)))
        {
            kind = KindNegativeVariance;
            return;
        }

        if (grid.Reflecting != 0)
        {
            if (!double.IsFinite(mu0) || !double.IsFinite(mu1))
            {
                kind = KindNonFiniteMean;
                return;
            }

            mu0 = Fold(mu0, grid.Lower0, grid.Upper0);
            if (grid.Dimension == 2)
            {
                mu1 = Fold(mu1, grid.Lower1, grid.Upper1);
            }
        }

        bool resolved;
        if (grid.Dimension == 1)
        {
            sd0 = Math.Sqrt(c00);
            resolved = sd0 >= grid.Threshold * grid.H0;
        }
        else
        {
            double c01 = eta2 * s01;
            double det = c00 * c11 - c01 * c01;
            resolved = c00 > 0 && c11 > 0 && det > 0
                && Math.Sqrt(det / c11) >= grid.Threshold * grid.H0
                && Math.Sqrt(det / c00) >= grid.Threshold * grid.H1;
            if (resolved)
            {
                sd0 = Math.Sqrt(c00);
                slope = c01 / c00;
                sdc = Math.Sqrt(det / c00);
            }
        }

        if (!resolved)
        {
            bool inside = mu0 >= grid.Lower0 && mu0 < grid.Upper0 && (grid.Dimension == 1 || (mu1 >= grid.Lower1 && mu1 < grid.Upper1));
            if (grid.Reflecting == 0 && !inside)
            {
                kind = KindLost;
                lost = 1;
            }
            else
            {
                kind = KindPushForward;
            }

            return;
        }

        long lo = WindowFirst(mu0, sd0, grid.Truncation, grid.Lower0, grid.H0);
        long hi = WindowLast(mu0, sd0, grid.Truncation, grid.Lower0, grid.H0);
        long rowCells = grid.Dimension == 1 ? 1 : (long)Math.Floor(2 * grid.Truncation * sdc / grid.H1) + 3;
        if (hi - lo + 1 > grid.MaxWindowCells / rowCells)
        {
            kind = KindTooWide;
            return;
        }

        first = lo;
        last = hi;
        double total = 0, outside = 0;
        long rows = grid.Rows, columns = grid.Columns;
        for (long r = lo; r <= hi; r++)
        {
            double d0 = grid.Lower0 + (r + 0.5) * grid.H0 - mu0;
            double z0 = d0 / sd0;
            bool rowOutside = r < 0 || r >= rows;
            if (grid.Dimension == 1)
            {
                double w = KernelMath.ExpNonPositive(-0.5 * (z0 * z0));
                total += w;
                if (rowOutside)
                {
                    outside += w;
                }

                continue;
            }

            double mc = mu1 + slope * d0;
            long clo = WindowFirst(mc, sdc, grid.Truncation, grid.Lower1, grid.H1);
            long chi = WindowLast(mc, sdc, grid.Truncation, grid.Lower1, grid.H1);
            for (long q = clo; q <= chi; q++)
            {
                double zc = (grid.Lower1 + (q + 0.5) * grid.H1 - mc) / sdc;
                double w = KernelMath.ExpNonPositive(-0.5 * (z0 * z0 + zc * zc));
                total += w;
                if (rowOutside || q < 0 || q >= columns)
                {
                    outside += w;
                }
            }
        }

        invNorm = 1.0 / total;
        if (grid.Reflecting == 0)
        {
            lost = outside * invNorm;
            if (hi < 0 || lo >= rows)
            {
                kind = KindLost;
                lost = 1;
                return;
            }
        }

        kind = KindGaussian;
    }

    /// <summary>
    /// Sum of the unnormalised 1-D Gaussian weights <c>exp(−z²/2)</c>, <c>z = (x_v − μ)/s</c>, over the virtual cells v
    /// of the window [first, last] that are target j or (reflecting) one of its mirror images, in increasing v.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ImageWeights1(double mu, double s, double lower, double h, long n, int reflecting, long first, long last, long j)
    {
        double w = 0;
        if (reflecting == 0 || (first >= 0 && last < n))
        {
            if (j >= first && j <= last)
            {
                double z = (lower + (j + 0.5) * h - mu) / s;
                w = KernelMath.ExpNonPositive(-0.5 * (z * z));
            }

            return w;
        }

        long period = 2 * n;
        long b = first >= 0 ? first / period * period : -((-first + period - 1) / period) * period;
        for (; b <= last; b += period)
        {
            long v = b + j;
            if (v >= first && v <= last)
            {
                double z = (lower + (v + 0.5) * h - mu) / s;
                w += KernelMath.ExpNonPositive(-0.5 * (z * z));
            }

            v = b + period - 1 - j;
            if (v >= first && v <= last)
            {
                double z = (lower + (v + 0.5) * h - mu) / s;
                w += KernelMath.ExpNonPositive(-0.5 * (z * z));
            }
        }

        return w;
    }

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
                table.Get(o + Mean0), table.Get(o + Sd0), grid.Lower0, grid.H0, grid.Rows, grid.Reflecting,
                (long)table.Get(o + First), (long)table.Get(o + Last), j);
            return m * (w * table.Get(o + InvNorm));
        }

        if (kind == KindPushForward)
        {
            return m * CloudWeight(table.Get(o + Mean0), grid.Lower0, grid.H0, grid.Rows, grid.Reflecting, j);
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
    /// The gathered mass of target cell j in 1-D: <c>Σ_{c = from(j)}^{to(j)} m_c w_cj</c>
    /// (<c>ranges[2j]</c>, <c>ranges[2j+1]</c> bound the sources that can reach j), summed in eight lanes
    /// (source <c>from + 8i + l</c> into lane l, in increasing i) combined by <see cref="CombineLanes"/>: the order
    /// the managed backend's 8-wide SIMD path uses, so both give the same sums.
    /// </summary>
    public static double Gather1<TTable, TRanges, TMass>(long j, MasterGrid grid, TTable table, TRanges ranges, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TRanges : struct, IIntBuffer
        where TMass : struct, IDoubleBuffer
    {
        long from = ranges.Get(2 * j), to = ranges.Get(2 * j + 1);
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        long c = from;
        for (; c + 7 <= to; c += 8)
        {
            a0 += Term1(c, j, grid, table, mass);
            a1 += Term1(c + 1, j, grid, table, mass);
            a2 += Term1(c + 2, j, grid, table, mass);
            a3 += Term1(c + 3, j, grid, table, mass);
            a4 += Term1(c + 4, j, grid, table, mass);
            a5 += Term1(c + 5, j, grid, table, mass);
            a6 += Term1(c + 6, j, grid, table, mass);
            a7 += Term1(c + 7, j, grid, table, mass);
        }

        long left = to - c + 1;
        if (left > 0)
        {
            a0 += Term1(c, j, grid, table, mass);
        }

        if (left > 1)
        {
            a1 += Term1(c + 1, j, grid, table, mass);
        }

        if (left > 2)
        {
            a2 += Term1(c + 2, j, grid, table, mass);
        }

        if (left > 3)
        {
            a3 += Term1(c + 3, j, grid, table, mass);
        }

        if (left > 4)
        {
            a4 += Term1(c + 4, j, grid, table, mass);
        }

        if (left > 5)
        {
            a5 += Term1(c + 5, j, grid, table, mass);
        }

        if (left > 6)
        {
            a6 += Term1(c + 6, j, grid, table, mass);
        }

        return CombineLanes(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>
    /// Unnormalised 2-D weight of target (r, q) from a Gaussian source: the sum over the mirror images
    /// (v₀, v₁) of the target inside the window (rows [first, last], columns the conditional window of row v₀) of
    /// <c>exp(−z₀²/2 − z_c²/2)</c>, rows then columns in increasing order.
    /// </summary>
    public static double ImageWeights2(MasterGrid grid, double mu0, double mu1, double sd0, double slope, double sdc, long first, long last, long r, long q)
    {
        long rows = grid.Rows, columns = grid.Columns;
        long period = 2 * rows;
        bool images = grid.Reflecting != 0;
        long b = !images ? 0 : (first >= 0 ? first / period * period : -((-first + period - 1) / period) * period);
        double w = 0;
        for (; b <= last; b += period)
        {
            for (int k = 0; k < 2; k++)
            {
                long v0 = k == 0 ? b + r : b + period - 1 - r;
                if (!images && k == 1)
                {
                    break;
                }

                if (v0 < first || v0 > last)
                {
                    continue;
                }

                double d0 = grid.Lower0 + (v0 + 0.5) * grid.H0 - mu0;
                double z0 = d0 / sd0;
                double mc = mu1 + slope * d0;
                long clo = WindowFirst(mc, sdc, grid.Truncation, grid.Lower1, grid.H1);
                long chi = WindowLast(mc, sdc, grid.Truncation, grid.Lower1, grid.H1);
                w += ColumnImages(grid, z0, mc, sdc, clo, chi, columns, q);
            }

            if (!images)
            {
                break;
            }
        }

        return w;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ColumnImages(MasterGrid grid, double z0, double mc, double sdc, long clo, long chi, long columns, long q)
    {
        double w = 0;
        if (grid.Reflecting == 0 || (clo >= 0 && chi < columns))
        {
            if (q >= clo && q <= chi)
            {
                double zc = (grid.Lower1 + (q + 0.5) * grid.H1 - mc) / sdc;
                w = KernelMath.ExpNonPositive(-0.5 * (z0 * z0 + zc * zc));
            }

            return w;
        }

        long period = 2 * columns;
        long b = clo >= 0 ? clo / period * period : -((-clo + period - 1) / period) * period;
        for (; b <= chi; b += period)
        {
            long v = b + q;
            if (v >= clo && v <= chi)
            {
                double zc = (grid.Lower1 + (v + 0.5) * grid.H1 - mc) / sdc;
                w += KernelMath.ExpNonPositive(-0.5 * (z0 * z0 + zc * zc));
            }

            v = b + period - 1 - q;
            if (v >= clo && v <= chi)
            {
                double zc = (grid.Lower1 + (v + 0.5) * grid.H1 - mc) / sdc;
                w += KernelMath.ExpNonPositive(-0.5 * (z0 * z0 + zc * zc));
            }
        }

        return w;
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
            double w0 = CloudWeight(table.Get(o + Mean0), grid.Lower0, grid.H0, grid.Rows, grid.Reflecting, r);
            return w0 == 0 ? 0.0 : m * (w0 * CloudWeight(table.Get(o + Mean1), grid.Lower1, grid.H1, grid.Columns, grid.Reflecting, q));
        }

        return 0.0;
    }

    /// <summary>
    /// The gathered mass of target cell (r, q) in 2-D: <c>Σ m_c w_c,(r,q)</c> over source rows
    /// <c>ranges[2r] … ranges[2r+1]</c> and source columns <c>ranges[2R + 2q] … ranges[2R + 2q + 1]</c> (R the
    /// row count): row by row, the columns <c>from + 8i + l</c> summed into lane l (in increasing row, then i),
    /// lanes combined by <see cref="CombineLanes"/> — the managed SIMD order.
    /// </summary>
    public static double Gather2<TTable, TRanges, TMass>(long target, MasterGrid grid, TTable table, TRanges ranges, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TRanges : struct, IIntBuffer
        where TMass : struct, IDoubleBuffer
    {
        long columns = grid.Columns;
        long r = target / columns, q = target - r * columns;
        long rowFrom = ranges.Get(2 * r), rowTo = ranges.Get(2 * r + 1);
        long colFrom = ranges.Get(2 * grid.Rows + 2 * q), colTo = ranges.Get(2 * grid.Rows + 2 * q + 1);
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (long rs = rowFrom; rs <= rowTo; rs++)
        {
            long c = rs * columns + colFrom, end = rs * columns + colTo;
            for (; c + 7 <= end; c += 8)
            {
                a0 += Term2(c, r, q, grid, table, mass);
                a1 += Term2(c + 1, r, q, grid, table, mass);
                a2 += Term2(c + 2, r, q, grid, table, mass);
                a3 += Term2(c + 3, r, q, grid, table, mass);
                a4 += Term2(c + 4, r, q, grid, table, mass);
                a5 += Term2(c + 5, r, q, grid, table, mass);
                a6 += Term2(c + 6, r, q, grid, table, mass);
                a7 += Term2(c + 7, r, q, grid, table, mass);
            }

            long left = end - c + 1;
            if (left > 0)
            {
                a0 += Term2(c, r, q, grid, table, mass);
            }

            if (left > 1)
            {
                a1 += Term2(c + 1, r, q, grid, table, mass);
            }

            if (left > 2)
            {
                a2 += Term2(c + 2, r, q, grid, table, mass);
            }

            if (left > 3)
            {
                a3 += Term2(c + 3, r, q, grid, table, mass);
            }

            if (left > 4)
            {
                a4 += Term2(c + 4, r, q, grid, table, mass);
            }

            if (left > 5)
            {
                a5 += Term2(c + 5, r, q, grid, table, mass);
            }

            if (left > 6)
            {
                a6 += Term2(c + 6, r, q, grid, table, mass);
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

    /// <summary>Block b of the lost mass, <c>Σ_{c ∈ block b} m_c ℓ_c</c> in increasing c (blocks of <see cref="LostBlock"/> cells).</summary>
    public static double LostInBlock<TTable, TMass>(long block, long count, TTable table, TMass mass)
        where TTable : struct, IDoubleBuffer
        where TMass : struct, IDoubleBuffer
    {
        long end = (block + 1) * LostBlock;
        if (end > count)
        {
            end = count;
        }

        double sum = 0;
        for (long c = block * LostBlock; c < end; c++)
        {
            double m = mass.Get(c);
            if (m != 0)
            {
                sum += m * table.Get(c * Stride + Lost);
            }
        }

        return sum;
    }

    /// <summary>Lost-mass block sums, one thread per block (the host adds them in block order).</summary>
    public static void LostBlocks(Index1D block, long count, ArrayView<double> table, ArrayView<double> mass, ArrayView<double> sums)
    {
        sums[block] = LostInBlock(block, count, new DoubleView(table), new DoubleView(mass));
    }
}
