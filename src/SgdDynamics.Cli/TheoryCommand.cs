using System.CommandLine;
using SgdDynamics.Output;
using SgdDynamics.Scenarios;
using SgdDynamics.Theory;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary><c>sgdyn theory SCENARIO.json [--json]</c>: exact moments at every record and the stationary laws.</summary>
internal static class TheoryCommand
{
    public static Command Create()
    {
        var scenario = RunCommand.ScenarioArgument();
        var json = new Option<bool>("--json") { Description = "Print the theory as JSON" };
        var command = new Command("theory", "Exact mean and covariance of discrete SGD at every recorded step (closed moment recursion), and the discrete and Langevin stationary covariances")
        {
            scenario, json,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            string path = parse.GetValue(scenario)!.FullName;
            Scenario loaded = ScenarioLoader.LoadFile(path);
            var problem = loaded.Problem;
            IReadOnlyList<MomentRecord> recorded;
            StationaryMoments stationary;
            IReadOnlyList<ModePrediction>? modes = null;
            if (problem.Landscape is SgdDynamics.Problems.LeastSquaresLandscapeSpec)
            {
                if (LeastSquaresTheoryAdapter.Refusal(problem) is { } refusal)
                {
                    throw new ScenarioException(problem.Dynamics is SgdDynamics.Problems.SgdSpec ? "$.landscape.sampling" : "$.optimizer.type", refusal, path);
                }

                recorded = LeastSquaresTheoryAdapter.Recursion(problem, loaded.Algorithm.RecordSteps);
                stationary = LeastSquaresTheoryAdapter.Stationary(problem);
            }
            else
            {
                if (!problem.IsQuadratic)
                {
                    throw new ScenarioException(
                        "$.landscape.type",
                        $"the moment theory needs a quadratic or leastSquares landscape, this scenario's is '{problem.Landscape.TypeName}' (use 'sgdyn run' to simulate it)",
                        path);
                }

                if (!SgdDynamics.Theory.TheoryDynamics.Covers(problem.Dynamics))
                {
                    throw new ScenarioException(
                        "$.dynamics.type",
                        $"the moment theory covers the optimizers sgd and momentum, not the SDE model '{problem.Dynamics.TypeName}' (its stationary covariance is the Langevin column of an sgd scenario)",
                        path);
                }

                recorded = QuadraticMomentTheory.Recursion(problem, loaded.Algorithm.RecordSteps);
                stationary = QuadraticMomentTheory.Stationary(problem);
                modes = ModePredictions.Of(problem);
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(TheoryOutput.Build(problem, recorded, stationary, modes).ToJsonString(Json.Indented));
                return ExitCodes.Ok;
            }

            Print(loaded, recorded, stationary, modes);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Print(Scenario scenario, IReadOnlyList<MomentRecord> recorded, StationaryMoments stationary, IReadOnlyList<ModePrediction>? modes)
    {
        var problem = scenario.Problem;
        MomentRecord final = recorded[^1];
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]{Markup.Escape(scenario.Name ?? "theory")}[/]: exact moments of {Optimizer(problem)}");
        table.AddColumn("coordinate");
        table.AddColumn(new TableColumn($"mean at step {final.Step}").RightAligned());
        table.AddColumn(new TableColumn($"variance at step {final.Step}").RightAligned());
        table.AddColumn(new TableColumn("stationary (discrete)").RightAligned());
        table.AddColumn(new TableColumn("stationary (Langevin)").RightAligned());
        for (int i = 0; i < problem.Dimension; i++)
        {
            table.AddRow(
                $"x{i}",
                $"{final.Mean[i]:G6}",
                $"{final.Covariance[i, i]:G6}",
                stationary.Discrete.Covariance is { } c ? $"{c[i, i]:G6}" : "none",
                stationary.Langevin.Covariance is { } l ? $"{l[i, i]:G6}" : "none");
        }

        AnsiConsole.Write(table);
        if (modes is not null)
        {
            PrintModes(modes);
        }

        AnsiConsole.MarkupLine($"discrete second-moment map: spectral radius {stationary.SpectralRadius + 0.0:G6} ({(stationary.Discrete.Stable ? "stable" : "no stationary law")}{Reason(stationary.Discrete)})");
        AnsiConsole.MarkupLine($"Langevin: spectral abscissa {stationary.SpectralAbscissa + 0.0:G6} ({(stationary.Langevin.Stable ? "stable" : "no stationary law")}{Reason(stationary.Langevin)})");
        AnsiConsole.MarkupLine($"[grey]{recorded.Count} recorded steps; --json prints them all[/]");
    }

    /// <summary>Every eigenmode's stationary values: those of a confined mode exist even when another mode is flat.</summary>
    private static void PrintModes(IReadOnlyList<ModePrediction> modes)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]per Hessian eigenmode[/]");
        table.AddColumn("mode");
        table.AddColumn(new TableColumn("eigenvalue").RightAligned());
        table.AddColumn(new TableColumn("noise s²").RightAligned());
        table.AddColumn("behaviour");
        table.AddColumn("quantity");
        table.AddColumn(new TableColumn("discrete").RightAligned());
        table.AddColumn(new TableColumn("Langevin").RightAligned());
        foreach (ModePrediction mode in modes)
        {
            table.AddRow(
                $"{mode.Mode}",
                $"{mode.Eigenvalue:G6}",
                $"{mode.NoiseVariance:G6}",
                mode.BehaviourName,
                mode.Behaviour switch
                {
                    ModeBehaviour.Confined => "stationary variance",
                    ModeBehaviour.Diffusive => "D (v₀ + 2Dt)",
                    ModeBehaviour.Unstable => "none: infinite variance",
                    ModeBehaviour.Unknown => "none",
                    _ => throw new InvalidOperationException($"unknown mode behaviour {mode.Behaviour}"),
                },
                mode.Discrete is { } d ? $"{d:G6}" : "none",
                mode.Langevin is { } l ? $"{l:G6}" : "none");
        }

        table.Caption("confined: discrete η s²/(λ(2 − ηλ)) (exact vᵀCv with curvature noise), Langevin η s²/(2λ); flat: D = η s²/2");
        AnsiConsole.Write(table);
        foreach (ModePrediction mode in modes.Where(m => m.Reason is not null && m.Behaviour != ModeBehaviour.Diffusive))
        {
            AnsiConsole.MarkupLine($"[grey]mode {mode.Mode}: {Markup.Escape(mode.Reason!)}[/]");
        }
    }

    private static string Optimizer(SgdDynamics.Problems.Problem problem) =>
        problem.Dynamics is SgdDynamics.Problems.HeavyBallSpec heavyBall
            ? $"heavy-ball momentum (η = {problem.Dynamics.LearningRate:G4}, β = {heavyBall.Momentum:G4})"
            : $"discrete SGD (η = {problem.Dynamics.LearningRate:G4})";

    private static string Reason(StationaryCovariance law) => law.Reason is null ? "" : $": {Markup.Escape(law.Reason)}";
}
