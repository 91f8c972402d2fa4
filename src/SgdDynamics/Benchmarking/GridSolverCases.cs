using SgdDynamics.Backends;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Benchmarking;

/// <summary>Which equation a timed grid solver solves (it decides the workload it runs).</summary>
public enum GridSolverFamily
{
    /// <summary>The master equation of discrete SGD (<see cref="MasterEquationSolver"/>).</summary>
    MasterEquation,

    /// <summary>The Langevin Fokker–Planck equation (<see cref="FokkerPlanckSolver"/>) by one time-stepping scheme.</summary>
    FokkerPlanck,
}

/// <summary>A grid solver set up on one workload, ready to be timed: it advances a density by whole SGD steps.</summary>
public interface IGridStepper : IDisposable
{
    /// <summary>Solver steps per SGD step: 1 for the master equation, the sub-steps of a Fokker–Planck scheme (Δt = η / sub-steps).</summary>
    int Substeps { get; }

    /// <summary>
    /// Advances <paramref name="density"/> by <paramref name="steps"/> solver steps (time <c>steps · η / </c><see cref="Substeps"/>;
    /// whole SGD steps are multiples of <see cref="Substeps"/>).
    /// </summary>
    void Step(GridDensity density, int steps);

    /// <summary>
    /// Bytes one solver step streams from the tables it caches (with the density), when the solver keeps such tables
    /// and their size is known: the pace of a step is then at most the memory bandwidth over this. Null otherwise.
    /// </summary>
    long? StreamedBytesPerStep => null;
}

/// <summary>
/// One problem a grid benchmark runs: grid, landscape and learning rate.
/// </summary>
/// <param name="Name">e.g. <c>me-2d-256</c>.</param>
/// <param name="Grid">The grid.</param>
/// <param name="Landscape">ḡ and Σ.</param>
/// <param name="LearningRate">η (one SGD step is a time η).</param>
public sealed record GridWorkload(string Name, UniformGrid Grid, GridLandscape Landscape, double LearningRate)
{
    /// <summary>
    /// The master-equation workload of <paramref name="cells"/> cells per axis: 1-D the quadratic λ = 1, σ² = 1 on
    /// [−4, 4], η = 0.01 (at 8192 cells h ≈ 9.8e-4 and the ±6σ window spans about 123 cells); 2-D the ring valley
    /// λ = 1, σ² = 1 on [−2, 2]² with η = 0.025 · 256 / cells (the window spans about 19 cells per axis at every size:
    /// η = 0.025 at 256², 0.00625 at 1024²). Reflecting walls.
    /// </summary>
    public static GridWorkload Master(int dimension, int cells) => dimension switch
    {
        1 => new($"me-1d-{cells}", new UniformGrid([-4.0], [4.0], [cells]), Quadratic1D, 0.01),
        2 => new($"me-2d-{cells}", new UniformGrid([-2.0, -2.0], [2.0, 2.0], [cells, cells]), GridLandscape.RingValley(1, 1), 0.025 * 256 / cells),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "grid workloads are 1-D or 2-D"),
    };

    /// <summary>
    /// The Fokker–Planck workload of <paramref name="cells"/> cells per axis: 1-D the quadratic λ = 1, σ² = 1 on
    /// [−4, 4], η = 0.01; 2-D the ring valley λ = 1, σ² = 1 on [−2, 2]², η = 0.1 (Langevin, reflecting walls).
    /// </summary>
    public static GridWorkload FokkerPlanck(int dimension, int cells) => dimension switch
    {
        1 => new($"fp-1d-{cells}", new UniformGrid([-4.0], [4.0], [cells]), Quadratic1D, 0.01),
        2 => new($"fp-2d-{cells}", new UniformGrid([-2.0, -2.0], [2.0, 2.0], [cells, cells]), GridLandscape.RingValley(1, 1), 0.1),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "grid workloads are 1-D or 2-D"),
    };

    /// <summary>The workload of <paramref name="family"/>.</summary>
    public static GridWorkload For(GridSolverFamily family, int dimension, int cells) => family switch
    {
        GridSolverFamily.MasterEquation => Master(dimension, cells),
        GridSolverFamily.FokkerPlanck => FokkerPlanck(dimension, cells),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown solver family"),
    };

    /// <summary>The 1-D quadratic ḡ = x, Σ = 1.</summary>
    public static GridLandscape Quadratic1D => GridLandscape.Wrap(new QuadraticField(1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0));

    /// <summary>The start density: N(0.3, 0.2) in 1-D, N((0.8, 0.1), 0.1 I) in 2-D (sampled at cell centres, normalised).</summary>
    public GridDensity Start() => Grid.Dimension == 1
        ? GridDensity.Gaussian(Grid, [0.3], new[,] { { 0.2 } })
        : GridDensity.Gaussian(Grid, [0.8, 0.1], new[,] { { 0.1, 0.0 }, { 0.0, 0.1 } });
}

