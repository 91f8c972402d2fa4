using System.Runtime.CompilerServices;
using ILGPU;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// Geometry of a Fokker–Planck grid as a kernel argument: cells, box, spacing, η and the variant
/// (<see cref="Discrete"/> = 1: <c>D = (η/2)(Σ + ḡḡᵀ)</c>; 0: Langevin <c>D = (η/2)Σ</c>; an int flag).
/// </summary>
public readonly struct FokkerPlanckGrid
{
    /// <summary>Dimension (1 or 2).</summary>
    public readonly int Dimension;

    /// <summary>Cells along axis 0.</summary>
    public readonly int N0;

    /// <summary>Cells along axis 1 (1 in 1-D).</summary>
    public readonly int N1;

    /// <summary>1 for the discrete (Kramers–Moyal) variant, 0 for Langevin.</summary>
    public readonly int Discrete;

    /// <summary>Lower corner, axis 0.</summary>
    public readonly double Lower0;

    /// <summary>Lower corner, axis 1.</summary>
    public readonly double Lower1;

    /// <summary>Spacing, axis 0.</summary>
    public readonly double H0;

    /// <summary>Spacing, axis 1.</summary>
    public readonly double H1;

    /// <summary>Learning rate η.</summary>
    public readonly double Eta;

    /// <summary>Creates the description.</summary>
    public FokkerPlanckGrid(int dimension, int n0, int n1, int discrete, double lower0, double lower1, double h0, double h1, double eta)
    {
        Dimension = dimension;
        N0 = n0;
        N1 = n1;
        Discrete = discrete;
        Lower0 = lower0;
        Lower1 = lower1;
        H0 = h0;
        H1 = h1;
        Eta = eta;
    }

    /// <summary>Faces normal to axis 0: <c>(N0 − 1) N1</c>, stored first; then the <c>N0 (N1 − 1)</c> faces normal to axis 1.</summary>
    public long Faces0 => (long)(N0 - 1) * N1;

    /// <summary>All interior faces.</summary>
    public long Faces => Faces0 + (Dimension == 2 ? (long)N0 * (N1 - 1) : 0);
}

/// <summary>
/// Finite-volume Fokker–Planck operator <c>dm/dt = A m</c> as gather kernels (see FokkerPlanckSolver for the
/// discretisation): per interior face the Scharfetter–Gummel rates <c>forward = B(z) D_kk(x_L)/h²</c>,
/// <c>backward = B(−z) D_kk(x_R)/h²</c>, <c>z = h ḡ_k(x_f)/D_kk(x_f)</c>, <c>B(z) = z/(e^z − 1)</c>, computed once by
/// <see cref="FaceRates{TField}"/> (generic over the landscape) together with the mixed coefficients
/// <c>D_xy(x_c)/(4 h_x h_y)</c>; then <see cref="Apply"/> gives each cell
/// <c>(A m)_c = F_{in,0} − F_{out,0} + F_{in,1} − F_{out,1}</c> from the flows through its four faces,
/// <c>F = forward·m_L − backward·m_R + F_mixed</c>, <c>F_mixed = −Σ ± D_xy m/(4 h_x h_y)</c> over the four-cell
/// central difference across the face (mirror ghosts at the box edge), zero on boundary faces. Each thread computes
/// its own cell from the same data in a fixed order: no atomics.
/// </summary>
public static class FokkerPlanckKernels
{
    /// <summary>
    /// Bernoulli function <c>B(z) = z/(e^z − 1)</c> from <see cref="KernelMath.ExpNonPositive"/>: its series
    /// <c>1 − z/2 + z²/12 − z⁴/720</c> for |z| &lt; 10⁻², <c>z/(e^z − 1)</c> for z &lt; 0 and
    /// <c>z e^{−z}/(1 − e^{−z})</c> for z &gt; 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Bernoulli(double z)
    {
        if (Math.Abs(z) < 1e-2)
        {
            double z2 = z * z;
            return 1 - 0.5 * z + z2 / 12 - z2 * z2 / 720;
        }

        if (z < 0)
        {
            return z / (KernelMath.ExpNonPositive(z) - 1);
        }

        double e = KernelMath.ExpNonPositive(-z);
        return z * e / (1 - e);
    }

