using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Problems;

namespace SgdDynamics.Grids;

/// <summary>How a stationary law was computed and how well it satisfies its equation.</summary>
/// <param name="Method">The method, in words.</param>
/// <param name="ResidualDefinition">What <see cref="Residual"/> measures.</param>
/// <param name="Residual">
/// Master equation: <c>‖P m − m‖₁ + |Δ lost mass|</c> of the last power step; Fokker–Planck: <c>‖A m‖₁ / Σ_c |A_cc| m_c</c>.
/// </param>
/// <param name="Tolerance">The residual the solve had to reach.</param>
/// <param name="Iterations">Power steps (master equation), BiCGStab iterations (2-D Fokker–Planck) or 0 (1-D Fokker–Planck: exact recurrence).</param>
/// <param name="Converged">Whether <see cref="Residual"/> ≤ <see cref="Tolerance"/>.</param>
/// <param name="SolveSeconds">Wall time of the stationary solve (solver set-up excluded).</param>
/// <param name="Gap">The second eigenvalue and the relaxation time (null when the solve did not converge).</param>
/// <param name="GapSeconds">Wall time of the gap estimate.</param>
/// <param name="ContractionRatio">
/// Master equation: the ratio of the last two power steps' L1 changes, which tends to |λ₂| when λ₂ is real and simple
/// (a cross-check of <see cref="Gap"/>; null for Fokker–Planck or when fewer than two steps were taken).
/// </param>
public sealed record StationaryReport(
    string Method,
    string ResidualDefinition,
    double Residual,
    double Tolerance,
    int Iterations,
    bool Converged,
    double SolveSeconds,
    SpectralGapEstimate? Gap,
    double GapSeconds,
    double? ContractionRatio);

/// <summary>
/// The stationary law of a grid solver computed directly, in place of time stepping (<c>"stationary": true</c>):
/// <list type="bullet">
/// <item>Fokker–Planck: <see cref="FokkerPlanckSolver.Stationary(double, out int)"/> — 1-D the exact recurrence (detailed
/// balance with zero-flux walls, the cyclic closed form on a ring), 2-D BiCGStab + ILU(0) on the generator to the relative
/// residual <c>‖A m‖₁ / Σ_c |A_cc| m_c ≤ </c><see cref="FokkerPlanckTolerance"/>. The law is recorded at step
/// <c>⌈ln(1/tolerance) × relaxation steps⌉</c>, the SGD steps after which time stepping is within the tolerance of it
/// (<c>e^{−|Re λ₂| t}</c> ≤ tolerance), or step 1 when no relaxation time exists.</item>
/// <item>Master equation: Arnoldi on the one-step operator P from the initial density for its dominant eigenvector
/// (eigenvalue 1), then power steps <c>m ← P m</c> until <c>‖P m − m‖₁ + |Δ lost mass| ≤ </c><see cref="MasterEquationTolerance"/>,
/// at most the run's steps of P in all; the law is recorded at the number of steps of P taken.</item>
/// </list>
/// Then the spectral gap (<see cref="SpectralGap"/>). A solve that does not reach its tolerance sets
/// <see cref="GridResult.Failure"/>.
/// </summary>
public static class StationarySolve
{
    /// <summary>Relative stationarity residual of the Fokker–Planck solve.</summary>
    public const double FokkerPlanckTolerance = 1e-10;

    /// <summary>L1 change of one power step at which the master equation's power iteration stops.</summary>
    public const double MasterEquationTolerance = 1e-12;

    /// <summary>Default cap on the master equation's steps of P (Arnoldi and power steps together).</summary>
    public const int DefaultMaxSteps = 100_000;

    /// <summary>Relative Ritz residual of the master equation's Arnoldi phase (then power steps take the L1 residual down).</summary>
    public const double ArnoldiTolerance = 1e-13;

    /// <summary>Most restarts of the master equation's Arnoldi phase.</summary>
    public const int MaxArnoldiRestarts = 10;

    /// <summary>Power steps needed before their last contraction ratio is reported.</summary>
    private const int MinRatioSteps = 10;

