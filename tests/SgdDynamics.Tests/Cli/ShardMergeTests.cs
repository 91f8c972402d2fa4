using System.Text.Json.Nodes;
using SgdDynamics.Backends;
using SgdDynamics.Output;

namespace SgdDynamics.Tests.Cli;

/// <summary>
/// <c>sgdyn run --shard i/N</c> and <c>sgdyn merge</c> end to end, with the commands the cluster examples run: the merge of
/// N shards writes the single run's outputs — every file byte for byte (timeseries.csv, modes.csv, scenario.json,
/// projections.csv, the final histogram and its plot), and summary.json less the fields that describe how it ran
/// (<see cref="RunFields"/>) — for N = 1, 2, 3 and 7; merges that cannot be exact, and shard options that cannot work, are
/// refused with exit 2 and one error line naming the folders or the option.
/// </summary>
public sealed class ShardMergeTests(ShardMergeTests.Shards shards) : IClassFixture<ShardMergeTests.Shards>
{
    /// <summary>The summary.json fields that may differ between a merge and the single run (wall time, where it ran, the shard list).</summary>
    private static readonly string[] RunFields = ["seconds", "trajectoryStepsPerSecond", "backend", "device", "shards", "peakMemoryBytes"];

    /// <summary>
    /// 2-D quadratic, 2000 trajectories (8 tiles of 256, the last one partial) × 50 steps recorded every 10, keeping the
    /// final states for tail indices and a 20 × 20 histogram.
    /// </summary>
    private static readonly string WithFinalStates = CliScenarios.With(
        CliScenarios.With(CliScenarios.Example2D, "record", """{ "every": 10, "tails": true }"""),
        "solver",
        """{ "type": "ensemble", "histogram": true, "grid": { "lower": [-3, -3], "upper": [3, 3], "cells": [20, 20] } }""");

    /// <summary>
    /// 1-D random walk bounded at |x| ≤ 12 (part of the walks diverge), 2000 × 50, with the moments along two directions
    /// and their covariance.
    /// </summary>
    private static readonly string WithProjectionsAndDivergence = CliScenarios.With(
        CliScenarios.PartlyDiverging1D, "record", """{ "every": 10, "directions": { "rows": [[1], [-0.5]], "centre": "initial", "covariance": true } }""");