/// <summary>
/// A grid solver as the benchmarks time it (<c>sgdyn bench --grid</c>, the BenchmarkDotNet <c>GridBenchmarks</c>): a
/// name, what it is, its family (the workload it runs), the fewest bytes one cell-update must move through memory
/// (<see cref="MinBytesPerCellUpdate"/>, by dimension: the yardstick against the machine's bandwidth), and how to set it
/// up on a workload with a device and a number of sub-steps per SGD step (0: the scheme's default).
/// </summary>
/// <param name="Name">Short name used on the command line and in the JSON, e.g. <c>fp-be</c>.</param>
/// <param name="Description">One line for tables and plots.</param>
/// <param name="Family">Master equation or Fokker–Planck.</param>
/// <param name="MinBytesPerCellUpdate">Bytes a cell-update moves at least, by dimension (1 or 2).</param>
/// <param name="BytesNote">What <paramref name="MinBytesPerCellUpdate"/> counts.</param>
/// <param name="Open">Sets the solver up (the timed set-up) on a workload, a device and a sub-step count (0: the default).</param>
public sealed record GridSolverCase(
    string Name,
    string Description,
    GridSolverFamily Family,
    Func<int, int> MinBytesPerCellUpdate,
    string BytesNote,
    Func<GridWorkload, ComputeDevice, int, IGridStepper> Open);