    /// <summary>
    /// The stationary law of <paramref name="problem"/> under <paramref name="algorithm"/>: records at step 0 (the initial
    /// density) and at the stationary law, with <see cref="GridResult.Stationary"/> set.
    /// </summary>
    public static GridResult Run(Problem problem, GridAlgorithm algorithm, ComputeDevice? device = null, CancellationToken cancellationToken = default)
    {
        GridRunner.CheckArguments(problem, algorithm);
        var clock = Stopwatch.StartNew();
        UniformGrid grid = algorithm.Grid.ToGrid();
        GridLandscape landscape = GridRunner.Landscape(problem);
        double eta = problem.Dynamics.LearningRate;
        GridDensity initial = GridRunner.InitialDensity(problem, grid);
        GridRecord start = Record(0, eta, initial);
        GridDensity final;
        StationaryReport report;
        int step;
        string described;
        string backend = "managed";
        switch (algorithm)
        {
            case FokkerPlanckAlgorithm fokkerPlanck:
            {
                using var solver = new FokkerPlanckSolver(grid, landscape, eta, fokkerPlanck.Variant, device, fokkerPlanck.Boundary);
                described = $"host CPU ({Environment.ProcessorCount} cores): stationary solve on the host";
                (final, report) = FokkerPlanck(solver, FokkerPlanckTolerance, cancellationToken);
                step = 1;
                if (report.Gap?.RelaxationSteps is { } relaxation && report.Converged)
                {
                    step = (int)Math.Clamp(Math.Ceiling(Math.Log(1 / report.Tolerance) * relaxation), 1, int.MaxValue);
                }

                break;
            }

            case MasterEquationAlgorithm master:
            {
                Action<GridDensity, int> advance;
                IDisposable? owned = null;
                if (landscape.FiniteData is { } finiteData)
                {
                    var solver = new FiniteDataMasterEquationSolver(grid, finiteData(eta).Maps, master.Boundary);
                    advance = (p, steps) => solver.Advance(p, steps);
                    described = "host CPU: the exact push-forward through the minibatch maps";
                }
                else if (landscape.Shape is { } shape)
                {
                    var solver = new ShapedMasterEquationSolver(grid, shape, eta, master.Boundary);
                    advance = (p, steps) => solver.Advance(p, steps);
                    described = "host CPU: the exact one-step kernel of the landscape's non-Gaussian noise";
                }
                else
                {
                    var solver = new MasterEquationSolver(grid, landscape, eta, master.Boundary, master.TruncationSigmas, device);
                    owned = solver;
                    advance = (p, steps) => solver.Advance(p, steps);
                    described = solver.Device.Description;
                    backend = device?.Name ?? "managed";
                }

                using (owned)
                {
                    (final, report) = MasterEquation(initial, advance, eta, MasterEquationTolerance, master.Steps, cancellationToken);
                }

                step = report.Iterations;
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm.GetType().Name, "unknown grid algorithm");
        }

        GridRecord last = Record(step, eta, final);
        string? failure = report.Converged
            ? null
            : $"the stationary solve did not converge: residual {report.Residual:G3} ({report.ResidualDefinition}) above the tolerance {report.Tolerance:G3} after {report.Iterations:N0} iterations";
        GridAlgorithm labelled = algorithm with { Steps = Math.Max(step, 1), Record = new RecordSpec(Math.Max(step, 1)) };
        return new GridResult(problem, labelled, backend, described, grid, step == 0 ? [start] : [start, last], final, clock.Elapsed.TotalSeconds)
        {
            Failure = failure, StepsDone = step, Stationary = report,
        };
    }

    /// <summary>
    /// The Fokker–Planck stationary law (<see cref="FokkerPlanckSolver.Stationary(double, out int)"/>) and its gap; a 2-D
    /// solve that misses the tolerance returns its report with <c>Converged = false</c> and the Gibbs-like start density.
    /// </summary>
    public static (GridDensity Density, StationaryReport Report) FokkerPlanck(FokkerPlanckSolver solver, double tolerance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(solver);
        const string definition = "‖A m‖₁ / Σ|A_cc| m_c";
        string method = solver.Grid.Dimension == 1
            ? solver.Boundary == GridBoundary.Periodic
                ? "exact: the cyclic chain's closed form (constant flow through every face)"
                : "exact: detailed balance across every face (log-space recurrence)"
            : "BiCGStab + ILU(0) on the generator with one row replaced by a normalisation";
        var clock = Stopwatch.StartNew();
        GridDensity density;
        int iterations;
        try
        {
            density = solver.Stationary(tolerance, out iterations);
        }
        catch (GridSolveException e)
        {
            var failed = new GridDensity(solver.Grid);
            Array.Fill(failed.Mass, 1.0 / failed.Mass.Length);
            return (failed, new StationaryReport(method + $" ({e.Message})", definition, solver.StationarityResidual(failed), tolerance, 0, false, clock.Elapsed.TotalSeconds, null, 0, null));
        }

        double solveSeconds = clock.Elapsed.TotalSeconds;
        double residual = solver.StationarityResidual(density);
        bool converged = residual <= tolerance;
        clock.Restart();
        SpectralGapEstimate? gap = converged ? SpectralGap.FokkerPlanck(solver, density, cancellationToken: cancellationToken) : null;
        return (density, new StationaryReport(method, definition, residual, tolerance, iterations, converged, solveSeconds, gap, clock.Elapsed.TotalSeconds, null));
    }

