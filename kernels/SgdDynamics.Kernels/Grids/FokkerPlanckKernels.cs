using System.Runtime.CompilerServices;
using ILGPU;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// Geometry of a Fokker–Planck grid as a kernel argument: cells, box, spacing, η, the variant
/// (<see cref="Discrete"/> = 1: <c>D = (η/2)(Σ + ḡḡᵀ)</c>; 0: Langevin <c>D = (η/2)Σ</c>; an int flag) and the walls
/// (<see cref="GridWalls.Reflecting"/>: zero flux through the box faces; <see cref="GridWalls.Periodic"/>: the
/// faces wrap, the last cell of a row or column flows into the first).
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

    /// <summary><see cref="GridWalls.Reflecting"/> or <see cref="GridWalls.Periodic"/>.</summary>
    public readonly int Walls;

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

    /// <summary>
    /// Faces normal to axis 0, stored first: <c>(N0 − 1) N1</c> interior faces, or <c>N0 N1</c> on a ring (face
    /// (i, j) between cells (i, j) and (i + 1 mod N0, j)); then the faces normal to axis 1.
    /// </summary>
    public readonly long Faces0;

    /// <summary>Faces normal to axis 1 per row i (2-D): <c>N1 − 1</c>, or <c>N1</c> on a ring.</summary>
    public readonly long FacesPerRow1;

    /// <summary>All faces that carry flow.</summary>
    public readonly long Faces;

    /// <summary>Creates the description.</summary>
    public FokkerPlanckGrid(int dimension, int n0, int n1, int discrete, int walls, double lower0, double lower1, double h0, double h1, double eta)
    {
        Dimension = dimension;
        N0 = n0;
        N1 = n1;
        Discrete = discrete;
        Walls = walls;
        Lower0 = lower0;
        Lower1 = lower1;
        H0 = h0;
        H1 = h1;
        Eta = eta;
        Faces0 = (long)(walls == GridWalls.Periodic ? n0 : n0 - 1) * n1;
        FacesPerRow1 = walls == GridWalls.Periodic ? n1 : n1 - 1;
        Faces = Faces0 + (dimension == 2 ? n0 * FacesPerRow1 : 0);
    }
}

