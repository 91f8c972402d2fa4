using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;

namespace SgdDynamics.Ensembles;

/// <summary>
/// A <see cref="Problem"/> and its <see cref="EnsembleAlgorithm"/> in the form the ensemble kernels take: the initial law as float32 parameters with the shape
/// of its factor, the divergence bound, the seed and the recording schedule. The landscape and update-rule kernel
/// structs come from <see cref="ModelRegistry"/> through <see cref="Bind{TP, TResult}"/>, which a backend calls once per
/// run with its own parameter storage. Trajectory states are float32; every statistic is accumulated in double and
/// exact fixed point.
/// </summary>
public sealed class EnsembleModel
{
    private EnsembleModel(Problem problem, EnsembleAlgorithm algorithm)
    {
        Problem = problem;
        Dimension = problem.Dimension;
        InitialMean = KernelMatrix.Floats(problem.Initial.Mean);
        InitialFactor = KernelMatrix.RowMajor(problem.Initial.Factor);
        InitialShape = KernelMatrix.ShapeOf(problem.Initial.Factor);
        DivergenceBound = (float)algorithm.DivergenceThreshold;
        Seed = algorithm.Seed;
        RecordSteps = algorithm.RecordSteps.ToArray();
        Plan = algorithm.FullCovariance ? StatisticsPlan.FullPairs : Limits.StatisticsPlanFor(Dimension);
        HostStateSums = Plan == StatisticsPlan.FullPairs && Dimension > Limits.MaxDimension;
        Projection = algorithm.Projection;
    }

    private EnsembleModel(EnsembleModel model, int records)
    {
        Problem = model.Problem;
        Dimension = model.Dimension;
        InitialMean = model.InitialMean;
        InitialFactor = model.InitialFactor;
        InitialShape = model.InitialShape;
        DivergenceBound = model.DivergenceBound;
        Seed = model.Seed;
        RecordSteps = model.RecordSteps[..records];
        Plan = StatisticsPlan.Coordinates;
        HostStateSums = false;
        Projection = null;
    }

    /// <summary>
    /// The same trajectories stopped after the first <paramref name="records"/> records (steps 0 to
    /// <c>RecordSteps[records − 1]</c>), with coordinate statistics and no projections: a backend's final states of this
    /// model are the states of the full run at that record, bit for bit, because the random numbers of a trajectory are keyed
    /// by (seed, trajectory, step) and divergence is checked at the same records.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="records"/> is not between 1 and the number of records.</exception>
    public EnsembleModel Through(int records)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(records, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(records, RecordSteps.Length);
        return new EnsembleModel(this, records);
    }

    /// <summary>
    /// True when the state's statistics are summed on the host from the tile's states (<see cref="TileMoments"/>): the full
    /// covariance above <see cref="Limits.MaxDimension"/> (<see cref="EnsembleAlgorithm.FullCovariance"/>). The backends'
    /// own reductions then compute only the counts.
    /// </summary>
    internal bool HostStateSums { get; }

    /// <summary>The second moments of the projections (<see cref="ProjectionSpec.Plan"/>; coordinates when there are none).</summary>
    public StatisticsPlan ProjectionPlan => Projection?.Plan ?? StatisticsPlan.Coordinates;

    /// <summary>Directions along which moments are also recorded, or null.</summary>
    public ProjectionSpec? Projection { get; }

    /// <summary>Number K of projections recorded (0: none).</summary>
    public int ProjectionCount => Projection?.Count ?? 0;

    /// <summary>The problem this model was made from.</summary>
    public Problem Problem { get; }

    /// <summary>Dimension d.</summary>
    public int Dimension { get; }

    /// <summary>Initial mean.</summary>
    public float[] InitialMean { get; }

    /// <summary>Initial covariance factor, row-major.</summary>
    public float[] InitialFactor { get; }

    /// <summary><see cref="MatrixShape"/> of the initial factor (zero for a point start).</summary>
    public int InitialShape { get; }

    /// <summary>Divergence threshold on |x_i|.</summary>
    public float DivergenceBound { get; }

    /// <summary>Philox key word 0.</summary>
    public uint Seed { get; }

    /// <summary>Recorded steps (0 first, the last step last).</summary>
    public int[] RecordSteps { get; }

    /// <summary>
    /// The statistics recorded: full pairs up to <see cref="Limits.MaxDimension"/> or with
    /// <see cref="EnsembleAlgorithm.FullCovariance"/>, coordinates only above.
    /// </summary>
    public StatisticsPlan Plan { get; }

    /// <summary>Statistics per record (see <see cref="TileLayout.Statistics(int, StatisticsPlan)"/>).</summary>
    public int StatisticCount => TileLayout.StatisticCount(Dimension, Plan);

    /// <summary>Converts a validated problem and the ensemble that solves it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dimension is outside 1 … <see cref="Limits.MaxStateDimension"/>.</exception>
    public static EnsembleModel From(Problem problem, EnsembleAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (problem.Dimension < 1 || problem.Dimension > Limits.MaxStateDimension)
        {
            throw new ArgumentOutOfRangeException(nameof(problem), $"dimension must be between 1 and {Limits.MaxStateDimension} (got {problem.Dimension})");
        }

        if (algorithm.Projection is { } projection && projection.Dimension != problem.Dimension)
        {
            throw new ArgumentException($"the projection directions have {projection.Dimension} coordinates, the problem {problem.Dimension}", nameof(algorithm));
        }

        if (!ModelRegistry.Runs(ModelRegistry.For(problem.Landscape), ModelRegistry.For(problem.Dynamics)))
        {
            throw new ArgumentException(ModelRegistry.For(problem.Landscape).SdeModelRefusal, nameof(problem));
        }

        if (SdeSchemeCheck.Refusal(problem.Landscape, problem.Dynamics) is { } refusal)
        {
            throw new ArgumentException(refusal, nameof(problem));
        }

        return new(problem, algorithm);
    }

    /// <summary>The initial law with its parameters in <paramref name="store"/>.</summary>
    public GaussianStart<TP> Start<TP>(IParameterStore<TP> store) where TP : struct, IParameters
    {
        ArgumentNullException.ThrowIfNull(store);
        return new GaussianStart<TP>(Dimension, InitialShape, store.Store(InitialMean), store.Store(InitialFactor));
    }

    /// <summary>
    /// Builds the landscape struct (parameters in <paramref name="store"/>) and the update-rule struct of the problem and
    /// hands both to <paramref name="visitor"/> (<see cref="ModelRegistry.Bind{TP, TResult}"/>).
    /// </summary>
    public TResult Bind<TP, TResult>(IParameterStore<TP> store, IEnsembleKernelVisitor<TResult> visitor) where TP : struct, IParameters =>
        ModelRegistry.Bind(Problem.Landscape, Problem.Dynamics, store, visitor);
}
