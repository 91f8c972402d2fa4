using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.FokkerPlanckAdiKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The alternating-direction implicit Fokker–Planck step (<see cref="FokkerPlanckScheme.Adi"/>): the modified
/// Craig–Sneyd scheme with θ = 1/3 on <c>A = A₀ + A₁ + A₂</c> (<see cref="FokkerPlanckAdiKernels"/>), written for the
/// increment <c>Y − y</c>:
/// <code>
/// W = Δt A y
/// Z = (I − θΔt A₂)⁻¹ (I − θΔt A₁)⁻¹ W
/// W ← W + (Δt/2) A₀ Z + (1/2 − θ)Δt (A₁ + A₂) Z
/// y ← y + (I − θΔt A₂)⁻¹ (I − θΔt A₁)⁻¹ W
/// </code>
/// second order in Δt for any θ, with the mixed part A₀ explicit (unconditionally stable for θ ≥ 1/3 in 2-D with a
/// mixed term; the stiff limit of one direction is damped by −1/2 a step). The first <see cref="StartupSubsteps"/>
/// substeps from time 0 are each replaced by two backward-Euler half-substeps split by direction,
/// <c>y ← (I − ½Δt A₂)⁻¹ (I − ½Δt A₁)⁻¹ (y + ½Δt A₀ y)</c> (Rannacher start-up: a point-mass start would otherwise
/// ring). Columns of every factor sum to 1 (of A to 0), so mass is conserved to rounding.
/// <para>
/// <b>Positivity.</b> Each line solve maps non-negative to non-negative (an M-matrix), so the start-up half-substeps keep
/// masses ≥ 0 when D is diagonal (A₀ = 0). The Craig–Sneyd substeps do not: their predictor <c>y + Δt A y</c> is an
/// explicit Euler step, negative where Δt exceeds <c>1/|A_cc|</c>, and the corrector subtracts; small negative masses
/// (relative to the peak) can appear at steep fronts. With a mixed term nothing is positive (nor is the generator).
/// </para>
/// <para>
/// <b>Managed backend.</b> Line solves run four lines at a time in the lanes of <see cref="Vector256{T}"/> (axis 0: four
/// neighbouring columns, contiguous loads; axis 1: four rows, gathered), the combination of flows four cells of a row at a
/// time, each over fixed blocks split statically over the threads: every number is computed by the same arithmetic
/// whatever the thread count (bit-identical results). Scratch: two vectors of cells and three line buffers per thread.
/// <b>ILGPU:</b> the same arithmetic, one cell or one line per thread, the density resident on the device for the steps
/// of one call.
/// </para>
/// <para>
/// <b>1-D, zero-flux walls.</b> The grid is one line, so there are no lines to share out: it is solved by the twisted
/// factorisation (<see cref="FokkerPlanckAdiKernels.SolveLineTwisted"/>, meeting cell n/2), whose two halves are two
/// independent dependency chains; one thread runs both in one loop, interleaved, and the core overlaps them (the
/// solve is bound by the latency of each chain's multiply–add–multiply, not by throughput). The factors and pivot
/// reciprocals of a τ are kept across solves (every Craig–Sneyd solve has τ = θΔt), so a solve eliminates only the
/// right-hand side. A second thread does not pay here: running one half on each of two threads gives the same
/// throughput as both interleaved on one (measured: README, Performance › Grid solvers), so the 1-D line runs on the
/// calling thread at any thread count, with the same bits. Scratch: three vectors of cells. On the ILGPU backends the
/// same twisted solve runs in one device thread. A 1-D ring stays one sequential cyclic solve (its last cell couples to
/// both ends).
/// </para>
/// </summary>
internal sealed class FokkerPlanckAdi : IDisposable
{
    /// <summary>θ of the modified Craig–Sneyd scheme.</summary>
    public const double Theta = 1.0 / 3.0;

    /// <summary>Substeps from time 0 replaced by two backward-Euler half-substeps each (one: the first substep).</summary>
    public const int StartupSubsteps = 1;

    private const int Lanes = 4;

    private readonly FokkerPlanckRates rates;
    private readonly FokkerPlanckGrid g;
    private readonly int count;
    private readonly int threads;
    private readonly int hasMixed;
    private readonly double[] w;
    private readonly double[] z;
    private readonly Vector256<double>[][] lineScratch;
    private readonly Gpu? gpu;

    /// <summary>The 1-D line with zero-flux walls on the managed backend: solved by the twisted factorisation, its two halves interleaved.</summary>
    private readonly bool twisted;

    /// <summary>
    /// Scratch of the twisted solve per cell: the factors c and the pivots' reciprocals
    /// of the last τ (<see cref="factoredTau"/>; they depend on τ and the rates alone, so a solve at the same τ keeps
    /// them and only eliminates the right-hand side), and the eliminated right-hand side d.
    /// </summary>
    private readonly double[] lineC, lineInv, lineD;

