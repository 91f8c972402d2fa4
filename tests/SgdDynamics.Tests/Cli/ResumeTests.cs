using System.Text.Json.Nodes;
using SgdDynamics.Output;

namespace SgdDynamics.Tests.Cli;

/// <summary>
/// <c>sgdyn run --resume DIR</c> end to end: a run stopped by SIGTERM/SIGINT, or killed with SIGKILL after a periodic
/// checkpoint (<c>--checkpoint-every</c>, <c>--checkpoint-seconds</c>), and then resumed — possibly more than once and
/// with another thread count — writes exactly the outputs of the same run done without a stop: every file byte for byte,
/// summary.json as JSON less its timing and device fields. A resumed run leaves a complete manifest that lists every
/// file with its SHA-256 and no checkpoint. A resume that cannot be exact is refused with exit 2 and one error line,
/// and leaves the checkpoint as it was.
/// </summary>
public sealed class ResumeTests
{
    /// <summary>The summary.json fields that depend on the wall clock or the thread count, not on the statistics.</summary>
    private static readonly string[] TimingFields = ["seconds", "trajectoryStepsPerSecond", "cellUpdatesPerSecond", "device", "peakMemoryBytes"];

    /// <summary>2-D quadratic ensemble, 2,000,000 trajectories × 1000 steps recorded every 100 (about 2 s on 2 cores).</summary>
    private const string Ensemble2D = """
        {
          "name": "resume-ensemble",
          "landscape": { "type": "quadratic", "hessian": [[2, 0.5], [0.5, 1]], "gradientNoiseCovariance": [[1, 0.3], [0.3, 0.5]] },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "point": [1, -1] },
          "ensemble": { "trajectories": 2000000, "steps": 1000, "seed": 7 },
          "record": { "every": 100 }
        }
        """;

    /// <summary>
    /// 2-D ensemble that keeps its final states (tail indices, and the final histogram on a 40 × 40 grid),
    /// 500,000 trajectories × 2000 steps recorded every 200 (about a second of work on 2 cores, and again as long for the tails and the histogram).
    /// </summary>
    private const string EnsembleWithFinalStates = """
        {
          "name": "resume-final-states",
          "landscape": { "type": "quadratic", "hessian": [[2, 0.5], [0.5, 1]], "gradientNoiseCovariance": [[1, 0.3], [0.3, 0.5]] },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "point": [1, -1] },
          "ensemble": { "trajectories": 500000, "steps": 2000, "seed": 11 },
          "record": { "every": 200, "tails": true },
          "solver": { "type": "ensemble", "histogram": true, "grid": { "lower": [-1, -1], "upper": [1, 1], "cells": [40, 40] } }
        }
        """;

    /// <summary>1-D master equation on 400 cells, 160,000 steps recorded every 4,000: 41 density files and the overlay plot (about 3 s on two cores, long enough to be stopped part-way).</summary>
    private const string MasterEquation1D = """
        {
          "name": "resume-master-equation",
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.5 },
          "initial": { "point": [2] },
          "ensemble": { "steps": 160000 },
          "record": { "every": 4000 },
          "solver": { "type": "masterEquation", "boundary": "absorbing", "grid": { "lower": [-5], "upper": [5], "cells": [400] } }
        }
        """;

    /// <summary>2-D discrete Fokker–Planck on 48 × 40 cells, 16,000 steps recorded every 500: a density CSV per record, heat maps of some (about 3.5 s on two cores, long enough to be killed and stopped part-way).</summary>
    private const string FokkerPlanck2D = """
        {
          "name": "resume-fokker-planck",
          "landscape": { "type": "quadratic", "hessian": [[1, 0.2], [0.2, 0.5]], "gradientNoiseCovariance": [[1, 0], [0, 1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.2 },
          "initial": { "mean": [1, -0.5], "covariance": [[0.2, 0], [0, 0.2]] },
          "ensemble": { "steps": 16000 },
          "record": { "every": 500 },
          "solver": { "type": "fokkerPlanck", "variant": "discrete", "grid": { "lower": [-4, -4], "upper": [4, 4], "cells": [48, 40] } }
        }
        """;

