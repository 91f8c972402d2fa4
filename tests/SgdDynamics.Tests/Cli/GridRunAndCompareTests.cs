using System.Text.Json.Nodes;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn run</c> with grid solvers and ensemble histograms, and <c>sgdyn compare</c>, end to end.</summary>
public sealed class GridRunAndCompareTests : IDisposable
{
    /// <summary>1-D quadratic λ = 1, σ² = 1, η = 0.5 from x = 2: stationary variance 1/3 after a few steps.</summary>
    private const string MasterEquation1D = """
        {"name": "me1d",
         "landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"steps": 30},
         "record": {"every": 10},
         "solver": {"type": "masterEquation", "grid": {"lower": [-4], "upper": [4], "cells": [160]}}}
        """;

    private const string Ensemble1D = """
        {"name": "ens1d",
         "landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"trajectories": 20000, "steps": 30, "seed": 5},
         "record": {"every": 10},
         "solver": {"type": "ensemble", "histogram": true, "grid": {"lower": [-4], "upper": [4], "cells": [160]}}}
        """;

    private const string FokkerPlanck2D = """
        {"name": "fp2d",
         "landscape": {"type": "quadratic", "hessian": [[1, 0.2], [0.2, 0.5]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.2},
         "initial": {"mean": [1, -0.5], "covariance": [[0.2, 0], [0, 0.2]]},
         "ensemble": {"steps": 12},
         "record": {"every": 4},
         "solver": {"type": "fokkerPlanck", "variant": "discrete", "grid": {"lower": [-3, -3], "upper": [3, 3], "cells": [24, 20]}}}
        """;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void GridRunsAndAnEnsembleHistogramCompare()
    {
        string me = dir["me"], fp = dir["fp"], ens = dir["ens"];

        CliResult r1 = Sgdyn.Run(dir.Path, "run", dir.Write("me.json", MasterEquation1D), "--out", me, "--backend", "managed");
        CliResult r2 = Sgdyn.Run(dir.Path, "run", dir.Write("fp.json", FokkerPlanck2D), "--out", fp, "--backend", "managed");
        CliResult r3 = Sgdyn.Run(dir.Path, "run", dir.Write("ens.json", Ensemble1D), "--out", ens, "--backend", "managed");

        Assert.True(r1.ExitCode == 0, r1.ToString());
        Assert.True(r2.ExitCode == 0, r2.ToString());
        Assert.True(r3.ExitCode == 0, r3.ToString());

        // Master equation, 1-D: same final keys as an ensemble run, plus mass and lost mass; a snapshot per record; one plot.
        JsonObject summary = ReadJson(Path.Combine(me, "summary.json"));
        Assert.Equal("masterEquation", summary["solver"]!.GetValue<string>());
        JsonObject final = summary["final"]!.AsObject();
        Assert.Equal(30, final["step"]!.GetValue<int>());
        Assert.Equal(15.0, final["time"]!.GetValue<double>());
        Close(0.0, Vector(final["mean"])[0], 1e-3, "final mean");
        Close(1.0 / 3, Matrix(final["covariance"])[0][0], 2e-3, "final variance (1/3 + grid h²/12 bias)");
        Close(1.0, final["mass"]!.GetValue<double>() + final["lostMass"]!.GetValue<double>(), 1e-12, "mass + lost");
        Assert.True(summary["cellUpdatesPerSecond"]!.GetValue<double>() > 0);
        foreach (int k in new[] { 0, 10, 20, 30 })
        {
            Assert.True(File.Exists(Path.Combine(me, $"density_{k}.csv")), $"density_{k}.csv");
        }

        Assert.True(File.Exists(Path.Combine(me, "density.png")));
        Assert.True(File.Exists(Path.Combine(me, "scenario.json")));
        var (header, rows) = ReadCsv(Path.Combine(me, "timeseries.csv"));
        Assert.Equal(["step", "time", "mass", "lostMass", "mean_0", "cov_0_0"], header);
        Assert.Equal(4, rows.Length);

        // Fokker–Planck, 2-D: heat maps, x0,x1,density,mass rows.
        JsonObject fpSummary = ReadJson(Path.Combine(fp, "summary.json"));
        Assert.Equal("fokkerPlanck", fpSummary["solver"]!.GetValue<string>());
        Assert.Equal("discrete", fpSummary["variant"]!.GetValue<string>());
        Assert.Equal("adi", fpSummary["scheme"]!.GetValue<string>());
        Assert.Equal(2, fpSummary["substeps"]!.GetValue<int>());
        Assert.Equal(2, Matrix(fpSummary["final"]!["covariance"]).Length);
        Assert.True(File.Exists(Path.Combine(fp, "density_12.png")));
        string[] fpLines = File.ReadAllLines(Path.Combine(fp, "density_12.csv")).Where(l => !l.StartsWith('#')).ToArray();
        Assert.Equal("x0,x1,density,mass", fpLines[0]);
        Assert.Equal(24 * 20, fpLines.Length - 1);

        // Ensemble with a histogram on the same grid as the master equation.
        JsonObject ensSummary = ReadJson(Path.Combine(ens, "summary.json"));
        Assert.Equal("ensemble", ensSummary["solver"]!.GetValue<string>());
        Assert.Equal("density_30.csv", ensSummary["histogram"]!["file"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(ens, "density_30.csv")));

        // compare: master equation against the ensemble histogram.
        CliResult c = Sgdyn.Run(dir.Path, "compare", me, ens, "--json");
        Assert.True(c.ExitCode == 0, c.ToString());
        JsonObject comparison = ParseObject(c.StdOut, "compare --json");
        double tv = comparison["totalVariation"]!.GetValue<double>();
        Assert.InRange(tv, 0, 0.1); // 20000 samples on 160 cells: sampling noise only
        Assert.InRange(comparison["wasserstein1"]!.GetValue<double>(), 0, 0.05);
        Assert.NotNull(comparison["klAB"]);
        Assert.NotNull(comparison["klBA"]);
        Assert.Equal(30, comparison["a"]!["step"]!.GetValue<int>());

        // --step picks a snapshot; a table without --json.
        CliResult step = Sgdyn.Run(dir.Path, "compare", me, Path.Combine(me, "density_30.csv"), "--step", "30");
        Assert.True(step.ExitCode == 0, step.ToString());
        Assert.Contains("total variation", step.StdOut, StringComparison.Ordinal);

        CliResult self = Sgdyn.Run(dir.Path, "compare", Path.Combine(me, "density_10.csv"), Path.Combine(me, "density_10.csv"), "--json");
        Assert.True(self.ExitCode == 0, self.ToString());
        Assert.Equal(0.0, ParseObject(self.StdOut, "self")["totalVariation"]!.GetValue<double>());

        // 2-D: no Wasserstein-1; grids that differ: exit 2 with a clear message.
        CliResult fpSelf = Sgdyn.Run(dir.Path, "compare", fp, fp, "--json");
        Assert.True(fpSelf.ExitCode == 0, fpSelf.ToString());
        Assert.Null(ParseObject(fpSelf.StdOut, "fp self")["wasserstein1"]);

        CliResult mismatch = Sgdyn.Run(dir.Path, "compare", me, fp);
        Assert.True(mismatch.ExitCode == 2, mismatch.ToString());
        Assert.Contains("grids differ", mismatch.StdErr, StringComparison.Ordinal);

        CliResult missingStep = Sgdyn.Run(dir.Path, "compare", me, ens, "--step", "7");
        Assert.True(missingStep.ExitCode == 2, missingStep.ToString());

        CliResult missing = Sgdyn.Run(dir.Path, "compare", me, dir["nowhere"]);
        Assert.True(missing.ExitCode == 2, missing.ToString());
    }

    [Fact]
    public void BadSolverSectionsExitTwoNamingThePath()
    {
        string bad = dir.Write("bad.json", CliScenarios.With(MasterEquation1D, "solver.boundary", "\"sticky\""));
        CliResult r = Sgdyn.Run(dir.Path, "run", bad, "--out", dir["bad"]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("$.solver.boundary", r.StdErr, StringComparison.Ordinal);

        // A Fokker–Planck run needs diffusion everywhere: zero noise is bad input, not a crash.
        string noNoise = dir.Write("nonoise.json", CliScenarios.With(
            CliScenarios.With(MasterEquation1D, "solver", """{"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-4], "upper": [4], "cells": [16]}}"""),
            "landscape.gradientNoiseCovariance", "[[0]]"));
        CliResult z = Sgdyn.Run(dir.Path, "run", noNoise, "--out", dir["z"]);
        Assert.True(z.ExitCode == 2, z.ToString());
        Assert.Contains("$.solver", z.StdErr, StringComparison.Ordinal);

        string notDensity = dir.Write("x.csv", "a,b\n1,2\n");
        CliResult n = Sgdyn.Run(dir.Path, "compare", notDensity, notDensity);
        Assert.True(n.ExitCode == 2, n.ToString());
    }
}
