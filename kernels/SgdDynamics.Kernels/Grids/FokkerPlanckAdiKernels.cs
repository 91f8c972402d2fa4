using System.Runtime.CompilerServices;
using ILGPU;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// The pieces of the alternating-direction implicit (modified Craig–Sneyd) Fokker–Planck step on the face rates of
/// <see cref="FokkerPlanckKernels"/>: the generator split as <c>A = A₀ + A₁ + A₂</c>, A₁ and A₂ the Scharfetter–Gummel
/// flows through the faces normal to axis 0 and axis 1 (tridiagonal along the lines of that axis, cyclic on a ring),
/// A₀ the mixed-derivative flows of both axes (the nine-point part, always explicit). Per cell
/// <see cref="Combine{TB, TM}"/> gives <c>base + a·(A₀ z)_c + b·((A₁ + A₂) z)_c</c>; per line
/// <see cref="SolveLine"/> solves <c>(I − τ A_k) x = r</c> by the Thomas algorithm (with zero-flux walls: every
/// elimination step combines non-negative numbers, <c>I − τA_k</c> being an M-matrix) or, on a ring, by the cyclic
/// elimination of the last cell (two right-hand sides through the same factors). The managed backend runs the same
/// arithmetic four lines at a time in SIMD lanes; the ILGPU entry points run one cell or one line per thread.
/// </summary>
public static class FokkerPlanckAdiKernels
{
    /// <summary>
    /// <c>base_c + a·(A₀ z)_c + b·((A₁ + A₂) z)_c</c> for cell c (<paramref name="baseValue"/> is base_c; the
    /// mixed part skipped when <paramref name="hasMixed"/> is 0). The flows are those of <see cref="FokkerPlanckKernels.Rate{TB, TM}"/>,
    /// summed per part: SG axis 0 (low face in, high face out), SG axis 1, then mixed axis 0 and axis 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Combine<TB, TM>(long c, FokkerPlanckGrid grid, TB forward, TB backward, TB mixed, int hasMixed, double a, double b, double baseValue, TM z)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer
    {
        long n0 = grid.N0, n1 = grid.N1;
        long i = c / n1, j = c - i * n1;
        bool ring = grid.Walls == GridWalls.Periodic;
        long im = i > 0 ? i - 1 : n0 - 1, ip = i + 1 < n0 ? i + 1 : 0;
        bool low0 = i > 0 || ring, high0 = i + 1 < n0 || ring;
        double zc = z.Get(c);

        // SG axis 0: face (im, j) into the cell, face (i, j) out of it
        double sg0 = 0;
        if (low0)
        {
            long f = im * n1 + j;
            sg0 += forward.Get(f) * z.Get(f) - backward.Get(f) * zc;
        }

        if (high0)
        {
            long f = i * n1 + j;
            sg0 -= forward.Get(f) * zc - backward.Get(f) * z.Get(ip * n1 + j);
        }

        if (grid.Dimension == 1)
        {
            return baseValue + b * sg0;
        }

        long fr = grid.FacesPerRow1;
        long jm = j > 0 ? j - 1 : n1 - 1, jp = j + 1 < n1 ? j + 1 : 0;
        bool low1 = j > 0 || ring, high1 = j + 1 < n1 || ring;
        double sg1 = 0;
        if (low1)
        {
            long f = grid.Faces0 + i * fr + jm;
            sg1 += forward.Get(f) * z.Get(i * n1 + jm) - backward.Get(f) * zc;
        }

        if (high1)
        {
            long f = grid.Faces0 + i * fr + j;
            sg1 -= forward.Get(f) * zc - backward.Get(f) * z.Get(i * n1 + jp);
        }

        double sg = sg0 + sg1;
        if (hasMixed == 0)
        {
            return baseValue + b * sg;
        }

        // mixed axis 0: q over the columns u, d of the cell across faces (im, i) and (i, ip); flow −q, so in −q_low, out +q_high
        long u = GridWalls.Neighbour(j, 1, n1, grid.Walls), d = GridWalls.Neighbour(j, -1, n1, grid.Walls);
        double mix0 = 0;
        if (low0)
        {
            mix0 -= Q(mixed, z, im * n1 + u) + Q(mixed, z, i * n1 + u) - Q(mixed, z, im * n1 + d) - Q(mixed, z, i * n1 + d);
        }

        if (high0)
        {
            mix0 += Q(mixed, z, i * n1 + u) + Q(mixed, z, ip * n1 + u) - Q(mixed, z, i * n1 + d) - Q(mixed, z, ip * n1 + d);
        }

        long ru = GridWalls.Neighbour(i, 1, n0, grid.Walls), rd = GridWalls.Neighbour(i, -1, n0, grid.Walls);
        double mix1 = 0;
        if (low1)
        {
            mix1 -= Q(mixed, z, ru * n1 + jm) + Q(mixed, z, ru * n1 + j) - Q(mixed, z, rd * n1 + jm) - Q(mixed, z, rd * n1 + j);
        }

        if (high1)
        {
            mix1 += Q(mixed, z, ru * n1 + j) + Q(mixed, z, ru * n1 + jp) - Q(mixed, z, rd * n1 + j) - Q(mixed, z, rd * n1 + jp);
        }

        return baseValue + a * (mix0 + mix1) + b * sg;
    }

