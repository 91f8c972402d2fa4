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
/// <b>Boundary.</b> Every boundary face has zero flux (reflecting walls), so the columns of A sum to zero and no mass
/// leaves: <see cref="GridDensity.LostMass"/> is left unchanged (it stays what it was, typically 0). Results on a
/// truncated box are those of the reflected process; the box must hold the density's tails.
/// </para>
/// <para>
/// <b>Time stepping.</b> Backward Euler <c>(I − Δt A) m_new = m_old</c>, unconditionally stable and first order in Δt.
/// In 1-D the system is tridiagonal and solved exactly by the Thomas algorithm; as <c>I − Δt A</c> is then an M-matrix
/// every elimination step combines non-negative numbers, so masses stay ≥ 0 in floating point. In 2-D it is solved by
/// BiCGStab with an ILU(0) preconditioner to a relative residual <see cref="StepTolerance"/> (masses then stay
/// ≥ −StepTolerance·‖m‖₁ when A is monotone). Columns of <c>I − Δt A</c> sum to one, so the exact solution keeps the total
/// mass; the computed one differs by at most the solve residual, and each step rescales by
/// <c>Σ m_old / Σ m_new</c> (a factor 1 ± residual) so that mass is conserved to rounding.
/// </para>
/// <para>
/// <b>Stationary law.</b> In 1-D the null vector of A is computed exactly (no linear solve) by detailed balance across
/// every face, <c>m_{i+1}/m_i = e^{−z} D_i / D_{i+1}</c>, accumulated in logarithms. In 2-D it is the solution of
/// <c>A m = 0</c>, <c>Σ m = 1</c> by BiCGStab + ILU(0) on A with one row replaced by a normalisation, to a relative
/// stationarity residual <c>‖A m‖₁ / Σ_c |A_cc| m_c ≤ tolerance</c> (the net probability flow against the total
/// outflow rate).
/// </para>
/// <para>
/// <b>Kernels.</b> The flux operator <c>m ↦ A m</c> also runs as a gather kernel on a <see cref="GridDevice"/>
/// (<see cref="Kernels.Grids.FokkerPlanckKernels"/>: face rates computed once by a kernel specialised for the landscape
/// struct, then one thread per cell): <see cref="ApplyOperator"/> and the explicit Euler steps of
/// <see cref="AdvanceExplicit"/> use it, on the managed backend and ILGPU alike. Its rates use the kernel's portable
/// exponential, so it equals the assembled generator (<see cref="ApplyGenerator"/>) to rounding. The implicit
/// (backward Euler) solve and the stationary solve stay on the host with the assembled sparse matrix.
/// </para>
/// The solver keeps scratch buffers and is not thread-safe; the landscape is autonomous (time-independent).
/// </summary>
public sealed class FokkerPlanckSolver : IDisposable
{
    private readonly int _n;
    private readonly double[] _cellDiffusionDiagonal0;
    private readonly double[] _faceZ0;
    private readonly double[] _forward1D = [];
    private readonly double[] _backward1D = [];
    private readonly double[] _scratchC = [];
    private readonly double[] _scratchD = [];
    private readonly SparseRowMatrix _generator;
    private SparseRowMatrix? _stepMatrix;
    private double[]? _stepFactors;
    private double _stepDt = double.NaN;
    private readonly FokkerPlanckOperator _operator;

    /// <summary>
    /// A solver for <paramref name="landscape"/> on <paramref name="grid"/> at learning rate η. Requires
    /// <c>D_kk(x) &gt; 0</c> at every cell and face centre along each axis (the Scharfetter–Gummel flux divides by it).
    /// The operator kernels run on <paramref name="device"/> (null: managed on all processors; not disposed here).
    /// </summary>
    public FokkerPlanckSolver(UniformGrid grid, GridLandscape landscape, double learningRate, FokkerPlanckVariant variant, GridDevice? device = null)
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

