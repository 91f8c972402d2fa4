using System.Text.Json.Nodes;
using SgdDynamics.Data;
using SgdDynamics.Output;
using SgdDynamics.Tests.Output;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn run --save-states / --save-paths K</c>: final_states.npy and paths.npy, their shapes, agreement and refusals.</summary>
public sealed class StateOutputsTests : IDisposable
{
    /// <summary>A Gaussian start (so that trajectories differ from step 0), 300 trajectories × 25 steps recorded every 10 (records 0, 10, 20, 25).</summary>
    private const string Gaussian2D = """
        {
          "landscape": { "type": "quadratic", "hessian": [[2, 0.5], [0.5, 1]], "gradientNoiseCovariance": [[1, 0.3], [0.3, 0.5]] },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "mean": [1, -1], "covariance": [[0.1, 0], [0, 0.1]] },
          "ensemble": { "trajectories": 300, "steps": 25, "seed": 7 },
          "record": { "every": 10 }
        }
        """;

    private const string MasterEquation1D = """
        {"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"steps": 30},
         "record": {"every": 10},
         "solver": {"type": "masterEquation", "grid": {"lower": [-4], "upper": [4], "cells": [40]}}}
        """;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void FinalStatesAndPathsAreWrittenAndAgree()
    {
        string output = dir["out"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", Gaussian2D), "--backend", "managed", "--out", output, "--save-states", "--save-paths", "4");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("final_states.npy, paths.npy", r.StdOut, StringComparison.Ordinal);

        NpyArray states = NpyFile.Read(Path.Combine(output, "final_states.npy"));
        NpyArray paths = NpyFile.Read(Path.Combine(output, "paths.npy"));
        Assert.Equal(("<f4", "<f4"), (states.DataType, paths.DataType));
        Assert.Equal([300, 2], states.Shape);
        Assert.Equal([4, 4, 2], paths.Shape);

        // the paths' last row is the first four trajectories' final states, bit for bit (both float32, widened exactly)
        for (int k = 0; k < 4; k++)
        {
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(states.Values[(k * 2) + i]), BitConverter.DoubleToInt64Bits(paths.Values[(((k * 4) + 3) * 2) + i]));
            }
        }

        // step 0 is the Gaussian start: distinct trajectories, no NaN
        Assert.NotEqual(paths.Values[0], paths.Values[8]);
        Assert.DoesNotContain(paths.Values, double.IsNaN);

        // the final states' mean is the run's final mean (the engine's exact sum of the same floats, rounded once)
        JsonArray mean = JsonNode.Parse(File.ReadAllText(Path.Combine(output, EnsembleOutput.SummaryFile)))!["final"]!["mean"]!.AsArray();
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(mean[i]!.GetValue<double>(), Enumerable.Range(0, 300).Sum(k => states.Values[(k * 2) + i]) / 300, 1e-12);
        }

        string[] listed = [.. JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunFolder.ManifestFile)))!["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>())];
        Assert.Contains("final_states.npy", listed);
        Assert.Contains("paths.npy", listed);
    }

    [Fact]
    public void ImpossibleRequestsAreRefusedWithOneLine()
    {
        string scenario = dir.Write("s.json", Gaussian2D);
        foreach ((string[] args, string message) in new (string[], string)[]
        {
            (["--save-paths", "0"], "--save-paths must be at least 1"),
            (["--save-paths", "-3"], "--save-paths must be at least 1"),
            (["--save-paths", "301"], "--save-paths 301: the ensemble has 300 trajectories (ensemble.trajectories), so at most 300 paths"),
            (["--save-paths", "two"], "--save-paths takes a whole number of trajectories K ≥ 1; got 'two'"),
            (["--save-paths", "4", "--max-memory", "1KiB"], "--max-memory"),
        })
        {
            CliResult r = Sgdyn.Run(dir.Path, ["run", scenario, "--backend", "managed", "--out", dir["refused"], .. args]);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains(message, Assert.Single(r.MessageLines), StringComparison.Ordinal);
        }

        CliResult grid = Sgdyn.Run(dir.Path, "run", dir.Write("me.json", MasterEquation1D), "--backend", "managed", "--out", dir["grid"], "--save-states");
        Assert.True(grid.ExitCode == 2, grid.ToString());
        Assert.Contains("--save-states applies to ensemble runs only", Assert.Single(grid.MessageLines), StringComparison.Ordinal);

        CliResult resume = Sgdyn.Run(dir.Path, "run", "--resume", dir["nothing"], "--save-paths", "2");
        Assert.True(resume.ExitCode == 2, resume.ToString());
        Assert.Contains("cannot be used with --resume", Assert.Single(resume.MessageLines), StringComparison.Ordinal);
    }

    [NumPyFact]
    public void NumPyLoadsTheStatesAndPaths()
    {
        string output = dir["numpy"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", Gaussian2D), "--backend", "managed", "--out", output, "--save-states", "--save-paths", "2");
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode states = NumPy.Load(Path.Combine(output, "final_states.npy"))[string.Empty]!;
        JsonNode paths = NumPy.Load(Path.Combine(output, "paths.npy"))[string.Empty]!;
        Assert.Equal(("<f4", "[300,2]"), ((string)states["dtype"]!, states["shape"]!.ToJsonString()));
        Assert.Equal(("<f4", "[2,4,2]"), ((string)paths["dtype"]!, paths["shape"]!.ToJsonString()));
        Assert.Equal(
            states["values"]!.AsArray().Take(2).Select(v => v!.ToJsonString()),
            paths["values"]!.AsArray().Skip(6).Take(2).Select(v => v!.ToJsonString()));
    }
}
