using System.Text.Json.Nodes;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn run --resume DIR</c>: what a resumed run continues from and the checks it makes first. The folder must hold
/// a run that stopped (a checkpoint, and no complete manifest), its <c>scenario.json</c> unchanged since the checkpoint
/// (SHA-256), the snapshots the checkpoint lists unchanged, and the run continues on the backend that started it (the
/// statistics are then bit-identical to an uninterrupted run). Every refusal is bad input naming the folder and the cause.
/// </summary>
internal static class ResumeCheck
{
    /// <summary>
    /// Before the folder is taken: checks that <paramref name="folder"/> holds a stopped run, loads its scenario, and takes
    /// the backend (when <c>auto</c>) and the cap on density files from its checkpoint.
    /// </summary>
    public static Scenario Prepare(string folder, ref string backendName, ref RunLimits limits, bool densityFilesGiven)
    {
        if (!Directory.Exists(folder))
        {
            throw new CliInputException($"--resume {folder}: no such folder");
        }

        string index = Path.Combine(RunCheckpoint.PathOf(folder), RunCheckpoint.IndexFile);
        if (!File.Exists(index))
        {
            bool complete = RunFolder.TryReadManifest(folder, out JsonObject? manifest, out _) && manifest!["complete"] is JsonValue v && v.TryGetValue(out bool done) && done;
            throw new CliInputException(complete
                ? $"--resume {folder}: the run there is complete (manifest status {manifest!["status"]}); nothing to resume"
                : $"--resume {folder}: no checkpoint ({Path.Combine(RunCheckpoint.Folder, RunCheckpoint.IndexFile)} is missing): nothing to resume from");
        }

        string scenarioPath = Path.Combine(folder, EnsembleOutput.ScenarioFile);
        if (!File.Exists(scenarioPath))
        {
            throw new CliInputException($"--resume {folder}: {EnsembleOutput.ScenarioFile} is missing (the checkpoint belongs to the scenario written beside it)");
        }

        // The folder's scenario.json holds the name the run had (none for a run written before unnamed scenarios took their file's name).
        Scenario scenario = ScenarioLoader.LoadFile(scenarioPath, defaultName: null);
        JsonObject? peek = null;
        try
        {
            peek = JsonNode.Parse(BoundedFile.ReadAllText(index, RunCheckpoint.MaxIndexBytes, TimeSpan.FromSeconds(120))) as JsonObject;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or BoundedReadException or IOException)
        {
            throw new CliInputException($"--resume {index}: not a readable checkpoint ({e.Message.ReplaceLineEndings(" ")})");
        }

        if (backendName == "auto" && peek?["backend"] is JsonValue backend && backend.TryGetValue(out string? name) && ComputeDeviceNames.Contains(name))
        {
            backendName = name;
        }

        if (scenario.Algorithm is GridAlgorithm && peek?["snapshots"]?["maxDensityFiles"] is JsonValue cap && cap.TryGetValue(out int files))
        {
            if (densityFilesGiven && files != limits.MaxDensityFiles)
            {
                throw new CliInputException($"--max-density-files {limits.MaxDensityFiles}: the run was started with {files}, and a resumed run keeps its plan of snapshots");
            }

            limits = limits with { MaxDensityFiles = files };
        }

        return scenario;
    }

    /// <summary>After the folder is taken: reads and checks the checkpoint of <paramref name="folder"/> for <paramref name="scenario"/> on <paramref name="backend"/>.</summary>
    public static RunCheckpoint.Loaded Read(string folder, Scenario scenario, string backend)
    {
        Problem problem = scenario.Problem;
        RunCheckpoint.Loaded loaded;
        try
        {
            loaded = scenario.Algorithm switch
            {
                GridAlgorithm grid => RunCheckpoint.Read(folder, problem.Dimension, grid.RecordSteps, grid.Grid.ToGrid()),
                EnsembleAlgorithm ensemble => RunCheckpoint.Read(folder, problem, ensemble),
                _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario.Algorithm.GetType().Name, "unknown algorithm"),
            };
        }
        catch (InvalidDataException e)
        {
            throw new CliInputException($"--resume {e.Message}");
        }

        string scenarioPath = Path.Combine(folder, EnsembleOutput.ScenarioFile);
        if (RunFolder.Hash(scenarioPath) != loaded.Header.ScenarioSha256)
        {
            throw new CliInputException($"--resume {scenarioPath}: changed since the checkpoint was written (its SHA-256 differs); a resumed run must run the scenario it started");
        }

        string kind = scenario.Algorithm is GridAlgorithm g ? g.TypeName : "ensemble";
        if (loaded.Header.Kind != kind)
        {
            throw new CliInputException($"--resume {folder}: the checkpoint is of a {loaded.Header.Kind} run, the scenario runs {kind}");
        }

        if (loaded.Header.Backend != backend)
        {
            throw new CliInputException(
                $"--backend {backend}: the run was started on backend '{loaded.Header.Backend}'; resume it there (--backend {loaded.Header.Backend}, or leave --backend out) so that its results stay bit-identical");
        }

        string index = Path.Combine(RunCheckpoint.Folder, RunCheckpoint.IndexFile);
        switch (scenario.Algorithm)
        {
            case EnsembleAlgorithm ensemble when loaded.Ensemble is { Done: > 0, FinalStates: null } && (ensemble.Record.Tails || ensemble.Histogram is not null):
                throw new CliInputException($"--resume {Path.Combine(folder, index)}: holds no final states, and the scenario keeps them (record.tails or a histogram)");
            case GridAlgorithm grid when (loaded.Grid!.Displacement is null) != (grid.Boundary != Grids.GridBoundary.Periodic) ||
                (loaded.Grid.Displacement is { } shift && shift.Length != problem.Dimension):
                throw new CliInputException($"--resume {Path.Combine(folder, index)}: displacement: {(grid.Boundary == Grids.GridBoundary.Periodic ? $"a periodic grid needs {problem.Dimension} entries" : "only a periodic grid has one")}");
        }

        foreach ((string name, string hash) in loaded.OutputHashes)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path) || RunFolder.Hash(path) != hash)
            {
                throw new CliInputException($"--resume {path}: {(File.Exists(path) ? "changed" : "deleted")} since the checkpoint was written; the resumed run would not be whole");
            }
        }

        return loaded;
    }

    /// <summary>The outputs of the earlier part a resumed run keeps: the scenario and the snapshots the checkpoint lists.</summary>
    public static IReadOnlyCollection<string> Kept(RunCheckpoint.Loaded loaded) =>
        [EnsembleOutput.ScenarioFile, .. loaded.OutputHashes.Keys];

    /// <summary>
    /// Writes the scenario into the folder at the start of a fresh run (a checkpoint names it by its SHA-256), or keeps the
    /// resumed run's; returns its SHA-256.
    /// </summary>
    public static string WriteScenario(string directory, Scenario scenario, RunCheckpoint.Loaded? resumed)
    {
        string path = Path.Combine(directory, EnsembleOutput.ScenarioFile);
        if (resumed is not null)
        {
            return resumed.Header.ScenarioSha256;
        }

        ScenarioWriter.WriteFile(scenario, path);
        return RunFolder.Hash(path);
    }

    private static readonly HashSet<string> ComputeDeviceNames = [.. Backends.ComputeDevice.Names];
}
