using System.Runtime.CompilerServices;

namespace SgdDynamics.Kernels.Grids;

/// <summary>Windows of the one-step kernel and the images of a target inside them (mirror images, periodic translates).</summary>
public static partial class MasterEquationKernels
{
    /// <summary>Virtual cells meeting <c>[μ − T s, μ + T s]</c>: first = ⌊(μ − T s − lower)/h⌋.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WindowFirst(double mu, double s, double truncation, double lower, double h) => (long)Math.Floor((mu - truncation * s - lower) / h);

    /// <summary>Last virtual cell meeting the window: ⌊(μ + T s − lower)/h⌋.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WindowLast(double mu, double s, double truncation, double lower, double h) => (long)Math.Floor((mu + truncation * s - lower) / h);

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
    /// On a ring of length <paramref name="period"/>: μ translated by k·period, <c>k = ⌊(μ − x)/period + ½⌋</c>, so that
    /// the jump from x lies in [−period/2, period/2); μ itself when k = 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double FoldNear(double mu, double x, double period)
    {
        double k = Math.Floor((mu - x) / period + 0.5);
        return k == 0 ? mu : mu - k * period;
    }

    /// <summary>
    /// Cloud-in-cell weight of target j along one axis for a push-forward to μ:
    /// <c>u = (μ − lower)/h − ½</c>, <c>i = ⌊u⌋</c>, <c>f = u − i</c>; weight (1 − f) on map(i), f on map(i + 1)
    /// (<see cref="GridWalls.Map"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double CloudWeight(double mu, double lower, double h, long n, int walls, long j)
    {
        double u = (mu - lower) / h - 0.5;
        double floor = Math.Floor(u);
        double f = u - floor;
        long i = (long)floor;
        double w = 0;
        if (GridWalls.Map(i, n, walls) == j)
        {
            w += 1 - f;
        }

        if (GridWalls.Map(i + 1, n, walls) == j)
        {
            w += f;
        }

        return w;
    }

    /// <summary>
    /// Sum of the unnormalised 1-D Gaussian weights <c>exp(−z²/2)</c>, <c>z = (x_v − μ)/s</c>, over the virtual cells v
    /// of the window [first, last] that are target j or one of its images (mirror images under reflection, translates
    /// by multiples of n on a ring), in increasing v.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ImageWeights1(double mu, double s, double lower, double h, long n, int walls, long first, long last, long j)
    {
        double w = 0;
        if (walls == GridWalls.Absorbing || (first >= 0 && last < n))
        {
            if (j >= first && j <= last)
            {
                double z = (lower + (j + 0.5) * h - mu) / s;
                w = KernelMath.ExpNonPositive(-0.5 * (z * z));
            }

            return w;
        }

        if (walls == GridWalls.Periodic)
        {
            for (long p = GridWalls.FloorMultiple(first, n); p <= last; p += n)
            {
                long v = p + j;
                if (v >= first && v <= last)
                {
                    double z = (lower + (v + 0.5) * h - mu) / s;
                    w += KernelMath.ExpNonPositive(-0.5 * (z * z));
                }
            }

            return w;
        }

        long period = 2 * n;
        for (long b = GridWalls.FloorMultiple(first, period); b <= last; b += period)
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
    /// Unnormalised 2-D weight of target (r, q) from a Gaussian source: the sum over the images
    /// (v₀, v₁) of the target inside the window (rows [first, last], columns the conditional window of row v₀) of
    /// <c>exp(−z₀²/2 − z_c²/2)</c>, rows then columns in increasing order.
    /// </summary>
    public static double ImageWeights2(MasterGrid grid, double mu0, double mu1, double sd0, double slope, double sdc, long first, long last, long r, long q)
    {
        long rows = grid.Rows, columns = grid.Columns;
        bool images = grid.Walls != GridWalls.Absorbing;
        bool mirror = grid.Walls == GridWalls.Reflecting;
        long period = mirror ? 2 * rows : rows;
        long b = images ? GridWalls.FloorMultiple(first, period) : 0;
        double w = 0;
        for (; b <= last; b += period)
        {
            for (int k = 0; k < 2; k++)
            {
                if (k == 1 && !mirror)
                {
                    break;
                }

                long v0 = k == 0 ? b + r : b + period - 1 - r;
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
        if (grid.Walls == GridWalls.Absorbing || (clo >= 0 && chi < columns))
        {
            if (q >= clo && q <= chi)
            {
                double zc = (grid.Lower1 + (q + 0.5) * grid.H1 - mc) / sdc;
                w = KernelMath.ExpNonPositive(-0.5 * (z0 * z0 + zc * zc));
            }

            return w;
        }

        if (grid.Walls == GridWalls.Periodic)
        {
            for (long p = GridWalls.FloorMultiple(clo, columns); p <= chi; p += columns)
            {
                long v = p + q;
                if (v >= clo && v <= chi)
                {
                    double zc = (grid.Lower1 + (v + 0.5) * grid.H1 - mc) / sdc;
                    w += KernelMath.ExpNonPositive(-0.5 * (z0 * z0 + zc * zc));
                }
            }

            return w;
        }

        long period = 2 * columns;
        for (long b = GridWalls.FloorMultiple(clo, period); b <= chi; b += period)
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
}
