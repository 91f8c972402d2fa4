using SgdDynamics.Backends;

namespace SgdDynamics.Grids;

/// <summary>
/// Finite-volume Fokker–Planck solver for SGD on a 1-D or 2-D <see cref="UniformGrid"/>, in time <c>t = kη</c>:
/// <c>∂_t p = ∇·(ḡ p) + ∂_i∂_j(D_ij p)</c> with <c>D = (η/2)Σ(x)</c> (<see cref="FokkerPlanckVariant.Langevin"/>) or
/// <c>D = (η/2)(Σ(x) + ḡ(x)ḡ(x)ᵀ)</c> (<see cref="FokkerPlanckVariant.Discrete"/>). The unknowns are the cell masses
/// m_c = ∫_cell p, evolved as <c>dm/dt = A m</c> by a generator A built from face fluxes.
/// <para>
/// <b>Fluxes.</b> In conservative form the flux along axis k is <c>J_k = −ḡ_k p − ∂_k(D_kk p) − Σ_{l≠k} ∂_l(D_kl p)</c>.
/// The drift + diagonal-diffusion part uses the Scharfetter–Gummel flux (Scharfetter &amp; Gummel, IEEE Trans.
/// Electron Devices 16, 1969) for <c>q = D_kk p</c>: on the face between cells i and i+1 (spacing h),
/// <c>J = [B(z) q_i − B(−z) q_{i+1}] / h</c>, <c>z = h ḡ_k(x_f) / D_kk(x_f)</c> at the face centre x_f, with the
/// Bernoulli function <c>B(z) = z / (e^z − 1)</c>. It is exact for a locally constant ratio ḡ_k/D_kk, and its zero-flux
/// (equilibrium) condition <c>q_{i+1}/q_i = e^{−z}</c> is the midpoint rule for <c>q ∝ exp(−∫ ḡ_k/D_kk)</c>, so the
/// stationary 1-D density is second-order accurate in h (exact where ḡ/D is linear in x, e.g. the Langevin quadratic).
/// As <c>B &gt; 0</c>, these fluxes give A non-negative off-diagonal entries (A is the generator of a Markov jump
/// process on the cells).
/// </para>
/// <para>
/// <b>Mixed derivative (2-D).</b> The off-diagonal part <c>2∂_x∂_y(D_xy p)</c> is discretised in flux form with central
/// differences of <c>q = D_xy p</c> across each face (four-cell average, mirror ghost cells at the box edge). This
/// stencil has corner coefficients of both signs, so when some D_xy ≠ 0 the generator is in general no longer an
/// M-matrix: positivity is not guaranteed and small negative masses can appear where |D_xy| is not small compared with
/// the diagonal Scharfetter–Gummel coefficients (roughly |D_xy|/(h_x h_y) against D_xx/h_x², D_yy/h_y²) or where the
/// drift makes those coefficients exponentially small. <see cref="IsMonotone"/> reports whether the assembled generator
/// keeps non-negative off-diagonal entries; it does whenever D is diagonal (e.g. the Langevin variant with diagonal Σ).
/// The Discrete variant has <c>D_xy = (η/2)(Σ_xy + ḡ_xḡ_y)</c>, non-zero even for diagonal Σ.
/// </para>
/// <para>
/// <b>Boundary.</b> <see cref="GridBoundary.Reflecting"/>: every boundary face has zero flux. <see cref="GridBoundary.Periodic"/>:
/// the faces wrap (the box is a ring, a torus in 2-D): the last cell of a row flows into the first through a face at the
/// upper end of the box, and the mixed differences take their neighbours across it; the landscape is sampled inside the
/// box only (a tilted periodic potential is a periodic ḡ). Either way the columns of A sum to zero and no mass leaves:
/// <see cref="GridDensity.LostMass"/> is left unchanged (it stays what it was, typically 0). Results on a truncated
/// box are those of the reflected process; the box must hold the density's tails.
/// </para>
/// <para>
/// <b>Time stepping</b> (<see cref="Scheme"/>). <see cref="FokkerPlanckScheme.Adi"/> (the default): the modified
/// Craig–Sneyd alternating-direction scheme on the same face rates (<see cref="FokkerPlanckAdi"/>), second order in Δt,
/// tridiagonal line solves per axis (cyclic on a ring) with the mixed flows explicit, O(cells) a step, no assembled
/// matrix; its first substep from time 0 is two backward-Euler half-substeps (Rannacher start-up); a stationary law of
/// A is a fixed point of its steps. Positivity is kept by the start-up with diagonal D, not by the Craig–Sneyd
/// substeps (see there). <see cref="FokkerPlanckScheme.BackwardEuler"/>:
/// <c>(I − Δt A) m_new = m_old</c>, unconditionally stable and first order in Δt.
/// In 1-D the system is tridiagonal (cyclic on a ring) and solved exactly by the Thomas algorithm
/// (<see cref="FokkerPlanckStepper"/>); as <c>I − Δt A</c> is then an M-matrix every elimination step combines
/// non-negative numbers, so masses stay ≥ 0 in floating point. In 2-D it is solved by
/// BiCGStab with an ILU(0) preconditioner to a relative residual <see cref="StepTolerance"/> (masses then stay
/// ≥ −StepTolerance·‖m‖₁ when A is monotone). Columns of <c>I − Δt A</c> sum to one, so the exact solution keeps the total
/// mass; the computed one differs by at most the solve residual, and each step rescales by
/// <c>Σ m_old / Σ m_new</c> (a factor 1 ± residual) so that mass is conserved to rounding.
/// </para>
/// <para>
/// <b>Stationary law.</b> In 1-D the null vector of A is computed exactly (no linear solve,
/// <see cref="FokkerPlanckStationary"/>): with zero-flux walls by detailed balance across every face,
/// <c>m_{i+1}/m_i = e^{−z} D_i / D_{i+1}</c>, accumulated in logarithms; on a ring, where a tilt Σ z ≠ 0 drives a
/// constant net flow through every face, by the closed form of the cyclic chain. In 2-D it is the solution of
/// <c>A m = 0</c>, <c>Σ m = 1</c> by BiCGStab + ILU(0) on A with one row replaced by a normalisation, to a relative
/// stationarity residual <c>‖A m‖₁ / Σ_c |A_cc| m_c ≤ tolerance</c> (the net probability flow against the total
/// outflow rate).
/// </para>
/// <para>
/// <b>Kernels.</b> The scheme is written once, in <see cref="Kernels.Grids.FokkerPlanckKernels"/>: the face rates
/// (Scharfetter–Gummel with the kernels' portable exponential) and mixed coefficients are computed on the host by that
/// code with the landscape struct (<see cref="FokkerPlanckRates"/>), the sparse generator is assembled from them
/// (<see cref="FokkerPlanckGenerator"/>), and the flux operator <c>m ↦ A m</c> runs as a gather kernel on a
/// <see cref="ComputeDevice"/> on the same rates (one thread per cell): <see cref="ApplyOperator"/> and the explicit
/// Euler steps of <see cref="AdvanceExplicit"/> use it, on the managed backend and ILGPU alike; it equals the
/// assembled generator (<see cref="ApplyGenerator"/>) to rounding (summation order). Its device buffers are made on
/// first use. The ADI steps run on the device too (one line per thread on ILGPU, four lines to a SIMD vector on the
/// managed backend, the single line of a 1-D grid with zero-flux walls by a twisted factorisation on the calling
/// thread). The backward-Euler solve and the stationary solve stay on the host with the sparse matrix, which is
/// assembled on first use only (<see cref="Generator"/>).
/// </para>
/// The solver keeps scratch buffers and is not thread-safe; the landscape is autonomous (time-independent).
/// </summary>
public sealed class FokkerPlanckSolver : IDisposable
{
    private readonly int cellCount;
    private readonly FokkerPlanckRates rates;
    private SparseRowMatrix? generator;
    private FokkerPlanckStepper? stepper;
    private FokkerPlanckAdi? adi;
    private FokkerPlanckOperator? deviceOperator;
    private double maxExplicitStep = double.NaN;
    private bool? isMonotone;

