using System.Text.Json.Nodes;
using SgdDynamics.Cli;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary>Resources checked before a run starts (--max-memory, the final-state array, disk), the density-file cap, progress lines.</summary>
public sealed class ResourceCheckTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void MaxMemoryBelowTheEstimate_IsRefused_WithTheNumbers_BeforeAnyOutput()
    {
        // 2^26 trajectories × d = 2 with tails: 512 MiB of final states alone
        string scenario = dir.Write("big.json", CliScenarios.With(
            CliScenarios.With(CliScenarios.Example2D, "ensemble", """{ "trajectories": 67108864, "steps": 100000, "seed": 1 }"""),
            "record", """{ "every": 10, "tails": true }"""));

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--out", dir["out"], "--backend", "managed", "--max-memory", "256MiB");

        Assert.True(r.ExitCode == 2, r.ToString());
        string line = Assert.Single(r.MessageLines);
        Assert.Contains("needs an estimated", line, StringComparison.Ordinal);
        Assert.Contains("final states 67,108,864 × 2 floats: 512 MiB", line, StringComparison.Ordinal);
        Assert.Contains("more than --max-memory 256 MiB", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void GridAndDemo_AreCheckedToo()
    {
        string scenario = dir.Write("fp.json", """
            {"landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 1]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1}, "initial": {"point": [0, 0]}, "ensemble": {"steps": 2},
             "solver": {"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-4, -4], "upper": [4, 4], "cells": [4096, 4096]}}}
            """);

        CliResult grid = Sgdyn.Run(dir.Path, "run", scenario, "--out", dir["fp"], "--max-memory", "1GiB");
        CliResult demo = Sgdyn.Run(dir.Path, "demo", "--out", dir["demo"], "--max-memory", "1MiB");
        CliResult bad = Sgdyn.Run(dir.Path, "demo", "--out", dir["demo"], "--max-memory", "lots");

        Assert.True(grid.ExitCode == 2, grid.ToString());
        Assert.Contains("grid 16,777,216 cells", Assert.Single(grid.MessageLines), StringComparison.Ordinal);
        Assert.True(demo.ExitCode == 2, demo.ToString());
        Assert.Contains("more than --max-memory 1 MiB", Assert.Single(demo.MessageLines), StringComparison.Ordinal);
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("--max-memory lots: not a size", Assert.Single(bad.MessageLines), StringComparison.Ordinal);
    }

    [Fact]
    public void OutputsBeyondTheFreeDisk_AreRefused_BeforeThePreviousRunIsCleared()
    {
        // 100,001 density files of 4096² cells: about 150 TB
        string scenario = dir.Write("fp.json", """
            {"landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 1]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1}, "initial": {"point": [0, 0]}, "ensemble": {"steps": 100000}, "record": {"every": 1},
             "solver": {"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-4, -4], "upper": [4, 4], "cells": [4096, 4096]}}}
            """);
        string output = dir["out"];
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "summary.json"), "{}");

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--out", output, "--max-memory", "1TiB", "--max-density-files", "1000000");
        CliResult tooFew = Sgdyn.Run(dir.Path, "run", scenario, "--out", output, "--max-density-files", "1");

        Assert.True(r.ExitCode == 2, r.ToString());
        string line = Assert.Single(r.MessageLines);
        Assert.Contains("100,001 density files", line, StringComparison.Ordinal);
        Assert.Contains("of disk, more than the", line, StringComparison.Ordinal);
        Assert.Contains($"free for --out {output}", line, StringComparison.Ordinal);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.True(tooFew.ExitCode == 2, tooFew.ToString());
        Assert.Contains("--max-density-files must be at least 2", Assert.Single(tooFew.MessageLines), StringComparison.Ordinal);
    }

    [Fact]
    public void FinalStatesBeyondTheLargestArray_AreRefused()
    {
        string scenario = dir.Write("huge.json", CliScenarios.With(
            CliScenarios.With(CliScenarios.Example2D, "ensemble", """{ "trajectories": 4294967296, "steps": 10, "seed": 1 }"""),
            "record", """{ "every": 10, "tails": true }"""));

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--out", dir["out"], "--backend", "managed");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("more than the largest array", Assert.Single(r.MessageLines), StringComparison.Ordinal);
    }

    [Fact]
    public void DensityFiles_AreCappedAtTheOption_FirstAndLastKept()
    {
        string scenario = dir.Write("me.json", """
            {"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.5}, "initial": {"point": [1]},
             "ensemble": {"steps": 1500}, "record": {"every": 1},
             "solver": {"type": "masterEquation", "grid": {"lower": [-4], "upper": [4], "cells": [8]}}}
            """);

        CliResult capped = Sgdyn.Run(dir.Path, "run", scenario, "--out", dir["three"], "--backend", "managed", "--max-density-files", "3");
        CliResult byDefault = Sgdyn.Run(dir.Path, "run", scenario, "--out", dir["default"], "--backend", "managed");

        Assert.True(capped.ExitCode == 0, capped.ToString());
        Assert.Contains("writing the densities of 3 of the 1,501 records", Assert.Single(capped.MessageLines), StringComparison.Ordinal);
        Assert.Equal(["density_0.csv", "density_1500.csv", "density_750.csv"], Densities(dir["three"]));
        JsonObject summary = ReadJson(Path.Combine(dir["three"], "summary.json"));
        Assert.Equal(3, summary["densityFiles"]!.AsArray().Count);
        Assert.Equal(1501, summary["records"]!.GetValue<int>());

        Assert.True(byDefault.ExitCode == 0, byDefault.ToString());
        Assert.Equal(ResourceEstimate.DefaultMaxDensityFiles, Densities(dir["default"]).Length);
        Assert.Contains("density_1500.csv", Densities(dir["default"]));
        Assert.Equal(1501, ReadCsv(Path.Combine(dir["default"], "timeseries.csv")).Rows.Length);
    }

    [Fact]
    public void Sizes_AreRead()
    {
        Assert.Equal(4L << 30, ResourceEstimate.ParseSize("4GiB"));
        Assert.Equal(4L << 30, ResourceEstimate.ParseSize("4G"));
        Assert.Equal(512L << 20, ResourceEstimate.ParseSize("512 MiB"));
        Assert.Equal(2_000_000_000L, ResourceEstimate.ParseSize("2GB"));
        Assert.Equal(1_000_000L, ResourceEstimate.ParseSize("1e6"));
        Assert.Null(ResourceEstimate.ParseSize("-1G"));
        Assert.Null(ResourceEstimate.ParseSize("4 parsecs"));
        Assert.Null(ResourceEstimate.ParseSize("0"));
    }

    [Fact]
    public void RedirectedProgress_EstimatesTheTimeLeft_AndReportsEveryInterval()
    {
        var output = new StringWriter();
        int result = ProgressDisplay.Lines(
            "work",
            total: 1000,
            report =>
            {
                // some progress before the first line is due (100 ms), so that line can estimate however slowly the
                // machine schedules this thread afterwards
                report(1);
                for (int i = 1; i < 60; i++)
                {
                    Thread.Sleep(40);
                    report(1);
                }

                return 7;
            },
            output,
            first: TimeSpan.FromMilliseconds(100),
            interval: TimeSpan.FromMilliseconds(300));

        Assert.Equal(7, result);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, output.ToString());
        Assert.Matches(@"^work: \d+% \(\d+\.\d s, about \d+ s left\)$", lines[0]);
        Assert.All(lines, l => Assert.Matches(@"^work: \d{1,3}% \(\d+(\.\d+)? s(, about \d+ s left)?\)$", l));
    }

    private static string[] Densities(string folder) =>
        Directory.GetFiles(folder, "density_*.csv").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
}
