using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn merge DIR… --out DIR [--json] [--allow-divergence] [--max-memory SIZE]</c>: combines the output folders of the
/// shards of one ensemble (<c>sgdyn run SCENARIO.json --shard i/N</c>, <see cref="ShardRun"/>) into the outputs of the single
/// run. Before anything is written it checks that every folder holds a finished shard (a complete manifest listing
/// shard.json, scenario.json and the states file with their SHA-256), that all shards belong to the same scenario (the
/// SHA-256 of the resolved scenario.json) and that their trajectory ranges tile [0, M) without gap or overlap. The exact
/// statistics are then added (integer additions, in any order the same), the final states put together in index order,
/// and the outputs written by the single run's writers: the moments in summary.json and every row of timeseries.csv are
/// bit-identical to a single <c>sgdyn run</c> of the scenario.
/// </summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var shards = new Argument<string[]>("shards")
        {
            Description = "Output folders of the shards (sgdyn run SCENARIO.json --shard i/N), in any order",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = RunCommand.OutOption("Folder of the merged run (required)");
        var json = new Option<bool>("--json") { Description = "Print the merged summary.json on stdout instead of a table" };
        var allowDivergence = new Option<bool>("--allow-divergence") { Description = "Exit 0 even when some trajectories diverged (they are still counted and reported)" };
        var maxMemory = RunCommand.MaxMemoryOption();
        var command = new Command("merge", "Merge the shard folders of one ensemble (sgdyn run --shard i/N) into the outputs of the single run: the same moments, bit for bit")
        {
            shards, output, json, allowDivergence, maxMemory,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            var clock = Stopwatch.StartNew();
            string directory = parse.GetValue(output)?.FullName
                ?? throw new CliInputException("give the folder of the merged run: --out DIR");
            IReadOnlyList<Shard> found = Check(parse.GetValue(shards)!, directory);
            return Execute(found, directory, parse.GetValue(json), parse.GetValue(allowDivergence), RunCommand.MemoryLimit(parse.GetValue(maxMemory)), clock);
        }));
        return command;
    }

    /// <summary>A shard folder as given and its identity.</summary>
    private sealed record Shard(string Folder, ShardFile.Identity Identity)
    {
        public string Describe() => $"{Folder} (shard {Identity.Name}, trajectories [{Identity.Range.First}, {Identity.Range.End}))";
    }

    /// <summary>
    /// Reads and checks the shard folders: each a finished shard, one scenario, ranges that tile [0, M); returns them in
    /// the order of their trajectories.
    /// </summary>
    private static List<Shard> Check(string[] folders, string output)
    {
        var shards = new List<Shard>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string folder in folders)
        {
            if (string.IsNullOrWhiteSpace(folder))
            {
                throw new CliInputException("a shard folder is empty");
            }

            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
            if (!Directory.Exists(full))
            {
                throw new CliInputException($"{folder}: no such folder (give the output folders of sgdyn run SCENARIO.json --shard i/N)");
            }

            if (!seen.TryAdd(full, folder))
            {
                throw new CliInputException($"{folder}: the folder is given twice ({seen[full]}, {folder})");
            }

            if (full == Path.TrimEndingDirectorySeparator(output))
            {
                throw new CliInputException($"--out {output}: is the shard folder {folder}; write the merged run to another folder");
            }

            ShardFile.Identity identity;
            try
            {
                identity = ShardFile.ReadIdentity(full);
            }
            catch (InvalidDataException e)
            {
                throw new CliInputException(e.Message);
            }

            string[] names = identity.StatesFile is null
                ? [ShardFile.FileName, EnsembleOutput.ScenarioFile]
                : [ShardFile.FileName, EnsembleOutput.ScenarioFile, identity.StatesFile];
            if (!RunFolder.IsComplete(full, names, out string reason))
            {
                throw new CliInputException($"{reason}; the shard in {folder} did not finish (run it again)");
            }

            if (RunFolder.Hash(Path.Combine(full, EnsembleOutput.ScenarioFile)) != identity.ScenarioSha256)
            {
                throw new CliInputException($"{Path.Combine(folder, EnsembleOutput.ScenarioFile)}: its SHA-256 differs from the one in {ShardFile.FileName}; the shard folder was changed");
            }

            shards.Add(new Shard(folder, identity));
        }

        Shard first = shards[0];
        foreach (Shard other in shards.Where(s => s.Identity.ScenarioSha256 != first.Identity.ScenarioSha256))
        {
            throw new CliInputException(
                $"different scenarios: {other.Folder} (shard {other.Identity.Name}) and {first.Folder} (shard {first.Identity.Name}) ran different scenarios " +
                $"(scenario.json SHA-256 {other.Identity.ScenarioSha256[..12]}… and {first.Identity.ScenarioSha256[..12]}…); merge the shards of one scenario");
        }

        foreach (var twice in shards.GroupBy(s => (s.Identity.Index, s.Identity.Count)).Where(g => g.Count() > 1))
        {
            throw new CliInputException($"duplicated shard {twice.First().Identity.Name}: {string.Join(" and ", twice.Select(s => s.Folder))} hold the same trajectories; give one of them");
        }

        long trajectories = first.Identity.Trajectories;
        var counts = shards.Select(s => s.Identity.Count).Distinct().ToArray();
        if (counts.Length == 1)
        {
            int n = counts[0];
            var present = shards.Select(s => s.Identity.Index).ToHashSet();
            var missing = Enumerable.Range(0, n).Where(i => !present.Contains(i)).ToArray();
            if (missing.Length > 0)
            {
                string list = string.Join(", ", missing.Take(10).Select(i =>
                {
                    TrajectoryRange r = ShardFile.RangeOf(trajectories, i, n);
                    return string.Create(CultureInfo.InvariantCulture, $"{i}/{n} (trajectories [{r.First}, {r.End}))");
                })) + (missing.Length > 10 ? $" and {missing.Length - 10} more" : "");
                throw new CliInputException(
                    $"missing shard{(missing.Length == 1 ? "" : "s")} {list}: {shards.Count} of the {n} shards of {trajectories:N0} trajectories are given; " +
                    "run the missing ones (sgdyn run SCENARIO.json --shard i/N) and give their folders");
            }
        }

        shards.Sort((a, b) => a.Identity.Range.First != b.Identity.Range.First
            ? a.Identity.Range.First.CompareTo(b.Identity.Range.First)
            : a.Identity.Range.End.CompareTo(b.Identity.Range.End));
        long next = 0;
        Shard? previous = null;
        foreach (Shard shard in shards)
        {
            TrajectoryRange range = shard.Identity.Range;
            if (range.First < next)
            {
                throw new CliInputException($"overlapping shards: {previous!.Describe()} and {shard.Describe()} share trajectories [{range.First}, {Math.Min(next, range.End)}); give shards that do not overlap");
            }

            if (range.First > next)
            {
                throw new CliInputException($"missing trajectories [{next}, {range.First}): no shard folder given holds them (the shards given: {string.Join(", ", shards.Select(s => s.Identity.Name))})");
            }

            next = range.End;
            previous = shard;
        }

        if (next != trajectories)
        {
            throw new CliInputException($"missing trajectories [{next}, {trajectories}): no shard folder given holds them (the shards given: {string.Join(", ", shards.Select(s => s.Identity.Name))})");
        }

        return shards;
    }

    private static int Execute(IReadOnlyList<Shard> shards, string directory, bool json, bool allowDivergence, (long Bytes, string Name) memory, Stopwatch clock)
    {
        Shard first = shards[0];
        Scenario scenario = ScenarioLoader.LoadFile(Path.Combine(Path.GetFullPath(first.Folder), EnsembleOutput.ScenarioFile));
        if (scenario.Algorithm is not EnsembleAlgorithm ensemble || ensemble.Trajectories != first.Identity.Trajectories)
        {
            throw new CliInputException($"{Path.Combine(first.Folder, EnsembleOutput.ScenarioFile)}: not the ensemble of {first.Identity.Trajectories:N0} trajectories that {ShardFile.FileName} describes");
        }

        ResourceEstimate estimate = ResourceEstimate.ForEnsemble(scenario.Problem, ensemble, 0);
        estimate.CheckMemory(memory.Bytes, memory.Name);
        return OutputFolder.Run(directory, "sgdyn merge", estimate, () => Merge(scenario, ensemble, shards, directory, json, allowDivergence, clock));
    }

    private static int Merge(Scenario scenario, EnsembleAlgorithm ensemble, IReadOnlyList<Shard> shards, string directory, bool json, bool allowDivergence, Stopwatch clock)
    {
        Problem problem = scenario.Problem;
        int d = problem.Dimension;
        bool histogram = ensemble.Histogram is not null;
        float[]? states = ensemble.Record.Tails || histogram ? new float[checked((int)(ensemble.Trajectories * d))] : null;
        EnsembleStatistics? merged = null;
        foreach (Shard shard in shards)
        {
            string folder = Path.GetFullPath(shard.Folder);
            try
            {
                EnsembleStatistics statistics = ShardFile.ReadStatistics(folder, shard.Identity, problem, ensemble);
                if (merged is null)
                {
                    merged = statistics;
                }
                else
                {
                    merged.Merge(statistics);
                }

                if (states is not null)
                {
                    ShardFile.ReadStates(folder, shard.Identity, d, states);
                }
            }
            catch (InvalidDataException e)
            {
                throw new CliInputException(e.Message);
            }
        }

        static string Joined(IEnumerable<string> names) => string.Join(", ", names.Distinct(StringComparer.Ordinal));
        string[] backends = [.. shards.Select(s => s.Identity.Backend).Distinct(StringComparer.Ordinal)];
        if (backends.Length > 1)
        {
            Console.Error.WriteLine(
                $"note: the shards ran on {backends.Length} backends ({string.Join(", ", backends)}); the merge is exact, but a GPU rounds multiply-adds " +
                "its own way, so the moments equal a single run's bit for bit only when every shard ran where that run did (managed and ilgpu-cpu agree)");
        }

        EnsembleResult result = EnsembleSolver.ResultOf(
            problem,
            ensemble,
            Joined(shards.Select(s => s.Identity.Backend)),
            Joined(shards.Select(s => s.Identity.Device)),
            new TrajectoryRange(0, ensemble.Trajectories),
            merged!,
            shards.Sum(s => s.Identity.Seconds),
            states);
        JsonObject summary = EnsembleOutput.Write(directory, scenario, result);
        if (histogram)
        {
            summary["histogram"] = GridOutput.WriteHistogram(directory, scenario, result);
        }

        summary["shards"] = new JsonArray([.. shards.Select(s => (JsonNode)new JsonObject
        {
            ["folder"] = s.Folder,
            ["shard"] = s.Identity.Name,
            ["first"] = s.Identity.Range.First,
            ["end"] = s.Identity.Range.End,
            ["backend"] = s.Identity.Backend,
            ["device"] = s.Identity.Device,
            ["seconds"] = Json.Number(s.Identity.Seconds),
        })]);
        Json.WriteFile(Path.Combine(directory, EnsembleOutput.SummaryFile), summary);
        if (json)
        {
            Console.Out.WriteLine(summary.ToJsonString(Json.Indented));
        }
        else
        {
            RunCommand.PrintSummary(scenario, result, directory, summary);
        }

        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"merged {shards.Count} shard{(shards.Count == 1 ? "" : "s")} ({ensemble.Trajectories:N0} trajectories) in {clock.Elapsed.TotalSeconds:F2} s (checks included); seconds and trajectoryStepsPerSecond count the shards' solves added up"));
        return RunCommand.DivergenceExit(result, allowDivergence);
    }
}
