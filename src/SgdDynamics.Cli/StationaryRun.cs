using SgdDynamics.Backends;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn run</c> for a grid solver with <c>"stationary": true</c>: the stationary law by <see cref="StationarySolve"/>,
/// written as the final density (<c>density_&lt;step&gt;.csv/.npy</c>, the plots) beside the initial one, with the solve's
/// residual, iterations, tolerance, convergence and spectral gap in summary.json (<c>stationary</c>) and on the console. A
/// solve that misses its tolerance writes its outputs and exits non-zero with the reason.
/// </summary>
internal static class StationaryRun
{
    /// <summary>Solves, writes the outputs and prints the summary; returns the exit code.</summary>
    public static int Execute(
        Scenario scenario, GridAlgorithm algorithm, ComputeDevice device, string directory, bool json, int maxDensityFiles, StopSignals stop,
        RunCheckpoint.Loaded? resumed, bool quiet)
    {
        string solverName = algorithm.TypeName;
        if (resumed is not null)
        {
            throw new CliInputException($"--resume {directory}: a stationary solve (\"stationary\": true) writes no checkpoints; run it again");
        }

        ResumeCheck.WriteScenario(directory, scenario, null);
        GridResult result;
        try
        {
            if (!quiet)
            {
                Console.Error.WriteLine($"{solverName}: the stationary law on {algorithm.Grid.Count:N0} cells …");
            }

            result = StationarySolve.Run(scenario.Problem, algorithm, device, stop.Token);
        }
        catch (ArgumentException e)
        {
            throw new CliInputException($"$.solver: the {solverName} solver cannot run this scenario: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            throw new RunInterruptedException(stop.ExitCode, $"interrupted by {stop.Signal} during the stationary solve; nothing but {EnsembleOutput.ScenarioFile} was written to {directory}");
        }

        string title = $"{scenario.Name ?? solverName}: stationary law of the {solverName} solver";
        var snapshots = new GridOutput.Snapshots(directory, result.Algorithm, title, maxCsvFiles: Math.Max(2, maxDensityFiles));
        GridDensity initial = GridRunner.InitialDensity(scenario.Problem, result.Grid);
        snapshots.Add(result.Records[0], initial);
        if (result.Records.Count > 1)
        {
            snapshots.Add(result.Final, result.FinalDensity);
        }

        snapshots.Finish();
        var summary = GridOutput.Write(directory, scenario, result, snapshots);
        if (json && !quiet)
        {
            Console.Out.WriteLine(summary.ToJsonString(Json.Indented));
        }
        else if (!quiet)
        {
            Print(scenario, result, directory, snapshots);
        }

        if (result.Failure is not null)
        {
            return quiet ? ExitCodes.Diverged : CliRunner.Fail(ExitCodes.Diverged, $"the {solverName} solver stopped: {result.Failure}; its last density is written to {directory}");
        }

        return ExitCodes.Ok;
    }

    private static void Print(Scenario scenario, GridResult result, string directory, GridOutput.Snapshots snapshots)
    {
        StationaryReport report = result.Stationary!;
        GridRecord final = result.Final;
        AnsiConsole.Write(GridRun.MomentsTable(scenario, $"stationary law of the {result.Algorithm.TypeName} solver", final));
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{report.Method}: residual {report.Residual:G3} ({report.ResidualDefinition}), tolerance {report.Tolerance:G3}, {report.Iterations:N0} iterations, " +
            $"{(report.Converged ? "converged" : "NOT converged")} in {report.SolveSeconds:F3} s; mass on the grid {final.Mass:G8}, lost {final.LostMass:G4}"));
        if (report.Gap is { } gap)
        {
            string value = gap.Imaginary == 0 ? $"{gap.Real:G8}" : $"{gap.Real:G8} {(gap.Imaginary < 0 ? "−" : "+")} {Math.Abs(gap.Imaginary):G6}i";
            string relaxation = gap.RelaxationTime is { } time
                ? $"relaxation time {time:G6} (t = kη; {gap.RelaxationSteps:G6} steps)"
                : $"no relaxation time: {gap.Reason}";
            AnsiConsole.MarkupLine(Markup.Escape(
                $"second eigenvalue λ₂ = {value} (|λ₂| = {gap.Modulus:G8}), {relaxation}; Ritz residual {gap.RitzResidual:G2}{(gap.Converged ? "" : " (NOT converged)")}, " +
                $"{gap.Applications:N0} operator applications in {report.GapSeconds:F3} s"));
        }

        if (report.ContractionRatio is { } ratio)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"power iteration's last contraction ratio {ratio:G8} (tends to |λ₂| for a real simple λ₂)"));
        }

        AnsiConsole.MarkupLine(
            $"wrote {Markup.Escape(Path.Combine(directory, EnsembleOutput.SummaryFile))}, {Markup.Escape(EnsembleOutput.TimeSeriesFile)}, {snapshots.CsvFiles.Count} density CSV files, {snapshots.PlotFiles.Count} PNG, {Markup.Escape(EnsembleOutput.ScenarioFile)}");
    }
}