    /// <summary>
    /// Solves <c>(I − τ A_k) x = r</c> along one line of n cells: cell p = <c>cell0 + s·cellStride</c>, face s (between
    /// cells s and s + 1, the last one wrapping on a ring) at <c>face0 + s·faceStride</c>; row s reads
    /// <c>−τ F_{s−1} x_{s−1} + (1 + τ(F_s + B_{s−1})) x_s − τ B_s x_{s+1} = r_s</c> (wall faces absent). Scratch c, d
    /// (and v on a ring) are indexed like the cells. <paramref name="x"/> may be <paramref name="r"/>.
    /// </summary>
    public static void SolveLine(
        long n, long cell0, long cellStride, long face0, long faceStride, int ring, double tau,
        ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> r, ArrayView<double> x,
        ArrayView<double> c, ArrayView<double> d, ArrayView<double> v)
    {
        if (ring == 0)
        {
            EliminateDown(n, n, cell0, cellStride, face0, faceStride, tau, forward, backward, r, c, d);
            long last = cell0 + (n - 1) * cellStride;
            double xs = d[last];
            x[last] = xs;
            for (long s = n - 2; s >= 0; s--)
            {
                long p = cell0 + s * cellStride;
                xs = d[p] - c[p] * xs;
                x[p] = xs;
            }

            return;
        }

        long k = n - 1;
        long pk = cell0 + (k - 1) * cellStride;
        for (long s = 0; s < k; s++)
        {
            v[cell0 + s * cellStride] = 0.0;
        }

        v[cell0] = tau * forward[face0 + (n - 1) * faceStride];
        v[pk] += tau * backward[face0 + (n - 2) * faceStride];
        double inv0 = 1.0 / RingDiagonal(0, n, face0, faceStride, tau, forward, backward);
        c[cell0] = k > 1 ? -(tau * backward[face0]) * inv0 : 0.0;
        d[cell0] = r[cell0] * inv0;
        v[cell0] *= inv0;
        for (long s = 1; s < k; s++)
        {
            long p = cell0 + s * cellStride, q = p - cellStride;
            double a = tau * forward[face0 + (s - 1) * faceStride];
            double inv = 1.0 / (RingDiagonal(s, n, face0, faceStride, tau, forward, backward) + a * c[q]);
            c[p] = s + 1 < k ? -(tau * backward[face0 + s * faceStride]) * inv : 0.0;
            d[p] = (r[p] + a * d[q]) * inv;
            v[p] = (v[p] + a * v[q]) * inv;
        }

        for (long s = k - 2; s >= 0; s--)
        {
            long p = cell0 + s * cellStride, q = p + cellStride;
            d[p] -= c[p] * d[q];
            v[p] -= c[p] * v[q];
        }

        double aa = tau * forward[face0 + (n - 2) * faceStride], bb = tau * backward[face0 + (n - 1) * faceStride];
        long pl = cell0 + (n - 1) * cellStride;
        double xl = (r[pl] + aa * d[pk] + bb * d[cell0]) / (RingDiagonal(n - 1, n, face0, faceStride, tau, forward, backward) - aa * v[pk] - bb * v[cell0]);
        for (long s = 0; s < k; s++)
        {
            long p = cell0 + s * cellStride;
            x[p] = d[p] + xl * v[p];
        }

        x[pl] = xl;
    }

