using SgdDynamics.Grids;

namespace SgdDynamics.Problems;

/// <summary>
/// Recording schedule: statistics at step 0, every <see cref="Every"/> steps, and at the last step;
/// <see cref="Tails"/> also keeps the final states to estimate tail indices (Hill) and quantiles (ensembles only).
/// </summary>
public sealed record RecordSpec
{
    /// <summary>A schedule recording every <paramref name="every"/> ≥ 1 steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="every"/> is below 1.</exception>
    public RecordSpec(int every, bool tails = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        Every = every;
        Tails = tails;
    }

    /// <summary>Steps between records.</summary>
    public int Every { get; }

    /// <summary>Keep the final states for tail estimates.</summary>
    public bool Tails { get; }

    /// <summary>The recorded steps for a run of <paramref name="steps"/> steps: 0, every, 2·every, …, and steps.</summary>
    public IReadOnlyList<int> Steps(int steps)
    {
        var list = new List<int>();
        for (int k = 0; k < steps; k += Every)
        {
            list.Add(k);
        }

        list.Add(steps);
        return list;
    }
}

/// <summary>
/// How a <see cref="Problem"/> is solved: the run length, the recording schedule and the method with its own parameters
/// (docs/architecture.md, "Data flow"). <see cref="EnsembleAlgorithm"/> runs trajectories; <see cref="MasterEquationAlgorithm"/>
/// and <see cref="FokkerPlanckAlgorithm"/> evolve a density on a grid. The same problem can be handed to each.
/// </summary>
public abstract record Algorithm
{
    /// <summary>An algorithm running <paramref name="steps"/> ≥ 1 SGD steps, recording by <paramref name="record"/> (null: start and end only).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is below 1.</exception>
    protected Algorithm(int steps, RecordSpec? record)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        Steps = steps;
        Record = record ?? new RecordSpec(steps);
    }

    /// <summary>Number of SGD steps k (time t = kη).</summary>
    public int Steps { get; init; }

    /// <summary>The recording schedule.</summary>
    public RecordSpec Record { get; init; }

    /// <summary>Recorded steps, ascending, starting at 0 and ending at <see cref="Steps"/>.</summary>
    public IReadOnlyList<int> RecordSteps => Record.Steps(Steps);

    /// <summary>The scenario name of the solver (<c>ensemble</c>, <c>masterEquation</c>, <c>fokkerPlanck</c>).</summary>
    public abstract string TypeName { get; }
}

/// <summary>
/// Monte Carlo: <see cref="Trajectories"/> independent SGD trajectories from one Philox <see cref="Seed"/>; a trajectory
/// whose largest |x_i| exceeds <see cref="DivergenceThreshold"/> (or turns NaN) is marked diverged and leaves the moments.
/// With a <see cref="Histogram"/> grid the final states are also binned on it.
/// </summary>
public sealed record EnsembleAlgorithm : Algorithm
{
    /// <summary>Default divergence threshold on max_i |x_i|.</summary>
    public const double DefaultDivergenceThreshold = 1e12;

    /// <summary>An ensemble of <paramref name="trajectories"/> ≥ 1 run for <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range or the threshold is not positive.</exception>
    public EnsembleAlgorithm(
        long trajectories,
        int steps,
        uint seed,
        RecordSpec? record = null,
        double divergenceThreshold = DefaultDivergenceThreshold,
        GridSpec? histogram = null)
        : base(steps, record)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trajectories, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trajectories, Limits.MaxTrajectories);
        if (!(divergenceThreshold > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(divergenceThreshold), divergenceThreshold, "must be > 0");
        }

        Trajectories = trajectories;
        Seed = seed;
        DivergenceThreshold = divergenceThreshold;
        Histogram = histogram;
    }

    /// <summary>Ensemble size.</summary>
    public long Trajectories { get; init; }

    /// <summary>The Philox seed; trajectory i draws from the stream (seed, i) whatever the device or split.</summary>
    public uint Seed { get; init; }

    /// <summary>Largest allowed max_i |x_i| before a trajectory counts as diverged.</summary>
    public double DivergenceThreshold { get; init; }

    /// <summary>A grid on which to bin the final states (null: no histogram).</summary>
    public GridSpec? Histogram { get; init; }

    /// <summary>Directions along which moments are also recorded (null: none); see <see cref="Ensembles.ProjectionSpec"/>.</summary>
    public Ensembles.ProjectionSpec? Projection { get; init; }

    /// <summary>
    /// Record the full covariance of the state (all pairs Σ x_i x_j, i ≤ j) also above <see cref="Limits.MaxDimension"/>, up
    /// to <see cref="Limits.MaxStateDimension"/>: d(d+1)/2 + 3d exact sums of 136 bytes a record and a buffer (d = 386:
    /// 10 MiB; d = 4096: 1.1 GiB), summed on the host in the canonical tile order. Up to <see cref="Limits.MaxDimension"/>
    /// the covariance is always recorded and this changes nothing.
    /// </summary>
    public bool FullCovariance { get; init; }

    /// <inheritdoc/>
    public override string TypeName => "ensemble";
}

/// <summary>A density on a <see cref="Grid"/> with its <see cref="Boundary"/> handling: the master equation or a Fokker–Planck equation.</summary>
public abstract record GridAlgorithm : Algorithm
{
    /// <summary>A grid solver on <paramref name="grid"/> for <paramref name="steps"/> SGD steps.</summary>
    protected GridAlgorithm(GridSpec grid, int steps, RecordSpec? record, GridBoundary boundary)
        : base(steps, record)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (record is { Tails: true })
        {
            throw new ArgumentException("tail estimates need trajectories (an ensemble)", nameof(record));
        }

