using System.CommandLine;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary><c>sgdyn run SCENARIO.json [--backend B] [--out DIR] [--json]</c>.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var scenario = ScenarioArgument();
        scenario.Arity = ArgumentArity.ZeroOrOne;
        var backend = BackendOption();
        var output = OutOption("Output folder (default: runs/<scenario file name>)");
        var json = new Option<bool>("--json") { Description = "Print summary.json on stdout instead of a table" };
        var threads = ThreadsOption();
        var allowDivergence = new Option<bool>("--allow-divergence") { Description = "Exit 0 even when some trajectories diverged (they are still counted and reported)" };
        var maxMemory = MaxMemoryOption();
        var maxDensityFiles = new Option<int>("--max-density-files")
        {
            Description = $"Most density_<step>.csv files a grid run writes (evenly spread records, always the first and the last; default {ResourceEstimate.DefaultMaxDensityFiles})",
            DefaultValueFactory = _ => ResourceEstimate.DefaultMaxDensityFiles,
        };
        var resume = new Option<DirectoryInfo?>("--resume")
        {
            Description = "Continue the stopped run in this output folder from its checkpoint (the scenario is the folder's scenario.json); the result is bit-identical to an uninterrupted run",
            CustomParser = r => ParsePath(r, "--resume", text => new DirectoryInfo(text)),
        };
        var checkpointEvery = new Option<int?>("--checkpoint-every")
        {
            Description = "Also write a checkpoint every N steps (a grid run: N SGD steps; an ensemble: the work of N steps of the whole ensemble). A stop by SIGINT/SIGTERM always writes one",
        };
        var checkpointSeconds = new Option<double?>("--checkpoint-seconds")
        {
            Description = "Also write a checkpoint every S seconds of running",
        };
        var shard = ShardRun.Option();
        var cellPlots = new Option<bool>("--cell-plots")
        {
            Description = "In a sweep, also draw each cell's run.png (a few tens of ms a cell; the sweep's own plot is always drawn)",
        };
        var saveStates = StateOutputs.SaveStatesOption();
        var savePaths = StateOutputs.SavePathsOption();
        var set = new Option<string[]>("--set")
        {
            Description = "Set a scenario field: PATH=VALUE by JSON path (optimizer.learningRate=0.3, landscape.curvatureNoiseStd=[1.4], optimizer.type=momentum); repeatable; checked as the file is",
            Arity = ArgumentArity.OneOrMore,
        };
        var sweep = new Option<string[]>("--sweep")
        {
            Description = "Sweep a scenario field: PATH=v1,v2,… (optimizer.learningRate=0.2,0.6 or landscape.curvatureNoiseStd=[0.7],[1.0]); repeatable; adds to the file's \"sweep\" section",
            Arity = ArgumentArity.OneOrMore,
        };
        var sweepMode = new Option<string?>("--sweep-mode")
        {
            Description = "How swept fields combine: product (every combination; default) or zip (the i-th values together)",
        };
        sweepMode.AcceptOnlyFromAmong("product", "zip");
        var command = new Command("run", "Run a scenario (an ensemble of SGD trajectories, or the master equation / a Fokker–Planck equation on a grid) and write summary.json and timeseries.csv; a sweep runs one cell per combination of values in one process; or continue a stopped run (--resume DIR)")
        {
            scenario, backend, output, json, threads, allowDivergence, maxMemory, maxDensityFiles, resume, checkpointEvery, checkpointSeconds, saveStates, savePaths, set, sweep, sweepMode, cellPlots, shard,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            FileInfo? file = parse.GetValue(scenario);
            DirectoryInfo? resumeFolder = parse.GetValue(resume);
            if ((file is null) == (resumeFolder is null))
            {
                throw new CliInputException(file is null
                    ? "give a scenario file (sgdyn run SCENARIO.json) or a stopped run to continue (sgdyn run --resume DIR)"
                    : "give either a scenario file or --resume DIR, not both (a resumed run's scenario is the folder's scenario.json)");
            }

            int densityFiles = parse.GetValue(maxDensityFiles);
            if (densityFiles < 2)
            {
                throw new CliInputException($"--max-density-files must be at least 2 (the first and the last record; got {densityFiles})");
            }

            var checkpoints = new CheckpointPolicy(parse.GetValue(checkpointEvery), parse.GetValue(checkpointSeconds));
            var limits = new RunLimits(MemoryLimit(parse.GetValue(maxMemory)), densityFiles);
            string backendName = parse.GetValue(backend)!;
            string[] sets = parse.GetValue(set) ?? [];
            string[] sweeps = parse.GetValue(sweep) ?? [];
            StateOutputs states = StateOutputs.From(parse, saveStates, savePaths, resuming: resumeFolder is not null);
            if (parse.GetValue(shard) is { } shardSpec)
            {
                if (sweeps.Length > 0 || parse.GetValue(sweepMode) is not null)
                {
                    throw new CliInputException($"--shard {shardSpec} runs part of one scenario's ensemble; a sweep's cells are separate runs (shard a cell with --set instead)");
                }

                if (states.Any)
                {
                    throw new CliInputException("--save-states and --save-paths cannot be used with --shard (sgdyn merge writes the single run's statistics, not its states)");
                }

                return ShardRun.Execute(file, resumeFolder, shardSpec, SweepRun.ParseSets(sets), checkpoints, backendName, parse.GetValue(threads), parse.GetValue(output)?.FullName, parse.GetValue(json), parse.GetValue(allowDivergence), limits);
            }

            if (resumeFolder is not null)
            {
                if (sets.Length > 0 || sweeps.Length > 0 || parse.GetValue(sweepMode) is not null)
                {
                    throw new CliInputException("--set, --sweep and --sweep-mode cannot be used with --resume: a stopped run continues its own scenario (the folder's scenario.json)");
                }

                if (parse.GetResult(output) is { Implicit: false })
                {
                    throw new CliInputException("--out cannot be used with --resume: the run continues in its own folder");
                }

                string folder = resumeFolder.FullName;
                Scenario stopped = ResumeCheck.Prepare(folder, ref backendName, ref limits, densityFilesGiven: parse.GetResult(maxDensityFiles) is { Implicit: false });
                using StopSignals resumeStop = StopSignals.Register();
                return Execute(stopped, backendName, parse.GetValue(threads), folder, parse.GetValue(json), parse.GetValue(allowDivergence), limits, resumeStop, checkpoints, resume: true);
            }

            ScenarioDocument document = ScenarioDocument.ReadFile(file!.FullName);
            IReadOnlyList<ScenarioOverride> overrides = SweepRun.ParseSets(sets);
            SweepSpec? sweepSpec = SweepRun.Spec(document, sweeps, parse.GetValue(sweepMode), overrides);
            string directory = parse.GetValue(output)?.FullName ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(file.Name));
            if (sweepSpec is null && parse.GetValue(cellPlots))
            {
                throw new CliInputException("--cell-plots applies to a sweep (a single run always draws run.png)");
            }

            if (sweepSpec is not null)
            {
                if (checkpoints.Periodic)
                {
                    throw new CliInputException("--checkpoint-every and --checkpoint-seconds apply to a single run, not to a sweep (a stopped sweep cell can be resumed on its own)");
                }

                using StopSignals sweepStop = StopSignals.Register();
                return SweepRun.Execute(document, overrides, sweepSpec, backendName, parse.GetValue(threads), directory, parse.GetValue(json), parse.GetValue(allowDivergence), limits, sweepStop, states, parse.GetValue(cellPlots));
            }

            Scenario loaded = document.Load(overrides);
            using StopSignals stop = StopSignals.Register();
            return Execute(loaded, backendName, parse.GetValue(threads), directory, parse.GetValue(json), parse.GetValue(allowDivergence), limits, stop, checkpoints, states: states);
        }));
        return command;
    }

    public static Option<string> BackendOption()
    {
        var option = new Option<string>("--backend")
        {
            Description = "Compute backend: auto (CUDA when present, else managed), managed (SIMD CPU), ilgpu-cpu, cuda, opencl",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong([.. ComputeDevice.Names]);
        return option;
    }

    public static Option<string?> MaxMemoryOption() => new("--max-memory")
    {
        Description = "Refuse a run whose estimated memory exceeds this (e.g. 4GiB, 512MiB; default: the memory available to the process)",
    };

    /// <summary>The memory limit of <c>--max-memory</c> (null: what the runtime reports as available) and how to name it.</summary>
    public static (long Bytes, string Name) MemoryLimit(string? text)
    {
        if (text is null)
        {
            return (ResourceEstimate.AvailableMemory(), "the memory available to this process,");
        }

        long bytes = ResourceEstimate.ParseSize(text)
            ?? throw new CliInputException($"--max-memory {text}: not a size (a number with an optional unit B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)");
        return (bytes, "--max-memory");
    }

    /// <summary>The most worker threads <c>--threads</c> accepts.</summary>
    public const int MaxThreads = 4096;

    public static Option<int> ThreadsOption()
    {
        return new Option<int>("--threads")
        {
            Description = $"Worker threads of the managed backend (0: all cores; at most {MaxThreads})",
            DefaultValueFactory = _ => 0,
            CustomParser = r =>
            {
                string text = r.Tokens.Count == 1 ? r.Tokens[0].Value : string.Join(' ', r.Tokens.Select(t => t.Value));
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int threads) && threads <= MaxThreads)
                {
                    return threads;
                }

                r.AddError($"--threads must be an integer from 0 to {MaxThreads} (0: all cores); got '{text}'");
                return 0;
            },
        };
    }

    /// <summary>The scenario file argument: a non-empty path.</summary>
    public static Argument<FileInfo> ScenarioArgument() => new("scenario")
    {
        Description = "Scenario file (JSON)",
        CustomParser = r => ParsePath(r, "the scenario file path", text => new FileInfo(text)),
    };

    /// <summary>An output-folder option (<c>--out</c>): a non-empty path.</summary>
    public static Option<DirectoryInfo?> OutOption(string description) => new("--out")
    {
        Description = description,
        CustomParser = r => ParsePath(r, "--out", text => new DirectoryInfo(text)),
    };

    internal static T? ParsePath<T>(System.CommandLine.Parsing.ArgumentResult r, string what, Func<string, T> create)
        where T : class
    {
        string text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
        if (string.IsNullOrWhiteSpace(text))
        {
            r.AddError($"{what} is empty");
            return null;
        }

        try
        {
            return create(text);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            r.AddError($"{what} '{text}' is not a usable path ({e.Message})");
            return null;
        }
    }

    /// <summary>
    /// Runs a loaded scenario, writes the outputs and reports; returns the exit code. <paramref name="stop"/> (none: the
    /// run is not stopped by signals) stops the run at its next boundary; it then writes a checkpoint and what it keeps and
    /// throws <see cref="RunInterruptedException"/>. <paramref name="checkpoints"/> adds periodic checkpoints;
    /// <paramref name="resume"/> continues the run in <paramref name="directory"/> from its checkpoint (see <see cref="ResumeCheck"/>);
    /// <paramref name="states"/> adds final_states.npy and paths.npy (<see cref="StateOutputs"/>).
    /// </summary>
    public static int Execute(
        Scenario scenario, string backendName, int threads, string directory, bool json, bool allowDivergence, RunLimits limits,
        StopSignals? stop = null, CheckpointPolicy? checkpoints = null, bool resume = false, StateOutputs? states = null)
    {
        // one device for either solver: the ensemble backends and the grid solvers run on the same value
        using ComputeDevice device = ComputeDevice.Open(backendName, threads);
        return ExecuteOn(device, scenario, directory, json, allowDivergence, limits, stop, checkpoints, resume, states);
    }

    /// <summary>
    /// <see cref="Execute"/> on an open device (a sweep runs every cell on one). <paramref name="quiet"/> prints nothing
    /// (no progress, no summary, no divergence line): the exit code and the folder's files say how it went.
    /// </summary>
    public static int ExecuteOn(
        ComputeDevice device, Scenario scenario, string directory, bool json, bool allowDivergence, RunLimits limits,
        StopSignals? stop = null, CheckpointPolicy? checkpoints = null, bool resume = false, StateOutputs? states = null, bool quiet = false, bool plot = true)
    {
        states ??= StateOutputs.None;
        stop ??= StopSignals.None();
        checkpoints ??= new CheckpointPolicy(null, null);
        RunCheckpoint.Loaded? resumed = null;
        Func<RunFolder, IReadOnlyCollection<string>>? prepare = resume
            ? folder =>
            {
                resumed = ResumeCheck.Read(folder.Directory, scenario, device.Name);
                return ResumeCheck.Kept(resumed);
            }
        : null;
        switch (scenario.Algorithm)
        {
            case GridAlgorithm grid:
            {
                states.RefuseForGrid(grid);
                int densityFiles = (int)Math.Min(ResourceEstimate.Records(grid), limits.MaxDensityFiles);
                ResourceEstimate estimate = ResourceEstimate.ForGrid(grid, densityFiles, ResourceEstimate.Separable(grid, scenario.Problem));
                estimate.CheckMemory(limits.Memory.Bytes, limits.Memory.Name);
                return OutputFolder.Run(
                    directory, "sgdyn run", estimate, () => GridRun.Execute(scenario, grid, device, directory, json, limits.MaxDensityFiles, stop, checkpoints, resumed, quiet), checkpointed: true, prepare);
            }

            case EnsembleAlgorithm ensemble:
            {
                ResourceEstimate estimate = ResourceEstimate.ForEnsemble(scenario.Problem, ensemble, device.Threads);
                states.AddTo(estimate, scenario.Problem, ensemble);
                estimate.CheckMemory(limits.Memory.Bytes, limits.Memory.Name);
                return OutputFolder.Run(
                    directory, "sgdyn run", estimate, () => RunEnsemble(scenario, ensemble, device, directory, json, allowDivergence, stop, checkpoints, resumed, states, quiet, plot), checkpointed: true, prepare);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario.Algorithm.GetType().Name, "unknown algorithm");
        }
    }

    private static int RunEnsemble(
        Scenario scenario, EnsembleAlgorithm ensemble, ComputeDevice device, string directory, bool json, bool allowDivergence, StopSignals stop,
        CheckpointPolicy checkpoints, RunCheckpoint.Loaded? resumed, StateOutputs states, bool quiet, bool plot)
    {
        using IEnsembleBackend backend = BackendFactory.For(device);
        var problem = scenario.Problem;
        bool histogram = ensemble.Histogram is not null;
        string scenarioHash = ResumeCheck.WriteScenario(directory, scenario, resumed);
        var writer = new RunCheckpoint.EnsembleWriter(directory, new RunCheckpoint.Header("ensemble", scenarioHash, backend.Name), resumed);
        long total = ensemble.Trajectories * (long)ensemble.Steps;
        long StepsOf(long trajectories) => (long)Math.Floor(trajectories * (double)ensemble.Steps / ensemble.Trajectories);
        EnsembleRunState? from = resumed?.Ensemble;
        long before = (from?.Done ?? 0) * ensemble.Steps;
        checkpoints.StartAt(StepsOf(from?.Done ?? 0));
        EnsembleResult result;
        try
        {
            result = ProgressDisplay.Run(
                $"{backend.Name}: {ensemble.Trajectories:N0} trajectories × {ensemble.Steps:N0} steps" + (from is null ? "" : $" (resumed after {from.Done:N0})"),
                total,
                quiet,
                progress => EnsembleSolver.SolveInSegments(
                    problem,
                    ensemble,
                    backend,
                    from,
                    state =>
                    {
                        if (state.Done < ensemble.Trajectories && checkpoints.Due(StepsOf(state.Done)))
                        {
                            writer.Write(state);
                            checkpoints.Written(StepsOf(state.Done));
                        }
                    },
                    checkpoints.SegmentLimit(ensemble),
                    progress,
                    stop.Token,
                    keepFinalStates: ensemble.Record.Tails || histogram || states.FinalStates,
                    checkpoints.SegmentSeconds),
                before);
        }
        catch (EnsembleRunStoppedException e) when (stop.Token.IsCancellationRequested)
        {
            writer.Write(e.State);
            long steps = e.State.Done * ensemble.Steps;
            string stopped = $"interrupted by {stop.Signal} after {e.State.Done:N0} of {ensemble.Trajectories:N0} trajectories ({steps:N0} of {total:N0} trajectory-steps) complete";
            EnsembleOutput.WriteStopped(directory, scenario, stopped, steps, total);
            throw new RunInterruptedException(
                stop.ExitCode,
                $"{stopped}; kept: the checkpoint ({RunCheckpoint.Folder}/), {EnsembleOutput.SummaryFile} (complete: false, no statistics: a partial ensemble is not a result), " +
                $"{EnsembleOutput.ScenarioFile}, {RunFolder.ManifestFile} (status interrupted) in {directory}; continue with: sgdyn run --resume {directory}");
        }

        var summary = EnsembleOutput.Write(directory, scenario, result, plot);
        if (histogram)
        {
            summary["histogram"] = GridOutput.WriteHistogram(directory, scenario, result);
            Json.WriteFile(Path.Combine(directory, EnsembleOutput.SummaryFile), summary);
        }

        IReadOnlyList<string> stateFiles = states.Write(directory, result, backend, stop);

        if (quiet)
        {
            return DivergenceExit(result, allowDivergence, quiet: true);
        }

        if (json)
        {
            Console.Out.WriteLine(summary.ToJsonString(Json.Indented));
        }
        else
        {
            PrintSummary(scenario, result, directory, summary);
            StateOutputs.Print(stateFiles);
            if (histogram)
            {
                AnsiConsole.MarkupLine($"final histogram on the grid: {Markup.Escape(summary["histogram"]!["file"]!.GetValue<string>())} (for sgdyn compare)");
            }
        }

        return DivergenceExit(result, allowDivergence);
    }

    /// <summary>
    /// Solves an ensemble with progress on stderr, stopped by <paramref name="stop"/>: when a signal stops it, writes the
    /// summary of a stopped run (<see cref="EnsembleOutput.WriteStopped"/>) and throws <see cref="RunInterruptedException"/>.
    /// A part of the ensemble (a shard) gives its own trajectory-steps as <paramref name="total"/> (default: the whole
    /// ensemble's), names itself in <paramref name="part"/> (e.g. <c>shard 1/3</c>) and says what to do next in <paramref name="advice"/>.
    /// </summary>
    public static EnsembleResult SolveStoppable(
        Scenario scenario, string directory, StopSignals stop, string label, Func<Action<long>, CancellationToken, EnsembleResult> solve,
        long? total = null, string? part = null, string? advice = null)
    {
        var ensemble = (EnsembleAlgorithm)scenario.Algorithm;
        long steps = total ?? ensemble.Trajectories * (long)ensemble.Steps;
        long done = 0;
        try
        {
            return ProgressDisplay.Run(label, steps, quiet: false, progress => solve(
                delta =>
                {
                    Interlocked.Add(ref done, delta);
                    progress(delta);
                },
                stop.Token));
        }
        catch (Exception e) when (stop.Token.IsCancellationRequested && EnsembleSolver.IsCancellation(e))
        {
            long stepsDone = Interlocked.Read(ref done);
            string stopped = part is null
                ? $"interrupted by {stop.Signal} after {stepsDone:N0} of {steps:N0} trajectory-steps"
                : $"{part} interrupted by {stop.Signal} after {stepsDone:N0} of its {steps:N0} trajectory-steps";
            EnsembleOutput.WriteStopped(directory, scenario, stopped, stepsDone, steps);
            throw new RunInterruptedException(
                stop.ExitCode,
                $"{stopped}; kept: {EnsembleOutput.SummaryFile} (complete: false, no statistics: a partial ensemble is not a result), {EnsembleOutput.ScenarioFile}, {RunFolder.ManifestFile} (status interrupted) in {directory}" +
                (advice is null ? "" : "; " + advice));
        }
    }

    /// <summary>
    /// Exit code for divergence: all diverged is always an error; some diverged unless allowed. The reason goes to stderr
    /// unless <paramref name="quiet"/> (a sweep's cell, whose row reports it).
    /// </summary>
    public static int DivergenceExit(EnsembleResult result, bool allowDivergence, bool quiet = false)
    {
        var final = result.Final.Moments;
        if (final.Diverged == 0)
        {
            return ExitCodes.Ok;
        }

        if (quiet)
        {
            return allowDivergence && final.Count > 0 ? ExitCodes.Ok : ExitCodes.Diverged;
        }

        string what = $"{final.Diverged:N0} of {result.Range.Count:N0} trajectories diverged (NaN, infinity or |x_i| > {result.Algorithm.DivergenceThreshold:G}), first seen at step {result.FirstDivergedStep}; they are excluded from the moments";
        if (final.Count == 0)
        {
            return CliRunner.Fail(ExitCodes.Diverged, $"the run diverged: {what} — no moments are left (lower the learning rate or the noise)");
        }

        if (allowDivergence)
        {
            Console.Error.WriteLine($"warning: {what}");
            return ExitCodes.Ok;
        }

        return CliRunner.Fail(ExitCodes.Diverged, $"{what} (pass --allow-divergence to accept)");
    }

    /// <summary>Coordinates the summary table shows in full; above, the first half of this many and a pointer to the files.</summary>
    private const int MaxTableRows = 64;

    internal static void PrintSummary(Scenario scenario, EnsembleResult result, string directory, System.Text.Json.Nodes.JsonObject summary)
    {
        var final = result.Final.Moments;
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(scenario.Name ?? "ensemble")}[/] at step {result.Final.Step} (t = {result.Final.Time:G4})");
        table.AddColumn("coordinate");
        table.AddColumn(new TableColumn("mean").RightAligned());
        table.AddColumn(new TableColumn("± SE").RightAligned());
        table.AddColumn(new TableColumn("variance").RightAligned());
        table.AddColumn(new TableColumn("± SE").RightAligned());
        int shown = final.Dimension <= MaxTableRows ? final.Dimension : MaxTableRows / 2;
        for (int i = 0; i < shown; i++)
        {
            table.AddRow($"x{i}", $"{final.Mean[i]:G6}", $"{final.MeanStandardError[i]:G2}", $"{final.Variance[i]:G6}", $"{final.VarianceStandardError[i]:G2}");
        }

        if (shown < final.Dimension)
        {
            table.AddRow($"… {final.Dimension - shown:N0} more", "", "", "", "");
            table.Caption($"coordinates {shown} to {final.Dimension - 1}: {Markup.Escape(EnsembleOutput.SummaryFile)} and {Markup.Escape(EnsembleOutput.TimeSeriesFile)}");
        }

        AnsiConsole.Write(table);
        RunVerdict.Print(summary);
        AnsiConsole.MarkupLine(
            $"backend [bold]{result.Backend}[/] on {Markup.Escape(result.Device)}: {result.Range.Count:N0} trajectories × {result.Algorithm.Steps:N0} steps " +
            $"in {result.Seconds:F2} s = [bold]{result.TrajectoryStepsPerSecond / 1e6:G4} M[/] trajectory-steps/s; diverged: {final.Diverged:N0}; peak memory {Json.PeakMemoryBytes() / 1048576.0:F0} MiB");
        var extra = new List<string> { TimeSeriesNpz.FileName };
        if (final.HasCovariance && final.Dimension > Limits.MaxDimension)
        {
            extra.Add(EnsembleOutput.CovarianceFile);
        }

        if (result.Final.Projected is { } projected)
        {
            extra.Add(EnsembleOutput.ProjectionsFile);
            if (projected.HasCovariance)
            {
                extra.Add(EnsembleOutput.ProjectionCovarianceFile);
            }
        }

        AnsiConsole.MarkupLine(
            $"wrote {Markup.Escape(Path.Combine(directory, EnsembleOutput.SummaryFile))}, {Markup.Escape(EnsembleOutput.TimeSeriesFile)}, {Markup.Escape(EnsembleOutput.ScenarioFile)}, {Markup.Escape(RunPlot.FileName)}" +
            string.Concat(extra.Select(f => ", " + Markup.Escape(f))));
    }
}

/// <summary>The limits a run is checked against before it starts: memory (bytes and how the limit is named) and density files.</summary>
internal sealed record RunLimits((long Bytes, string Name) Memory, int MaxDensityFiles);