    /// <summary>
    /// The downward (Thomas) elimination of rows 0 … <paramref name="end"/> − 1 of a zero-flux line of n cells (layout as
    /// in <see cref="SolveLine"/>): <c>c_s</c> and <c>d_s</c> with <c>x_s = d_s − c_s x_{s+1}</c>; the last row of the
    /// line (s = n − 1) has no face above it.
    /// </summary>
    private static void EliminateDown(
        long end, long n, long cell0, long cellStride, long face0, long faceStride, double tau,
        ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> r, ArrayView<double> c, ArrayView<double> d)
    {
        double inv = 1.0 / (1.0 + tau * forward[face0]);
        c[cell0] = -(tau * backward[face0]) * inv;
        d[cell0] = r[cell0] * inv;
        for (long s = 1; s < end; s++)
        {
            long p = cell0 + s * cellStride, q = p - cellStride;
            long f = face0 + s * faceStride;
            double a = tau * forward[f - faceStride];
            double diag = 1.0 + tau * ((s + 1 < n ? forward[f] : 0.0) + backward[f - faceStride]);
            inv = 1.0 / (diag + a * c[q]);
            c[p] = s + 1 < n ? -(tau * backward[f]) * inv : 0.0;
            d[p] = (r[p] + a * d[q]) * inv;
        }
    }

    /// <summary>
    /// The meeting cell of <see cref="SolveLineTwisted"/> on a line of <paramref name="n"/> cells: <c>n / 2</c>, fixed by
    /// n alone (never by a thread count), so every backend and every split eliminates in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TwistedMeeting(long n) => n / 2;

    /// <summary>
    /// Solves <c>(I − τ A_k) x = r</c> along one line of n ≥ 2 cells with zero-flux walls (same layout and row equations as
    /// <see cref="SolveLine"/>) by the twisted factorisation: eliminated downward from cell 0 to the meeting cell
    /// m = <see cref="TwistedMeeting"/> (Thomas: <c>x_s = d_s − c_s x_{s+1}</c>, s &lt; m) and upward from cell n − 1
    /// to it (<c>x_s = d_s − c_s x_{s−1}</c>, s &gt; m), row m solved for x_m, then both halves substituted back.
    /// The same operations as Thomas, in two chains that do not depend on each other until row m (the managed 1-D
    /// step interleaves them in one loop, operation for operation as here, and keeps the factors of a τ). Every
    /// elimination step still combines non-negative numbers (an M-matrix). Scratch c, d are indexed like the cells.
    /// </summary>
    public static void SolveLineTwisted(
        long n, long cell0, long cellStride, long face0, long faceStride, double tau,
        ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> r, ArrayView<double> x,
        ArrayView<double> c, ArrayView<double> d)
    {
        long m = TwistedMeeting(n);

        // downward, rows 0 … m − 1 (face s exists for every s < m ≤ n − 1)
        EliminateDown(m, n, cell0, cellStride, face0, faceStride, tau, forward, backward, r, c, d);

        // upward, rows n − 1 … m + 1
        if (m + 1 < n)
        {
            long top = cell0 + (n - 1) * cellStride;
            long ft = face0 + (n - 2) * faceStride;
            double inv = 1.0 / (1.0 + tau * backward[ft]);
            c[top] = -(tau * forward[ft]) * inv;
            d[top] = r[top] * inv;
            for (long s = n - 2; s > m; s--)
            {
                long p = cell0 + s * cellStride, q = p + cellStride;
                long f = face0 + s * faceStride;
                double a = tau * backward[f];
                double diag = 1.0 + tau * (forward[f] + backward[f - faceStride]);
                inv = 1.0 / (diag + a * c[q]);
                c[p] = -(tau * forward[f - faceStride]) * inv;
                d[p] = (r[p] + a * d[q]) * inv;
            }
        }

        // row m: x_m from both neighbours' eliminations
        long pm = cell0 + m * cellStride, fm = face0 + m * faceStride;
        double low = tau * forward[fm - faceStride];
        double high = m + 1 < n ? tau * backward[fm] : 0.0;
        double diagonal = 1.0 + tau * ((m + 1 < n ? forward[fm] : 0.0) + backward[fm - faceStride]);
        double xm = (r[pm] + low * d[pm - cellStride] + (m + 1 < n ? high * d[pm + cellStride] : 0.0))
            / (diagonal + low * c[pm - cellStride] + (m + 1 < n ? high * c[pm + cellStride] : 0.0));

        // back-substitution, both halves outward from m
        double xs = xm;
        for (long s = m - 1; s >= 0; s--)
        {
            long p = cell0 + s * cellStride;
            xs = d[p] - c[p] * xs;
            x[p] = xs;
        }

        xs = xm;
        for (long s = m + 1; s < n; s++)
        {
            long p = cell0 + s * cellStride;
            xs = d[p] - c[p] * xs;
            x[p] = xs;
        }

        x[pm] = xm;
    }

