using System.Text.Json.Nodes;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn theory SCENARIO --json</c>: exact recorded moments and the stationary laws.</summary>
public sealed class TheoryCommandTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Confined1D_RecordedMomentsAndStationaryVariances_AreExact()
    {
        string scenario = dir.Write("confined.json", CliScenarios.Confined1D);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.StdErr);
        JsonObject theory = ParseObject(r.StdOut, "stdout of theory --json");

        // x_{k+1} = (1 − η) x_k − η ξ: mean 2·0.5^k, variance (η²/(1 − (1 − η)²))(1 − 0.25^k) = (1 − 0.25^k)/3.
        JsonArray recorded = Assert.IsType<JsonArray>(theory["recorded"]);
        int[] steps = recorded.Select(e => e!["step"]!.GetValue<int>()).ToArray();
        Assert.Equal([0, 10, 20, 30, 40, 45], steps);
        foreach (JsonNode? entry in recorded)
        {
            int k = entry!["step"]!.GetValue<int>();
            Close(k * 0.5, entry["time"]!.GetValue<double>(), 1e-12, $"time at {k}");
            double[] mean = Vector(entry["mean"]);
            double[][] cov = Matrix(entry["covariance"]);
            Assert.Single(mean);
            Assert.Single(cov);
            Assert.Single(cov[0]);
            Close(2 * Math.Pow(0.5, k), mean[0], 1e-12, $"mean at {k}");
            Close((1 - Math.Pow(0.25, k)) / 3, cov[0][0], 1e-12, $"variance at {k}");
        }

        JsonObject discrete = theory["stationary"]!["discrete"]!.AsObject();
        JsonObject langevin = theory["stationary"]!["langevin"]!.AsObject();
        Assert.True(discrete["stable"]!.GetValue<bool>());
        Assert.True(langevin["stable"]!.GetValue<bool>());
        double discreteVar = Assert.Single(Assert.Single(Matrix(discrete["covariance"])));
        double langevinVar = Assert.Single(Assert.Single(Matrix(langevin["covariance"])));
        Assert.True(Math.Abs(discreteVar - 1.0 / 3.0) <= 1e-12, $"discrete stationary variance {discreteVar:R}, expected 1/3");
        Assert.True(Math.Abs(langevinVar - 0.25) <= 1e-12, $"Langevin stationary variance {langevinVar:R}, expected 1/4");
    }

    [Fact]
    public void FlatDirection_HasNoStationaryLaw_AndVarianceGrowsLinearly()
    {
        string scenario = dir.Write("flat.json", CliScenarios.Flat2D);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject theory = ParseObject(r.StdOut, "stdout of theory --json");
        JsonArray recorded = Assert.IsType<JsonArray>(theory["recorded"]);
        Assert.Equal(0, recorded[0]!["step"]!.GetValue<int>());
        Assert.Equal(60, recorded[^1]!["step"]!.GetValue<int>());

        // Flat direction: Var x1 = k η² σ², exactly; confined direction: (1 − 0.25^k)/3; no correlation.
        foreach (JsonNode? entry in recorded)
        {
            int k = entry!["step"]!.GetValue<int>();
            double[][] cov = Matrix(entry["covariance"]);
            Close(k * 0.25, cov[1][1], 1e-12, $"flat variance at {k}");
            Close((1 - Math.Pow(0.25, k)) / 3, cov[0][0], 1e-12, $"confined variance at {k}");
            Assert.Equal(0.0, cov[0][1]);
        }

        foreach (string law in new[] { "discrete", "langevin" })
        {
            JsonObject stationary = theory["stationary"]![law]!.AsObject();
            Assert.False(stationary["stable"]!.GetValue<bool>(), law);
            Assert.True(stationary.ContainsKey("covariance"), $"{law}.covariance is missing (should be null)");
            Assert.Null(stationary["covariance"]);
            Assert.False(string.IsNullOrWhiteSpace(stationary["reason"]?.GetValue<string>()), $"{law}: no reason given");
        }
    }

    [Fact]
    public void Example2D_JsonShape()
    {
        string scenario = dir.Write("example2d.json", CliScenarios.Example2D);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject theory = ParseObject(r.StdOut, "stdout of theory --json");
        JsonArray recorded = Assert.IsType<JsonArray>(theory["recorded"]);
        Assert.Equal([0, 10, 20, 30, 40, 50], recorded.Select(e => e!["step"]!.GetValue<int>()).ToArray());
        double[] start = Vector(recorded[0]!["mean"]);
        Close(1.0, start[0], 1e-12, "mean_0 at step 0"); // the recursion runs in the eigenbasis of H: equal up to rounding
        Close(-1.0, start[1], 1e-12, "mean_1 at step 0");
        foreach (JsonNode? entry in recorded)
        {
            Assert.Equal(2, Vector(entry!["mean"]).Length);
            double[][] cov = Matrix(entry["covariance"]);
            Assert.Equal(2, cov.Length);
            Assert.All(cov, row => Assert.Equal(2, row.Length));
            Assert.Equal(cov[0][1], cov[1][0]);
        }

        JsonObject discrete = theory["stationary"]!["discrete"]!.AsObject();
        JsonObject langevin = theory["stationary"]!["langevin"]!.AsObject();
        Assert.True(discrete["stable"]!.GetValue<bool>());
        Assert.True(langevin["stable"]!.GetValue<bool>());
        Assert.Equal(2, Matrix(discrete["covariance"]).Length);
        Assert.Equal(2, Matrix(langevin["covariance"]).Length);
    }

    [Fact]
    public void WithoutJson_PrintsATable()
    {
        string scenario = dir.Write("confined.json", CliScenarios.Confined1D);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("stationary", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("0.333333", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("0.25", r.StdOut, StringComparison.Ordinal);
        Assert.Equal("", r.StdErr);
    }
    /// <summary>
    /// H = 2vvᵀ = [[1.8, 0.6], [0.6, 0.2]] with v = (3, 1)/√10 (eigenvalues 0 and 2, flat direction (1, −3)/√10 rotated off the axes), Σ = diag(0.7, 2),
    /// η = 0.3: the full stationary covariance does not exist (a flat direction), but the confined mode keeps its values,
    /// discrete ηs²/(λ(2 − ηλ)) and Langevin ηs²/(2λ) with s² = vᵀΣv, and the flat mode gets D = ηs²/2.
    /// </summary>
    [Fact]
    public void FlatAndConfinedModes_ConfinedModeKeepsItsStationaryValues()
    {
        string scenario = dir.Write("flat-confined.json", """
            {"landscape": {"type": "quadratic", "hessian": [[1.8, 0.6], [0.6, 0.2]], "gradientNoiseCovariance": [[0.7, 0], [0, 2]]},
             "optimizer": {"type": "sgd", "learningRate": 0.3},
             "initial": {"point": [0, 0]},
             "ensemble": {"trajectories": 10, "steps": 20, "seed": 1}}
            """);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject theory = ParseObject(r.StdOut, "stdout of theory --json");
        Assert.Null(theory["stationary"]!["discrete"]!["covariance"]);
        JsonArray modes = Assert.IsType<JsonArray>(theory["modes"]);
        Assert.Equal(2, modes.Count);
        JsonNode flat = modes[0]!, confined = modes[1]!;

        // Eigenvectors: flat (1, −3)/√10, confined (3, 1)/√10; s² = vᵀΣv.
        double sFlat = (0.7 * 1 + 2 * 9) / 10.0, sConfined = (0.7 * 9 + 2 * 1) / 10.0, eta = 0.3, lambda = 2;
        Close(0.0, flat["eigenvalue"]!.GetValue<double>(), 1e-12, "flat eigenvalue");
        Assert.Equal("diffusive", flat["behaviour"]!.GetValue<string>());
        Assert.Equal("diffusionCoefficient", flat["quantity"]!.GetValue<string>());
        Close(eta * sFlat / 2, flat["diffusionCoefficient"]!.GetValue<double>(), 1e-12, "D");
        Assert.Null(flat["secondMomentStable"]);

        Close(lambda, confined["eigenvalue"]!.GetValue<double>(), 1e-12, "confined eigenvalue");
        Close(sConfined, confined["noiseVariance"]!.GetValue<double>(), 1e-12, "s²");
        Assert.Equal("confined", confined["behaviour"]!.GetValue<string>());
        Assert.True(confined["secondMomentStable"]!.GetValue<bool>());
        Close(eta * sConfined / (lambda * (2 - eta * lambda)), confined["discrete"]!.GetValue<double>(), 1e-12, "discrete");
        Close(eta * sConfined / (2 * lambda), confined["langevin"]!.GetValue<double>(), 1e-12, "Langevin");

        CliResult table = Sgdyn.Run(dir.Path, "theory", scenario);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("per Hessian eigenmode", table.StdOut, StringComparison.Ordinal);
        Assert.Contains((eta * sConfined / (lambda * (2 - eta * lambda))).ToString("G6", System.Globalization.CultureInfo.InvariantCulture), table.StdOut, StringComparison.Ordinal);
    }
}