    /// <summary>Drift ḡ_k and diffusion D_kk, D_01 at x (D = (η/2)Σ or (η/2)(Σ + ḡḡᵀ)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Coefficients<TField>(TField field, FokkerPlanckGrid grid, double x0, double x1, int axis, out double drift, out double dkk, out double d01)
        where TField : struct, IGridField
    {
        field.Field(x0, x1, out double g0, out double g1, out double s00, out double s01, out double s11);
        double half = 0.5 * grid.Eta;
        if (grid.Discrete != 0)
        {
            s00 += g0 * g0;
            s01 += g0 * g1;
            s11 += g1 * g1;
        }

        drift = axis == 0 ? g0 : g1;
        dkk = half * (axis == 0 ? s00 : s11);
        d01 = half * s01;
    }

    /// <summary>
    /// Scharfetter–Gummel rates of interior face f (axis-0 faces first, then axis-1 faces) into
    /// <c>forward[f]</c>, <c>backward[f]</c>; for f &lt; cell count also the mixed coefficient
    /// <c>mixed[f] = D_xy(x_f)/(4 h_x h_y)</c> of cell f (2-D). One thread per face (or cell, whichever is more).
    /// </summary>
    public static void FaceRates<TField>(Index1D index, TField field, FokkerPlanckGrid grid, ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> mixed)
        where TField : struct, IGridField
    {
        long f = index;
        if (grid.Dimension == 2 && f < (long)grid.N0 * grid.N1)
        {
            long i = f / grid.N1, j = f - i * grid.N1;
            mixed[f] = MixedCoefficient(f, field, grid);
        }

        if (f >= grid.Faces)
        {
            return;
        }

        FaceRateValues(f, field, grid, out double fw, out double bw);
        forward[f] = fw;
        backward[f] = bw;
    }

    /// <summary>Mixed coefficient <c>D_xy(x_c)/(4 h_x h_y)</c> of cell c (2-D).</summary>
    public static double MixedCoefficient<TField>(long c, TField field, FokkerPlanckGrid grid)
        where TField : struct, IGridField
    {
        long i = c / grid.N1, j = c - i * grid.N1;
        Coefficients(field, grid, grid.Lower0 + (i + 0.5) * grid.H0, grid.Lower1 + (j + 0.5) * grid.H1, 0, out _, out _, out double d01);
        return d01 / (4 * grid.H0 * grid.H1);
    }

    /// <summary>Forward and backward Scharfetter–Gummel rates of interior face f.</summary>
    public static void FaceRateValues<TField>(long f, TField field, FokkerPlanckGrid grid, out double forward, out double backward)
        where TField : struct, IGridField
    {
        int axis = f < grid.Faces0 ? 0 : 1;
        long i, j;
        double h;
        double xl0, xl1, xr0, xr1, xf0, xf1;
        if (axis == 0)
        {
            i = f / grid.N1;
            j = f - i * grid.N1;
            h = grid.H0;
            xl0 = grid.Lower0 + (i + 0.5) * grid.H0;
            xr0 = grid.Lower0 + (i + 1.5) * grid.H0;
            xf0 = grid.Lower0 + (i + 1) * grid.H0;
            xl1 = xr1 = xf1 = grid.Dimension == 2 ? grid.Lower1 + (j + 0.5) * grid.H1 : 0.0;
        }
        else
        {
            long g = f - grid.Faces0;
            i = g / (grid.N1 - 1);
            j = g - i * (grid.N1 - 1);
            h = grid.H1;
            xl0 = xr0 = xf0 = grid.Lower0 + (i + 0.5) * grid.H0;
            xl1 = grid.Lower1 + (j + 0.5) * grid.H1;
            xr1 = grid.Lower1 + (j + 1.5) * grid.H1;
            xf1 = grid.Lower1 + (j + 1) * grid.H1;
        }

        Coefficients(field, grid, xf0, xf1, axis, out double drift, out double dFace, out _);
        Coefficients(field, grid, xl0, xl1, axis, out _, out double dLeft, out _);
        Coefficients(field, grid, xr0, xr1, axis, out _, out double dRight, out _);
        double z = h * drift / dFace;
        forward = Bernoulli(z) * dLeft / (h * h);
        backward = Bernoulli(-z) * dRight / (h * h);
    }

