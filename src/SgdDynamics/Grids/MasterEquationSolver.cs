using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Result of <see cref="MasterEquationSolver.Stationary"/>: the final density, the number of steps taken, the L1
/// change of the last step (<c>Σ_c |p_{k+1}(c) − p_k(c)| + |ΔLostMass|</c>) and whether it fell below the tolerance.
/// </summary>
public sealed record MasterEquationStationary(GridDensity Density, int Steps, double FinalChange, bool Converged);

/// <summary>
/// Master equation of discrete SGD on a 1-D or 2-D grid,
/// <c>p_{k+1}(y) = E_b ∫ δ(y − x + η g_b(x)) p_k(x) dx</c>, for Gaussian gradient noise (additive and curvature
/// noise): the one-step kernel from x is <c>N(μ(x), C(x))</c> with <c>μ(x) = x − η ḡ(x)</c> and
/// <c>C(x) = η² Σ(x)</c>. Each source cell c (centre x_c, mass m_c) sends <c>m_c w_cj</c> to target cells j and
/// <c>m_c ℓ_c</c> out of an absorbing box, with <c>Σ_j w_cj + ℓ_c = 1</c> to rounding and all <c>w_cj ≥ 0</c>.
/// <para>
/// Kernel weights (1-D and 2-D alike): the Gaussian density sampled at cell centres and normalised over its
/// truncated window. 1-D: <c>w_cj = exp(−z²/2)/Z_c</c>, <c>z = (x_j − μ_c)/s_c</c>, <c>s = η √Σ(x)</c>, over the
/// cells that meet <c>[μ − T s, μ + T s]</c> (T = <see cref="TruncationSigmas"/>). 2-D: <c>C</c> written as the
/// marginal of x₀ times the conditional of x₁, <c>N(μ₀, C₀₀) · N(μ₁ + (C₀₁/C₀₀)(x₀ − μ₀), C₁₁ − C₀₁²/C₀₀)</c>,
/// <c>w ∝ exp(−z₀²/2 − z_c²/2)</c> over the rows that meet <c>μ₀ ± T √C₀₀</c> and, in each row, the columns that meet
/// the conditional mean ± T conditional sd. A normalised lattice-sampled Gaussian has mean μ and covariance C up
/// to terms of order <c>exp(−2π² s²/h²)</c> (Poisson summation, s the (conditional) sd along each axis) and the
/// truncation, of order <c>T e^{−T²/2}</c>: the kernel adds no O(h²) variance. (Earlier versions used exact 1-D
/// cell probabilities Φ differences, which add Sheppard's h²/12 of variance per step; the sampled kernel replaced
/// them so that 1-D and 2-D share one formula and one gather kernel.)
/// </para>
/// <para>
/// Push-forward. When the kernel is not resolved by the grid — 1-D: <c>s &lt; r h</c>; 2-D: either conditional
/// sd (<c>√(det C / C₁₁)</c> along axis 0, <c>√(det C / C₀₀)</c> along axis 1) below r times that axis's spacing,
/// r = <see cref="ResolutionThreshold"/> — the noise is dropped and the mass is pushed to μ with linear
/// (cloud-in-cell) weights on the nearest cell centres: conservative, non-negative and mean-preserving
/// (<c>Σ_j w_j x_j = μ</c> exactly away from the boundary), with a per-step variance of <c>f(1 − f) h²</c> per
/// axis (f the fractional offset of μ between centres).
/// </para>
/// <para>
/// Boundary. <see cref="GridBoundary.Absorbing"/>: the part of a Gaussian window outside the box (with the same
/// normalisation) and the whole mass of a push-forward whose μ lies outside the box are added to
/// <see cref="GridDensity.LostMass"/>, so grid mass + lost mass is conserved to rounding; a push-forward to a point
/// inside the box within half a cell of a face folds the outer weight onto the face cell.
/// <see cref="GridBoundary.Reflecting"/>: out-of-box cells of a window (and of a cloud-in-cell stencil) are
/// mirrored across the faces as often as needed (method of images); μ is first translated by a multiple of the
/// mirror period 2L, which changes nothing. <see cref="GridBoundary.Periodic"/>: the box is a ring (a torus in 2-D),
/// out-of-box cells land on their translates by multiples of L, the jump μ − x is first translated into
/// [−L/2, L/2) (a no-op for smaller jumps); nothing is lost, and <see cref="Drift"/> and the displacement of
/// <see cref="Advance(GridDensity, int, double[])"/> give the mean velocity. Nothing is ever renormalised away.
/// </para>
/// <para>
/// Separable windows (every resolved kernel with a diagonal covariance, <c>C₀₁ = 0</c>, always so in 1-D; additive or
/// curvature noise alike): the 2-D window is the outer product <c>A_c(v₀) B_c(v₁)</c> of two 1-D windows, each
/// normalised to sum one, so <c>Σ_j w_cj + ℓ_c = (Σ A)(Σ B) = 1</c> to rounding. Each 1-D window is a lattice-sampled
/// Gaussian, <c>w_k = w₀ ρ₀ ⋯ ρ_{k−1}</c>, <c>ρ_k = ρ₀ Q^k</c>, <c>Q = exp(−h²/s²)</c>: per source the set-up keeps
/// the start weight, the ratio and Q per axis (6 doubles and 5 ints, plus ℓ under absorbing walls: 68 bytes; three
/// exponentials per axis and O(window) multiplications), and every weight is two multiplications away — no
/// exponential per step. The managed
/// backend caches the whole windows when they fit <c>windowCacheBytes</c> (<see cref="DefaultWindowCacheBytes"/>) and
/// otherwise regenerates each source's two windows when it visits it; the step is a scatter over tiles of targets
/// (bands of rows in 2-D, blocks of cells in 1-D), each visiting the sources that reach it in increasing cell index
/// and adding <c>(m_c A_c(v₀)) B_c(v₁)</c> row by row, vectorised along the columns; in 1-D the cached windows become
/// a block table and the step a gather of eight targets at a time in one register (<see cref="MasterEquationLineBlocks"/>:
/// the same products in the same order, no store in the inner loop). On ILGPU one thread per target
/// sums the same products in the same order (<see cref="MasterEquationKernels.StepWindows"/>), so every thread
/// count, tiling, cache budget and CPU backend gives the same bits. Set-up: O(cells × window per axis); step:
/// <c>Σ_c |A_c| |B_c|</c> products (<see cref="PairsPerStep"/>). Windows wider than
/// <see cref="MasterEquationKernels.MaxSeparableWindow"/> cells per axis or T above
/// <see cref="MasterEquationKernels.MaxSeparableTruncation"/> use the general gather.
/// </para>
/// <para>
/// Row windows (a non-diagonal covariance somewhere): each such source keeps its marginal row window (start, ratio,
/// factor) and, per row, the start and ratio of the conditional column window (a row table of 24 bytes per window
/// row, the factor shared), normalised together like the 2-D window below; the step adds
/// <c>(m_c A_c(v₀)) B_{c,v₀}(v₁)</c> by the same tiles and the same device kernel, with no exponential per step, when
/// the row table fits <see cref="RowTableBytes"/>.
/// </para>
/// <para>
/// General gather (a non-diagonal covariance whose row table is over budget, T above 30 or a window over 4096
/// cells). The step runs as a deterministic gather
/// (<see cref="MasterEquationKernels"/>): a prepare kernel,
/// generic over the landscape struct, tabulates per source cell μ_c, the marginal/conditional parameters, 1/Z_c,
/// ℓ_c and the window rows; the host then bounds, for every target cell (1-D) or every target row and column
/// (2-D), the range of source cells whose stencils reach it (one pass over the windows,
/// <see cref="MasterEquationRanges"/>); each step computes every
/// target as <c>p'_j = Σ_{c ∈ range(j)} m_c w_cj</c> (weights evaluated on the fly, sources in increasing order,
/// all images of j under reflection or on a ring). Cost per step: <c>Σ_j |range(j)|</c> weight evaluations (the
/// window size per target for a monotone map μ(x); a folding map, e.g. a double well at large η, widens the
/// bounding ranges).
/// </para>
/// <para>
/// Both forms add the lost mass as block sums <c>Σ_{c ∈ block} m_c ℓ_c</c> in block order
/// (<see cref="IMasterEquationStepper"/>: on the device the accumulators stay there between records). No atomics:
/// any thread count, the managed backend and ILGPU compute every target by the same formula in the same order (the
/// general gather differs only in the last bits of <c>exp</c> across devices).
/// </para>
/// An instance holds its tables (and device buffers on ILGPU) and is not safe for concurrent use.
/// </summary>
public sealed class MasterEquationSolver : IDisposable
{
    /// <summary>A kernel whose conditional sd along an axis is below this fraction of the spacing is a push-forward.</summary>
    public const double ResolutionThreshold = 0.5;

