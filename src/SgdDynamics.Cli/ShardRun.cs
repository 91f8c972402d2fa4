using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn run SCENARIO.json --shard i/N [--out DIR]</c>: runs shard i of N of an ensemble — whole tiles of 256
/// trajectories, the rule of <see cref="ShardFile"/>, each trajectory with the Philox key of the whole run — and writes
/// its mergeable statistics (<see cref="ShardFile.FileName"/>, and the final states when the scenario keeps them) beside
/// the shard's own summary.json, timeseries.csv and scenario.json; <c>sgdyn merge</c> (<see cref="MergeCommand"/>) turns
/// the N shard folders into the single run's outputs. Grid solvers are not sharded.
/// </summary>
internal static partial class ShardRun
{
    /// <summary>The <c>--shard i/N</c> option (the text; <see cref="Parse"/> checks it).</summary>
    public static Option<string?> Option() => new("--shard")
    {
        Description = "Run only shard i of N of the ensemble (0 ≤ i < N; whole tiles of 256 trajectories, the random streams of the whole run) " +
            "and write its mergeable statistics for sgdyn merge (default --out runs/<scenario file name>/shard-i-of-N)",
    };

    /// <summary>Parses <c>i/N</c>.</summary>
    /// <exception cref="CliInputException">Not whole numbers 0 ≤ i &lt; N.</exception>
    public static (int Index, int Count) Parse(string text)
    {
        Match match = ShardPattern().Match(text);
        if (!match.Success
            || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            throw new CliInputException($"--shard '{text}': expected i/N, whole numbers with 0 ≤ i < N (e.g. --shard 0/4)");
        }

        if (count < 1)
        {
            throw new CliInputException($"--shard {text}: the number of shards N must be at least 1");
        }

        if (index >= count)
        {
            throw new CliInputException($"--shard {text}: the shard index i must be below N = {count} (shards are numbered 0/{count} to {count - 1}/{count})");
        }

        return (index, count);
    }

