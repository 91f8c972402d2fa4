using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SgdDynamics.Output;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary>Run folders end to end: the lock, the manifest, reuse of a folder, compare's check, unwritable folders.</summary>
public sealed class OutputFolderTests : IDisposable
{
    private const string MasterEquation1D = """
        {"name": "me1d",
         "landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"steps": 30},
         "record": {"every": 10},
         "solver": {"type": "masterEquation", "grid": {"lower": [-4], "upper": [4], "cells": [160]}}}
        """;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Manifest_ListsEveryOutputWithSizeAndHash_WrittenLast_Complete()
    {
        string output = dir["out"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("me.json", MasterEquation1D), "--out", output, "--backend", "managed");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject manifest = ReadJson(Path.Combine(output, "manifest.json"));
        Assert.True(manifest["complete"]!.GetValue<bool>());
        Assert.Equal("ok", manifest["status"]!.GetValue<string>());
        Assert.Equal(Environment.MachineName, manifest["host"]!.GetValue<string>());
        var listed = manifest["files"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!);
        string[] outputs = Directory.GetFiles(output).Select(f => Path.GetFileName(f)!)
            .Where(n => n is not "manifest.json" and not RunFolder.LockFile).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            ["density.png", "density_0.csv", "density_0.npy", "density_10.csv", "density_10.npy", "density_20.csv", "density_20.npy", "density_30.csv", "density_30.npy", "grid.npz", "scenario.json", "summary.json", "timeseries.csv"],
            outputs);
        Assert.Equal(outputs, listed.Keys.Order(StringComparer.Ordinal));
        foreach (string name in outputs)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(output, name));
            Assert.Equal(bytes.LongLength, listed[name]["bytes"]!.GetValue<long>());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), listed[name]["sha256"]!.GetValue<string>());
            Assert.True(File.GetLastWriteTimeUtc(Path.Combine(output, name)) <= File.GetLastWriteTimeUtc(Path.Combine(output, "manifest.json")), name);
        }

        // no temporary files, no owner file once the run is over; the lock file stays, empty
        Assert.Equal(0, new FileInfo(Path.Combine(output, RunFolder.LockFile)).Length);
        Assert.Equal(outputs.Length + 2, Directory.GetFiles(output).Length);
    }

    [Fact]
    public void FailedRun_WritesAnIncompleteManifest_WithTheError()
    {
        string scenario = dir.Write("fp0.json", """
            {"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[0]]},
             "optimizer": {"type": "sgd", "learningRate": 0.5}, "initial": {"point": [1]}, "ensemble": {"steps": 10},
             "solver": {"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-4], "upper": [4], "cells": [40]}}}
            """);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--out", dir["out"], "--backend", "managed");

        Assert.True(r.ExitCode == 2, r.ToString());
        JsonObject manifest = ReadJson(dir[Path.Combine("out", "manifest.json")]);
        Assert.False(manifest["complete"]!.GetValue<bool>());
        Assert.Equal("failed", manifest["status"]!.GetValue<string>());
        Assert.Contains("D_00 must be > 0", manifest["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void DivergedRun_ManifestIsCompleteWithStatusDiverged()
    {
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("blowup.json", CliScenarios.BlowUp1D), "--out", dir["out"], "--backend", "managed");

        Assert.True(r.ExitCode == 3, r.ToString());
        JsonObject manifest = ReadJson(dir[Path.Combine("out", "manifest.json")]);
        Assert.True(manifest["complete"]!.GetValue<bool>());
        Assert.Equal("diverged", manifest["status"]!.GetValue<string>());
        Assert.Equal(["run.png", "scenario.json", "summary.json", "timeseries.csv", "timeseries.npz", "modes.csv"], manifest["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).OrderBy(n => n == "modes.csv"));
    }

    [Fact]
    public void FolderHeldByAnotherRun_IsRefusedAtOnce_NamingTheHolder()
    {
        string output = dir["out"];
        using RunFolder held = RunFolder.Open(output, "test holder");

        var clock = Stopwatch.StartNew();
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", CliScenarios.Example2D), "--out", output, "--backend", "managed");

        Assert.True(r.ExitCode == 2, r.ToString());
        string line = Assert.Single(r.MessageLines);
        Assert.Contains("is in use by another run", line, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId} on {Environment.MachineName}, test holder, started ", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "summary.json")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void ReusedFolder_IsClearedOfThePreviousRunsOutputs_OtherFilesKept()
    {
        string output = dir["out"];
        CliResult first = Sgdyn.Run(dir.Path, "run", dir.Write("me.json", MasterEquation1D), "--out", output, "--backend", "managed");
        Assert.True(first.ExitCode == 0, first.ToString());
        File.WriteAllText(Path.Combine(output, "notes.txt"), "mine");

        // the same folder for an ensemble run: the density files of the grid run must not remain beside its outputs
        CliResult second = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", CliScenarios.Example2D), "--out", output, "--backend", "managed");

        Assert.True(second.ExitCode == 0, second.ToString());
        string[] left = Directory.GetFiles(output).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([RunFolder.LockFile, "manifest.json", "modes.csv", "notes.txt", "run.png", "scenario.json", "summary.json", "timeseries.csv", "timeseries.npz"], left);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(output, "notes.txt")));
    }

    [Fact]
    public void Compare_RefusesAFolderWithoutACompleteManifest_UnlessAllowed()
    {
        string a = dir["a"], b = dir["b"];
        string scenario = dir.Write("me.json", MasterEquation1D);
        Assert.Equal(0, Sgdyn.Run(dir.Path, "run", scenario, "--out", a, "--backend", "managed").ExitCode);
        Assert.Equal(0, Sgdyn.Run(dir.Path, "run", scenario, "--out", b, "--backend", "managed").ExitCode);
        Assert.Equal(0, Sgdyn.Run(dir.Path, "compare", a, b).ExitCode);

        string manifest = Path.Combine(b, "manifest.json");
        JsonObject incomplete = ReadJson(manifest);
        incomplete["complete"] = false;
        incomplete["status"] = "failed";
        File.WriteAllText(manifest, incomplete.ToJsonString());
        CliResult r = Sgdyn.Run(dir.Path, "compare", a, b);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("the run is not complete (manifest status: failed); pass --allow-incomplete", Assert.Single(r.MessageLines), StringComparison.Ordinal);
        Assert.Equal(0, Sgdyn.Run(dir.Path, "compare", a, b, "--allow-incomplete").ExitCode);

        File.Delete(manifest);
        r = Sgdyn.Run(dir.Path, "compare", a, b);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("has no manifest.json", Assert.Single(r.MessageLines), StringComparison.Ordinal);

        File.AppendAllText(Path.Combine(a, "density_30.csv"), "\n");
        r = Sgdyn.Run(dir.Path, "compare", a, Path.Combine(b, "density_30.csv"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("differs from the size or SHA-256", Assert.Single(r.MessageLines), StringComparison.Ordinal);
    }

    [Fact]
    public void UnwritableOut_IsRefusedBeforeComputing()
    {
        // 2^30 trajectories × 10^6 steps would run for days: the refusal must come first.
        string scenario = dir.Write("long.json", CliScenarios.With(CliScenarios.Example2D, "ensemble", """{ "trajectories": 1073741824, "steps": 1000000, "seed": 1 }"""));
        string output = Path.Combine(dir.Write("a-file", "x"), "out");

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--out", output, "--backend", "managed");

        Assert.True(r.ExitCode == 2, r.ToString());
        string line = Assert.Single(r.MessageLines);
        Assert.StartsWith($"error: --out {output}: cannot create the output folder", line, StringComparison.Ordinal);
    }
}