    /// <summary>τ of the factors in <see cref="lineC"/> and <see cref="lineInv"/>; NaN: none yet.</summary>
    private double factoredTau = double.NaN;

    public FokkerPlanckAdi(FokkerPlanckRates rates, ComputeDevice device)
    {
        this.rates = rates;
        g = rates.Grid;
        count = g.N0 * g.N1;
        threads = Math.Max(1, device.Threads);
        hasMixed = rates.HasMixed ? 1 : 0;
        if (device.Accelerator is { } accelerator)
        {
            gpu = new Gpu(accelerator, rates, count, g.Walls == GridWalls.Periodic);
            w = z = [];
            lineScratch = [];
            lineC = lineInv = lineD = [];
        }
        else
        {
            w = new double[count];
            z = new double[count];
            twisted = g.Dimension == 1 && g.Walls != GridWalls.Periodic && g.N0 > 1;
            lineC = twisted ? new double[count] : [];
            lineInv = twisted ? new double[count] : [];
            lineD = twisted ? new double[count] : [];
            // the SIMD line solves' scratch (four vectors a cell of the longest line per thread); none for the twisted line
            int longest = Math.Max(g.N0, g.N1);
            lineScratch = new Vector256<double>[twisted ? 0 : threads][];
            for (int t = 0; t < lineScratch.Length; t++)
            {
                lineScratch[t] = new Vector256<double>[4 * longest];
            }
        }
    }

    /// <summary>Advances <paramref name="m"/> by <paramref name="steps"/> substeps of <paramref name="dt"/> from <paramref name="time"/>.</summary>
    public void Advance(double[] m, double time, double dt, int steps)
    {
        if (gpu is not null)
        {
            gpu.Y.CopyFromCPU(m);
        }

        for (int s = 0; s < steps; s++)
        {
            double t = time + s * dt;
            if (t < (StartupSubsteps - 0.5) * dt)
            {
                HalfStep(m, 0.5 * dt);
                HalfStep(m, 0.5 * dt);
            }
            else
            {
                CraigSneyd(m, dt);
            }
        }

        if (gpu is not null)
        {
            gpu.Accelerator.Synchronize();
            gpu.Y.CopyToCPU(m);
        }
    }

    public void Dispose() => gpu?.Dispose();

    /// <summary>One modified Craig–Sneyd step.</summary>
    private void CraigSneyd(double[] y, double dt)
    {
        double tau = Theta * dt;
        if (twisted)
        {
            CombineLine(w, null, y, dt);
            SolveTwisted(w, z, tau, accumulate: false);
            CombineLine(w, w, z, (0.5 - Theta) * dt);
            SolveTwisted(w, y, tau, accumulate: true);
            return;
        }

        bool plane = g.Dimension == 2;
        Combine(Buffer.W, Buffer.None, y, Buffer.Y, dt, dt);
        Solve(0, Buffer.W, Buffer.Z, tau, y);
        if (plane)
        {
            Solve(1, Buffer.Z, Buffer.Z, tau, y);
        }

        Combine(Buffer.W, Buffer.W, y, Buffer.Z, 0.5 * dt, (0.5 - Theta) * dt);
        if (plane)
        {
            Solve(0, Buffer.W, Buffer.Z, tau, y);
            Solve(1, Buffer.Z, Buffer.Y, tau, y, accumulate: true);
        }
        else
        {
            Solve(0, Buffer.W, Buffer.Y, tau, y, accumulate: true);
        }
    }

    /// <summary>One backward-Euler substep split by direction, the mixed part explicit.</summary>
    private void HalfStep(double[] y, double tau)
    {
        if (hasMixed != 0)
        {
            Combine(Buffer.W, Buffer.Y, y, Buffer.Y, tau, 0);
            Solve(0, Buffer.W, Buffer.Z, tau, y);
        }
        else
        {
            Solve(0, Buffer.Y, Buffer.Z, tau, y);
        }

        if (g.Dimension == 2)
        {
            Solve(1, Buffer.Z, Buffer.Y, tau, y);
        }
        else
        {
            Copy(Buffer.Z, Buffer.Y, y);
        }
    }

    private enum Buffer
    {
        None,
        Y,
        W,
        Z,
    }

    private double[] Host(Buffer b, double[] y) => b switch
    {
        Buffer.Y => y,
        Buffer.W => w,
        Buffer.Z => z,
        _ => throw new ArgumentOutOfRangeException(nameof(b), b, "no such buffer"),
    };

