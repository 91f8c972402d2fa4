using System.Text.Json.Nodes;

namespace SgdDynamics.Tests.Cli;

public class ObservationsOutputTests
{
    /// <summary>
    /// 2-D: a confined mode (λ = 1) with curvature noise a = 1.2 and a flat mode, η = 0.5, σ² = 1, recorded every
    /// 20 steps with tails. The summary classifies the flat mode as diffusive with D within 5 SE of ησ²/2 = 0.25 and
    /// the confined mode as confined within 5 SE of ησ²/(λ(2 − ηλ) − ηa²) = 0.5/0.78; the SEs are the classifier's
    /// conservative ones. Hill tail indices and quantiles are written for both coordinates.
    /// </summary>
    [Fact]
    public void SummaryReportsModeRegimesPredictionsAndTailIndices()
    {
        using var folder = new TempFolder();
        string scenario = folder.Write("kesten.json", """
            {"name": "kesten",
             "landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 0]], "gradientNoiseCovariance": [[1, 0], [0, 1]], "curvatureNoiseStd": [1.2, 0]},
             "optimizer": {"type": "sgd", "learningRate": 0.5},
             "initial": {"point": [0, 0]},
             "ensemble": {"trajectories": 65536, "steps": 400, "seed": 5},
             "record": {"every": 20, "tails": true}}
            """);
        CliResult result = Sgdyn.Run(folder.Path, "run", scenario, "--out", folder["out"]);
        Assert.True(result.ExitCode == 0, result.ToString());

        JsonObject summary = Outputs.ReadJson(folder["out/summary.json"]);
        JsonArray modes = summary["modes"]!.AsArray();
        Assert.Equal(2, modes.Count);
        JsonNode flat = modes.Single(m => m!["eigenvalue"]!.GetValue<double>() == 0)!;
        JsonNode confined = modes.Single(m => m!["eigenvalue"]!.GetValue<double>() == 1)!;
        Assert.Equal("diffusive", flat["regime"]!.GetValue<string>());
        Assert.Equal("diffusionCoefficient", flat["quantity"]!.GetValue<string>());
        Assert.Equal(0.25, flat["predicted"]!.GetValue<double>(), 12);
        Assert.True(Math.Abs(flat["fitted"]!.GetValue<double>() - 0.25) <= 5 * flat["standardError"]!.GetValue<double>(), flat.ToJsonString());
        Assert.Equal("confined", confined["regime"]!.GetValue<string>());
        Assert.Equal(0.5 / 0.78, confined["predicted"]!.GetValue<double>(), 9);
        Assert.True(Math.Abs(confined["fitted"]!.GetValue<double>() - 0.5 / 0.78) <= 5 * confined["standardError"]!.GetValue<double>(), confined.ToJsonString());

        JsonArray tails = summary["final"]!["tailIndex"]!.AsArray();
        Assert.Equal(2, tails.Count);
        Assert.All(tails, t => Assert.Equal(256, t!["k"]!.GetValue<int>()));
        Assert.All(tails, t => Assert.True(t!["alpha"]!.GetValue<double>() > 0));
        Assert.Equal(2, summary["final"]!["quantiles"]!["values"]!.AsArray().Count);
    }

    [Fact]
    public void WithoutTailsTheSummaryHasNoTailIndex()
    {
        using var folder = new TempFolder();
        string scenario = folder.Write("example.json", CliScenarios.Tiny2D);
        CliResult result = Sgdyn.Run(folder.Path, "run", scenario, "--out", folder["out"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        JsonObject summary = Outputs.ReadJson(folder["out/summary.json"]);
        Assert.Null(summary["final"]!["tailIndex"]);
        Assert.Equal(2, summary["modes"]!.AsArray().Count);
    }
}
