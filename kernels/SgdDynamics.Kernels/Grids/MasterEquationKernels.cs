using ILGPU;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// The master-equation step of discrete SGD as a deterministic gather:
/// <c>p'_j = Σ_{c ∈ range(j)} m_c w_cj</c>, <c>lost = Σ_c m_c ℓ_c</c>, with the one-step kernel
/// <c>N(μ_c, η²Σ(x_c))</c>, <c>μ_c = x_c − η ḡ(x_c)</c>, sampled at cell centres and normalised over its window:
/// 1-D <c>w_cj = exp(−z²/2)/Z_c</c>, <c>z = (x_j − μ_c)/s_c</c>; 2-D marginal × conditional
/// <c>w_cj = exp(−z₀²/2 − z_c²/2)/Z_c</c>, <c>z₀ = (x_{j0} − μ₀)/√C₀₀</c>,
/// <c>z_c = (x_{j1} − μ₁ − (C₀₁/C₀₀)(x_{j0} − μ₀))/√(det C/C₀₀)</c>; <c>Z_c</c> the sum of the unnormalised weights
/// over the whole (virtual, unfolded) window, <c>ℓ_c</c> the normalised weight outside an absorbing box.
/// Unresolved kernels are cloud-in-cell push-forwards to μ_c. Reflecting walls sum over the mirror images of the
/// target (period 2n), periodic walls over its translates (period n). Every thread computes one target from the
/// same source data in the same order: no atomics, so every backend and thread count gives the same sums (up to
/// the exponential's last bit across devices).
/// <para>
/// The parts: the source table (this file: <see cref="Prepare{TField}"/>), windows and images
/// (<c>MasterEquationKernels.Windows.cs</c>), the gather (<c>MasterEquationKernels.Gather.cs</c>), the block
/// sums of the lost mass and the drift (<c>MasterEquationKernels.Blocks.cs</c>), and the separable and row windows
/// that replace the exponential per pair wherever they apply (<c>MasterEquationKernels.Separable.cs</c>).
/// </para>
/// <para>
/// Per-source table (<see cref="Stride"/> doubles per cell): kind, μ₀, μ₁, s₀ (marginal sd along axis 0),
/// slope C₀₁/C₀₀, conditional sd, 1/Z, ℓ, first and last window row (axis 0, virtual index).
/// </para>
/// </summary>
public static partial class MasterEquationKernels
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

    /// <summary>Invalid: μ not finite under reflecting or periodic walls.</summary>
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
    /// leaves an absorbing box). Under reflection μ is translated by a multiple of the mirror period into
    /// <c>[lower, lower + 2L)</c>; on a ring the jump <c>μ − x_c</c> by a multiple of L into <c>[−L/2, L/2)</c>
    /// (untouched when already there), so that the window stays next to its source.
    /// </summary>
    public static void ComputeSource<TField>(
        long cell, TField field, MasterGrid grid, out double kind, out double mu0, out double mu1, out double sd0, out double slope,
        out double sdc, out double invNorm, out double lost, out double first, out double last)
        where TField : struct, IGridField
    {
        Classify(cell, field, grid, out kind, out mu0, out mu1, out sd0, out slope, out sdc, out invNorm, out lost, out first, out last);
        if (kind != KindGaussian)
        {
            return;
        }

        long lo = (long)first, hi = (long)last;
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
        if (grid.Walls == GridWalls.Absorbing)
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
    /// The part of <see cref="ComputeSource{TField}"/> before the weights: μ (folded under reflecting or periodic
    /// walls), the marginal and conditional sd, the kind, and for a resolved Gaussian kernel its window rows
    /// (kind <see cref="KindGaussian"/>, 1/Z and ℓ still 0).
    /// </summary>
    private static void Classify<TField>(
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

        if (grid.Walls != GridWalls.Absorbing)
        {
            if (!double.IsFinite(mu0) || !double.IsFinite(mu1))
            {
                kind = KindNonFiniteMean;
                return;
            }

            if (grid.Walls == GridWalls.Reflecting)
            {
                mu0 = Fold(mu0, grid.Lower0, grid.Upper0);
                if (grid.Dimension == 2)
                {
                    mu1 = Fold(mu1, grid.Lower1, grid.Upper1);
                }
            }
            else
            {
                mu0 = FoldNear(mu0, x0, grid.Upper0 - grid.Lower0);
                if (grid.Dimension == 2)
                {
                    mu1 = FoldNear(mu1, x1, grid.Upper1 - grid.Lower1);
                }
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
            if (grid.Walls == GridWalls.Absorbing && !inside)
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

        if (double.IsNaN(mu0) || double.IsNaN(mu1))
        {
            kind = KindNonFiniteMean;
            return;
        }

        // The window measured in double first, so that no cell index below overflows a long: a window of at least
        // MaxWindowCells cells is too wide whatever its row width, and under absorbing walls one that ends more than a
        // cell before the first row or starts more than a cell after the last is lost.
        double reach0 = grid.Truncation * sd0;
        if (!(2 * reach0 / grid.H0 < grid.MaxWindowCells) || (grid.Dimension == 2 && !(2 * grid.Truncation * sdc / grid.H1 < grid.MaxWindowCells)))
        {
            kind = KindTooWide;
            return;
        }

        if (grid.Walls == GridWalls.Absorbing
            && ((mu0 + reach0 - grid.Lower0) / grid.H0 < -1 || (mu0 - reach0 - grid.Lower0) / grid.H0 >= grid.Rows + 1))
        {
            kind = KindLost;
            lost = 1;
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
        kind = KindGaussian;
    }
}