/// <summary>
/// The grid solvers the benchmarks time, by name. To add a Fokker–Planck time-stepping scheme, add one
/// <see cref="FokkerPlanckCase"/> entry to <see cref="All"/> with the solver it needs and its step, e.g. a scheme
/// chosen by a constructor argument: <c>FokkerPlanckCase("fp-adi", "Fokker–Planck, ADI", d =&gt; …,
/// "…", (w, device) =&gt; new FokkerPlanckSolver(…, scheme), (s, p, dt, n) =&gt; s.Advance(p, dt, n))</c>; it then
/// appears in the throughput table, in the accuracy study (error against compute time on the 2-D
/// Ornstein–Uhlenbeck problem) and in the BenchmarkDotNet cases, with no other change.
/// </summary>
public static class GridSolverCases
{
    /// <summary>The master equation: one gather step per SGD step.</summary>
    public static GridSolverCase Master { get; } = new(
        "me",
        "master equation (gather)",
        GridSolverFamily.MasterEquation,
        _ => 16,
        "the density read once and written once (8 + 8 B); the kernel weights are recomputed or cached per step",
        (workload, device, substeps) =>
        {
            if (substeps > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(substeps), substeps, "the master equation takes exactly one step per SGD step");
            }

            return new MasterStepper(new MasterEquationSolver(workload.Grid, workload.Landscape, workload.LearningRate, GridBoundary.Reflecting, device: device));
        });

    /// <summary>Backward Euler (Thomas in 1-D, BiCGStab + ILU(0) in 2-D), one step of Δt = η per SGD step by default.</summary>
    public static GridSolverCase BackwardEuler { get; } = FokkerPlanckCase(
        "fp-be",
        "Fokker–Planck, backward Euler",
        d => d == 1 ? 48 : 136,
        "1-D: the mass in and out, the two face rates and the Thomas scratch written and read back (8 + 8 + 16 + 16 B); "
            + "2-D: one sweep of the 5-point matrix and of its ILU(0) factors (2 × 5 × (8 + 4) B) and the mass in and out "
            + "(a BiCGStab iteration moves more than twice that, and a step takes several)",
        (workload, device) => new FokkerPlanckSolver(
            workload.Grid, workload.Landscape, workload.LearningRate, FokkerPlanckVariant.Langevin, device, scheme: FokkerPlanckScheme.BackwardEuler),
        (solver, density, dt, count) => solver.Advance(density, dt, count));

    /// <summary>
    /// The modified Craig–Sneyd ADI scheme (tridiagonal line solves along each axis, the mixed term explicit), from time 0
    /// with its backward-Euler start-up, <see cref="Problems.FokkerPlanckAlgorithm.DefaultSubsteps"/> sub-steps per SGD step by default.
    /// </summary>
    public static GridSolverCase Adi { get; } = FokkerPlanckCase(
        "fp-adi",
        "Fokker–Planck, ADI (Craig–Sneyd)",
        d => d == 1 ? 32 : 56,
        "a lower bound: the mass in and out (8 + 8 B), the face rates once (16 B a face: one a cell in 1-D, two in 2-D) and "
            + "the 2-D mixed coefficient (8 B); the stage vectors and the four line solves of a 2-D sub-step move several times that",
        (workload, device) => new FokkerPlanckSolver(
            workload.Grid, workload.Landscape, workload.LearningRate, FokkerPlanckVariant.Langevin, device, scheme: FokkerPlanckScheme.Adi),
        (solver, density, dt, count) => solver.Advance(density, dt, count),
        defaultSubsteps: Problems.FokkerPlanckAlgorithm.DefaultSubsteps);

    /// <summary>Explicit Euler steps of the flux-operator kernel at Δt = 0.9 Δt_max (as many per SGD step as stability needs).</summary>
    public static GridSolverCase Explicit { get; } = FokkerPlanckCase(
        "fp-explicit",
        "Fokker–Planck, explicit flux operator",
        d => d == 1 ? 32 : 56,
        "the mass in and out (8 + 8 B) and the face rates, forward and backward (16 B a face: one face a cell in 1-D, two in 2-D, "
            + "and the 2-D mixed coefficient, 8 B)",
        (workload, device) => new FokkerPlanckSolver(workload.Grid, workload.Landscape, workload.LearningRate, FokkerPlanckVariant.Langevin, device),
        (solver, density, dt, count) => solver.AdvanceExplicit(density, dt, count),
        (solver, eta) => (int)Math.Ceiling(eta / (0.9 * solver.MaxExplicitStep)));

    /// <summary>Every timed solver, in table order.</summary>
    public static IReadOnlyList<GridSolverCase> All { get; } = [Master, Adi, BackwardEuler, Explicit];

    /// <summary>The Fokker–Planck schemes (the accuracy study's curves).</summary>
    public static IEnumerable<GridSolverCase> FokkerPlanckSchemes => All.Where(c => c.Family == GridSolverFamily.FokkerPlanck);

    /// <summary>The case named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No case has that name.</exception>
    public static GridSolverCase Find(string name) =>
        All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"no grid solver '{name}' (known: {string.Join(", ", All.Select(c => c.Name))})", nameof(name));

    /// <summary>
    /// A Fokker–Planck time-stepping scheme: <paramref name="create"/> builds the solver (timed as set-up),
    /// <paramref name="step"/> advances a density by a number of steps of size Δt, and <paramref name="minSubsteps"/>
    /// (null: 1) gives the fewest sub-steps per SGD step of learning rate η the scheme can take (stability). A request of
    /// 0 sub-steps takes <paramref name="defaultSubsteps"/> (the scheme's default in scenarios), or the minimum where that
    /// is larger; fewer than the minimum is refused.
    /// </summary>
    public static GridSolverCase FokkerPlanckCase(
        string name,
        string description,
        Func<int, int> minBytesPerCellUpdate,
        string bytesNote,
        Func<GridWorkload, ComputeDevice, FokkerPlanckSolver> create,
        Action<FokkerPlanckSolver, GridDensity, double, int> step,
        Func<FokkerPlanckSolver, double, int>? minSubsteps = null,
        int defaultSubsteps = 1) =>
        new(name, description, GridSolverFamily.FokkerPlanck, minBytesPerCellUpdate, bytesNote, (workload, device, substeps) =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(substeps);
            FokkerPlanckSolver solver = create(workload, device);
            int least = Math.Max(1, minSubsteps?.Invoke(solver, workload.LearningRate) ?? 1);
            if (substeps != 0 && substeps < least)
            {
                solver.Dispose();
                throw new ArgumentOutOfRangeException(nameof(substeps), substeps, $"{name} needs at least {least} sub-steps per SGD step on {workload.Name}");
            }

            return new FokkerPlanckStepper(solver, step, substeps == 0 ? Math.Max(least, defaultSubsteps) : substeps);
        });

    private sealed class MasterStepper(MasterEquationSolver solver) : IGridStepper
    {
        public int Substeps => 1;

        public void Step(GridDensity density, int steps) => solver.Advance(density, steps);

        public long? StreamedBytesPerStep => solver.StreamedBytesPerStep;

        public void Dispose() => solver.Dispose();
    }

    private sealed class FokkerPlanckStepper(FokkerPlanckSolver solver, Action<FokkerPlanckSolver, GridDensity, double, int> step, int substeps) : IGridStepper
    {
        public int Substeps => substeps;

        public void Step(GridDensity density, int steps) => step(solver, density, solver.LearningRate / substeps, steps);

        public void Dispose() => solver.Dispose();
    }
}