/// <summary>
/// Finite-volume Fokker–Planck operator <c>dm/dt = A m</c> (see FokkerPlanckSolver for the discretisation): per
/// face the Scharfetter–Gummel rates <c>forward = B(z) D_kk(x_L)/h²</c>, <c>backward = B(−z) D_kk(x_R)/h²</c>,
/// <c>z = h ḡ_k(x_f)/D_kk(x_f)</c>, <c>B(z) = z/(e^z − 1)</c> (<see cref="FaceCoefficients{TField}"/>, generic over the
/// landscape, then <see cref="Rates"/>), and per cell the mixed coefficient
/// <c>D_xy(x_c)/(4 h_x h_y)</c> (<see cref="MixedCoefficient{TField}"/>): the host assembles its sparse generator from
/// these and hands the same rates to the device. Then <see cref="Apply"/> gives each cell
/// <c>(A m)_c = F_{in,0} − F_{out,0} + F_{in,1} − F_{out,1}</c> from the flows through its four faces,
/// <c>F = forward·m_L − backward·m_R + F_mixed</c>, <c>F_mixed = −Σ ± D_xy m/(4 h_x h_y)</c> over the four-cell
/// central difference across the face (mirror ghosts at a zero-flux wall, wrapped neighbours on a ring), zero on
/// zero-flux walls. Each thread computes its own cell from the same data in a fixed order: no atomics.
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

    /// <summary>Mixed coefficient <c>D_xy(x_c)/(4 h_x h_y)</c> of cell c (2-D).</summary>
    public static double MixedCoefficient<TField>(long c, TField field, FokkerPlanckGrid grid)
        where TField : struct, IGridField
    {
        long i = c / grid.N1, j = c - i * grid.N1;
        Coefficients(field, grid, grid.Lower0 + (i + 0.5) * grid.H0, grid.Lower1 + (j + 0.5) * grid.H1, 0, out _, out _, out double d01);
        return d01 / (4 * grid.H0 * grid.H1);
    }

    /// <summary>The two cells of face f (flow is counted from <paramref name="left"/> to <paramref name="right"/>).</summary>
    public static void FaceCells(long f, FokkerPlanckGrid grid, out long left, out long right)
    {
        long n1 = grid.N1;
        if (f < grid.Faces0)
        {
            long i = f / n1, j = f - i * n1;
            long ri = i + 1 == grid.N0 ? 0 : i + 1;
            left = i * n1 + j;
            right = ri * n1 + j;
            return;
        }

        long g = f - grid.Faces0;
        long row = g / grid.FacesPerRow1, col = g - row * grid.FacesPerRow1;
        left = row * n1 + col;
        right = row * n1 + (col + 1 == n1 ? 0 : col + 1);
    }

    /// <summary>
    /// Coefficients of face f (axis-0 faces first, then axis-1 faces): the Scharfetter–Gummel
    /// <c>z = h ḡ_k(x_f)/D_kk(x_f)</c> and the diagonal diffusion at its left cell, right cell and centre. On a ring
    /// the wrapping face sits at the upper end of the box and its right cell is the first cell of the row.
    /// </summary>
    public static void FaceCoefficients<TField>(long f, TField field, FokkerPlanckGrid grid, out double z, out double dLeft, out double dRight, out double dFace)
        where TField : struct, IGridField
    {
        int axis = f < grid.Faces0 ? 0 : 1;
        double h;
        double xl0, xl1, xr0, xr1, xf0, xf1;
        if (axis == 0)
        {
            long i = f / grid.N1;
            long j = f - i * grid.N1;
            long ri = i + 1 == grid.N0 ? 0 : i + 1;
            h = grid.H0;
            xl0 = grid.Lower0 + (i + 0.5) * grid.H0;
            xr0 = grid.Lower0 + (ri + 0.5) * grid.H0;
            xf0 = grid.Lower0 + (i + 1) * grid.H0;
            xl1 = xr1 = xf1 = grid.Dimension == 2 ? grid.Lower1 + (j + 0.5) * grid.H1 : 0.0;
        }
        else
        {
            long g = f - grid.Faces0;
            long i = g / grid.FacesPerRow1;
            long j = g - i * grid.FacesPerRow1;
            long rj = j + 1 == grid.N1 ? 0 : j + 1;
            h = grid.H1;
            xl0 = xr0 = xf0 = grid.Lower0 + (i + 0.5) * grid.H0;
            xl1 = grid.Lower1 + (j + 0.5) * grid.H1;
            xr1 = grid.Lower1 + (rj + 0.5) * grid.H1;
            xf1 = grid.Lower1 + (j + 1) * grid.H1;
        }

        Coefficients(field, grid, xf0, xf1, axis, out double drift, out dFace, out _);
        Coefficients(field, grid, xl0, xl1, axis, out _, out dLeft, out _);
        Coefficients(field, grid, xr0, xr1, axis, out _, out dRight, out _);
        z = h * drift / dFace;
    }

    /// <summary>
    /// Forward and backward Scharfetter–Gummel rates of face f from its coefficients
    /// (<see cref="FaceCoefficients{TField}"/>): <c>B(z) D_L/h²</c>, <c>B(−z) D_R/h²</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rates(long f, FokkerPlanckGrid grid, double z, double dLeft, double dRight, out double forward, out double backward)
    {
        double h = f < grid.Faces0 ? grid.H0 : grid.H1;
        forward = Bernoulli(z) * dLeft / (h * h);
        backward = Bernoulli(-z) * dRight / (h * h);
    }

    /// <summary>
    /// Net mass flow through the face normal to axis 0 between cells (i, j) and (i + 1, j) (i + 1 wrapped on a ring),
    /// left to right: SG part plus the mixed central difference <c>−[q(i,u) + q(i+1,u) − q(i,d) − q(i+1,d)]</c>,
    /// <c>q = (D_xy/(4 h_x h_y)) m</c>, u and d the neighbours j ± 1 (<see cref="GridWalls.Neighbour"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Flow0<TB, TM>(long i, long j, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer =>
        Flow0(i, j, GridWalls.Neighbour(j, 1, grid.N1, grid.Walls), GridWalls.Neighbour(j, -1, grid.N1, grid.Walls), grid, forward, backward, mixed, mass);

    /// <summary>Net flow through the face normal to axis 1 between (i, j) and (i, j + 1): SG plus the mixed difference along axis 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Flow1<TB, TM>(long i, long j, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer =>
        Flow1(i, j, GridWalls.Neighbour(i, 1, grid.N0, grid.Walls), GridWalls.Neighbour(i, -1, grid.N0, grid.Walls), grid, forward, backward, mixed, mass);

    /// <summary>
    /// <c>(A m)_c</c> for cell c: inflow minus outflow through its faces (axis 0 then axis 1, low face first); zero
    /// flow through zero-flux walls, the wrapping faces on a ring. The neighbours of the mixed differences are those of
    /// the cell, shared by its two faces along each axis.
    /// </summary>
    public static double Rate<TB, TM>(long c, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n1 = grid.N1;
        long i = c / n1, j = c - i * n1;
        bool ring = grid.Walls == GridWalls.Periodic;
        long up = 0, down = 0;
        if (grid.Dimension == 2)
        {
            up = GridWalls.Neighbour(j, 1, n1, grid.Walls);
            down = GridWalls.Neighbour(j, -1, n1, grid.Walls);
        }

        double rate = 0;
        if (i > 0)
        {
            rate += Flow0(i - 1, j, up, down, grid, forward, backward, mixed, mass);
        }
        else if (ring)
        {
            rate += Flow0(grid.N0 - 1, j, up, down, grid, forward, backward, mixed, mass);
        }

        if (i + 1 < grid.N0 || ring)
        {
            rate -= Flow0(i, j, up, down, grid, forward, backward, mixed, mass);
        }

        if (grid.Dimension == 2)
        {
            up = GridWalls.Neighbour(i, 1, grid.N0, grid.Walls);
            down = GridWalls.Neighbour(i, -1, grid.N0, grid.Walls);
            if (j > 0)
            {
                rate += Flow1(i, j - 1, up, down, grid, forward, backward, mixed, mass);
            }
            else if (ring)
            {
                rate += Flow1(i, n1 - 1, up, down, grid, forward, backward, mixed, mass);
            }

            if (j + 1 < n1 || ring)
            {
                rate -= Flow1(i, j, up, down, grid, forward, backward, mixed, mass);
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

    /// <summary>Flow through axis-0 face (i, j), the mixed difference over columns u and d (unused in 1-D).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Flow0<TB, TM>(long i, long j, long u, long d, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n1 = grid.N1;
        long f = i * n1 + j;
        long ri = i + 1 == grid.N0 ? 0 : i + 1;
        double flow = forward.Get(f) * mass.Get(i * n1 + j) - backward.Get(f) * mass.Get(ri * n1 + j);
        if (grid.Dimension == 2)
        {
            double q = Q(mixed, mass, i * n1 + u) + Q(mixed, mass, ri * n1 + u) - Q(mixed, mass, i * n1 + d) - Q(mixed, mass, ri * n1 + d);
            flow -= q;
        }

        return flow;
    }

    /// <summary>Flow through axis-1 face (i, j), the mixed difference over rows u and d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Flow1<TB, TM>(long i, long j, long u, long d, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, TM mass)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n1 = grid.N1;
        long f = grid.Faces0 + i * grid.FacesPerRow1 + j;
        long rj = j + 1 == n1 ? 0 : j + 1;
        double flow = forward.Get(f) * mass.Get(i * n1 + j) - backward.Get(f) * mass.Get(i * n1 + rj);
        double q = Q(mixed, mass, u * n1 + j) + Q(mixed, mass, u * n1 + rj) - Q(mixed, mass, d * n1 + j) - Q(mixed, mass, d * n1 + rj);
        return flow - q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Q<TB, TM>(TB mixed, TM mass, long c)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer => mixed.Get(c) * mass.Get(c);
}