    /// <summary>1-D master equation on 100 cells: a grid solver, which is not sharded.</summary>
    private const string MasterEquation = """
        {
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.5 },
          "initial": { "point": [2] },
          "ensemble": { "steps": 20 },
          "record": { "every": 10 },
          "solver": { "type": "masterEquation", "grid": { "lower": [-5], "upper": [5], "cells": [100] } }
        }
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void MergedShardsEqualTheSingleRun(int count)
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("states.json", WithFinalStates);
        string single = shards.SingleRunWithFinalStates;
        string[] folders = RunShards(temp, scenario, count);
        for (int i = 0; i < count; i++)
        {
            // the exact rule: shard i runs tiles [floor(i T / N), floor((i + 1) T / N)) of the T = 8 tiles
            JsonObject shard = Outputs.ReadJson(Path.Combine(folders[i], ShardFile.FileName));
            long first = Math.Min(2000, i * 8 / count * 256), end = Math.Min(2000, (i + 1) * 8 / count * 256);
            Assert.Equal(first, shard["first"]!.GetValue<long>());
            Assert.Equal(end, shard["end"]!.GetValue<long>());
            Assert.Equal(end - first, Outputs.ReadJson(Path.Combine(folders[i], "summary.json"))["trajectories"]!.GetValue<long>());
        }

        string merged = temp["merged"];
        CliResult merge = Sgdyn.Run(temp.Path, ["merge", .. folders.Reverse(), "--out", merged]);
        Assert.True(merge.ExitCode == 0, merge.ToString());

        AssertSameOutputs(single, merged, "timeseries.csv", "modes.csv", "scenario.json", "density_50.csv", "density_50.png");
        JsonObject summary = Outputs.ReadJson(Path.Combine(merged, "summary.json"));
        Assert.Equal(count, summary["shards"]!.AsArray().Count);
        Assert.NotNull(summary["final"]!["tailIndex"]);
        Assert.True(RunFolder.IsComplete(merged, Directory.EnumerateFiles(merged).Select(Path.GetFileName).Where(n => n is not (RunFolder.ManifestFile or RunFolder.LockFile)).ToArray()!, out string reason), reason);
    }

    /// <summary>
    /// Projections (means, variances, their covariance) and divergence counts merge exactly too; the merge of a run
    /// in which trajectories diverged exits 3 like the run, with its outputs written.
    /// </summary>
    [Fact]
    public void MergedShardsWithProjectionsAndDivergenceEqualTheSingleRun()
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("walk.json", WithProjectionsAndDivergence);
        string single = temp["single"];
        CliResult run = Sgdyn.Run(temp.Path, "run", scenario, "--out", single, "--backend", "managed");
        Assert.True(run.ExitCode == 3, run.ToString());
        string[] folders = RunShards(temp, scenario, 3, "--allow-divergence");

        string merged = temp["merged"];
        CliResult merge = Sgdyn.Run(temp.Path, ["merge", .. folders, "--out", merged]);
        Assert.True(merge.ExitCode == 3, merge.ToString());
        Assert.Contains("diverged", merge.MessageLines.Last(), StringComparison.Ordinal);
        Assert.True(Outputs.ReadJson(Path.Combine(merged, "summary.json"))["final"]!["diverged"]!.GetValue<long>() > 0);
        AssertSameOutputs(single, merged, "timeseries.csv", "scenario.json", "projections.csv", "projection_covariance.npy");
    }

    [Fact]
    public void MergeRefusesAMissingShard()
    {
        using var temp = new TempFolder();
        CliResult r = Sgdyn.Run(temp.Path, "merge", shards.Of3[0], shards.Of3[2], "--out", temp["merged"]);
        AssertOneError(r, "missing shard 1/3 (trajectories [512, 1280))", "run the missing ones");
        Assert.False(Directory.Exists(temp["merged"]), "nothing is written for a refused merge");
    }

    [Fact]
    public void MergeRefusesOverlappingShards()
    {
        using var temp = new TempFolder();
        CliResult r = Sgdyn.Run(temp.Path, "merge", shards.Of3[0], shards.Of3[1], shards.Of3[2], shards.Second2, "--out", temp["merged"]);
        AssertOneError(r, "overlapping shards: ", $"{shards.Of3[1]} (shard 1/3, trajectories [512, 1280)) and {shards.Second2} (shard 1/2, trajectories [1024, 2000))");
    }

    [Fact]
    public void MergeRefusesADuplicatedShard()
    {
        using var temp = new TempFolder();
        string copy = temp["copy-of-shard-0"];
        CopyFolder(shards.Of3[0], copy);
        CliResult r = Sgdyn.Run(temp.Path, "merge", shards.Of3[0], copy, shards.Of3[1], shards.Of3[2], "--out", temp["merged"]);
        AssertOneError(r, "duplicated shard 0/3: ", $"{shards.Of3[0]} and {copy}");
    }

    [Fact]
    public void MergeRefusesShardsOfDifferentScenarios()
    {
        using var temp = new TempFolder();
        CliResult r = Sgdyn.Run(temp.Path, "merge", shards.Of3[0], shards.Of3[1], shards.OtherSeed2Of3, "--out", temp["merged"]);
        AssertOneError(r, "different scenarios: ", shards.OtherSeed2Of3);
    }

    [Fact]
    public void MergeRefusesAFolderThatIsNotAFinishedShard()
    {
        using var temp = new TempFolder();
        CliResult notShard = Sgdyn.Run(temp.Path, "merge", shards.SingleRunWithFinalStates, "--out", temp["merged"]);
        AssertOneError(notShard, shards.SingleRunWithFinalStates, "holds no shard.json");

        string unfinished = temp["unfinished"];
        CopyFolder(shards.Of3[2], unfinished);
        File.Delete(Path.Combine(unfinished, RunFolder.ManifestFile));
        CliResult r = Sgdyn.Run(temp.Path, "merge", shards.Of3[0], shards.Of3[1], unfinished, "--out", temp["merged"]);
        AssertOneError(r, unfinished, "did not finish");
    }

    [Theory]
    [InlineData("3/3", "--shard 3/3: ", "below N = 3")]
    [InlineData("x/0", "--shard 'x/0': ", "expected i/N")]
    [InlineData("0/0", "--shard 0/0: ", "at least 1")]
    [InlineData("-1/2", "--shard '-1/2': ", "expected i/N")]
    [InlineData("0/9", "--shard 0/9: ", "make 8 tiles of 256, and a shard runs whole tiles: at most 8 shards")]
    public void RunRefusesAnImpossibleShard(string shard, string location, string detail)
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("example.json", CliScenarios.Example2D);
        CliResult r = Sgdyn.Run(temp.Path, "run", scenario, "--shard", shard, "--out", temp["out"]);
        AssertOneError(r, location, detail);
        Assert.False(Directory.Exists(temp["out"]));
    }

    [Fact]
    public void RunRefusesToShardAGridSolverOrAResumedOrCheckpointedRun()
    {
        using var temp = new TempFolder();
        string grid = temp.Write("grid.json", MasterEquation);
        AssertOneError(Sgdyn.Run(temp.Path, "run", grid, "--shard", "0/2", "--out", temp["out"]), "--shard 0/2: grid.json runs the masterEquation grid solver", "grids are not sharded");

        string scenario = temp.Write("example.json", CliScenarios.Example2D);
        AssertOneError(Sgdyn.Run(temp.Path, "run", scenario, "--shard", "0/2", "--checkpoint-every", "10"), "--shard cannot be used with --checkpoint-every", "runs whole");
        AssertOneError(Sgdyn.Run(temp.Path, "run", "--resume", temp["out"], "--shard", "0/2"), "--shard cannot be used with --resume", "runs whole");
        Assert.False(Directory.Exists(temp["out"]));
    }

    /// <summary>
    /// examples/cluster/slurm-array.sh, submitted as on a cluster, with a stand-in <c>sbatch</c> that runs the array's tasks
    /// (SLURM_ARRAY_TASK_ID = 0 … N−1) and then the dependent merge job: the merged folder holds the single run's outputs.
    /// </summary>
    [Fact]
    public async Task SlurmExampleRunsTheShardsAndTheMerge()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // a bash script for Linux clusters
        }

        using var temp = new TempFolder();
        string scenario = temp.Write("states.json", WithFinalStates);
        string bin = temp["bin"];
        Directory.CreateDirectory(bin);
        string sbatch = Path.Combine(bin, "sbatch");
        File.WriteAllText(sbatch, """
            #!/usr/bin/env bash
            # stands in for Slurm's sbatch: runs a job (each task of an array in turn) at once, then prints a job id
            set -euo pipefail
            echo "sbatch $*" >> "$FAKE_SLURM_LOG"
            array=""
            while [ $# -gt 0 ]; do
              case "$1" in
                --array=*) array=${1#--array=} ;;
                --*) ;;
                *) break ;;
              esac
              shift
            done
            script=$1
            shift
            if [ -n "$array" ]; then
              for ((i = ${array%-*}; i <= ${array#*-}; i++)); do
                SLURM_ARRAY_TASK_ID=$i bash "$script" "$@" >> "$FAKE_SLURM_LOG" 2>&1
              done
            else
              bash "$script" "$@" >> "$FAKE_SLURM_LOG" 2>&1
            fi
            echo "$RANDOM"
            """.Replace("\r", ""));
        File.SetUnixFileMode(sbatch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        string script = Path.Combine(RepositoryRoot(), "examples", "cluster", "slurm-array.sh");
        var info = new System.Diagnostics.ProcessStartInfo("bash") { WorkingDirectory = temp.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { script, "submit", scenario, "3", temp["out"] })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        info.Environment["SGDYN"] = $"{Sgdyn.Host} {Sgdyn.Dll}";
        info.Environment["SGDYN_ARGS"] = "--backend managed";
        info.Environment["FAKE_SLURM_LOG"] = temp["slurm.log"];
        using var process = System.Diagnostics.Process.Start(info)!;
        Task<string> stdoutTask = process.StandardOutput.ReadToEndAsync(), stderrTask = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(Sgdyn.Timeout))
        {
            await process.WaitForExitAsync(timeout.Token);
        }

        string stdout = await stdoutTask, stderr = await stderrTask;
        string log = File.Exists(temp["slurm.log"]) ? await File.ReadAllTextAsync(temp["slurm.log"]) : "(no log)";
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}\n{stderr}\n{log}");
        Assert.Contains("merge: job", stdout, StringComparison.Ordinal);
        Assert.Contains("--dependency=afterok:", log, StringComparison.Ordinal);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(File.Exists(Path.Combine(temp["out"], $"shard-{i}-of-3", ShardFile.FileName)), log);
        }

        AssertSameOutputs(shards.SingleRunWithFinalStates, Path.Combine(temp["out"], "merged"), "timeseries.csv", "modes.csv", "density_50.csv");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Engine.sln")))
        {
            directory = directory.Parent;
        }

        Assert.True(directory is not null, "the repository root (Engine.sln) is not above the test binaries");
        return directory!.FullName;
    }

    /// <summary>The rule of <see cref="ShardFile.RangeOf"/>: whole tiles, every trajectory in exactly one shard, the sizes within a tile of each other.</summary>
    [Fact]
    public void ShardRangesAreWholeTilesThatCoverTheEnsembleOnce()
    {
        foreach (long trajectories in new[] { 1L, 255, 256, 257, 2000, 100 * 256 * 3 + 17, 1L << 32 })
        {
            long tiles = ShardFile.TileCount(trajectories);
            foreach (int count in new[] { 1, 2, 3, 7, 100 }.Where(n => n <= tiles))
            {
                long next = 0;
                var sizes = new List<long>();
                for (int i = 0; i < count; i++)
                {
                    TrajectoryRange range = ShardFile.RangeOf(trajectories, i, count);
                    Assert.Equal(next, range.First);
                    Assert.Equal(0, range.First % 256);
                    Assert.True(range.Count >= 1);
                    sizes.Add((range.Count + 255) / 256);
                    next = range.End;
                }

                Assert.Equal(trajectories, next);
                Assert.True(sizes.Max() - sizes.Min() <= 1, $"{trajectories} in {count} shards: tiles per shard {string.Join(", ", sizes)}");
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ShardFile.RangeOf(2000, 0, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardFile.RangeOf(2000, 3, 3));
    }

    /// <summary>Runs shards 0/N … (N−1)/N of <paramref name="scenario"/> (two processes at a time) and returns their folders.</summary>
    private static string[] RunShards(TempFolder temp, string scenario, int count, params string[] extra)
    {
        string[] folders = Enumerable.Range(0, count).Select(i => temp[$"shard-{i}"]).ToArray();
        var results = new CliResult[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            results[i] = Sgdyn.Run(temp.Path, ["run", scenario, "--shard", $"{i}/{count}", "--out", folders[i], "--backend", "managed", .. extra]));
        foreach (CliResult r in results)
        {
            Assert.True(r.ExitCode == 0, r.ToString());
        }

        return folders;
    }

    /// <summary>The files are byte-identical, and summary.json is the same JSON less <see cref="RunFields"/>.</summary>
    private static void AssertSameOutputs(string expected, string actual, params string[] files)
    {
        foreach (string file in files)
        {
            Assert.True(
                File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))),
                $"{file} differs between the single run ({expected}) and the merge ({actual})");
        }

        Assert.Equal(WithoutRunFields(Path.Combine(expected, "summary.json")), WithoutRunFields(Path.Combine(actual, "summary.json")));
    }

    private static string WithoutRunFields(string path)
    {
        JsonObject summary = Outputs.ReadJson(path);
        foreach (string field in RunFields)
        {
            summary.Remove(field);
        }

        return summary.ToJsonString();
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static void AssertOneError(CliResult r, string location, string detail)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.True(r.ErrLines.Length == 1, r.ToString());
        string line = r.ErrLines[0];
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(location, line, StringComparison.Ordinal);
        Assert.Contains(detail, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.StdErr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Shared runs: the single run of <see cref="WithFinalStates"/>; shards 0/3, 1/3, 2/3 and 1/2 of
    /// <see cref="CliScenarios.Example2D"/> (1/2 with the default output folder, runs/example/shard-1-of-2); shard 2/3 of the
    /// same scenario with another seed.
    /// </summary>
    public sealed class Shards : IDisposable
    {
        private readonly TempFolder temp = new();

        public Shards()
        {
            string states = temp.Write("states.json", WithFinalStates);
            string example = temp.Write("example.json", CliScenarios.Example2D);
            string other = temp.Write("other.json", CliScenarios.With(CliScenarios.Example2D, "ensemble", """{ "trajectories": 2000, "steps": 50, "seed": 8 }"""));
            SingleRunWithFinalStates = temp["single"];
            Of3 = [temp["of3-0"], temp["of3-1"], temp["of3-2"]];
            Second2 = temp["runs/example/shard-1-of-2"];
            OtherSeed2Of3 = temp["other-2-of-3"];
            string[][] commands =
            [
                ["run", states, "--out", SingleRunWithFinalStates, "--backend", "managed"],
                ["run", example, "--shard", "0/3", "--out", Of3[0]],
                ["run", example, "--shard", "1/3", "--out", Of3[1]],
                ["run", example, "--shard", "2/3", "--out", Of3[2]],
                ["run", example, "--shard", "1/2"],
                ["run", other, "--shard", "2/3", "--out", OtherSeed2Of3],
            ];
            var results = new CliResult[commands.Length];
            Parallel.For(0, commands.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => results[i] = Sgdyn.Run(temp.Path, commands[i]));
            foreach (CliResult r in results)
            {
                Assert.True(r.ExitCode == 0, r.ToString());
            }

            Assert.True(File.Exists(Path.Combine(Second2, ShardFile.FileName)), "a shard's default folder is runs/<file name>/shard-i-of-N");
        }

        /// <summary>The single run of <see cref="WithFinalStates"/>.</summary>
        public string SingleRunWithFinalStates { get; }

        /// <summary>Shards 0/3, 1/3, 2/3 of the 2-D example.</summary>
        public string[] Of3 { get; }

        /// <summary>Shard 1/2 of the 2-D example.</summary>
        public string Second2 { get; }

        /// <summary>Shard 2/3 of the 2-D example with seed 8.</summary>
        public string OtherSeed2Of3 { get; }

        public void Dispose() => temp.Dispose();
    }
}
