using System.CommandLine;
using MathNet.Numerics;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Theory;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn demo</c>: the built-in default scenario. A 2-D quadratic with one confined direction (λ = 1) and
/// one flat direction (λ = 0), isotropic gradient noise σ² = 1, η = 0.5: the confined variance settles at the
/// discrete prediction ησ²/(λ(2 − ηλ)) = 1/3, not at the Langevin ησ²/(2λ) = 1/4, and the flat variance grows
/// by η²σ² = 0.25 per step (diffusion coefficient D = ησ²/2 per unit time t = kη).
/// </summary>
internal static class DemoCommand
{
    public const double LearningRate = 0.5;

    public static Command Create()
    {
        var backend = RunCommand.BackendOption();
        var output = RunCommand.OutOption("Output folder (default: runs/demo)");
        var trajectories = new Option<long>("--trajectories") { Description = "Ensemble size", DefaultValueFactory = _ => 1L << 20 };
        var threads = RunCommand.ThreadsOption();
        var maxMemory = RunCommand.MaxMemoryOption();
        var command = new Command("demo", "Built-in scenario: discrete SGD vs Langevin on a confined and a flat direction")
        {
            backend, output, trajectories, threads, maxMemory,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            long n = parse.GetValue(trajectories);
            if (n < 2 || n > SgdDynamics.Problems.Limits.MaxTrajectories)
            {
                throw new CliInputException($"--trajectories must be between 2 and {SgdDynamics.Problems.Limits.MaxTrajectories} (got {n})");
            }

            var scenario = new Scenario("demo", "confined (λ = 1) and flat (λ = 0) directions, σ² = 1, η = 0.5", Problem(), Ensemble(n));
            string directory = parse.GetValue(output)?.FullName ?? Path.Combine("runs", "demo");
            var (limit, limitName) = RunCommand.MemoryLimit(parse.GetValue(maxMemory));
            using StopSignals stop = StopSignals.Register();
            return Execute(scenario, parse.GetValue(backend)!, parse.GetValue(threads), directory, limit, limitName, stop);
        }));
        return command;
    }

    /// <summary>The demo problem: a confined and a flat direction.</summary>
    public static Problem Problem() => ProblemBuilder.Quadratic(
        hessian: ProblemBuilder.Diagonal(1.0, 0.0),
        noiseCovariance: ProblemBuilder.Diagonal(1.0, 1.0),
        learningRate: LearningRate,
        initialMean: [0.0, 0.0]);

    /// <summary>The demo ensemble: <paramref name="trajectories"/> trajectories, 200 steps, a record every 20.</summary>
    public static EnsembleAlgorithm Ensemble(long trajectories) => new(trajectories, steps: 200, seed: 2024, new RecordSpec(20));

    private static int Execute(Scenario scenario, string backendName, int threads, string directory, long memoryLimit, string limitName, StopSignals stop)
    {
        using IEnsembleBackend backend = BackendFactory.Open(backendName, threads);
        var ensemble = (EnsembleAlgorithm)scenario.Algorithm;
        ResourceEstimate estimate = ResourceEstimate.ForEnsemble(scenario.Problem, ensemble, threads > 0 ? threads : Environment.ProcessorCount);
        estimate.CheckMemory(memoryLimit, limitName);
        return OutputFolder.Run(directory, "sgdyn demo", estimate, () => Report(scenario, backend, directory, stop));
    }

    private static int Report(Scenario scenario, IEnsembleBackend backend, string directory, StopSignals stop)
    {
        var problem = scenario.Problem;
        var ensemble = (EnsembleAlgorithm)scenario.Algorithm;
        EnsembleResult result = RunCommand.SolveStoppable(
            scenario, directory, stop, "demo",
            (progress, token) => EnsembleSolver.Solve(problem, ensemble, backend, progress: progress, cancellationToken: token));
        EnsembleOutput.Write(directory, scenario, result);
        IReadOnlyList<MomentRecord> exact = QuadraticMomentTheory.Recursion(problem, ensemble.RecordSteps);
        double eta = problem.Dynamics.LearningRate;

        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]discrete SGD, η = {eta}[/]: {result.Range.Count:N0} trajectories on [bold]{Markup.Escape(result.Backend)}[/]");
        foreach (string column in new[] { "step k", "t = kη", "confined Var x0", "± SE", "exact", "flat Var x1", "± SE", "k η² σ²" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        for (int r = 0; r < result.Records.Count; r++)
        {
            var m = result.Records[r].Moments;
            int k = result.Records[r].Step;
            table.AddRow($"{k}", $"{k * eta:G4}", $"{m.Covariance[0, 0]:F5}", $"{m.VarianceStandardError[0]:F5}", $"{exact[r].Covariance[0, 0]:F5}",
                $"{m.Covariance[1, 1]:F3}", $"{m.VarianceStandardError[1]:F3}", $"{k * eta * eta:F3}");
        }

        AnsiConsole.Write(table);
        var final = result.Final.Moments;
        double measured = final.Covariance[0, 0], se = final.VarianceStandardError[0];
        double discrete = QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, 1.0, 1.0, 0.0);
        double langevin = QuadraticMomentTheory.LangevinStationaryVariance1D(eta, 1.0, 1.0);
        AnsiConsole.MarkupLine(
            $"confined direction: stationary variance {measured:F5} ± {se:F5}; discrete ησ²/(λ(2−ηλ)) = {discrete:F5} (z = {(measured - discrete) / se:+0.0;-0.0}), " +
            $"Langevin ησ²/(2λ) = {langevin:F5} ([bold]z = {(measured - langevin) / se:+0.0;-0.0}[/]: rejected)");

        double[] times = result.Records.Select(r => r.Time).ToArray();
        double[] variances = result.Records.Select(r => r.Moments.Covariance[1, 1]).ToArray();
        (_, double slope) = Fit.Line(times, variances);
        AnsiConsole.MarkupLine(
            $"flat direction: variance grows linearly, fitted dVar/dt = {slope:F4}, so D = {slope / 2:F4} per unit time; prediction D = ησ²/2 = {eta / 2:F4} " +
            $"(η²σ² = {eta * eta:F3} per step)");
        AnsiConsole.MarkupLine($"[grey]{result.TrajectoryStepsPerSecond / 1e6:F0} M trajectory-steps/s on {Markup.Escape(result.Device)}; outputs in {Markup.Escape(directory)}[/]");
        return ExitCodes.Ok;
    }
}