    /// <summary>
    /// Default budget of the managed window cache, in bytes: separable windows are filled once at set-up when all of
    /// them fit (8 bytes per window cell plus 8 per source), and regenerated by the recurrence at each visit otherwise
    /// (the same numbers).
    /// </summary>
    public const long DefaultWindowCacheBytes = 64L << 20;

    /// <summary>
    /// Budget of the row table of a non-diagonal covariance, in bytes (24 per window row of every source: about 480
    /// bytes a cell at 20 rows, so grids up to about 700² in 2-D): within it every weight is two multiplications away;
    /// beyond it the solver runs the general gather, which evaluates each weight with exp every step.
    /// </summary>
    public const long RowTableBytes = 256L << 20;

    private const long MaxWindowCells = 1L << 26;

    private readonly UniformGrid grid;
    private readonly GridLandscape landscape;
    private readonly MasterGrid geometry;
    private readonly ComputeDevice device;
    private readonly double[]? table;
    private readonly int[]? ranges;
    private readonly MasterWindows? windows;
    private readonly IMasterEquationStepper stepper;
    private double[]? gradient;

    /// <summary>A solver for SGD with learning rate <paramref name="learningRate"/> on <paramref name="landscape"/>.</summary>
    /// <param name="grid">The grid (1-D or 2-D, same dimension as the landscape).</param>
    /// <param name="landscape">Mean gradient ḡ(x) and noise covariance Σ(x).</param>
    /// <param name="learningRate">η &gt; 0.</param>
    /// <param name="boundary">Absorbing (lost mass reported), reflecting or periodic.</param>
    /// <param name="truncationSigmas">T: the Gaussian window spans ± T standard deviations (marginal along axis 0, conditional along axis 1).</param>
    /// <param name="device">Where the kernels run (null: the managed backend on all processors). Not disposed by the solver.</param>
    /// <param name="windowCacheBytes">Managed backend, separable kernels: the most bytes the window cache may take (0: never cache; results do not depend on it).</param>
    /// <exception cref="ArgumentException">Dimensions differ, η or T is not positive and finite, Σ(x) is not finite or not positive semidefinite on the diagonal, μ is not finite under reflecting or periodic walls, or a window exceeds 2²⁶ cells.</exception>
    public MasterEquationSolver(
        UniformGrid grid, GridLandscape landscape, double learningRate, GridBoundary boundary = GridBoundary.Absorbing, double truncationSigmas = 6,
        ComputeDevice? device = null, long windowCacheBytes = DefaultWindowCacheBytes)
        : this(grid, landscape, learningRate, boundary, truncationSigmas, device, windowCacheBytes, separable: true)
    {
    }