    /// <summary>
    /// An ensemble stopped by SIGTERM part-way (once 30 % of its work is reported, with trajectories complete and not all
    /// of them) exits 143 with a checkpoint; <c>--resume</c> then completes it with exactly the outputs of an
    /// uninterrupted run (summary.json, timeseries.csv, modes.csv, scenario.json), a complete manifest and no checkpoint.
    /// </summary>
    [SignalFact(Signals.Term)]
    public void EnsembleStoppedBySigtermResumesToTheUninterruptedResult()
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("ensemble.json", Ensemble2D);
        string reference = temp["reference"], stopped = temp["stopped"];
        AssertOk(Sgdyn.Run(temp.Path, "run", scenario, "--out", reference, "--backend", "managed"));

        // two threads: a first segment of a fixed size, well below 30 % of the work, so that some trajectories are complete
        CliResult stop = SignalledRun.AtProgress(temp.Path, Signals.Term, 30, "run", scenario, "--out", stopped, "--backend", "managed", "--threads", "2");
        AssertStopped(stop, Signals.Term, stopped);
        long done = Checkpoint(stopped)["trajectoriesDone"]!.GetValue<long>();
        Assert.InRange(done, 1, 2_000_000 - 1);

        CliResult resumed = Resume(temp, stopped);
        AssertResumedCompletely(resumed, stopped);
        Assert.Contains($"(resumed after {done:N0})", resumed.StdErr);
        AssertSameOutputs(reference, stopped);
    }

    /// <summary>
    /// An ensemble that keeps its final states (tail indices, final histogram), with <c>--checkpoint-every</c>, killed by
    /// SIGKILL right after its first periodic checkpoint, resumed with <c>--threads 1</c> and killed again after the
    /// resumed run's next checkpoint (which adds a states file to the earlier one), then resumed to the end with one
    /// thread: every output equals the uninterrupted run's on all cores, the final histogram and its plot included.
    /// </summary>
    [SignalFact(Signals.Kill)]
    public void EnsembleWithFinalStatesKilledAfterCheckpointsResumesOnOneThread()
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("ensemble.json", EnsembleWithFinalStates);
        string reference = temp["reference"], killed = temp["killed"];
        AssertOk(Sgdyn.Run(temp.Path, "run", scenario, "--out", reference, "--backend", "managed"));
        Assert.True(File.Exists(Path.Combine(reference, "density_2000.csv")), "the reference run should write its final histogram");

        CliResult first = SignalledRun.KillAtCheckpoint(temp.Path, killed, null, "run", scenario, "--out", killed, "--backend", "managed", "--checkpoint-every", "200");
        AssertKilled(first);
        JsonObject firstCheckpoint = Checkpoint(killed);
        long firstDone = firstCheckpoint["trajectoriesDone"]!.GetValue<long>();
        Assert.InRange(firstDone, 1, 500_000 - 1);
        Assert.True(firstCheckpoint["finalStates"]!.GetValue<bool>());
        Assert.NotEmpty(firstCheckpoint["stateFiles"]!.AsArray());

        CliResult second = SignalledRun.KillAtCheckpoint(
            temp.Path, killed, null, "run", "--resume", killed, "--threads", "1", "--checkpoint-every", "200");
        AssertKilled(second);
        JsonObject secondCheckpoint = Checkpoint(killed);
        long secondDone = secondCheckpoint["trajectoriesDone"]!.GetValue<long>();
        Assert.InRange(secondDone, firstDone + 1, 500_000 - 1);
        Assert.True(secondCheckpoint["stateFiles"]!.AsArray().Count > firstCheckpoint["stateFiles"]!.AsArray().Count, "the resumed run's checkpoint adds the states of its trajectories");

        CliResult resumed = Resume(temp, killed, "--threads", "1");
        AssertResumedCompletely(resumed, killed);
        AssertSameOutputs(reference, killed);
    }

    /// <summary>
    /// A 1-D master-equation run stopped by SIGINT part-way exits 130 with a checkpoint and the records so far;
    /// <c>--resume</c> completes it: timeseries.csv, every density_&lt;step&gt;.csv, the overlay plot density.png and
    /// summary.json equal the uninterrupted run's, and the manifest lists every density file with its SHA-256.
    /// </summary>
    [SignalFact(Signals.Int)]
    public void GridRunStoppedBySigintResumesToTheUninterruptedResult()
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("grid.json", MasterEquation1D);
        string reference = temp["reference"], stopped = temp["stopped"];
        AssertOk(Sgdyn.Run(temp.Path, "run", scenario, "--out", reference, "--backend", "managed"));
        Assert.Equal(41, Directory.GetFiles(reference, "density_*.csv").Length);

        CliResult stop = SignalledRun.AtProgress(temp.Path, Signals.Int, 10, "run", scenario, "--out", stopped, "--backend", "managed");
        AssertStopped(stop, Signals.Int, stopped);
        int step = Checkpoint(stopped)["step"]!.GetValue<int>();
        Assert.InRange(step, 1, 160_000 - 1);

        CliResult resumed = Resume(temp, stopped);
        AssertResumedCompletely(resumed, stopped);
        Assert.Contains($"(resumed at step {step:N0})", resumed.StdErr);
        AssertSameOutputs(reference, stopped);
    }

    /// <summary>
    /// A 2-D Fokker–Planck run with <c>--checkpoint-seconds 0.5</c> killed by SIGKILL after a checkpoint past step 0,
    /// resumed and stopped again by SIGTERM, then resumed to the end: every density CSV and heat map, timeseries.csv and
    /// summary.json equal the uninterrupted run's, and the manifest lists every file with its SHA-256.
    /// </summary>
    [SignalFact(Signals.Kill)]
    public void GridRunKilledAfterACheckpointResumesTwiceToTheUninterruptedResult()
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("grid.json", FokkerPlanck2D);
        string reference = temp["reference"], killed = temp["killed"];
        AssertOk(Sgdyn.Run(temp.Path, "run", scenario, "--out", reference, "--backend", "managed"));
        Assert.NotEmpty(Directory.GetFiles(reference, "density_*.png"));

        CliResult kill = SignalledRun.KillAtCheckpoint(
            temp.Path, killed, index => index["step"]!.GetValue<int>() > 0, "run", scenario, "--out", killed, "--backend", "managed", "--checkpoint-seconds", "0.5");
        AssertKilled(kill);
        int killedAt = Checkpoint(killed)["step"]!.GetValue<int>();
        Assert.InRange(killedAt, 1, 16_000 - 1);

        CliResult stop = SignalledRun.AtProgress(temp.Path, Signals.Term, 0, "run", "--resume", killed, "--checkpoint-seconds", "0.5");
        AssertStopped(stop, Signals.Term, killed);
        Assert.Contains($"(resumed at step {killedAt:N0})", stop.StdErr);
        int stoppedAt = Checkpoint(killed)["step"]!.GetValue<int>();
        Assert.InRange(stoppedAt, killedAt, 16_000 - 1);

        CliResult resumed = Resume(temp, killed);
        AssertResumedCompletely(resumed, killed);
        Assert.Contains($"(resumed at step {stoppedAt:N0})", resumed.StdErr);
        AssertSameOutputs(reference, killed);
    }

    /// <summary>
    /// Refusals of <c>--resume</c>, each exit 2 with one line <c>error: …</c> naming the cause: a folder without a
    /// checkpoint, a complete run, a scenario file as well, <c>--out</c> as well, an edited scenario.json, a states file
    /// with a flipped byte or cut short, another backend, <c>--checkpoint-every 0</c>, <c>--checkpoint-seconds -1</c>.
    /// A refused resume leaves the checkpoint as it was, and a correct resume afterwards completes the run.
    /// </summary>
    [SignalFact(Signals.Kill)]
    public void EnsembleResumeRefusalsLeaveTheCheckpointUsable()
    {
        using var temp = new TempFolder();
        // final states (tails) without the histogram, 200,000 trajectories: a checkpoint every 100 steps' work is one of ~20 segments
        string scenario = temp.Write("ensemble.json", CliScenarios.With(
            CliScenarios.With(EnsembleWithFinalStates, "solver", null), "ensemble", """{ "trajectories": 200000, "steps": 2000, "seed": 11 }"""));
        string killed = temp["killed"];
        AssertKilled(SignalledRun.KillAtCheckpoint(temp.Path, killed, null, "run", scenario, "--out", killed, "--backend", "managed", "--checkpoint-every", "100"));
        Dictionary<string, string> checkpoint = CheckpointFiles(killed);
        Assert.Contains(checkpoint.Keys, n => n.StartsWith("states_", StringComparison.Ordinal));

        string empty = temp["empty"];
        Directory.CreateDirectory(empty);
        AssertRefused(Resume(temp, empty), "no checkpoint");

        string complete = temp["complete"];
        AssertOk(Sgdyn.Run(temp.Path, "run", temp.Write("small.json", CliScenarios.Example2D), "--out", complete, "--backend", "managed"));
        AssertRefused(Resume(temp, complete), "the run there is complete", "nothing to resume");

        AssertRefused(Sgdyn.Run(temp.Path, "run", scenario, "--resume", killed), "not both");
        AssertRefused(Resume(temp, killed, "--out", temp["elsewhere"]), "--out cannot be used with --resume");
        Assert.False(Directory.Exists(temp["elsewhere"]));
        AssertRefused(Resume(temp, killed, "--backend", "ilgpu-cpu"), "--backend ilgpu-cpu: the run was started on backend 'managed'");
        AssertRefused(Resume(temp, killed, "--checkpoint-every", "0"), "--checkpoint-every must be");
        AssertRefused(Resume(temp, killed, "--checkpoint-seconds", "-1"), "--checkpoint-seconds must be a positive number");
        Assert.Equal(checkpoint, CheckpointFiles(killed));

        string edited = Copy(killed, temp["edited"]);
        string scenarioCopy = Path.Combine(edited, EnsembleOutput.ScenarioFile);
        File.WriteAllText(scenarioCopy, CliScenarios.With(File.ReadAllText(scenarioCopy), "ensemble.seed", "12"));
        AssertRefused(Resume(temp, edited), "scenario.json: changed since the checkpoint");
        Assert.Equal(checkpoint, CheckpointFiles(edited));

        string flipped = Copy(killed, temp["flipped"]);
        string states = Path.Combine(RunCheckpoint.PathOf(flipped), checkpoint.Keys.First(n => n.StartsWith("states_", StringComparison.Ordinal)));
        byte[] bytes = File.ReadAllBytes(states);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(states, bytes);
        AssertRefused(Resume(temp, flipped), Path.GetFileName(states) + ": its SHA-256 differs");
        Assert.True(RunCheckpoint.Exists(flipped));

        string cut = Copy(killed, temp["cut"]);
        string cutStates = Path.Combine(RunCheckpoint.PathOf(cut), Path.GetFileName(states));
        File.WriteAllBytes(cutStates, File.ReadAllBytes(cutStates)[..^4]);
        AssertRefused(Resume(temp, cut), Path.GetFileName(states) + ": ", "bytes, the checkpoint says");
        Assert.True(RunCheckpoint.Exists(cut));

        AssertResumedCompletely(Resume(temp, killed), killed);
    }

    /// <summary>
    /// Refusals of <c>--resume</c> for a grid run stopped by SIGTERM, each exit 2 with one line <c>error: …</c> naming the
    /// cause, the checkpoint left in place: its density file with a flipped byte, a density snapshot it lists deleted or
    /// changed, <c>--max-density-files</c> other than the run started with, and the folder held by another run.
    /// </summary>
    [SignalFact(Signals.Term)]
    public void GridResumeRefusalsLeaveTheCheckpoint()
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("grid.json", MasterEquation1D);
        string stopped = temp["stopped"];
        AssertStopped(SignalledRun.AtProgress(temp.Path, Signals.Term, 0, "run", scenario, "--out", stopped, "--backend", "managed"), Signals.Term, stopped);
        Dictionary<string, string> checkpoint = CheckpointFiles(stopped);
        string density = Assert.Single(checkpoint.Keys, n => n.StartsWith("density_", StringComparison.Ordinal) && n.EndsWith(".f64", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(stopped, "density_0.csv")));

        AssertRefused(Resume(temp, stopped, "--max-density-files", "5"), "--max-density-files 5: the run was started with 1000");
        Assert.Equal(checkpoint, CheckpointFiles(stopped));

        // a folder another run holds: refused naming --resume (not --out, which a resumed run does not take)
        using (RunFolder.Open(stopped, "holder"))
        {
            AssertRefused(Resume(temp, stopped), $"--resume {stopped} is in use by another run", "wait for it to finish, then resume");
        }

        Assert.Equal(checkpoint, CheckpointFiles(stopped));

        string flipped = Copy(stopped, temp["flipped"]);
        string path = Path.Combine(RunCheckpoint.PathOf(flipped), density);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        AssertRefused(Resume(temp, flipped), density + ": its SHA-256 differs");
        Assert.True(RunCheckpoint.Exists(flipped));

        string deleted = Copy(stopped, temp["deleted"]);
        File.Delete(Path.Combine(deleted, "density_0.csv"));
        AssertRefused(Resume(temp, deleted), "density_0.csv: deleted since the checkpoint");
        Assert.Equal(checkpoint, CheckpointFiles(deleted));

        string changed = Copy(stopped, temp["changed"]);
        File.AppendAllText(Path.Combine(changed, "density_0.csv"), "0\n");
        AssertRefused(Resume(temp, changed), "density_0.csv: changed since the checkpoint");
        Assert.Equal(checkpoint, CheckpointFiles(changed));
    }

    private static CliResult Resume(TempFolder temp, string folder, params string[] more) =>
        Sgdyn.Run(temp.Path, ["run", "--resume", folder, .. more]);

    private static void AssertOk(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    /// <summary>A run stopped by <paramref name="signal"/>: its exit code, one error line pointing at --resume, a checkpoint and an interrupted manifest.</summary>
    private static void AssertStopped(CliResult result, int signal, string folder)
    {
        Assert.True(result.ExitCode == 128 + signal, $"expected exit {128 + signal}\n{result}");
        string line = Assert.Single(result.MessageLines);
        Assert.StartsWith($"error: interrupted by {Signals.Name(signal)} after ", line);
        Assert.EndsWith($"continue with: sgdyn run --resume {folder}", line);
        Assert.True(RunCheckpoint.Exists(folder), $"no checkpoint after {Signals.Name(signal)}\n{result}");
        JsonObject manifest = Outputs.ReadJson(Path.Combine(folder, RunFolder.ManifestFile));
        Assert.Equal("interrupted", manifest["status"]!.GetValue<string>());
        Assert.False(manifest["complete"]!.GetValue<bool>());
    }

    /// <summary>A run killed by SIGKILL (it leaves its last checkpoint and nothing else to rely on).</summary>
    private static void AssertKilled(CliResult result) =>
        Assert.True(result.ExitCode == 128 + Signals.Kill, $"expected exit {128 + Signals.Kill} (SIGKILL)\n{result}");

    /// <summary>
    /// A resumed run that completed: exit 0, no checkpoint, a complete manifest listing exactly the folder's outputs with
    /// their sizes and SHA-256.
    /// </summary>
    private static void AssertResumedCompletely(CliResult result, string folder)
    {
        AssertOk(result);
        Assert.False(Directory.Exists(RunCheckpoint.PathOf(folder)), $"the checkpoint of a completed run should be deleted\n{result}");
        JsonObject manifest = Outputs.ReadJson(Path.Combine(folder, RunFolder.ManifestFile));
        Assert.True(manifest["complete"]!.GetValue<bool>(), manifest.ToJsonString());
        Assert.Equal("ok", manifest["status"]!.GetValue<string>());
        var listed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? entry in manifest["files"]!.AsArray())
        {
            string name = entry!["name"]!.GetValue<string>();
            Assert.True(listed.Add(name), $"{name} is listed twice in the manifest");
            string path = Path.Combine(folder, name);
            Assert.True(File.Exists(path), $"the manifest lists {name}, which is missing");
            Assert.Equal(new FileInfo(path).Length, entry["bytes"]!.GetValue<long>());
            Assert.True(entry["sha256"]!.GetValue<string>() == RunFolder.Hash(path), $"the manifest's SHA-256 of {name} is not the file's");
        }

        Assert.Equal(OutputNames(folder), listed);
        Assert.True(RunFolder.IsComplete(folder, [EnsembleOutput.SummaryFile], out string reason), reason);
    }

    /// <summary>
    /// The outputs of <paramref name="actual"/> are those of <paramref name="expected"/>: the same files, each byte for
    /// byte, summary.json as JSON without <see cref="TimingFields"/>.
    /// </summary>
    private static void AssertSameOutputs(string expected, string actual)
    {
        SortedSet<string> names = OutputNames(expected);
        Assert.Equal(names, OutputNames(actual));
        foreach (string name in names)
        {
            string a = Path.Combine(expected, name), b = Path.Combine(actual, name);
            if (name == EnsembleOutput.SummaryFile)
            {
                Assert.Equal(WithoutTiming(a), WithoutTiming(b));
            }
            else
            {
                Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), $"{name} differs from the uninterrupted run's");
            }
        }
    }

    private static string WithoutTiming(string summaryPath)
    {
        JsonObject summary = Outputs.ReadJson(summaryPath);
        foreach (string field in TimingFields)
        {
            summary.Remove(field);
        }

        return summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The output files of a run folder: everything but the manifest, the lock files and the checkpoint folder.</summary>
    private static SortedSet<string> OutputNames(string folder) =>
        new(Directory.GetFiles(folder).Select(Path.GetFileName).Where(n => n != RunFolder.ManifestFile && !n!.StartsWith('.'))!, StringComparer.Ordinal);

    /// <summary>The checkpoint index of <paramref name="folder"/>.</summary>
    private static JsonObject Checkpoint(string folder) =>
        Outputs.ReadJson(Path.Combine(RunCheckpoint.PathOf(folder), RunCheckpoint.IndexFile));

    /// <summary>The files of the checkpoint of <paramref name="folder"/> with their SHA-256.</summary>
    private static Dictionary<string, string> CheckpointFiles(string folder)
    {
        Assert.True(RunCheckpoint.Exists(folder), $"{folder} has no checkpoint");
        return Directory.GetFiles(RunCheckpoint.PathOf(folder)).ToDictionary(p => Path.GetFileName(p), RunFolder.Hash, StringComparer.Ordinal);
    }

    /// <summary>Refused: exit 2 and one stderr line, <c>error: …</c>, containing each of <paramref name="causes"/>.</summary>
    private static void AssertRefused(CliResult result, params string[] causes)
    {
        Assert.True(result.ExitCode == 2, $"expected exit 2\n{result}");
        string line = Assert.Single(result.ErrLines);
        Assert.StartsWith("error: ", line);
        foreach (string cause in causes)
        {
            Assert.True(line.Contains(cause, StringComparison.Ordinal), $"the error should name the cause ({cause})\n{result}");
        }
    }

    /// <summary>Copies a run folder, its checkpoint included, to <paramref name="target"/>.</summary>
    private static string Copy(string source, string target)
    {
        foreach (string dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories).Prepend(source))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)));
        }

        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
        }

        return target;
    }
}