        Grid = grid;
        Boundary = boundary;
    }

    /// <summary>The grid.</summary>
    public GridSpec Grid { get; init; }

    /// <summary>What happens to mass at the walls.</summary>
    public GridBoundary Boundary { get; init; }

    /// <summary>
    /// Compute the stationary law directly instead of time stepping (<see cref="StationarySolve"/>): the master equation by
    /// power iteration for at most <see cref="Algorithm.Steps"/> steps, the Fokker–Planck equation by its exact 1-D
    /// recurrence or a 2-D Krylov solve (its <see cref="Algorithm.Steps"/> are not used); then the spectral gap.
    /// </summary>
    public bool Stationary { get; init; }
}

/// <summary>
/// The master equation of discrete SGD on a grid (<see cref="MasterEquationSolver"/>): the exact one-step kernel, truncated
/// at <see cref="TruncationSigmas"/> standard deviations of the step's noise.
/// </summary>
public sealed record MasterEquationAlgorithm : GridAlgorithm
{
    /// <summary>Default master-equation truncation T.</summary>
    public const double DefaultTruncationSigmas = 6;

    /// <summary>The widest truncation accepted: beyond about 38.6 standard deviations exp(−z²/2) is below the smallest double.</summary>
    public const double MaxTruncationSigmas = 40;

    /// <summary>The master equation on <paramref name="grid"/> (absorbing walls unless <paramref name="boundary"/> says otherwise).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="truncationSigmas"/> is not positive.</exception>
    public MasterEquationAlgorithm(
        GridSpec grid,
        int steps,
        RecordSpec? record = null,
        GridBoundary boundary = GridBoundary.Absorbing,
        double truncationSigmas = DefaultTruncationSigmas)
        : base(grid, steps, record, boundary)
    {
        if (!(truncationSigmas > 0 && truncationSigmas <= MaxTruncationSigmas))
        {
            throw new ArgumentOutOfRangeException(nameof(truncationSigmas), truncationSigmas, $"must be > 0 and at most {MaxTruncationSigmas}");
        }

        TruncationSigmas = truncationSigmas;
    }

    /// <summary>Kernel window in standard deviations.</summary>
    public double TruncationSigmas { get; init; }

    /// <inheritdoc/>
    public override string TypeName => "masterEquation";
}

/// <summary>
/// A Fokker–Planck equation on a grid (<see cref="FokkerPlanckSolver"/>), Langevin or discrete <see cref="Variant"/>, with
/// zero-flux (reflecting) or periodic walls, stepped by <see cref="Scheme"/>: <see cref="Substeps"/> steps per SGD step
/// (Δt = η/substeps). The ADI scheme (default) is second order in time, its error O((η/substeps)²), mostly from its
/// backward-Euler start-up; <see cref="DefaultSubsteps"/> = 2 keeps the time error of the mean and covariance of the
/// 2-D example quadratic (η = 0.2, 256², T = 5) at 5e-5, below the grid's own error (5e-4). Backward Euler is first
/// order, its time error O(η/substeps); its default, <see cref="DefaultBackwardEulerSubsteps"/>, keeps it a quarter of
/// the O(η) gap between the variants. Stationary laws carry no time error.
/// </summary>
public sealed record FokkerPlanckAlgorithm : GridAlgorithm
{
    /// <summary>Default substeps per SGD step of the (default) ADI scheme.</summary>
    public const int DefaultSubsteps = 2;

    /// <summary>Default substeps per SGD step of backward Euler.</summary>
    public const int DefaultBackwardEulerSubsteps = 4;

    /// <summary>The <paramref name="variant"/> Fokker–Planck equation on <paramref name="grid"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="boundary"/> is absorbing (the scheme conserves mass).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="substeps"/> is below 1, or the scheme is unknown.</exception>
    public FokkerPlanckAlgorithm(
        GridSpec grid,
        int steps,
        FokkerPlanckVariant variant,
        RecordSpec? record = null,
        GridBoundary boundary = GridBoundary.Reflecting,
        int? substeps = null,
        FokkerPlanckScheme scheme = FokkerPlanckScheme.Adi)
        : base(grid, steps, record, boundary)
    {
        if (boundary == GridBoundary.Absorbing)
        {
            throw new ArgumentException("the Fokker–Planck solver has zero-flux (reflecting) or periodic walls", nameof(boundary));
        }

        int chosen = substeps ?? DefaultSubstepsFor(scheme);
        ArgumentOutOfRangeException.ThrowIfLessThan(chosen, 1, nameof(substeps));
        Variant = variant;
        Substeps = chosen;
        Scheme = scheme;
    }

    /// <summary>The default substeps of <paramref name="scheme"/>.</summary>
    public static int DefaultSubstepsFor(FokkerPlanckScheme scheme) => scheme switch
    {
        FokkerPlanckScheme.Adi => DefaultSubsteps,
        FokkerPlanckScheme.BackwardEuler => DefaultBackwardEulerSubsteps,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "unknown Fokker–Planck scheme"),
    };

    /// <summary>Langevin (Σ only) or discrete (Σ + g gᵀ) diffusion.</summary>
    public FokkerPlanckVariant Variant { get; init; }

    /// <summary>Time steps of <see cref="Scheme"/> per SGD step.</summary>
    public int Substeps { get; init; }

    /// <summary>How the equation is stepped in time: ADI (second order, the default) or backward Euler (first order).</summary>
    public FokkerPlanckScheme Scheme { get; init; }

    /// <inheritdoc/>
    public override string TypeName => "fokkerPlanck";
}