    /// <summary>The combination of <see cref="Combine{TB, TM}"/>, one thread per cell: <c>output = base + a A₀z + b (A₁ + A₂)z</c> (base read only when hasBase ≠ 0).</summary>
    public static void CombineKernel(
        Index1D cell, FokkerPlanckGrid grid, ArrayView<double> forward, ArrayView<double> backward, ArrayView<double> mixed, int hasMixed,
        double a, double b, int hasBase, ArrayView<double> baseValues, ArrayView<double> z, ArrayView<double> output)
    {
        double baseValue = hasBase != 0 ? baseValues[cell] : 0.0;
        output[cell] = Combine(cell, grid, new DoubleView(forward), new DoubleView(backward), new DoubleView(mixed), hasMixed, a, b, baseValue, new DoubleView(z));
    }

    /// <summary>Line solves along axis 0, one line (a column j) per thread: <c>(I − τA₁) x = r</c> (the single line of a 1-D grid with zero-flux walls by <see cref="SolveLineTwisted"/>).</summary>
    public static void Lines0Kernel(
        Index1D line, FokkerPlanckGrid grid, double tau, ArrayView<double> forward, ArrayView<double> backward,
        ArrayView<double> r, ArrayView<double> x, ArrayView<double> c, ArrayView<double> d, ArrayView<double> v)
    {
        int ring = grid.Walls == GridWalls.Periodic ? 1 : 0;
        if (grid.Dimension == 1 && ring == 0 && grid.N0 > 1)
        {
            // the one line of a 1-D grid: the twisted order of the managed backend's solve
            SolveLineTwisted(grid.N0, 0, 1, 0, 1, tau, forward, backward, r, x, c, d);
            return;
        }

        SolveLine(grid.N0, line, grid.N1, line, grid.N1, ring, tau, forward, backward, r, x, c, d, v);
    }

    /// <summary>Line solves along axis 1, one line (a row i) per thread: <c>(I − τA₂) x = r</c>.</summary>
    public static void Lines1Kernel(
        Index1D line, FokkerPlanckGrid grid, double tau, ArrayView<double> forward, ArrayView<double> backward,
        ArrayView<double> r, ArrayView<double> x, ArrayView<double> c, ArrayView<double> d, ArrayView<double> v)
    {
        int ring = grid.Walls == GridWalls.Periodic ? 1 : 0;
        SolveLine(grid.N1, line * (long)grid.N1, 1, grid.Faces0 + line * grid.FacesPerRow1, 1, ring, tau, forward, backward, r, x, c, d, v);
    }

    /// <summary><c>y += z</c>, one thread per cell.</summary>
    public static void AddKernel(Index1D cell, ArrayView<double> y, ArrayView<double> z) => y[cell] += z[cell];

    /// <summary>Diagonal of row s of a ring line: <c>1 + τ(F_s + B_{s−1 mod n})</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double RingDiagonal(long s, long n, long face0, long faceStride, double tau, ArrayView<double> forward, ArrayView<double> backward) =>
        1.0 + tau * (forward[face0 + s * faceStride] + backward[face0 + (s == 0 ? n - 1 : s - 1) * faceStride]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Q<TB, TM>(TB mixed, TM mass, long c)
        where TB : struct, IDoubleBuffer
        where TM : struct, IDoubleBuffer => mixed.Get(c) * mass.Get(c);
}