    /// <summary>output = base + a A₀ source + b (A₁ + A₂) source.</summary>
    private void Combine(Buffer output, Buffer baseBuffer, double[] y, Buffer source, double a, double b)
    {
        if (gpu is not null)
        {
            var kernel = gpu.Combine;
            var baseView = baseBuffer == Buffer.None ? gpu.View(Buffer.W) : gpu.View(baseBuffer);
            kernel(count, g, gpu.Rates.Forward, gpu.Rates.Backward, gpu.Rates.Mixed, hasMixed, a, b, baseBuffer == Buffer.None ? 0 : 1, baseView, gpu.View(source), gpu.View(output));
            return;
        }

        double[] outArray = Host(output, y), src = Host(source, y);
        double[]? baseArray = baseBuffer == Buffer.None ? null : Host(baseBuffer, y);
        if (g.Dimension == 1)
        {
            // no mixed part in 1-D: a is unused
            CombineLine(outArray, baseArray, src, b);
            return;
        }

        int rows = g.N0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int first = (int)((long)rows * t / threads), end = (int)((long)rows * (t + 1) / threads);
            for (int i = first; i < end; i++)
            {
                CombineRow(i, outArray, baseArray, src, a, b);
            }
        });
    }

    /// <summary>Row i of <see cref="Combine"/>: the interior cells four at a time, the two edge cells and a remainder by the kernel's scalar code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CombineRow(int i, double[] output, double[]? baseArray, double[] src, double a, double b)
    {
        int n0 = g.N0, n1 = g.N1;
        var f = new ArrayDoubles(rates.Forward);
        var bw = new ArrayDoubles(rates.Backward);
        var mx = new ArrayDoubles(rates.Mixed);
        var zz = new ArrayDoubles(src);
        long row = (long)i * n1;
        void Scalar(int j) => output[row + j] = K.Combine(row + j, g, f, bw, mx, hasMixed, a, b, baseArray is null ? 0.0 : baseArray[row + j], zz);

        bool ring = g.Walls == GridWalls.Periodic;
        bool low0 = i > 0 || ring, high0 = i + 1 < n0 || ring;
        long im = (i > 0 ? i - 1 : n0 - 1) * (long)n1, ip = (i + 1 < n0 ? i + 1 : 0) * (long)n1;
        long ru = GridWalls.Neighbour(i, 1, n0, g.Walls) * n1, rd = GridWalls.Neighbour(i, -1, n0, g.Walls) * n1;
        long f1 = g.Faces0 + i * g.FacesPerRow1;
        ref double fw = ref rates.Forward[0];
        ref double bk = ref rates.Backward[0];
        ref double mix = ref rates.Mixed[0];
        ref double zs = ref src[0];
        var av = Vector256.Create(a);
        var bv = Vector256.Create(b);
        Scalar(0);
        int j = 1;
        for (; j + Lanes <= n1 - 1; j += Lanes)
        {
            long c = row + j;
            var zc = Load(ref zs, c);
            var sg0 = Vector256<double>.Zero;
            if (low0)
            {
                sg0 = Load(ref fw, im + j) * Load(ref zs, im + j) - Load(ref bk, im + j) * zc;
            }

            if (high0)
            {
                sg0 -= Load(ref fw, c) * zc - Load(ref bk, c) * Load(ref zs, ip + j);
            }

            long fl = f1 + j - 1, fh = f1 + j;
            var sg1 = Vector256<double>.Zero + (Load(ref fw, fl) * Load(ref zs, c - 1) - Load(ref bk, fl) * zc);
            sg1 -= Load(ref fw, fh) * zc - Load(ref bk, fh) * Load(ref zs, c + 1);
            var sg = sg0 + sg1;
            var result = baseArray is null ? Vector256<double>.Zero : Load(ref baseArray[0], c);
            if (hasMixed != 0)
            {
                var mix0 = Vector256<double>.Zero;
                if (low0)
                {
                    mix0 -= Q(ref mix, ref zs, im + j + 1) + Q(ref mix, ref zs, c + 1) - Q(ref mix, ref zs, im + j - 1) - Q(ref mix, ref zs, c - 1);
                }

                if (high0)
                {
                    mix0 += Q(ref mix, ref zs, c + 1) + Q(ref mix, ref zs, ip + j + 1) - Q(ref mix, ref zs, c - 1) - Q(ref mix, ref zs, ip + j - 1);
                }

                var mix1 = Vector256<double>.Zero;
                mix1 -= Q(ref mix, ref zs, ru + j - 1) + Q(ref mix, ref zs, ru + j) - Q(ref mix, ref zs, rd + j - 1) - Q(ref mix, ref zs, rd + j);
                mix1 += Q(ref mix, ref zs, ru + j) + Q(ref mix, ref zs, ru + j + 1) - Q(ref mix, ref zs, rd + j) - Q(ref mix, ref zs, rd + j + 1);
                result = result + av * (mix0 + mix1) + bv * sg;
            }
            else
            {
                result += bv * sg;
            }

            Store(output, c, result);
        }

        for (; j < n1; j++)
        {
            Scalar(j);
        }
    }

    /// <summary>
    /// Line solves along <paramref name="axis"/>: <c>(I − τ A_axis) x = r</c> for every line, or with
    /// <paramref name="accumulate"/> <c>x += (I − τ A_axis)⁻¹ r</c> (the last solve of a step adds its increment to y).
    /// </summary>
    private void Solve(int axis, Buffer r, Buffer x, double tau, double[] y, bool accumulate = false)
    {
        bool ring = g.Walls == GridWalls.Periodic;
        if (gpu is not null)
        {
            var kernel = axis == 0 ? gpu.Lines0 : gpu.Lines1;
            var target = accumulate ? gpu.View(Buffer.Z) : gpu.View(x);
            kernel(axis == 0 ? g.N1 : g.N0, g, tau, gpu.Rates.Forward, gpu.Rates.Backward, gpu.View(r), target, gpu.C.View, gpu.D.View, gpu.V.View);
            if (accumulate)
            {
                gpu.Add(count, gpu.View(x), gpu.Z.View);
            }

            return;
        }

        double[] rArray = Host(r, y), xArray = Host(x, y);
        if (twisted)
        {
            SolveTwisted(rArray, xArray, tau, accumulate);
            return;
        }

        int lines = axis == 0 ? g.N1 : g.N0;
        int n = axis == 0 ? g.N0 : g.N1;
        // with zero-flux walls eight lines per group (two vectors; along axis 0 a cache line), on a ring four
        int width = ring ? Lanes : 2 * Lanes;
        int groups = (lines + width - 1) / width;
        int workers = Math.Min(threads, groups);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            Span<Vector256<double>> scratch = lineScratch[t];
            Span<Vector256<double>> c = scratch[..n], d = scratch.Slice(n, n), v = scratch.Slice(2 * n, n), e = scratch.Slice(3 * n, n);
            int first = (int)((long)groups * t / workers), end = (int)((long)groups * (t + 1) / workers);
            for (int k = first; k < end; k++)
            {
                int line0 = k * width, valid = Math.Min(width, lines - line0);
                if (axis == 0)
                {
                    var low = new ColumnLines(rates.Forward, rates.Backward, rArray, xArray, g.N1, line0, Math.Min(Lanes, valid), accumulate);
                    if (valid == 2 * Lanes)
                    {
                        var high = new ColumnLines(rates.Forward, rates.Backward, rArray, xArray, g.N1, line0 + Lanes, Lanes, accumulate);
                        SolveLinePair(ref low, ref high, n, tau, c, d, v, e);
                        continue;
                    }

                    SolveLines(ref low, n, ring, tau, c, d, v);
                    if (valid > Lanes)
                    {
                        var rest = new ColumnLines(rates.Forward, rates.Backward, rArray, xArray, g.N1, line0 + Lanes, valid - Lanes, accumulate);
                        SolveLines(ref rest, n, ring, tau, c, d, v);
                    }
                }
                else
                {
                    var low = new RowLines(rates.Forward, rates.Backward, rArray, xArray, g.N1, g.Faces0, g.FacesPerRow1, line0, Math.Min(Lanes, valid), accumulate);
                    if (valid == 2 * Lanes)
                    {
                        var high = new RowLines(rates.Forward, rates.Backward, rArray, xArray, g.N1, g.Faces0, g.FacesPerRow1, line0 + Lanes, Lanes, accumulate);
                        SolveLinePair(ref low, ref high, n, tau, c, d, v, e);
                        continue;
                    }

                    SolveLines(ref low, n, ring, tau, c, d, v);
                    if (valid > Lanes)
                    {
                        var rest = new RowLines(rates.Forward, rates.Backward, rArray, xArray, g.N1, g.Faces0, g.FacesPerRow1, line0 + Lanes, valid - Lanes, accumulate);
                        SolveLines(ref rest, n, ring, tau, c, d, v);
                    }
                }
            }
        });
    }

    /// <summary>
    /// Four lines at once in the lanes: the arithmetic of <see cref="FokkerPlanckAdiKernels.SolveLine"/>, operation for
    /// operation (so a lane's result equals the kernel's line solve).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SolveLines<TA>(ref TA lines, int n, bool ring, double tauValue, Span<Vector256<double>> c, Span<Vector256<double>> d, Span<Vector256<double>> v)
        where TA : struct, ILines
    {
        var tau = Vector256.Create(tauValue);
        var one = Vector256.Create(1.0);
        if (!ring)
        {
            var inv = one / (one + tau * lines.F(0));
            c[0] = -(tau * lines.B(0)) * inv;
            d[0] = lines.R(0) * inv;
            for (int s = 1; s < n; s++)
            {
                var a = tau * lines.F(s - 1);
                var diag = one + tau * ((s + 1 < n ? lines.F(s) : Vector256<double>.Zero) + lines.B(s - 1));
                inv = one / (diag + a * c[s - 1]);
                c[s] = s + 1 < n ? -(tau * lines.B(s)) * inv : Vector256<double>.Zero;
                d[s] = (lines.R(s) + a * d[s - 1]) * inv;
            }

            var xs = d[n - 1];
            lines.Store(n - 1, xs);
            for (int s = n - 2; s >= 0; s--)
            {
                xs = d[s] - c[s] * xs;
                lines.Store(s, xs);
            }

            return;
        }

        int k = n - 1;
        v[..k].Clear();
        v[0] = tau * lines.F(n - 1);
        v[k - 1] += tau * lines.B(n - 2);
        var inv0 = one / RingDiagonal(ref lines, 0, n, tau, one);
        c[0] = k > 1 ? -(tau * lines.B(0)) * inv0 : Vector256<double>.Zero;
        d[0] = lines.R(0) * inv0;
        v[0] *= inv0;
        for (int s = 1; s < k; s++)
        {
            var a = tau * lines.F(s - 1);
            var inv = one / (RingDiagonal(ref lines, s, n, tau, one) + a * c[s - 1]);
            c[s] = s + 1 < k ? -(tau * lines.B(s)) * inv : Vector256<double>.Zero;
            d[s] = (lines.R(s) + a * d[s - 1]) * inv;
            v[s] = (v[s] + a * v[s - 1]) * inv;
        }

        for (int s = k - 2; s >= 0; s--)
        {
            d[s] -= c[s] * d[s + 1];
            v[s] -= c[s] * v[s + 1];
        }

        var aa = tau * lines.F(n - 2);
        var bb = tau * lines.B(n - 1);
        var xl = (lines.R(n - 1) + aa * d[k - 1] + bb * d[0]) / (RingDiagonal(ref lines, n - 1, n, tau, one) - aa * v[k - 1] - bb * v[0]);
        for (int s = 0; s < k; s++)
        {
            lines.Store(s, d[s] + xl * v[s]);
        }

        lines.Store(n - 1, xl);
    }

    /// <summary>
    /// Eight lines with zero-flux walls as two groups of four: the Thomas solve of <see cref="SolveLines{TA}"/> on both
    /// at once (the same operations per lane; two independent division chains; whole cache lines along axis 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SolveLinePair<TA>(
        ref TA first, ref TA second, int n, double tauValue,
        Span<Vector256<double>> c0, Span<Vector256<double>> d0, Span<Vector256<double>> c1, Span<Vector256<double>> d1)
        where TA : struct, ILines
    {
        var tau = Vector256.Create(tauValue);
        var one = Vector256.Create(1.0);
        var inv0 = one / (one + tau * first.F(0));
        var inv1 = one / (one + tau * second.F(0));
        c0[0] = -(tau * first.B(0)) * inv0;
        c1[0] = -(tau * second.B(0)) * inv1;
        d0[0] = first.R(0) * inv0;
        d1[0] = second.R(0) * inv1;
        for (int s = 1; s < n; s++)
        {
            bool inner = s + 1 < n;
            var a0 = tau * first.F(s - 1);
            var a1 = tau * second.F(s - 1);
            var diag0 = one + tau * ((inner ? first.F(s) : Vector256<double>.Zero) + first.B(s - 1));
            var diag1 = one + tau * ((inner ? second.F(s) : Vector256<double>.Zero) + second.B(s - 1));
            inv0 = one / (diag0 + a0 * c0[s - 1]);
            inv1 = one / (diag1 + a1 * c1[s - 1]);
            c0[s] = inner ? -(tau * first.B(s)) * inv0 : Vector256<double>.Zero;
            c1[s] = inner ? -(tau * second.B(s)) * inv1 : Vector256<double>.Zero;
            d0[s] = (first.R(s) + a0 * d0[s - 1]) * inv0;
            d1[s] = (second.R(s) + a1 * d1[s - 1]) * inv1;
        }

        var x0 = d0[n - 1];
        var x1 = d1[n - 1];
        first.Store(n - 1, x0);
        second.Store(n - 1, x1);
        for (int s = n - 2; s >= 0; s--)
        {
            x0 = d0[s] - c0[s] * x0;
            x1 = d1[s] - c1[s] * x1;
            first.Store(s, x0);
            second.Store(s, x1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> RingDiagonal<TA>(ref TA lines, int s, int n, Vector256<double> tau, Vector256<double> one)
        where TA : struct, ILines => one + tau * (lines.F(s) + lines.B(s == 0 ? n - 1 : s - 1));

    /// <summary>
    /// <c>x = (I − τA₁)⁻¹ r</c> on the 1-D line with zero-flux walls (or with <paramref name="accumulate"/>
    /// <c>x += …</c>) by the twisted factorisation of <see cref="FokkerPlanckAdiKernels.SolveLineTwisted"/>, operation for
    /// operation: the factors of a new τ, then both halves' eliminations of r and both back-substitutions, each pair of
    /// chains interleaved.
    /// </summary>
    private void SolveTwisted(double[] r, double[] x, double tau, bool accumulate)
    {
        if (factoredTau != tau)
        {
            factoredTau = double.NaN;
            Factor(0, tau);
            Factor(1, tau);
            factoredTau = tau;
        }

        EliminateBoth(r, tau);
        SubstituteBoth(r, x, tau, accumulate);
    }

    /// <summary>
    /// The 1-D combination <c>output = base + b·(A₁ src)</c>: the end cells by the kernel's scalar code, the others four at
    /// a time with the kernel's operations in its order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CombineLine(double[] output, double[]? baseArray, double[] src, double b)
    {
        int n = g.N0;
        var f = new ArrayDoubles(rates.Forward);
        var bw = new ArrayDoubles(rates.Backward);
        var mx = new ArrayDoubles(rates.Mixed);
        var zz = new ArrayDoubles(src);
        void Scalar(int c) => output[c] = K.Combine(c, g, f, bw, mx, 0, 0.0, b, baseArray is null ? 0.0 : baseArray[c], zz);

        Scalar(0);

        ref double fw = ref rates.Forward[0];
        ref double bk = ref rates.Backward[0];
        ref double zs = ref src[0];
        var bv = Vector256.Create(b);
        int j = 1;
        for (; j + Lanes <= n - 1; j += Lanes)
        {
            // interior cells: face j − 1 in, face j out (the kernel's sg0, from 0)
            var zc = Load(ref zs, j);
            var sg0 = Vector256<double>.Zero + (Load(ref fw, j - 1) * Load(ref zs, j - 1) - Load(ref bk, j - 1) * zc);
            sg0 -= Load(ref fw, j) * zc - Load(ref bk, j) * Load(ref zs, j + 1);
            var result = baseArray is null ? Vector256<double>.Zero : Load(ref baseArray[0], j);
            Store(output, j, result + bv * sg0);
        }

        for (; j < n; j++)
        {
            Scalar(j);
        }
    }

    /// <summary>
    /// The factors of half <paramref name="part"/> of the twisted solve for τ (<see cref="FokkerPlanckAdiKernels.SolveLineTwisted"/>,
    /// operation for operation): c and the pivot reciprocals, part 0 downward over rows 0 … m − 1, part 1 upward over
    /// rows n − 1 … m + 1. They depend on τ and the rates alone.
    /// </summary>
    private void Factor(int part, double tau)
    {
        int n = g.N0, m = (int)K.TwistedMeeting(n);
        double[] forward = rates.Forward, backward = rates.Backward, c = lineC, v = lineInv;
        if (part == 0)
        {
            double inv = 1.0 / (1.0 + tau * forward[0]);
            c[0] = -(tau * backward[0]) * inv;
            v[0] = inv;
            double cq = c[0];
            for (int s = 1; s < m; s++)
            {
                double a = tau * forward[s - 1];
                double diag = 1.0 + tau * (forward[s] + backward[s - 1]);
                inv = 1.0 / (diag + a * cq);
                cq = -(tau * backward[s]) * inv;
                c[s] = cq;
                v[s] = inv;
            }

            return;
        }

        if (m + 1 < n)
        {
            int top = n - 1;
            double inv = 1.0 / (1.0 + tau * backward[n - 2]);
            c[top] = -(tau * forward[n - 2]) * inv;
            v[top] = inv;
            double cq = c[top];
            for (int s = n - 2; s > m; s--)
            {
                double a = tau * backward[s];
                double diag = 1.0 + tau * (forward[s] + backward[s - 1]);
                inv = 1.0 / (diag + a * cq);
                cq = -(tau * forward[s - 1]) * inv;
                c[s] = cq;
                v[s] = inv;
            }
        }
    }

    /// <summary>
    /// Both halves' eliminations of r with the factors of τ, the two chains interleaved: part 0 downward
    /// <c>d_s = (r_s + τF_{s−1} d_{s−1}) v_s</c> over rows 0 … m − 1, part 1 upward <c>d_s = (r_s + τB_s d_{s+1}) v_s</c>
    /// over rows n − 1 … m + 1 (the kernel's operations).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EliminateBoth(double[] r, double tau)
    {
        int n = g.N0, m = (int)K.TwistedMeeting(n), top = n - 1;
        double[] forward = rates.Forward, backward = rates.Backward, v = lineInv, d = lineD;
        double lo = r[0] * v[0];
        d[0] = lo;
        if (m + 1 >= n)
        {
            for (int s = 1; s < m; s++)
            {
                lo = (r[s] + tau * forward[s - 1] * lo) * v[s];
                d[s] = lo;
            }

            return;
        }

        double hi = r[top] * v[top];
        d[top] = hi;

        // lower chain rows 1 … m − 1, upper chain rows n − 2 … m + 1: k steps of each, then the longer one's rest
        int lowerSteps = m - 1, upperSteps = n - 2 - m, common = Math.Min(lowerSteps, upperSteps);
        for (int k = 0; k < common; k++)
        {
            int s = 1 + k, u = n - 2 - k;
            lo = (r[s] + tau * forward[s - 1] * lo) * v[s];
            hi = (r[u] + tau * backward[u] * hi) * v[u];
            d[s] = lo;
            d[u] = hi;
        }

        for (int s = 1 + common; s < m; s++)
        {
            lo = (r[s] + tau * forward[s - 1] * lo) * v[s];
            d[s] = lo;
        }

        for (int u = n - 2 - common; u > m; u--)
        {
            hi = (r[u] + tau * backward[u] * hi) * v[u];
            d[u] = hi;
        }
    }

    /// <summary>
    /// Row m and both halves' back-substitutions, interleaved: <c>x_s = d_s − c_s x_{s±1}</c> outward from x_m (the
    /// kernel's operations); with <paramref name="accumulate"/> added to x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SubstituteBoth(double[] r, double[] x, double tau, bool accumulate)
    {
        double xm = Meeting(r, tau);
        int n = g.N0, m = (int)K.TwistedMeeting(n);
        double[] c = lineC, d = lineD;
        x[m] = accumulate ? x[m] + xm : xm;
        double lo = xm, hi = xm;
        int lowerSteps = m, upperSteps = n - 1 - m, common = Math.Min(lowerSteps, upperSteps);
        for (int k = 0; k < common; k++)
        {
            int s = m - 1 - k, u = m + 1 + k;
            lo = d[s] - c[s] * lo;
            hi = d[u] - c[u] * hi;
            x[s] = accumulate ? x[s] + lo : lo;
            x[u] = accumulate ? x[u] + hi : hi;
        }

        for (int s = m - 1 - common; s >= 0; s--)
        {
            lo = d[s] - c[s] * lo;
            x[s] = accumulate ? x[s] + lo : lo;
        }

        for (int u = m + 1 + common; u < n; u++)
        {
            hi = d[u] - c[u] * hi;
            x[u] = accumulate ? x[u] + hi : hi;
        }
    }

    /// <summary>x_m of the twisted solve: row m with both neighbours eliminated (<see cref="FokkerPlanckAdiKernels.SolveLineTwisted"/>).</summary>
    private double Meeting(double[] r, double tau)
    {
        int n = g.N0, m = (int)K.TwistedMeeting(n);
        double[] forward = rates.Forward, backward = rates.Backward, c = lineC, d = lineD;
        bool upper = m + 1 < n;
        double low = tau * forward[m - 1];
        double high = upper ? tau * backward[m] : 0.0;
        double diagonal = 1.0 + tau * ((upper ? forward[m] : 0.0) + backward[m - 1]);
        return (r[m] + low * d[m - 1] + (upper ? high * d[m + 1] : 0.0))
            / (diagonal + low * c[m - 1] + (upper ? high * c[m + 1] : 0.0));
    }

    private void Copy(Buffer from, Buffer to, double[] y)
    {
        if (gpu is not null)
        {
            gpu.View(from).CopyTo(gpu.View(to));
            return;
        }

        Array.Copy(Host(from, y), Host(to, y), count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load(ref double start, long index) => Vector256.LoadUnsafe(ref start, (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(double[] array, long index, Vector256<double> value) => value.StoreUnsafe(ref array[0], (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Q(ref double mixed, ref double mass, long c) => Load(ref mixed, c) * Load(ref mass, c);

    /// <summary>Four lines' coefficients and right-hand sides as lanes; lanes past the valid lines repeat the last one and are not stored.</summary>
    private interface ILines
    {
        Vector256<double> R(int s);

        Vector256<double> F(int s);

        Vector256<double> B(int s);

        void Store(int s, Vector256<double> value);
    }

    /// <summary>Columns j0 … j0 + 3 (axis-0 lines): cell (s, j) and face (s, j) both at s·N1 + j, contiguous in j.</summary>
    private readonly struct ColumnLines(double[] forward, double[] backward, double[] r, double[] x, int n1, int j0, int valid, bool accumulate) : ILines
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> R(int s) => Get(r, s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> F(int s) => Get(forward, s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> B(int s) => Get(backward, s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int s, Vector256<double> value)
        {
            long p = (long)s * n1 + j0;
            if (valid == Lanes)
            {
                if (accumulate)
                {
                    value = Vector256.LoadUnsafe(ref x[0], (nuint)p) + value;
                }

                value.StoreUnsafe(ref x[0], (nuint)p);
                return;
            }

            for (int l = 0; l < valid; l++)
            {
                x[p + l] = accumulate ? x[p + l] + value.GetElement(l) : value.GetElement(l);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vector256<double> Get(double[] array, int s)
        {
            long p = (long)s * n1 + j0;
            if (valid == Lanes)
            {
                return Vector256.LoadUnsafe(ref array[0], (nuint)p);
            }

            int last = valid - 1;
            return Vector256.Create(array[p], array[p + Math.Min(1, last)], array[p + Math.Min(2, last)], array[p + Math.Min(3, last)]);
        }
    }

    /// <summary>Rows i0 … i0 + 3 (axis-1 lines): cell (i, s) at i·N1 + s, face at Faces0 + i·FacesPerRow1 + s; gathered across the rows.</summary>
    private readonly struct RowLines : ILines
    {
        private readonly double[] forward, backward, r, x;
        private readonly long c0, c1, c2, c3, f0, f1, f2, f3;
        private readonly int valid;
        private readonly bool accumulate;

        public RowLines(double[] forward, double[] backward, double[] r, double[] x, int n1, long faces0, long facesPerRow, int i0, int valid, bool accumulate)
        {
            this.accumulate = accumulate;
            this.forward = forward;
            this.backward = backward;
            this.r = r;
            this.x = x;
            this.valid = valid;
            int last = i0 + valid - 1;
            long Row(int l) => Math.Min(i0 + l, last);
            c0 = Row(0) * n1;
            c1 = Row(1) * n1;
            c2 = Row(2) * n1;
            c3 = Row(3) * n1;
            f0 = faces0 + Row(0) * facesPerRow;
            f1 = faces0 + Row(1) * facesPerRow;
            f2 = faces0 + Row(2) * facesPerRow;
            f3 = faces0 + Row(3) * facesPerRow;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> R(int s) => Vector256.Create(r[c0 + s], r[c1 + s], r[c2 + s], r[c3 + s]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> F(int s) => Vector256.Create(forward[f0 + s], forward[f1 + s], forward[f2 + s], forward[f3 + s]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<double> B(int s) => Vector256.Create(backward[f0 + s], backward[f1 + s], backward[f2 + s], backward[f3 + s]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(int s, Vector256<double> value)
        {
            Put(c0 + s, value.GetElement(0));
            if (valid > 1)
            {
                Put(c1 + s, value.GetElement(1));
            }

            if (valid > 2)
            {
                Put(c2 + s, value.GetElement(2));
            }

            if (valid > 3)
            {
                Put(c3 + s, value.GetElement(3));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Put(long p, double value) => x[p] = accumulate ? x[p] + value : value;
    }

    private sealed class Gpu : IDisposable
    {
        public Gpu(Accelerator accelerator, FokkerPlanckRates rates, int count, bool ring)
        {
            Accelerator = accelerator;
            Rates = new DeviceFaceRates(accelerator, rates);
            Y = accelerator.Allocate1D<double>(count);
            W = accelerator.Allocate1D<double>(count);
            Z = accelerator.Allocate1D<double>(count);
            C = accelerator.Allocate1D<double>(count);
            D = accelerator.Allocate1D<double>(count);
            V = accelerator.Allocate1D<double>(ring ? count : 1);
            Combine = accelerator.LoadAutoGroupedStreamKernel(GridKernels.FokkerPlanckAdiCombine);
            Lines0 = accelerator.LoadAutoGroupedStreamKernel(GridKernels.FokkerPlanckAdiLines0);
            Lines1 = accelerator.LoadAutoGroupedStreamKernel(GridKernels.FokkerPlanckAdiLines1);
            Add = accelerator.LoadAutoGroupedStreamKernel(GridKernels.FokkerPlanckAdiAdd);
        }

        public Action<Index1D, FokkerPlanckGrid, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, double, double, int, ArrayView<double>, ArrayView<double>, ArrayView<double>> Combine { get; }

        public Action<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> Lines0 { get; }

        public Action<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> Lines1 { get; }

        public Action<Index1D, ArrayView<double>, ArrayView<double>> Add { get; }

        public Accelerator Accelerator { get; }

        public DeviceFaceRates Rates { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> Y { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> W { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> Z { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> C { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> D { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> V { get; }

        public ArrayView<double> View(Buffer b) => b switch
        {
            Buffer.Y => Y.View,
            Buffer.W => W.View,
            Buffer.Z => Z.View,
            _ => throw new ArgumentOutOfRangeException(nameof(b), b, "no such buffer"),
        };

        public void Dispose()
        {
            Rates.Dispose();
            foreach (var buffer in new[] { Y, W, Z, C, D, V })
            {
                buffer.Dispose();
            }
        }
    }
}