    private MasterEquationSolver(
        UniformGrid grid, GridLandscape landscape, double learningRate, GridBoundary boundary, double truncationSigmas,
        ComputeDevice? device, long windowCacheBytes, bool separable)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(landscape);
        if (landscape.Dimension != grid.Dimension)
        {
            throw new ArgumentException($"landscape dimension {landscape.Dimension} differs from grid dimension {grid.Dimension}", nameof(landscape));
        }

        if (landscape.Shape is not null)
        {
            throw new ArgumentException("this solver's one-step kernel is Gaussian, and the landscape's noise is not: use ShapedMasterEquationSolver", nameof(landscape));
        }

        if (!double.IsFinite(learningRate) || learningRate <= 0)
        {
            throw new ArgumentException($"learning rate must be positive and finite (got {learningRate})", nameof(learningRate));
        }

        if (!double.IsFinite(truncationSigmas) || truncationSigmas <= 0)
        {
            throw new ArgumentException($"truncation must be positive and finite (got {truncationSigmas})", nameof(truncationSigmas));
        }

        this.grid = grid;
        this.landscape = landscape;
        this.device = device ?? ComputeDevice.Managed();
        LearningRate = learningRate;
        Boundary = boundary;
        TruncationSigmas = truncationSigmas;
        int d = grid.Dimension;
        geometry = new MasterGrid(
            d, grid.Cells[0], d == 2 ? grid.Cells[1] : 1, boundary.Walls(),
            grid.Lower[0], d == 2 ? grid.Lower[1] : 0, grid.Upper[0], d == 2 ? grid.Upper[1] : 1,
            learningRate, truncationSigmas, ResolutionThreshold, MaxWindowCells);