    /// <summary>
    /// A solver for <paramref name="landscape"/> on <paramref name="grid"/> at learning rate η with zero-flux
    /// (<see cref="GridBoundary.Reflecting"/>) or <see cref="GridBoundary.Periodic"/> walls. Requires
    /// <c>D_kk(x) &gt; 0</c> at every cell and face centre along each axis (the Scharfetter–Gummel flux divides by it).
    /// The operator kernels run on <paramref name="device"/> (null: managed on all processors; not disposed here).
    /// </summary>
    /// <exception cref="ArgumentException">Dimensions differ, the boundary is absorbing, D_kk ≤ 0 somewhere, or a face rate is not finite.</exception>
    public FokkerPlanckSolver(
        UniformGrid grid, GridLandscape landscape, double learningRate, FokkerPlanckVariant variant, ComputeDevice? device = null,
        GridBoundary boundary = GridBoundary.Reflecting, FokkerPlanckScheme scheme = FokkerPlanckScheme.Adi)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(landscape);
        if (landscape.Dimension != grid.Dimension)
        {
            throw new ArgumentException($"landscape dimension {landscape.Dimension} differs from grid dimension {grid.Dimension}");
        }

        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), "need a finite learning rate η > 0");
        }

        if (boundary == GridBoundary.Absorbing)
        {
            throw new ArgumentException("the Fokker–Planck solver has zero-flux (reflecting) or periodic walls", nameof(boundary));
        }

        Grid = grid;
        Landscape = landscape;
        LearningRate = learningRate;
        Variant = variant;
        Boundary = boundary;
        Device = device ?? ComputeDevice.Managed();
        cellCount = grid.Count;
        Scheme = scheme;
        rates = FokkerPlanckRates.Compute(grid, landscape, learningRate, variant, boundary, Device.Threads);
        long nonFinite = FirstNonFinite(rates.Forward, rates.Backward);
        if (nonFinite >= 0 || !rates.Mixed.All(double.IsFinite))
        {
            Kernels.Grids.FokkerPlanckKernels.FaceCells(Math.Max(0, nonFinite), rates.Grid, out long row, out _);
            throw new ArgumentException(
                $"the face rates of cell {row} are not finite (the drift η ḡ or the diffusion η Σ/2 overflow a double on this grid): lower the learning rate or the noise");
        }
    }

    /// <summary>The grid.</summary>
    public UniformGrid Grid { get; }

    /// <summary>The landscape (ḡ, Σ).</summary>
    public GridLandscape Landscape { get; }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Which Fokker–Planck equation is solved.</summary>
    public FokkerPlanckVariant Variant { get; }

    /// <summary>Zero-flux (<see cref="GridBoundary.Reflecting"/>) or <see cref="GridBoundary.Periodic"/> walls.</summary>
    public GridBoundary Boundary { get; }

    /// <summary>
    /// True when every off-diagonal entry of the generator A is ≥ 0 (an M-matrix step): backward Euler then maps
    /// non-negative masses to non-negative masses. Always true in 1-D and for diagonal D in 2-D.
    /// </summary>
    public bool IsMonotone => isMonotone ??= Monotone(Generator);

    /// <summary>
    /// How <see cref="Advance(GridDensity, double, double)"/> steps: <see cref="FokkerPlanckScheme.Adi"/> (second order, O(cells)
    /// a step, no assembled matrix) or <see cref="FokkerPlanckScheme.BackwardEuler"/> (first order, on the assembled
    /// generator). May be changed between steps.
    /// </summary>
    public FokkerPlanckScheme Scheme { get; set; }

    /// <summary>
    /// The assembled generator A (host sparse rows; benchmarks and tests), built on first use: backward Euler, the 2-D
    /// stationary solve, <see cref="IsMonotone"/>, <see cref="MaxExplicitStep"/> and <see cref="ApplyGenerator"/> need
    /// it, the ADI scheme and the operator kernels do not.
    /// </summary>
    internal SparseRowMatrix Generator => generator ??= FokkerPlanckGenerator.Assemble(rates);

    /// <summary>Whether the sparse generator has been assembled.</summary>
    internal bool HasGenerator => generator is not null;

    /// <summary>Whether the operator kernels (and their device buffers) have been set up: on first explicit use only.</summary>
    internal bool HasOperator => deviceOperator is not null;

    /// <summary>Where the operator kernels run.</summary>
    public ComputeDevice Device { get; }

    /// <summary>
    /// Largest explicit Euler step, <c>Δt_max = 1 / max_c |A_cc|</c>: for a monotone generator (non-negative
    /// off-diagonal entries, columns summing to 0) <c>I + Δt A</c> is then a column-stochastic matrix, so explicit
    /// steps keep masses non-negative and the L1 norm non-increasing (stable); without monotonicity (mixed term)
    /// positivity is not guaranteed.
    /// </summary>
    public double MaxExplicitStep
    {
        get
        {
            if (double.IsNaN(maxExplicitStep))
            {
                var a = Generator;
                double maxOutflow = 0;
                for (int c = 0; c < cellCount; c++)
                {
                    maxOutflow = Math.Max(maxOutflow, Math.Abs(a.Value[a.Diagonal[c]]));
                }

                maxExplicitStep = maxOutflow > 0 ? 1.0 / maxOutflow : double.PositiveInfinity;
            }

            return maxExplicitStep;
        }
    }

    /// <summary>Relative residual <c>‖b − M m‖₁/‖b‖₁</c> to which the 2-D implicit step is solved (default 1e-12).</summary>
    public double StepTolerance { get; set; } = 1e-12;

    /// <summary>Stored entries of the generator (3 per row in 1-D, 5 or 9 per interior row in 2-D).</summary>
    public int GeneratorNonZeros => Generator.Value.Length;

    /// <summary>
    /// Drift and diffusion at x: <c>ḡ(x)</c> and <c>D(x) = (η/2)Σ(x)</c> (Langevin) or <c>(η/2)(Σ(x) + ḡḡᵀ)</c>
    /// (Discrete), D row-major d × d (the kernels' <see cref="Kernels.Grids.FokkerPlanckKernels.Coefficients{TField}"/>).
    /// </summary>
    public void Coefficients(ReadOnlySpan<double> x, Span<double> drift, Span<double> diffusion)
    {
        double[] values = Landscape.Accept(new CoefficientVisitor(rates.Grid, x[0], Grid.Dimension == 2 ? x[1] : 0));
        int d = Grid.Dimension;
        drift[0] = values[0];
        diffusion[0] = values[2];
        if (d == 2)
        {
            drift[1] = values[1];
            diffusion[1] = values[4];
            diffusion[2] = values[4];
            diffusion[3] = values[3];
        }
    }

    /// <summary>
    /// Advances <paramref name="density"/> from time <paramref name="time"/> to <c>time + dt</c> by one step of
    /// <see cref="Scheme"/> (one SGD step is dt = η). The landscape is autonomous; <paramref name="time"/> only tells
    /// the ADI scheme whether this is its start-up substep (a time below dt/2: two backward-Euler half-substeps
    /// each, see <see cref="FokkerPlanckScheme.Adi"/>).
    /// </summary>
    public void Advance(GridDensity density, double time, double dt) => Advance(density, time, dt, 1);

    /// <summary>Advances <paramref name="steps"/> steps of size dt from time 0 (the ADI start-up included); returns the final time.</summary>
    public double Advance(GridDensity density, double dt, int steps)
    {
        Advance(density, 0, dt, steps);
        return steps * dt;
    }

    /// <summary>
    /// Advances <paramref name="steps"/> steps of <see cref="Scheme"/> of size dt from <paramref name="time"/> (the ADI
    /// scheme's density stays on <see cref="Device"/> for all of them); returns the final time.
    /// </summary>
    public double Advance(GridDensity density, double time, double dt, int steps)
    {
        ArgumentNullException.ThrowIfNull(density);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (!ReferenceEquals(density.Grid, Grid) && density.Grid.Count != cellCount)
        {
            throw new ArgumentException("the density lives on a different grid");
        }

        if (!(dt > 0) || !double.IsFinite(dt) || !double.IsFinite(time))
        {
            throw new ArgumentOutOfRangeException(nameof(dt), "need finite time and dt > 0");
        }

        switch (Scheme)
        {
            case FokkerPlanckScheme.Adi:
                adi ??= new FokkerPlanckAdi(rates, Device);
                adi.Advance(density.Mass, time, dt, steps);
                break;
            case FokkerPlanckScheme.BackwardEuler:
                stepper ??= new FokkerPlanckStepper(rates, Generator);
                for (int k = 0; k < steps; k++)
                {
                    stepper.Step(density.Mass, dt, StepTolerance);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Scheme), Scheme, "unknown Fokker–Planck scheme");
        }

        return time + steps * dt;
    }

    /// <summary>
    /// The stationary law: the null vector of the generator, normalised to mass 1. 1-D: exact (detailed balance with
    /// zero-flux walls, the cyclic closed form on a ring; the tolerance is not used). 2-D: BiCGStab + ILU(0) to a
    /// relative stationarity residual <c>‖A m‖₁ / Σ_c |A_cc| m_c ≤ <paramref name="tolerance"/></c> (see
    /// <see cref="StationarityResidual"/>).
    /// </summary>
    public GridDensity Stationary(double tolerance = 1e-10) => Stationary(tolerance, out _);

    /// <summary><see cref="Stationary(double)"/>, also giving the BiCGStab iterations of the 2-D solve (0 in 1-D: no iteration).</summary>
    public GridDensity Stationary(double tolerance, out int iterations)
    {
        iterations = 0;
        var density = new GridDensity(Grid);
        if (Grid.Dimension == 1)
        {
            if (Boundary == GridBoundary.Periodic)
            {
                FokkerPlanckStationary.Ring(rates, density.Mass);
            }
            else
            {
                FokkerPlanckStationary.DetailedBalance(rates, density.Mass);
            }

            return density;
        }

        if (!(tolerance > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), "need tolerance > 0");
        }

        if (FokkerPlanckStationary.Solve(this, Generator, density, tolerance, out iterations))
        {
            return density;
        }

        throw new GridSolveException(
            $"stationary solve reached relative residual {StationarityResidual(density):G3}, above the tolerance {tolerance:G3}");
    }

    /// <summary>Relative stationarity residual <c>‖A m‖₁ / Σ_c |A_cc| m_c</c> of a density.</summary>
    public double StationarityResidual(GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        var generator = Generator;
        var am = new double[cellCount];
        generator.Multiply(density.Mass, am);
        double net = 0, outflow = 0;
        for (int c = 0; c < cellCount; c++)
        {
            net += Math.Abs(am[c]);
            outflow += Math.Abs(generator.Value[generator.Diagonal[c]]) * Math.Abs(density.Mass[c]);
        }

        return net / outflow;
    }

    /// <summary>
    /// The mean velocity <c>d E[x]/dt</c> of the discrete equation at <paramref name="density"/>, per axis: the net
    /// flows through the faces times the spacing, <c>h_k Σ_{faces ⊥ k} F_f</c> (the kernels' flows). With zero-flux
    /// walls it is the rate of change of the mean; on a ring, that of the unwrapped mean (a stationary ring law has
    /// the same flow J through every face, velocity J·L in 1-D).
    /// </summary>
    public double[] Drift(GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        var g = rates.Grid;
        var forward = new ArrayDoubles(rates.Forward);
        var backward = new ArrayDoubles(rates.Backward);
        var mixed = new ArrayDoubles(rates.Mixed);
        var mass = new ArrayDoubles(density.Mass);
        var velocity = new double[Grid.Dimension];
        double flow0 = 0;
        for (long f = 0; f < g.Faces0; f++)
        {
            long i = f / g.N1;
            flow0 += Kernels.Grids.FokkerPlanckKernels.Flow0(i, f - i * g.N1, g, forward, backward, mixed, mass);
        }

        velocity[0] = g.H0 * flow0;
        if (Grid.Dimension == 2)
        {
            double flow1 = 0;
            for (long f = 0; f < g.Faces - g.Faces0; f++)
            {
                long i = f / g.FacesPerRow1;
                flow1 += Kernels.Grids.FokkerPlanckKernels.Flow1(i, f - i * g.FacesPerRow1, g, forward, backward, mixed, mass);
            }

            velocity[1] = g.H1 * flow1;
        }

        return velocity;
    }

    /// <summary>
    /// dm/dt = A m by the flux-operator kernel on <see cref="Device"/>: per cell the flows through its faces,
    /// <c>(A m)_c = Σ_in F − Σ_out F</c> (equal to <see cref="ApplyGenerator"/> to rounding).
    /// </summary>
    public void ApplyOperator(ReadOnlySpan<double> mass, Span<double> rate) => Operator.Apply(mass, rate);

    /// <summary>
    /// <paramref name="steps"/> explicit Euler steps <c>m ← m + Δt A m</c> with the operator kernel on
    /// <see cref="Device"/> (first order in Δt; columns of A sum to zero, so mass is conserved to rounding); on ILGPU
    /// the density stays on the device for all the steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Δt is not in (0, <see cref="MaxExplicitStep"/>] or steps &lt; 0.</exception>
    public void AdvanceExplicit(GridDensity density, double dt, int steps)
    {
        ArgumentNullException.ThrowIfNull(density);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (!(dt > 0) || dt > MaxExplicitStep)
        {
            throw new ArgumentOutOfRangeException(nameof(dt), $"explicit steps need 0 < dt <= {MaxExplicitStep:G6} (1/max|A_cc|), got {dt}");
        }

        if (density.Grid.Count != cellCount)
        {
            throw new ArgumentException("the density lives on a different grid");
        }

        Operator.Explicit(density.Mass, dt, steps);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        deviceOperator?.Dispose();
        adi?.Dispose();
    }

    /// <summary>dm/dt = A m: the assembled generator (sparse rows, on the host) applied to the cell masses.</summary>
    public void ApplyGenerator(ReadOnlySpan<double> mass, Span<double> rate) => Generator.Multiply(mass, rate);

    /// <summary>Index of the first face whose forward or backward rate is not finite, or −1.</summary>
    private static long FirstNonFinite(double[] forward, double[] backward)
    {
        for (long f = 0; f < forward.Length; f++)
        {
            if (!double.IsFinite(forward[f]) || !double.IsFinite(backward[f]))
            {
                return f;
            }
        }

        return -1;
    }

    /// <summary>Whether every off-diagonal entry of <paramref name="a"/> is ≥ 0.</summary>
    private static bool Monotone(SparseRowMatrix a)
    {
        for (int i = 0; i < a.Size; i++)
        {
            for (int p = a.RowStart[i]; p < a.RowStart[i + 1]; p++)
            {
                if (a.Column[p] != i && a.Value[p] < 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private FokkerPlanckOperator Operator => deviceOperator ??= new FokkerPlanckOperator(rates, cellCount, Device);

    /// <summary>ḡ₀, ḡ₁, D₀₀, D₁₁, D₀₁ at a point by the kernels' coefficient code.</summary>
    private sealed class CoefficientVisitor(Kernels.Grids.FokkerPlanckGrid grid, double x0, double x1) : IGridFieldVisitor<double[]>
    {
        public double[] Visit<TField>(TField field) where TField : struct, Kernels.Landscapes.IGridField
        {
            Kernels.Grids.FokkerPlanckKernels.Coefficients(field, grid, x0, x1, 0, out double g0, out double d00, out double d01);
            Kernels.Grids.FokkerPlanckKernels.Coefficients(field, grid, x0, x1, 1, out double g1, out double d11, out _);
            return [g0, g1, d00, d11, d01];
        }
    }
}