    /// <summary>
    /// Runs the shard <paramref name="spec"/> of the scenario <paramref name="file"/> and writes its folder; returns the exit
    /// code (divergence as for a whole run). Refuses a grid solver, <c>--resume</c> and periodic checkpoints.
    /// </summary>
    public static int Execute(
        FileInfo? file, DirectoryInfo? resume, string spec, IReadOnlyList<ScenarioOverride> overrides, CheckpointPolicy checkpoints, string backendName, int threads,
        string? output, bool json, bool allowDivergence, RunLimits limits)
    {
        if (resume is not null)
        {
            throw new CliInputException("--shard cannot be used with --resume: a shard runs whole (run it again if it was stopped)");
        }

        if (checkpoints.EverySteps is not null || checkpoints.EverySeconds is not null)
        {
            throw new CliInputException("--shard cannot be used with --checkpoint-every or --checkpoint-seconds: a shard runs whole (split the run into more shards instead)");
        }

        (int index, int count) = Parse(spec);
        ScenarioDocument document = ScenarioDocument.ReadFile(file!.FullName);
        if (document.SweepAxes.Count > 0)
        {
            throw new CliInputException($"--shard {spec}: {file.Name} has a \"sweep\" section; a shard runs part of one scenario's ensemble (shard a cell: remove the section and give its values with --set)");
        }

        Scenario scenario = document.Load(overrides);
        EnsembleAlgorithm ensemble = scenario.Algorithm switch
        {
            EnsembleAlgorithm e => e,
            GridAlgorithm grid => throw new CliInputException(
                $"--shard {spec}: {file.Name} runs the {grid.TypeName} grid solver, and grids are not sharded (--shard splits the trajectories of an ensemble)"),
            _ => throw new ArgumentOutOfRangeException(nameof(file), scenario.Algorithm.GetType().Name, "unknown algorithm"),
        };
        long tiles = ShardFile.TileCount(ensemble.Trajectories);
        if (count > tiles)
        {
            throw new CliInputException(
                $"--shard {spec}: the ensemble's {ensemble.Trajectories:N0} trajectories make {tiles:N0} tile{(tiles == 1 ? "" : "s")} of {TileLayout.TileSize}, and a shard runs whole tiles: at most {tiles:N0} shard{(tiles == 1 ? "" : "s")}");
        }

        TrajectoryRange range = ShardFile.RangeOf(ensemble.Trajectories, index, count);
        string directory = output ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(file.Name), string.Create(CultureInfo.InvariantCulture, $"shard-{index}-of-{count}"));
        using StopSignals stop = StopSignals.Register();
        using ComputeDevice device = ComputeDevice.Open(backendName, threads);
        ResourceEstimate estimate = ResourceEstimate.ForEnsemble(scenario.Problem, ensemble with { Trajectories = range.Count }, device.Threads);
        estimate.CheckMemory(limits.Memory.Bytes, limits.Memory.Name);
        return OutputFolder.Run(
            directory,
            $"sgdyn run --shard {index}/{count}",
            estimate,
            () => Run(scenario, ensemble, index, count, range, device, directory, json, allowDivergence, stop));
    }

    private static int Run(
        Scenario scenario, EnsembleAlgorithm ensemble, int index, int count, TrajectoryRange range, ComputeDevice device, string directory, bool json,
        bool allowDivergence, StopSignals stop)
    {
        using IEnsembleBackend backend = BackendFactory.For(device);
        string scenarioHash = ResumeCheck.WriteScenario(directory, scenario, null);
        bool keepStates = ensemble.Record.Tails || ensemble.Histogram is not null;
        EnsembleResult result = RunCommand.SolveStoppable(
            scenario,
            directory,
            stop,
            $"{backend.Name}: shard {index}/{count}, trajectories [{range.First:N0}, {range.End:N0}) of {ensemble.Trajectories:N0} × {ensemble.Steps:N0} steps",
            (progress, token) => EnsembleSolver.Solve(scenario.Problem, ensemble, backend, range, progress, token, keepStates),
            total: range.Count * ensemble.Steps,
            part: $"shard {index}/{count}",
            advice: "run the shard again");

        var summary = EnsembleOutput.Write(directory, scenario, result);
        summary["shard"] = new System.Text.Json.Nodes.JsonObject
        {
            ["index"] = index,
            ["count"] = count,
            ["first"] = range.First,
            ["end"] = range.End,
            ["of"] = ensemble.Trajectories,
            ["file"] = ShardFile.FileName,
            ["note"] = "the moments above are this shard's trajectories alone; sgdyn merge combines the shards into the whole run's outputs",
        };
        Json.WriteFile(Path.Combine(directory, EnsembleOutput.SummaryFile), summary);
        ShardFile.Write(directory, scenarioHash, index, count, result);
        if (json)
        {
            Console.Out.WriteLine(summary.ToJsonString(Json.Indented));
        }
        else
        {
            AnsiConsole.MarkupLine(
                $"shard [bold]{index}/{count}[/]: trajectories [[{range.First:N0}, {range.End:N0}) of {ensemble.Trajectories:N0} × {ensemble.Steps:N0} steps on backend " +
                $"[bold]{Markup.Escape(result.Backend)}[/] ({Markup.Escape(result.Device)}) in {result.Seconds:F2} s = {result.TrajectoryStepsPerSecond / 1e6:G4} M trajectory-steps/s; " +
                $"diverged: {result.Final.Moments.Diverged:N0}");
            AnsiConsole.MarkupLine(
                $"wrote {Markup.Escape(Path.Combine(directory, ShardFile.FileName))}{(result.FinalStates is null ? "" : ", the final states")} and this shard's " +
                $"{Markup.Escape(EnsembleOutput.SummaryFile)}; combine the shards with: sgdyn merge DIR… --out DIR");
        }

        return RunCommand.DivergenceExit(result, allowDivergence);
    }

    [GeneratedRegex(@"^\s*([0-9]+)\s*/\s*([0-9]+)\s*$")]
    private static partial Regex ShardPattern();
}