        Grid = grid;
        Landscape = landscape;
        LearningRate = learningRate;
        Variant = variant;
        _n = grid.Count;
        (_generator, _cellDiffusionDiagonal0, _faceZ0) = Assemble();
        if (grid.Dimension == 1)
        {
            _forward1D = new double[_n - 1];
            _backward1D = new double[_n - 1];
            for (int f = 0; f < _n - 1; f++)
            {
                // Generator entries: A[f+1, f] = forward rate, A[f, f+1] = backward rate.
                _forward1D[f] = Entry(f + 1, f);
                _backward1D[f] = Entry(f, f + 1);
            }

            _scratchC = new double[_n];
            _scratchD = new double[_n];
        }

        Device = device ?? GridDevice.Managed();
        _operator = new FokkerPlanckOperator(grid, landscape, learningRate, variant, Device);
        double maxOutflow = 0;
        for (int c = 0; c < _n; c++)
        {
            maxOutflow = Math.Max(maxOutflow, Math.Abs(_generator.Value[_generator.Diagonal[c]]));
        }

        MaxExplicitStep = maxOutflow > 0 ? 1.0 / maxOutflow : double.PositiveInfinity;
        IsMonotone = true;
        for (int i = 0; i < _n; i++)
        {
            for (int p = _generator.RowStart[i]; p < _generator.RowStart[i + 1]; p++)
            {
                if (_generator.Column[p] != i && _generator.Value[p] < 0)
                {
                    IsMonotone = false;
                }
            }
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

    /// <summary>
    /// True when every off-diagonal entry of the generator A is ≥ 0 (an M-matrix step): backward Euler then maps
    /// non-negative masses to non-negative masses. Always true in 1-D and for diagonal D in 2-D.
    /// </summary>
    public bool IsMonotone { get; }

    /// <summary>The assembled generator A (host sparse rows; benchmarks and tests).</summary>
    internal SparseRowMatrix Generator => _generator;

    /// <summary>Where the operator kernels run.</summary>
    public GridDevice Device { get; }

    /// <summary>
    /// Largest explicit Euler step, <c>Δt_max = 1 / max_c |A_cc|</c>: for a monotone generator (non-negative
    /// off-diagonal entries, columns summing to 0) <c>I + Δt A</c> is then a column-stochastic matrix, so explicit
    /// steps keep masses non-negative and the L1 norm non-increasing (stable); without monotonicity (mixed term)
    /// positivity is not guaranteed.
    /// </summary>
    public double MaxExplicitStep { get; }

    /// <summary>Relative residual <c>‖b − M m‖₁/‖b‖₁</c> to which the 2-D implicit step is solved (default 1e-12).</summary>
    public double StepTolerance { get; set; } = 1e-12;

    /// <summary>Stored entries of the generator (3 per row in 1-D, 5 or 9 per interior row in 2-D).</summary>
    public int GeneratorNonZeros => _generator.Value.Length;

    /// <summary>
    /// Drift and diffusion at x: <c>ḡ(x)</c> and <c>D(x) = (η/2)Σ(x)</c> (Langevin) or <c>(η/2)(Σ(x) + ḡḡᵀ)</c>
    /// (Discrete), D row-major d × d.
    /// </summary>
    public void Coefficients(ReadOnlySpan<double> x, Span<double> drift, Span<double> diffusion)
    {
        int d = Grid.Dimension;
        Landscape.MeanGradient(x, drift);
        Landscape.NoiseCovariance(x, diffusion);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double value = diffusion[i * d + j];
                if (Variant == FokkerPlanckVariant.Discrete)
                {
                    value += drift[i] * drift[j];
                }

                diffusion[i * d + j] = 0.5 * LearningRate * value;
            }
        }
    }

    /// <summary>
    /// Advances <paramref name="density"/> from time <paramref name="time"/> to <c>time + dt</c> by one backward Euler
    /// step (one SGD step is dt = η). The landscape is autonomous, so <paramref name="time"/> only labels the step.
    /// </summary>
    public void Advance(GridDensity density, double time, double dt)
    {
        ArgumentNullException.ThrowIfNull(density);
        if (!ReferenceEquals(density.Grid, Grid) && density.Grid.Count != _n)
        {
            throw new ArgumentException("the density lives on a different grid");
        }

        if (!(dt > 0) || !double.IsFinite(dt) || !double.IsFinite(time))
        {
            throw new ArgumentOutOfRangeException(nameof(dt), "need finite time and dt > 0");
        }

        double[] m = density.Mass;
        double before = Sum(m);
        if (Grid.Dimension == 1)
        {
            SolveTridiagonal(m, dt);
        }
        else
        {
            if (_stepMatrix is null || _stepDt != dt)
            {
                _stepMatrix = _generator.ScaledPlusIdentity(1.0, -dt);
                _stepFactors = _stepMatrix.IncompleteLu();
                _stepDt = dt;
            }

            var rhs = (double[])m.Clone();
            _stepMatrix.SolveBiCgStab(_stepFactors!, rhs, m, StepTolerance, 10_000);
        }

        double after = Sum(m);
        if (after > 0 && before > 0)
        {
            double scale = before / after;
            for (int c = 0; c < _n; c++)
            {
                m[c] *= scale;
            }
        }
    }

    /// <summary>Advances <paramref name="steps"/> backward Euler steps of size dt from time 0; returns the final time.</summary>
    public double Advance(GridDensity density, double dt, int steps)
    {
        double time = 0;
        for (int k = 0; k < steps; k++)
        {
            Advance(density, time, dt);
            time += dt;
        }

        return time;
    }

    /// <summary>
    /// The stationary law: the null vector of the generator, normalised to mass 1. 1-D: exact detailed-balance
    /// recurrence (the tolerance is not used). 2-D: BiCGStab + ILU(0) to a relative stationarity residual
    /// <c>‖A m‖₁ / Σ_c |A_cc| m_c ≤ <paramref name="tolerance"/></c> (see <see cref="StationarityResidual"/>).
    /// </summary>
    public GridDensity Stationary(double tolerance = 1e-10)
    {
        var density = new GridDensity(Grid);
        double[] m = density.Mass;
        if (Grid.Dimension == 1)
        {
            // log m_{i+1} − log m_i = −z_{i+½} + log D_i − log D_{i+1}
            var log = new double[_n];
            for (int i = 0; i + 1 < _n; i++)
            {
                log[i + 1] = log[i] - _faceZ0[i] + Math.Log(_cellDiffusionDiagonal0[i]) - Math.Log(_cellDiffusionDiagonal0[i + 1]);
            }

            double max = log.Max();
            for (int i = 0; i < _n; i++)
            {
                m[i] = Math.Exp(log[i] - max);
            }

            Normalise(m);
            return density;
        }

        if (!(tolerance > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), "need tolerance > 0");
        }

        // Pin the cell of lowest loss: B = −A with row r replaced by e_r; B m = e_r.
        Span<double> x = stackalloc double[2];
        int pinned = 0;
        double lowest = double.PositiveInfinity;
        var loss = new double[_n];
        for (int c = 0; c < _n; c++)
        {
            Grid.Centre(c, x);
            loss[c] = Landscape.Loss(x);
            if (loss[c] < lowest)
            {
                lowest = loss[c];
                pinned = c;
            }
        }

        var b = _generator.ScaledPlusIdentity(0.0, -1.0);
        for (int p = b.RowStart[pinned]; p < b.RowStart[pinned + 1]; p++)
        {
            b.Value[p] = b.Column[p] == pinned ? 1.0 : 0.0;
        }

        // Start from the Gibbs-like guess exp(−(L − L_min)/T), T = tr D(x_r)/d.
        Span<double> drift = stackalloc double[2];
        Span<double> diffusion = stackalloc double[4];
        Grid.Centre(pinned, x);
        Coefficients(x, drift, diffusion);
        double temperature = 0.5 * (diffusion[0] + diffusion[3]);
        for (int c = 0; c < _n; c++)
        {
            m[c] = Math.Exp(-Math.Min(700, (loss[c] - lowest) / temperature));
        }

        var rhs = new double[_n];
        rhs[pinned] = 1.0;
        double[] factors = b.IncompleteLu();
        double solveTolerance = 0.1 * tolerance;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            // With m_r = 1 the right-hand side has norm 1 while the stationarity residual is measured against the
            // outflow Σ|A_cc| m_c: scale the solve tolerance by it.
            double scale = m[pinned];
            double outflow = 0;
            for (int c = 0; c < _n; c++)
            {
                m[c] /= scale;
                outflow += Math.Abs(_generator.Value[_generator.Diagonal[c]]) * Math.Abs(m[c]);
            }

            b.SolveBiCgStab(factors, rhs, m, solveTolerance * outflow, 20_000);
            Normalise(m);
            if (StationarityResidual(density) <= tolerance)
            {
                return density;
            }

            solveTolerance *= 1e-2;
        }

        throw new InvalidOperationException(
            $"stationary solve reached relative residual {StationarityResidual(density):G3}, above the tolerance {tolerance:G3}");
    }

    /// <summary>Relative stationarity residual <c>‖A m‖₁ / Σ_c |A_cc| m_c</c> of a density.</summary>
    public double StationarityResidual(GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        var am = new double[_n];
        _generator.Multiply(density.Mass, am);
        double net = 0, outflow = 0;
        for (int c = 0; c < _n; c++)
        {
            net += Math.Abs(am[c]);
            outflow += Math.Abs(_generator.Value[_generator.Diagonal[c]]) * Math.Abs(density.Mass[c]);
        }

        return net / outflow;
    }

    /// <summary>
    /// dm/dt = A m by the flux-operator kernel on <see cref="Device"/>: per cell the flows through its faces,
    /// <c>(A m)_c = Σ_in F − Σ_out F</c> (equal to <see cref="ApplyGenerator"/> to rounding).
    /// </summary>
    public void ApplyOperator(ReadOnlySpan<double> mass, Span<double> rate) => _operator.Apply(mass, rate);

    /// <summary>
    /// <paramref name="steps"/> explicit Euler steps <c>m ← m + Δt A m</c> with the operator kernel on
    /// <see cref="Device"/> (first order in Δt; columns of A sum to zero, so mass is conserved to rounding).
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

        if (density.Grid.Count != _n)
        {
            throw new ArgumentException("the density lives on a different grid");
        }

        _operator.Explicit(density.Mass, dt, steps);
    }

    /// <inheritdoc/>
    public void Dispose() => _operator.Dispose();

    /// <summary>dm/dt = A m: the assembled generator (sparse rows, on the host) applied to the cell masses.</summary>
    public void ApplyGenerator(ReadOnlySpan<double> mass, Span<double> rate) => _generator.Multiply(mass, rate);

    /// <summary>Bernoulli function <c>B(z) = z / (e^z − 1)</c>, B(0) = 1, by its series for |z| &lt; 10⁻².</summary>
    public static double Bernoulli(double z)
    {
        if (Math.Abs(z) < 1e-2)
        {
            double z2 = z * z;
            return 1 - 0.5 * z + z2 / 12 - z2 * z2 / 720;
        }

        if (z > 700)
        {
            return z * Math.Exp(-z);
        }

        return z / (Math.Exp(z) - 1);
    }

    private double Entry(int row, int column)
    {
        for (int p = _generator.RowStart[row]; p < _generator.RowStart[row + 1]; p++)
        {
            if (_generator.Column[p] == column)
            {
                return _generator.Value[p];
            }
        }

        return 0;
    }

    /// <summary>Thomas algorithm for (I − dt A) x = m in place; A tridiagonal from the face rates.</summary>
    private void SolveTridiagonal(double[] m, double dt)
    {
        // Row i: −dt·fwd[i−1] x_{i−1} + (1 + dt(fwd[i] + bwd[i−1])) x_i − dt·bwd[i] x_{i+1} = m_i
        double[] c = _scratchC;
        double[] d = _scratchD;
        double diag0 = 1 + dt * _forward1D[0];
        c[0] = -dt * _backward1D[0] / diag0;
        d[0] = m[0] / diag0;
        for (int i = 1; i < _n; i++)
        {
            double lower = -dt * _forward1D[i - 1];
            double diag = 1 + dt * ((i < _n - 1 ? _forward1D[i] : 0) + _backward1D[i - 1]);
            double pivot = diag - lower * c[i - 1];
            c[i] = i < _n - 1 ? -dt * _backward1D[i] / pivot : 0;
            d[i] = (m[i] - lower * d[i - 1]) / pivot;
        }

        m[_n - 1] = d[_n - 1];
        for (int i = _n - 2; i >= 0; i--)
        {
            m[i] = d[i] - c[i] * m[i + 1];
        }
    }

    /// <summary>
    /// Builds the generator A (dm/dt = A m) from the face fluxes; returns it with D_00 at the cell centres and the
    /// Scharfetter–Gummel z on the axis-0 faces (used by the 1-D stationary recurrence).
    /// </summary>
    private (SparseRowMatrix Generator, double[] CellD00, double[] FaceZ0) Assemble()
    {
        int dim = Grid.Dimension;
        int n0 = Grid.Cells[0];
        int n1 = dim == 2 ? Grid.Cells[1] : 1;
        const int Slots = 9;
        var slots = new double[_n * Slots];
        var cellD = new double[_n * dim * dim];
        Span<double> x = stackalloc double[dim];
        Span<double> drift = stackalloc double[dim];
        Span<double> diffusion = stackalloc double[dim * dim];
        for (int c = 0; c < _n; c++)
        {
            Grid.Centre(c, x);
            Coefficients(x, drift, diffusion);
            diffusion.CopyTo(cellD.AsSpan(c * dim * dim, dim * dim));
        }

        // Adds rate·m_source to dm_target/dt (target, source within one 3×3 block).
        void Add(int ti, int tj, int si, int sj, double rate) =>
            slots[(ti * n1 + tj) * Slots + (si - ti + 1) * 3 + (sj - tj + 1)] += rate;

        var faceZ0 = new double[dim == 1 ? n0 - 1 : 0];
        bool hasMixed = false;
        for (int axis = 0; axis < dim; axis++)
        {
            double h = Grid.Spacing[axis];
            int count0 = axis == 0 ? n0 - 1 : n0;
            int count1 = axis == 1 ? n1 - 1 : n1;
            for (int i = 0; i < count0; i++)
            {
                for (int j = 0; j < count1; j++)
                {
                    int ri = axis == 0 ? i + 1 : i;
                    int rj = axis == 1 ? j + 1 : j;
                    x[0] = axis == 0 ? Grid.Lower[0] + (i + 1) * h : Grid.Centre(0, i);
                    if (dim == 2)
                    {
                        x[1] = axis == 1 ? Grid.Lower[1] + (j + 1) * h : Grid.Centre(1, j);
                    }

                    Coefficients(x, drift, diffusion);
                    double dFace = diffusion[axis * dim + axis];
                    int left = i * n1 + j;
                    int right = ri * n1 + rj;
                    double dLeft = cellD[left * dim * dim + axis * dim + axis];
                    double dRight = cellD[right * dim * dim + axis * dim + axis];
                    if (!(dFace > 0) || !(dLeft > 0) || !(dRight > 0))
                    {
                        throw new ArgumentException(
                            $"the diffusion D_{axis}{axis} must be > 0 on the grid (found {Math.Min(dFace, Math.Min(dLeft, dRight)):G3} near x = {x[0]:G4})");
                    }

                    double z = h * drift[axis] / dFace;
                    if (dim == 1)
                    {
                        faceZ0[i] = z;
                    }

                    // Mass flow left → right: F = forward·m_left − backward·m_right.
                    double forward = Bernoulli(z) * dLeft / (h * h);
                    double backward = Bernoulli(-z) * dRight / (h * h);
                    Add(i, j, i, j, -forward);
                    Add(ri, rj, i, j, forward);
                    Add(i, j, ri, rj, backward);
                    Add(ri, rj, ri, rj, -backward);
                }
            }
        }

        if (dim == 2)
        {
            double scale = 1.0 / (4 * Grid.Spacing[0] * Grid.Spacing[1]);
            double Dxy(int i, int j) => cellD[(i * n1 + j) * 4 + 1];

            // x-faces (i+½, j): F = −[q(i,j+1) + q(i+1,j+1) − q(i,j−1) − q(i+1,j−1)]/(4 h_x h_y), q = D_xy m.
            for (int i = 0; i < n0 - 1; i++)
            {
                for (int j = 0; j < n1; j++)
                {
                    int up = Math.Min(j + 1, n1 - 1);
                    int down = Math.Max(j - 1, 0);
                    foreach (var (si, sj, sign) in new[] { (i, up, 1.0), (i + 1, up, 1.0), (i, down, -1.0), (i + 1, down, -1.0) })
                    {
                        double rate = -sign * scale * Dxy(si, sj);
                        if (rate != 0)
                        {
                            hasMixed = true;
                            Add(i, j, si, sj, -rate);
                            Add(i + 1, j, si, sj, rate);
                        }
                    }
                }
            }

            // y-faces (i, j+½): F = −[q(i+1,j) + q(i+1,j+1) − q(i−1,j) − q(i−1,j+1)]/(4 h_x h_y).
            for (int i = 0; i < n0; i++)
            {
                for (int j = 0; j < n1 - 1; j++)
                {
                    int up = Math.Min(i + 1, n0 - 1);
                    int down = Math.Max(i - 1, 0);
                    foreach (var (si, sj, sign) in new[] { (up, j, 1.0), (up, j + 1, 1.0), (down, j, -1.0), (down, j + 1, -1.0) })
                    {
                        double rate = -sign * scale * Dxy(si, sj);
                        if (rate != 0)
                        {
                            hasMixed = true;
                            Add(i, j, si, sj, -rate);
                            Add(i, j + 1, si, sj, rate);
                        }
                    }
                }
            }
        }

        // Compress: 3-point (1-D), 5-point or 9-point (2-D with a mixed term) rows, columns ascending.
        var rowStart = new int[_n + 1];
        var columns = new List<int>(_n * (hasMixed ? 9 : 5));
        var values = new List<double>(_n * (hasMixed ? 9 : 5));
        var cellD00 = new double[_n];
        for (int i = 0; i < n0; i++)
        {
            for (int j = 0; j < n1; j++)
            {
                int row = i * n1 + j;
                cellD00[row] = cellD[row * dim * dim];
                for (int di = -1; di <= 1; di++)
                {
                    for (int dj = -1; dj <= 1; dj++)
                    {
                        int si = i + di, sj = j + dj;
                        bool corner = di != 0 && dj != 0;
                        if (si < 0 || si >= n0 || sj < 0 || sj >= n1 || (corner && !hasMixed))
                        {
                            continue;
                        }

                        columns.Add(si * n1 + sj);
                        values.Add(slots[row * Slots + (di + 1) * 3 + (dj + 1)]);
                    }
                }

                rowStart[row + 1] = columns.Count;
            }
        }

        return (new SparseRowMatrix(rowStart, columns.ToArray(), values.ToArray()), cellD00, faceZ0);
    }

    private static double Sum(double[] values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static void Normalise(double[] m)
    {
        double total = Sum(m);
        for (int i = 0; i < m.Length; i++)
        {
            m[i] /= total;
        }
    }
}