        windows = separable ? MasterWindows.Build(landscape, geometry, this.device, RowTableBytes) : null;
        if (windows is not null)
        {
            MasterWindows w = windows;
            Validate(c => w.Kind(c));
            if (this.device.IsManaged)
            {
                var managed = new ManagedWindowStepper(windows, this.device.Threads, windowCacheBytes);
                WindowsCached = managed.Cached;
                stepper = managed;
            }
            else
            {
                stepper = new DeviceWindowStepper(this.device, windows);
            }

            return;
        }

        double[] t = this.device.IsManaged
            ? ManagedMasterStepper.Prepare(landscape, geometry, this.device.Threads)
            : DeviceMasterStepper.Prepare(this.device, landscape, geometry);
        table = t;
        Validate(c => (int)t[c * K.Stride + K.Kind]);
        ranges = MasterEquationRanges.Build(geometry, table);
        stepper = this.device.IsManaged
            ? new ManagedMasterStepper(geometry, table, ranges, this.device.Threads)
            : new DeviceMasterStepper(this.device, geometry, table, ranges);
    }

    /// <summary>
    /// True when every resolved kernel has a diagonal covariance (<c>C₀₁ = 0</c>; always in 1-D) and the step uses
    /// separable windows (O(cells × window) set-up, no exponential per step); false for row windows and for the
    /// general gather, which evaluates each weight on the fly.
    /// </summary>
    public bool Separable => windows is { HasRows: false };

    /// <summary>
    /// True when some resolved kernel has a non-diagonal covariance and the step uses row windows (the marginal of
    /// axis 0 times, per row, the conditional window of axis 1, each from a start weight and a ratio: no exponential
    /// per step), because their row table fits <see cref="RowTableBytes"/>; false for separable windows and for the
    /// general gather.
    /// </summary>
    public bool RowWindows => windows is { HasRows: true };

    /// <summary>True when the managed backend keeps the separable windows in its cache (within the budget).</summary>
    public bool WindowsCached { get; }

    /// <summary>
    /// The 1-D block gather's table when the managed backend runs it (cached 1-D windows,
    /// <see cref="MasterEquationLineBlocks"/>); else null.
    /// </summary>
    internal MasterEquationLineBlocks? LineBlocks => (stepper as ManagedWindowStepper)?.LineBlocks;

    /// <summary>
    /// Bytes one step streams from the managed backend's cached tables (with the density read and written): the 1-D
    /// block table or the cached 2-D windows; null where the step regenerates its weights or runs on a device.
    /// </summary>
    public long? StreamedBytesPerStep => (stepper as ManagedWindowStepper)?.StreamedBytesPerStep;

    /// <summary>
    /// A solver that always runs the general gather (every weight evaluated on the fly, as for non-diagonal
    /// covariance), for comparisons with the separable windows.
    /// </summary>
    internal static MasterEquationSolver General(
        UniformGrid grid, GridLandscape landscape, double learningRate, GridBoundary boundary, ComputeDevice? device = null) =>
        new(grid, landscape, learningRate, boundary, 6, device, 0, separable: false);

    /// <summary>
    /// True when the solver would run separable windows on <paramref name="grid"/>: a Gaussian-noise landscape (no
    /// <see cref="GridLandscape.Shape"/> or finite data), T at most <see cref="MasterEquationKernels.MaxSeparableTruncation"/>,
    /// and in 2-D <c>Σ₀₁(x) = 0</c> at every cell centre. One covariance evaluation per cell: for estimates before a run.
    /// </summary>
    public static bool RunsSeparable(GridLandscape landscape, UniformGrid grid, double truncationSigmas = 6)
    {
        ArgumentNullException.ThrowIfNull(landscape);
        ArgumentNullException.ThrowIfNull(grid);
        if (landscape.Shape is not null || landscape.FiniteData is not null || !(truncationSigmas <= K.MaxSeparableTruncation))
        {
            return false;
        }

        if (grid.Dimension == 1)
        {
            return true;
        }

        Span<double> x = stackalloc double[2];
        Span<double> covariance = stackalloc double[4];
        for (int c = 0; c < grid.Count; c++)
        {
            grid.Centre(c, x);
            landscape.NoiseCovariance(x, covariance);
            if (covariance[1] != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Learning rate η.</summary>
    public double LearningRate { get; }

    /// <summary>Boundary handling.</summary>
    public GridBoundary Boundary { get; }

    /// <summary>Truncation T of the Gaussian window in standard deviations.</summary>
    public double TruncationSigmas { get; }

    /// <summary>Where the kernels run.</summary>
    public ComputeDevice Device => device;

    /// <summary>
    /// The work of one step: for separable windows the window products <c>Σ_c |rows_c| |columns_c|</c>; for the
    /// general gather the weight evaluations <c>Σ_j |range(j)|</c> (1-D) or <c>Σ_{(r,q)} |rows(r)| |columns(q)|</c> (2-D).
    /// </summary>
    public long PairsPerStep => windows is not null ? windows.Products() : MasterEquationRanges.Pairs(geometry, ranges!);

    /// <summary>
    /// One SGD step of the whole density, in place: <c>p ← K p</c>, with the mass that leaves an absorbing box
    /// (<c>Σ_c m_c ℓ_c</c>) added to <see cref="GridDensity.LostMass"/>.
    /// </summary>
    public void Step(GridDensity density) => Advance(density, 1);

    /// <summary>
    /// <paramref name="steps"/> steps of <see cref="Step"/>; on ILGPU the density and the accumulators stay on the
    /// device for all of them (one copy each way per call). With <paramref name="displacement"/> (one entry per
    /// dimension) each step also adds <c>−η Σ_c p_k(c) ḡ(x_c)</c> to it, the expected displacement of that step
    /// from the density before it (<see cref="Drift"/> times η, summed in the same block order on every backend): on a
    /// periodic grid, <c>E[x_k − x_0]</c> of the unwrapped motion.
    /// </summary>
    public void Advance(GridDensity density, int steps, double[]? displacement = null)
    {
        CheckGrid(density);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (displacement is not null && displacement.Length != grid.Dimension)
        {
            throw new ArgumentException($"the displacement needs {grid.Dimension} entries (got {displacement.Length})", nameof(displacement));
        }

        if (steps == 0)
        {
            return;
        }

        stepper.Advance(density, steps, displacement is null ? null : Gradient(), displacement);
    }

    /// <summary>
    /// The expected drift of one step per unit time (t = kη): <c>−Σ_c p_c ḡ(x_c)</c>, the mean gradient under the grid
    /// mass (not normalised by it), one entry per dimension; η times it is the mean displacement of the next step.
    /// Block sums in the order of <see cref="Advance(GridDensity, int, double[])"/>.
    /// </summary>
    public double[] Drift(GridDensity density)
    {
        CheckGrid(density);
        double[] g = Gradient();
        int d = grid.Dimension;
        int count = grid.Count;
        int blocks = (count + K.SumBlock - 1) / K.SumBlock;
        var sums = new double[blocks];
        var drift = new double[d];
        for (int axis = 0; axis < d; axis++)
        {
            for (int block = 0; block < blocks; block++)
            {
                sums[block] = K.WeightedBlockSum(block, count, new ArrayDoubles(g), d, axis, new ArrayDoubles(density.Mass));
            }

            drift[axis] = -K.BlockTotal(new ArrayDoubles(sums), blocks);
        }

        return drift;
    }

    /// <summary>
    /// Iterates a copy of <paramref name="start"/> until the L1 change of one step,
    /// <c>Σ_c |p_{k+1}(c) − p_k(c)| + |ΔLostMass|</c>, is below <paramref name="tolerance"/>, or for
    /// <paramref name="maxSteps"/> steps; reports the steps taken and the last change.
    /// </summary>
    public MasterEquationStationary Stationary(GridDensity start, double tolerance, int maxSteps)
    {
        CheckGrid(start);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        var density = new GridDensity(grid) { LostMass = start.LostMass };
        Array.Copy(start.Mass, density.Mass, grid.Count);
        var previous = new double[grid.Count];
        double change = double.PositiveInfinity;
        for (int step = 1; step <= maxSteps; step++)
        {
            Array.Copy(density.Mass, previous, grid.Count);
            double lostBefore = density.LostMass;
            Step(density);
            change = Math.Abs(density.LostMass - lostBefore);
            for (int c = 0; c < previous.Length; c++)
            {
                change += Math.Abs(density.Mass[c] - previous[c]);
            }

            if (change < tolerance)
            {
                return new MasterEquationStationary(density, step, change, true);
            }
        }

        return new MasterEquationStationary(density, maxSteps, change, false);
    }

    /// <inheritdoc/>
    public void Dispose() => stepper.Dispose();

    /// <summary>ḡ at the cell centres, d per cell (from the landscape struct, on the host; built on first use).</summary>
    private double[] Gradient()
    {
        if (gradient is null)
        {
            int d = grid.Dimension;
            var values = new double[grid.Count * d];
            Span<double> x = stackalloc double[d];
            for (int c = 0; c < grid.Count; c++)
            {
                grid.Centre(c, x);
                landscape.MeanGradient(x, values.AsSpan(c * d, d));
            }

            gradient = values;
        }

        return gradient;
    }

    private void CheckGrid(GridDensity density)
    {
        ArgumentNullException.ThrowIfNull(density);
        var other = density.Grid;
        if (!ReferenceEquals(other, grid)
            && (!other.Cells.SequenceEqual(grid.Cells) || !other.Lower.SequenceEqual(grid.Lower) || !other.Upper.SequenceEqual(grid.Upper)))
        {
            throw new ArgumentException("the density lives on a different grid", nameof(density));
        }
    }

    private void Validate(Func<int, int> kind)
    {
        for (int c = 0; c < grid.Count; c++)
        {
            switch (kind(c))
            {
                case K.KindNegativeVariance:
                    throw new ArgumentException($"noise covariance has a negative (or non-finite) variance at cell {c}");
                case K.KindNonFiniteMean:
                    throw new ArgumentException($"the kernel mean of cell {c} is not finite");
                case K.KindTooWide:
                    throw new ArgumentException(
                        $"the kernel window of cell {c} (± truncationSigmas × η × the noise standard deviation) spans {MaxWindowCells} cells or more; " +
                        "lower the learning rate, the noise or truncationSigmas, or coarsen the grid");
            }
        }
    }
}
