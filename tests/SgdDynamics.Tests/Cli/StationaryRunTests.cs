using System.Text.Json.Nodes;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn run</c> with <c>"stationary": true</c>: the scenario's errors and the outputs, end to end.</summary>
public sealed class StationaryRunTests : IDisposable
{
    /// <summary>1-D quadratic λ = 1, σ² = 1, η = 0.5, reflecting box of ±8 stationary sd: variance 1/3, λ₂ = 1 − ηλ = 0.5.</summary>
    private const string MasterEquation1D = """
        {"name": "me1d-stationary",
         "landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [1]},
         "solver": {"type": "masterEquation", "boundary": "reflecting", "stationary": true, "grid": {"lower": [-4.6], "upper": [4.6], "cells": [184]}}}
        """;

    /// <summary>2-D Langevin quadratic, diagonal Σ: Gaussian law, variances ησ_i²/(2λ_i); gap the smaller curvature 0.5.</summary>
    private const string FokkerPlanck2D = """
        {"name": "fp2d-stationary",
         "landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 0.5]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.2},
         "initial": {"mean": [1, -0.5], "covariance": [[0.2, 0], [0, 0.2]]},
         "solver": {"type": "fokkerPlanck", "variant": "langevin", "stationary": true, "grid": {"lower": [-3, -3], "upper": [3, 3], "cells": [48, 40]}}}
        """;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData("solver", """{"type": "ensemble", "stationary": true}""", "$.solver.stationary", "only for the grid solvers")]
    [InlineData("solver.stationary", "\"yes\"", "$.solver.stationary", "true or false")]
    [InlineData("ensemble", """{"steps": 100}""", "$.ensemble.steps", "no time steps")]
    [InlineData("record", """{"every": 10}""", "$.record.every", "stationary law only")]
    [InlineData("solver.substeps", "4", "$.solver.substeps", "no time steps")]
    public void StationaryScenarioErrorsNameTheField(string path, string value, string where, string detail)
    {
        string scenario = CliScenarios.With(FokkerPlanck2D, path, value);
        if (path == "solver")
        {
            scenario = CliScenarios.With(scenario, "ensemble", """{"trajectories": 10, "steps": 5, "seed": 1}""");
        }

        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("bad.json", scenario), "--out", dir["out"], "--backend", "managed");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.True(r.MessageLines.Length == 1, r.ToString());
        Assert.StartsWith("error: ", r.MessageLines[0], StringComparison.Ordinal);
        Assert.Contains($": {where}: ", r.MessageLines[0], StringComparison.Ordinal);
        Assert.Contains(detail, r.MessageLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void MasterEquationStationaryLawIsWrittenWithItsResidualAndGap()
    {
        string outDir = dir["me"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("me.json", MasterEquation1D), "--out", outDir, "--backend", "managed");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("second eigenvalue", r.StdOut, StringComparison.Ordinal);

        JsonObject summary = ReadJson(Path.Combine(outDir, "summary.json"));
        JsonObject stationary = summary["stationary"]!.AsObject();
        Assert.True(stationary["converged"]!.GetValue<bool>());
        Assert.True(stationary["residual"]!.GetValue<double>() <= stationary["tolerance"]!.GetValue<double>());
        int steps = stationary["iterations"]!.GetValue<int>();
        Assert.Equal(steps, summary["final"]!["step"]!.GetValue<int>());

        // box ±8 sd, kernel sd ησ = 0.5 against h = 0.05: the lattice chain is the AR(1) chain up to the ±6 sd truncation (~1e-7)
        Close(1.0 / 3, Matrix(summary["final"]!["covariance"])[0][0], 1e-6, "ησ²/(λ(2 − ηλ))");
        JsonObject gap = stationary["spectralGap"]!.AsObject();
        Assert.True(gap["converged"]!.GetValue<bool>());
        Close(0.5, gap["eigenvalue"]!["real"]!.GetValue<double>(), 1e-6, "λ₂ = 1 − ηλ");
        Close(1 / Math.Log(2), gap["relaxationSteps"]!.GetValue<double>(), 1e-5, "−1/ln|λ₂|");
        Close(0.5 / Math.Log(2), gap["relaxationTime"]!.GetValue<double>(), 1e-5, "η × steps");
        foreach (string file in new[] { "density_0.csv", $"density_{steps}.csv", $"density_{steps}.npy", "density.png", "scenario.json" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        }

        // the written scenario runs again to the same law
        CliResult again = Sgdyn.Run(dir.Path, "run", Path.Combine(outDir, "scenario.json"), "--out", dir["again"], "--backend", "managed", "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        JsonObject rerun = ParseObject(again.StdOut, "summary");
        Assert.Equal(steps, rerun["stationary"]!["iterations"]!.GetValue<int>());
    }

    [Fact]
    public void FokkerPlanck2DStationaryLawHasTheLangevinVariancesAndGap()
    {
        string outDir = dir["fp"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("fp.json", FokkerPlanck2D), "--out", outDir, "--backend", "managed", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());

        JsonObject summary = ParseObject(r.StdOut, "summary");
        JsonObject stationary = summary["stationary"]!.AsObject();
        Assert.True(stationary["converged"]!.GetValue<bool>());
        Assert.True(stationary["residual"]!.GetValue<double>() <= 1e-10);
        double[][] covariance = Matrix(summary["final"]!["covariance"]);

        // ḡ/D linear: the Scharfetter–Gummel equilibrium is the Gaussian at the cell centres (variances to rounding; the
        // box holds ±7 sd of the wider axis, so the truncation is far below the tolerance)
        Close(0.1, covariance[0][0], 1e-9, "ησ²/(2λ₀)");
        Close(0.2, covariance[1][1], 1e-9, "ησ²/(2λ₁)");
        JsonObject gap = stationary["spectralGap"]!.AsObject();
        Assert.True(gap["converged"]!.GetValue<bool>());

        // the slower axis' 1-D gap λ(1 − c h²/v), c ≈ 1/6 (StationarySolveTests): h = 0.15, v = 0.2, bound λ h²/(4v)
        double lambda2 = -gap["eigenvalue"]!["real"]!.GetValue<double>();
        Assert.InRange(lambda2, 0.5 * (1 - 0.15 * 0.15 / (4 * 0.2)), 0.5);
        Close(1 / lambda2, gap["relaxationTime"]!.GetValue<double>(), 1e-9, "1/|Re λ₂|");
        int step = summary["final"]!["step"]!.GetValue<int>();
        Assert.True(File.Exists(Path.Combine(outDir, $"density_{step}.npy")));
        Assert.True(File.Exists(Path.Combine(outDir, $"density_{step}.png")));
    }

    [Fact]
    public void UnconvergedStationarySolveExitsNonZeroWithTheReason()
    {
        string scenario = CliScenarios.With(MasterEquation1D, "ensemble", """{"steps": 3}""");
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("short.json", scenario), "--out", dir["short"], "--backend", "managed");

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("did not converge", r.StdErr, StringComparison.Ordinal);
        JsonObject summary = ReadJson(Path.Combine(dir["short"], "summary.json"));
        Assert.False(summary["stationary"]!["converged"]!.GetValue<bool>());
        Assert.Null(summary["stationary"]!["spectralGap"]);
    }
}