    /// <summary>
    /// The master equation's stationary law with <paramref name="advance"/> (density, steps): Arnoldi on P from
    /// <paramref name="start"/> for its dominant eigenvector (relative Ritz residual <see cref="ArnoldiTolerance"/>, at most
    /// <see cref="MaxArnoldiRestarts"/> restarts, skipped when <paramref name="maxSteps"/> is below two Arnoldi cycles),
    /// normalised to mass 1, then power steps until the L1 change of one step, <c>‖P m − m‖₁ + |Δ lost mass|</c>, is at most
    /// <paramref name="tolerance"/>, with at most <paramref name="maxSteps"/> applications of P in all; then the gap of P.
    /// </summary>
    public static (GridDensity Density, StationaryReport Report) MasterEquation(
        GridDensity start, Action<GridDensity, int> advance, double learningRate, double tolerance, int maxSteps, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(advance);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        var clock = Stopwatch.StartNew();
        GridDensity density = start.Copy();
        int n = density.Mass.Length;
        int steps = 0;
        int arnoldiRestarts = Math.Min(MaxArnoldiRestarts, maxSteps / (2 * SpectralGap.MaxDimension) - 1);
        if (arnoldiRestarts >= 0 && n > 2)
        {
            // Krylov acceleration: the dominant eigenvector of P (eigenvalue 1) from the initial density
            var scratch = new GridDensity(start.Grid);
            void Apply(double[] x, double[] y)
            {
                Array.Copy(x, scratch.Mass, n);
                scratch.LostMass = 0;
                advance(scratch, 1);
                Array.Copy(scratch.Mass, y, n);
            }

            var vector = new double[n];
            Arnoldi.Result ritz = Arnoldi.Dominant(n, Apply, _ => { }, ArnoldiTolerance, arnoldiRestarts, cancellationToken, start.Mass, vector);
            steps = ritz.Applications;
            double total = vector.Sum();
            if (double.IsFinite(total) && total != 0)
            {
                for (int c = 0; c < n; c++)
                {
                    // masses are non-negative: the Ritz vector's rounding-level negatives are dropped
                    density.Mass[c] = Math.Max(0, vector[c] / total);
                }

                density.LostMass = 0;
            }
        }

        int arnoldiSteps = steps;
        var previous = new double[n];
        double change = double.PositiveInfinity, before = double.NaN;
        while (steps < maxSteps)
        {
            if ((steps & 63) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            Array.Copy(density.Mass, previous, n);
            double lost = density.LostMass;
            advance(density, 1);
            steps++;
            before = change;
            change = Math.Abs(density.LostMass - lost);
            for (int c = 0; c < n; c++)
            {
                change += Math.Abs(density.Mass[c] - previous[c]);
            }

            if (change <= tolerance || !double.IsFinite(change))
            {
                break;
            }
        }

        double solveSeconds = clock.Elapsed.TotalSeconds;
        bool converged = change <= tolerance;
        double? ratio = steps - arnoldiSteps >= MinRatioSteps && before > 0 && double.IsFinite(before) ? change / before : null;
        clock.Restart();
        SpectralGapEstimate? gap = converged && density.TotalMass > 0
            ? SpectralGap.MasterEquation(density, p => advance(p, 1), learningRate, cancellationToken: cancellationToken)
            : null;
        string method = arnoldiSteps > 0
            ? $"Arnoldi on P from the initial density (dominant eigenvector, {arnoldiSteps:N0} steps of P), then {steps - arnoldiSteps:N0} power steps m ← P m"
            : "power iteration m ← P m from the initial density";
        return (density, new StationaryReport(
            method, "‖P m − m‖₁ + |Δ lost mass| of the last step", change, tolerance, steps, converged,
            solveSeconds, gap, clock.Elapsed.TotalSeconds, ratio));
    }

    /// <summary>
    /// Memory of a stationary solve beyond the solver's own: the Krylov basis (<see cref="SpectralGap.MaxDimension"/> vectors,
    /// fewer past 1 GiB) and about ten work vectors; a 2-D Fokker–Planck solve adds the pinned generator's values and
    /// ILU(0) factors (9 entries a row each) and BiCGStab's eight vectors.
    /// </summary>
    public static long WorkspaceBytes(GridAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        long n = algorithm.Grid.Count;
        long bytes = 8L * n * (Arnoldi.Dimension(n) + 10);
        if (algorithm is FokkerPlanckAlgorithm && algorithm.Grid.Dimension == 2)
        {
            bytes += 8L * n * (9 + 9 + 8);
        }

        return bytes;
    }

    private static GridRecord Record(int step, double eta, GridDensity density) =>
        new(step, step * eta, density.TotalMass, density.LostMass, density.Mean(), density.Covariance());
}
