using System.Diagnostics;
using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// <c>--stationary [filter]</c>: wall time to a grid solver's stationary law computed directly
/// (<see cref="StationarySolve"/>) against time stepping to the same residual, side by side on the same solver object:
/// Fokker–Planck backward Euler at Δt = η/4 (a run's default substeps) until <c>‖A m‖₁ / Σ|A_cc| m_c</c> reaches the
/// tolerance (checked every step), the master equation's plain power iteration (<see cref="MasterEquationSolver.Stationary"/>)
/// until <c>‖P m − m‖₁</c> does. The spectral gap estimate is timed separately. Best of <c>repeats</c> (default 2).
/// </summary>
public static class StationaryBenchmarks
{
    /// <summary>Runs the cases whose name contains the filter (all when absent).</summary>
    public static void Run(string[] args)
    {
        string filter = args.Length > 0 ? args[0] : "";
        int repeats = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2;
        double[,] hessian = { { 1, 0.3 }, { 0.3, 0.5 } };
        double[,] identity = { { 1, 0 }, { 0, 1 } };
        var quadratic1 = GridLandscape.From(ProblemBuilder.Quadratic(new[,] { { 1.0 } }, new[,] { { 1.0 } }, 0.2, [0.0]).Quadratic);
        var quadratic2 = GridLandscape.From(ProblemBuilder.Quadratic(hessian, identity, 0.2, [0.0, 0.0]).Quadratic);
        if ("fp-1d-4096".Contains(filter, StringComparison.Ordinal))
        {
            FokkerPlanck("fp-1d-4096", new UniformGrid([-4.0], [4.0], [4096]), quadratic1, [1.5], repeats);
        }

        if ("fp-2d-256".Contains(filter, StringComparison.Ordinal))
        {
            FokkerPlanck("fp-2d-256", new UniformGrid([-4.0, -4.0], [4.0, 4.0], [256, 256]), quadratic2, [1.5, -1], repeats);
        }

        if ("me-1d-1000".Contains(filter, StringComparison.Ordinal))
        {
            MasterEquation("me-1d-1000", new UniformGrid([-4.0], [4.0], [1000]), quadratic1, [1.5], repeats);
        }

        if ("me-2d-128".Contains(filter, StringComparison.Ordinal))
        {
            // Σ = 0.1 I: the kernel's sd ησ ≈ h, a window of ±6 cells a side (Σ = I would take ±19: 9× the work a step)
            var narrow = GridLandscape.From(ProblemBuilder.Quadratic(hessian, new[,] { { 0.1, 0 }, { 0, 0.1 } }, 0.2, [0.0, 0.0]).Quadratic);
            MasterEquation("me-2d-128", new UniformGrid([-4.0, -4.0], [4.0, 4.0], [128, 128]), narrow, [1.5, -1], repeats);
        }
    }

    private static void FokkerPlanck(string name, UniformGrid grid, GridLandscape landscape, double[] start, int repeats)
    {
        const double eta = 0.2, tolerance = StationarySolve.FokkerPlanckTolerance;
        var clock = Stopwatch.StartNew();
        using var solver = new FokkerPlanckSolver(grid, landscape, eta, FokkerPlanckVariant.Discrete);
        double setup = clock.Elapsed.TotalSeconds;
        double direct = double.PositiveInfinity, stepping = double.PositiveInfinity;
        StationaryReport? report = null;
        int steps = 0;
        double steppedResidual = double.NaN;
        for (int r = 0; r < repeats; r++)
        {
            clock.Restart();
            var (_, solved) = StationarySolve.FokkerPlanck(solver, tolerance);
            direct = Math.Min(direct, solved.SolveSeconds);
            report = solved;

            GridDensity density = GridRunner.InitialDensity(ProblemBuilder.Quadratic(new double[grid.Dimension, grid.Dimension], new double[grid.Dimension, grid.Dimension], eta, start, initialCovariance: Diagonal(grid.Dimension, 0.1)), grid);
            clock.Restart();
            double dt = eta / FokkerPlanckAlgorithm.DefaultSubsteps;
            steps = 0;
            do
            {
                solver.Advance(density, steps * dt, dt);
                steps++;
                steppedResidual = solver.StationarityResidual(density);
            }
            while (steppedResidual > tolerance && steps < 200_000);

            stepping = Math.Min(stepping, clock.Elapsed.TotalSeconds);
        }

        Console.WriteLine(
            $"{name}: set-up {setup:F2} s; direct {direct * 1e3:F2} ms ({report!.Iterations} iterations, residual {report.Residual:G3}) vs backward Euler Δt = η/4: " +
            $"{stepping * 1e3:F1} ms ({steps:N0} steps to residual {steppedResidual:G3}): {stepping / direct:F0}× ; gap λ₂ = {report.Gap?.Real:G6} {report.Gap?.Reason} in {report.GapSeconds:F2} s ({report.Gap?.Applications} solves)");
    }

    private static void MasterEquation(string name, UniformGrid grid, GridLandscape landscape, double[] start, int repeats)
    {
        const double eta = 0.2, tolerance = StationarySolve.MasterEquationTolerance;
        var clock = Stopwatch.StartNew();
        using var solver = new MasterEquationSolver(grid, landscape, eta, GridBoundary.Reflecting);
        double setup = clock.Elapsed.TotalSeconds;
        double direct = double.PositiveInfinity, stepping = double.PositiveInfinity;
        StationaryReport? report = null;
        MasterEquationStationary? power = null;
        GridDensity initial = GridDensity.PointMass(grid, start);
        for (int r = 0; r < repeats; r++)
        {
            var (_, solved) = StationarySolve.MasterEquation(initial, (p, k) => solver.Advance(p, k), eta, tolerance, StationarySolve.DefaultMaxSteps);
            direct = Math.Min(direct, solved.SolveSeconds);
            report = solved;
            Console.WriteLine($"{name}: Arnoldi + power {solved.SolveSeconds:F3} s ({solved.Iterations} steps of P); gap {solved.GapSeconds:F2} s");
            clock.Restart();
            power = solver.Stationary(initial, tolerance, StationarySolve.DefaultMaxSteps);
            stepping = Math.Min(stepping, clock.Elapsed.TotalSeconds);
        }

        Console.WriteLine(
            $"{name}: set-up {setup:F2} s; Arnoldi + power {direct:F3} s ({report!.Iterations} steps of P, residual {report.Residual:G3}) vs power iteration " +
            $"{stepping:F3} s ({power!.Steps:N0} steps to {power.FinalChange:G3}): {stepping / direct:F1}× ; gap |λ₂| = {report.Gap?.Modulus:G8} in {report.GapSeconds:F2} s ({report.Gap?.Applications} steps)");
    }

    private static double[,] Diagonal(int d, double value)
    {
        var matrix = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            matrix[i, i] = value;
        }

        return matrix;
    }
}
