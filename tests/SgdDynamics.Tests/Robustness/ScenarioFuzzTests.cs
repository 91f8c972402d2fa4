using System.Diagnostics;
using SgdDynamics.Cli;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Robustness;

/// <summary>
/// Mutated scenario files (<see cref="ScenarioMutator"/>, fixed seed) against the scenario loader and, for those that
/// load, a bounded run through the command line's run path in-process: each one loads or is refused with a
/// <see cref="ScenarioException"/> whose message is one line, and each run ends with exit 0, 2 or 3 and at most one
/// error line, never a stack trace; no case takes long, and memory does not grow over the run. The class captures the
/// process's console, so it runs alone (<see cref="ConsoleCapture"/>).
/// </summary>
[Collection(nameof(ConsoleCapture))]
public sealed class ScenarioFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 3000;
    private const int Seed = 20261206;

    /// <summary>Longest one case may take: far above the slowest seen (a 100 000-deep nesting is refused at depth 64).</summary>
    private static readonly TimeSpan CaseBound = TimeSpan.FromSeconds(5);

    [Fact]
    public void MutatedScenarioFilesLoadOrAreRefusedInOneLine()
    {
        var mutator = new ScenarioMutator(Seed, ScenarioMutator.Examples());
        string directory = Directory.CreateTempSubdirectory("sgdyn-fuzz-").FullName;
        try
        {
            long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
            int loaded = 0, refused = 0;
            var failures = new List<string>();
            var slowest = (Seconds: 0.0, Mutations: "");
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Cases; i++)
            {
                (string mutations, byte[] bytes) = mutator.Next();
                string path = Path.Combine(directory, $"case-{i}.json");
                File.WriteAllBytes(path, bytes);
                var one = Stopwatch.StartNew();
                try
                {
                    ScenarioLoader.LoadFile(path);
                    loaded++;
                }
                catch (ScenarioException e)
                {
                    refused++;
                    if (e.Message.Contains('\n', StringComparison.Ordinal) || e.Message.Length == 0)
                    {
                        failures.Add($"case {i} ({mutations}): message is not one line: {e.Message}");
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"case {i} ({mutations}): {e.GetType().Name}: {e.Message}");
                }

                double seconds = one.Elapsed.TotalSeconds;
                if (seconds > slowest.Seconds)
                {
                    slowest = (seconds, mutations);
                }

                if (one.Elapsed > CaseBound)
                {
                    failures.Add($"case {i} ({mutations}): took {seconds:F1} s");
                }

                File.Delete(path);
            }

            long growth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
            output.WriteLine(
                $"{Cases} mutated files in {clock.Elapsed.TotalSeconds:F1} s: {loaded} loaded, {refused} refused (exit 2), " +
                $"{failures.Count} failures; slowest {slowest.Seconds * 1e3:F1} ms ({slowest.Mutations}); managed memory growth {growth / 1e6:F1} MB");
            Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
            Assert.True(refused > Cases / 2 && loaded > 0, $"the mutations should mostly break the files and sometimes not: {loaded} loaded, {refused} refused");
            Assert.True(growth < 64_000_000, $"managed memory grew by {growth / 1e6:F1} MB over the run");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Mutated files that load are run, bounded to at most 512 trajectories × 100 steps (ensembles), 64 cells a
    /// dimension × 20 steps (grids) and 256 histogram cells a dimension, through <c>RunCommand.Execute</c> on the managed
    /// backend with one thread, exactly as <c>sgdyn run --json</c> would: exit 0, 2 (refused) or 3 (diverged, outputs
    /// written), with one <c>error:</c> line when it is not 0 and no stack trace.
    /// </summary>
    [Fact]
    public void MutatedScenariosThatLoadRunToExitZeroTwoOrThree()
    {
        const int candidates = 6000;
        var mutator = new ScenarioMutator(Seed + 1, ScenarioMutator.Examples());
        string directory = Directory.CreateTempSubdirectory("sgdyn-fuzz-run-").FullName;
        TextWriter stdout = Console.Out, stderr = Console.Error;
        try
        {
            var counts = new SortedDictionary<int, int>();
            var failures = new List<string>();
            var slowest = (Seconds: 0.0, Mutations: "");
            long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
            var clock = Stopwatch.StartNew();
            int runs = 0;
            for (int i = 0; i < candidates; i++)
            {
                (string mutations, byte[] bytes) = mutator.Next();
                string path = Path.Combine(directory, "case.json");
                File.WriteAllBytes(path, bytes);
                Scenario scenario;
                try
                {
                    scenario = ScenarioLoader.LoadFile(path);
                }
                catch (ScenarioException)
                {
                    continue;
                }
                catch (Exception e)
                {
                    failures.Add($"case {i} ({mutations}): loading threw {e.GetType().Name}: {e.Message}");
                    continue;
                }

                runs++;
                var captured = new StringWriter();
                Console.SetOut(TextWriter.Null);
                Console.SetError(captured);
                var one = Stopwatch.StartNew();
                int code;
                try
                {
                    var limits = new RunLimits(RunCommand.MemoryLimit(null), 1000);
                    string folder = Path.Combine(directory, "out");
                    code = CliRunner.Guard(() => RunCommand.Execute(Bounded(scenario), "managed", 1, folder, json: true, allowDivergence: false, limits));
                }
                finally
                {
                    Console.SetOut(stdout);
                    Console.SetError(stderr);
                }

                double seconds = one.Elapsed.TotalSeconds;
                counts[code] = counts.GetValueOrDefault(code) + 1;
                string[] lines = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                int errors = lines.Count(l => l.StartsWith("error:", StringComparison.Ordinal));
                bool trace = lines.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(', StringComparison.Ordinal));
                if (code is not (0 or 2 or 3) || trace || (code != 0 && errors != 1) || (code == 0 && errors != 0))
                {
                    failures.Add($"case {i} ({mutations}): exit {code}, stderr: {Shorten(captured.ToString())}");
                }

                if (seconds > slowest.Seconds)
                {
                    slowest = (seconds, mutations);
                }

                if (one.Elapsed > RunBound)
                {
                    failures.Add($"case {i} ({mutations}): took {seconds:F1} s");
                }
            }

            long growth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
            output.WriteLine(
                $"{candidates} mutated files, {runs} loaded and run in {clock.Elapsed.TotalSeconds:F1} s: " +
                string.Join(", ", counts.Select(c => $"exit {c.Key}: {c.Value}")) +
                $"; {failures.Count} failures; slowest run {slowest.Seconds:F2} s ({slowest.Mutations}); managed memory growth {growth / 1e6:F1} MB");
            Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
            Assert.True(runs >= 100, $"only {runs} of {candidates} mutated files loaded");
            Assert.True(growth < 64_000_000, $"managed memory grew by {growth / 1e6:F1} MB over the runs");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Longest one bounded run may take (the slowest seen is well under a second).</summary>
    private static readonly TimeSpan RunBound = TimeSpan.FromSeconds(20);

    /// <summary>The scenario with its algorithm cut down so that every run is short.</summary>
    private static Scenario Bounded(Scenario scenario) => scenario with
    {
        Algorithm = scenario.Algorithm switch
        {
            EnsembleAlgorithm e => e with
            {
                Trajectories = Math.Min(e.Trajectories, 512),
                Steps = Math.Min(e.Steps, 100),
                Histogram = e.Histogram is { } grid ? Coarse(grid, 256) : null,
            },
            MasterEquationAlgorithm m => m with { Grid = Coarse(m.Grid, 64), Steps = Math.Min(m.Steps, 20) },
            FokkerPlanckAlgorithm f => f with { Grid = Coarse(f.Grid, 64), Steps = Math.Min(f.Steps, 20) },
            var other => throw new InvalidOperationException($"no bound for {other.GetType().Name}"),
        },
    };

    private static GridSpec Coarse(GridSpec grid, int cells) => new(grid.Lower, grid.Upper, [.. grid.Cells.Select(c => Math.Min(c, cells))]);

    private static string Shorten(string text) => text.Length <= 2000 ? text : text[..2000] + "...";
}

/// <summary>Tests that replace the process's console writers run alone.</summary>
[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture;
