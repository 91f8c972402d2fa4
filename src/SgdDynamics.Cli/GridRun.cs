using SgdDynamics.Backends;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary><c>sgdyn run</c> for a scenario whose solver is the master equation or a Fokker–Planck equation.</summary>
internal static class GridRun
{
    /// <summary>
    /// Runs the grid solver and writes its outputs; when <paramref name="stop"/> stops it, writes the records made so far
    /// (summary.json with <c>complete: false</c> and <c>stopped</c>, timeseries.csv, their density files) and throws
    /// <see cref="RunInterruptedException"/>.
    /// </summary>
    public static int Execute(
        Scenario scenario, GridAlgorithm algorithm, ComputeDevice device, string directory, bool json, int maxDensityFiles, StopSignals stop,
        CheckpointPolicy checkpoints, RunCheckpoint.Loaded? resumed, bool quiet = false)
    {
        if (algorithm.Stationary)
        {
            return StationaryRun.Execute(scenario, algorithm, device, directory, json, maxDensityFiles, stop, resumed, quiet);
        }

        Problem problem = scenario.Problem;
        string solverName = algorithm.TypeName;
        GridSpec grid = algorithm.Grid;
        var snapshots = new GridOutput.Snapshots(directory, algorithm, $"{scenario.Name ?? solverName}: {Describe(algorithm)}", maxCsvFiles: maxDensityFiles);
        if (resumed?.GridSnapshots is { } written)
        {
            snapshots.Restore(written);
        }

        if (snapshots.Planned < snapshots.Records && !quiet)
        {
            Console.Error.WriteLine($"note: writing the densities of {snapshots.Planned:N0} of the {snapshots.Records:N0} records (evenly spread, the first and the last; --max-density-files {maxDensityFiles})");
        }

        string scenarioHash = ResumeCheck.WriteScenario(directory, scenario, resumed);
        var writer = new RunCheckpoint.GridWriter(directory, new RunCheckpoint.Header(solverName, scenarioHash, device.Name), resumed);
        GridRunState? from = resumed?.Grid;
        checkpoints.StartAt(from?.Step ?? 0);
        long total = grid.Count * algorithm.Steps;
        GridResult result;
        try
        {
            result = ProgressDisplay.Run(
                $"{solverName}: {grid.Count:N0} cells × {algorithm.Steps:N0} steps" + (from is null ? "" : $" (resumed at step {from.Step:N0})"),
                total,
                quiet,
                progress => GridRunner.Run(
                    problem,
                    algorithm,
                    device,
                    progress,
                    stop.Token,
                    snapshots.Add,
                    stopOnCancel: true,
                    from,
                    state =>
                    {
                        if (checkpoints.Periodic && checkpoints.Due(state.Step))
                        {
                            writer.Write(state, snapshots.ToCheckpoint());
                            checkpoints.Written(state.Step);
                        }
                    }),
                grid.Count * (long)(from?.Step ?? 0));
        }
        catch (ArgumentException e)
        {
            // The solvers check their inputs in their constructors (e.g. Fokker–Planck needs D_kk > 0 everywhere); a resumed
            // run's scenario ran before, so there it is the state the checkpoint holds that does not fit.
            throw new CliInputException(from is null
                ? $"$.solver: the {solverName} solver cannot run this scenario: {e.Message}"
                : $"--resume {directory}: the checkpoint does not fit the scenario ({e.Message})");
        }

        if (result.Stopped is not null)
        {
            result = result with { Stopped = $"interrupted by {stop.Signal} after {result.StepsDone:N0} of {algorithm.Steps:N0} steps" };
            writer.Write(new GridRunState(result.StepsDone, result.FinalDensity, result.Displacement, result.Records, result.Seconds), snapshots.ToCheckpoint());
        }

        snapshots.Finish();
        var summary = GridOutput.Write(directory, scenario, result, snapshots);
        if (result.Stopped is not null)
        {
            GridRecord last = result.Final;
            throw new RunInterruptedException(
                stop.ExitCode,
                $"{result.Stopped}; kept: {(result.Records.Count == 1 ? "1 record (step 0)" : $"{result.Records.Count:N0} records (steps 0 to {last.Step:N0})")} in {EnsembleOutput.SummaryFile} (complete: false) and {EnsembleOutput.TimeSeriesFile}, " +
                $"{snapshots.CsvFiles.Count} density CSV files, {snapshots.PlotFiles.Count} PNG, {EnsembleOutput.ScenarioFile}, the checkpoint at step {result.StepsDone:N0} ({RunCheckpoint.Folder}/), " +
                $"{RunFolder.ManifestFile} (status interrupted) in {directory}; continue with: sgdyn run --resume {directory}");
        }
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
            return quiet ? ExitCodes.Diverged : CliRunner.Fail(
                ExitCodes.Diverged,
                $"the {solverName} solver stopped: {result.Failure}; the records up to step {result.Final.Step} are written to {directory}");
        }

        return ExitCodes.Ok;
    }

    private static string Describe(GridAlgorithm algorithm) => algorithm switch
    {
        FokkerPlanckAlgorithm fokkerPlanck => $"Fokker–Planck ({(fokkerPlanck.Variant == FokkerPlanckVariant.Langevin ? "Langevin" : "discrete")})",
        MasterEquationAlgorithm master => $"master equation ({master.Boundary.Name()})",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm.GetType().Name, "unknown grid algorithm"),
    };

    /// <summary>The console table of a grid record's mean and variance per coordinate, titled by the scenario and <paramref name="what"/>.</summary>
    internal static Table MomentsTable(Scenario scenario, string what, GridRecord record)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]{Markup.Escape(scenario.Name ?? "grid")}[/]: {Markup.Escape(what)}");
        table.AddColumn("coordinate");
        table.AddColumn(new TableColumn("mean").RightAligned());
        table.AddColumn(new TableColumn("variance").RightAligned());
        for (int i = 0; i < record.Mean.Length; i++)
        {
            table.AddRow($"x{i}", $"{record.Mean[i]:G6}", $"{record.Covariance[i, i]:G6}");
        }

        return table;
    }

    private static void Print(Scenario scenario, GridResult result, string directory, GridOutput.Snapshots snapshots)
    {
        GridRecord final = result.Final;
        AnsiConsole.Write(MomentsTable(scenario, $"{Describe(result.Algorithm)} at step {final.Step} (t = {final.Time:G4})", final));
        AnsiConsole.MarkupLine(
            $"mass on the grid {final.Mass:G8}, lost {final.LostMass:G4}; {result.Grid.Count:N0} cells × {result.Algorithm.Steps:N0} steps in {result.Seconds:F2} s = " +
            $"[bold]{result.CellUpdatesPerSecond / 1e6:G4} M[/] cell updates/s on {Markup.Escape(result.Device)}; peak memory {Json.PeakMemoryBytes() / 1048576.0:F0} MiB");
        AnsiConsole.MarkupLine(
            $"wrote {Markup.Escape(Path.Combine(directory, EnsembleOutput.SummaryFile))}, {Markup.Escape(EnsembleOutput.TimeSeriesFile)}, {snapshots.CsvFiles.Count} density CSV files, {snapshots.PlotFiles.Count} PNG, {Markup.Escape(EnsembleOutput.ScenarioFile)}");
    }
}