    /// <summary>
    /// Net mass flow through the interior face normal to axis 0 between cells (i, j) and (i + 1, j), left to right:
    /// SG part plus the mixed central difference <c>−s[q(i,u) + q(i+1,u) − q(i,d) − q(i+1,d)]</c>,
    /// <c>q = D_xy m</c>, u = min(j+1, N1−1), d = max(j−1, 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Flow0<TB, TM>(long i, long j, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n1 = grid.N1;
        long f = i * n1 + j;
        double flow = forward.Get(f) * mass.Get(i * n1 + j) - backward.Get(f) * mass.Get((i + 1) * n1 + j);
        if (grid.Dimension == 2)
        {
            long u = j + 1 < n1 ? j + 1 : n1 - 1, d = j > 0 ? j - 1 : 0;
            double q = Q(mixed, mass, i * n1 + u) + Q(mixed, mass, (i + 1) * n1 + u) - Q(mixed, mass, i * n1 + d) - Q(mixed, mass, (i + 1) * n1 + d);
            flow -= q;
        }

        return flow;
    }

    /// <summary>Net flow through the face normal to axis 1 between (i, j) and (i, j + 1): SG plus the mixed difference along axis 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Flow1<TB, TM>(long i, long j, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n1 = grid.N1, n0 = grid.N0;
        long f = grid.Faces0 + i * (n1 - 1) + j;
        double flow = forward.Get(f) * mass.Get(i * n1 + j) - backward.Get(f) * mass.Get(i * n1 + j + 1);
        long u = i + 1 < n0 ? i + 1 : n0 - 1, d = i > 0 ? i - 1 : 0;
        double q = Q(mixed, mass, u * n1 + j) + Q(mixed, mass, u * n1 + j + 1) - Q(mixed, mass, d * n1 + j) - Q(mixed, mass, d * n1 + j + 1);
        return flow - q;
    }

    /// <summary>
    /// <c>(A m)_c</c> for cell c: inflow minus outflow through its faces (axis 0 then axis 1, low face first); zero
    /// flow through the box walls.
    /// </summary>
    public static double Rate<TB, TM>(long c, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n1 = grid.N1;
        long i = c / n1, j = c - i * n1;
        double rate = 0;
        if (i > 0)
        {
            rate += Flow0(i - 1, j, grid, forward, backward, mixed, mass);
        }

        if (i + 1 < grid.N0)
        {
            rate -= Flow0(i, j, grid, forward, backward, mixed, mass);
        }

        if (grid.Dimension == 2)
        {
            if (j > 0)
            {
                rate += Flow1(i, j - 1, grid, forward, backward, mixed, mass);
            }

            if (j + 1 < n1)
            {
                rate -= Flow1(i, j, grid, forward, backward, mixed, mass);
            }
        }

        return rate;
    }

    /// <summary>Operator application, one thread per cell: <c>rate = A m</c>.</summary>
    public static void Apply(Index1D cell, FokkerPlanckGrid grid, ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> mixed, ArrayView<double> mass, ArrayView<double> rate)
    {
        rate[cell] = Rate(cell, grid, new DoubleView(forward), new DoubleView(backward), new DoubleView(mixed), new DoubleView(mass));
    }

    /// <summary>Explicit Euler step, one thread per cell: <c>next = m + Δt A m</c>.</summary>
    public static void ExplicitStep(Index1D cell, FokkerPlanckGrid grid, double dt, ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> mixed, ArrayView<double> mass, ArrayView<double> next)
    {
        next[cell] = mass[cell] + dt * Rate(cell, grid, new DoubleView(forward), new DoubleView(backward), new DoubleView(mixed), new DoubleView(mass));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Q<TB, TM>(TB mixed, TM mass, long c)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer => mixed.Get(c) * mass.Get(c);
}
