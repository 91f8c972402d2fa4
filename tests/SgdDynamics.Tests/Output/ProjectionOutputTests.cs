using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Cli;
using SgdDynamics.Tests.Ensembles;
using static SgdDynamics.Tests.Ensembles.ProjectionTestData;

namespace SgdDynamics.Tests.Output;

/// <summary>
/// The outputs of recorded projections and of the full covariance above d = 64: projections.csv (means, variances and
/// their standard errors at every record), summary.json's <c>projections</c>, projection_covariance.npy and covariance.npy
/// (the final covariances, bit for bit), and <c>sgdyn run</c> writing them from a scenario with a directions file.
/// </summary>
public sealed class ProjectionOutputTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static void AssertSameMatrix(double[,] expected, double[,] actual, string where) =>
        Bitwise.AssertSame(expected.Cast<double>().ToArray(), actual.Cast<double>().ToArray(), where);

    [Fact]
    public void Above64TheCovarianceAndTheProjectionsGoToTheirFiles()
    {
        Problem problem = CoordinateStatisticsTests.Problem100();
        var spec = new ProjectionSpec(new double[100], RandomMatrix(4, 100, 3), covariance: true);
        var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { FullCovariance = true, Projection = spec };
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        string directory = folder["out"];
        JsonObject summary = EnsembleOutput.Write(directory, new Scenario("projections", null, problem, ensemble), result);

        // the state's covariance: covariance.npy; summary.json names it and holds the variances; the time series means and variances
        AssertSameMatrix(result.Final.Moments.Covariance, NpyFile.ReadMatrix(Path.Combine(directory, EnsembleOutput.CovarianceFile)), "covariance.npy");
        Assert.Equal(EnsembleOutput.CovarianceFile, summary["final"]!["covariance"]!.GetValue<string>());
        Assert.Equal(100, summary["final"]!["variance"]!.AsArray().Count);
        string header = File.ReadLines(Path.Combine(directory, EnsembleOutput.TimeSeriesFile)).First();
        Assert.Equal(4 + 200, header.Split(',').Length);
        Assert.Contains(",var_99", header, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, EnsembleOutput.ModesFile)));

        // the projections: their covariance bit for bit, their time series and their summary
        Moments y = result.Final.Projected!;
        AssertSameMatrix(y.Covariance, NpyFile.ReadMatrix(Path.Combine(directory, EnsembleOutput.ProjectionCovarianceFile)), "projection_covariance.npy");
        string[] lines = File.ReadAllLines(Path.Combine(directory, EnsembleOutput.ProjectionsFile));
        Assert.Equal(
            "step,time,count,diverged," + string.Join(',', new[] { "mean", "var", "mean_se", "var_se" }.SelectMany(c => Enumerable.Range(0, 4).Select(a => $"{c}_{a}"))),
            lines[0]);
        Assert.Equal(result.Records.Count + 1, lines.Length);
        string[] last = lines[^1].Split(',');
        Assert.Equal(result.Final.Step.ToString(CultureInfo.InvariantCulture), last[0]);
        for (int a = 0; a < 4; a++)
        {
            Assert.Equal(y.Mean[a], double.Parse(last[4 + a], CultureInfo.InvariantCulture));
            Assert.Equal(y.Variance[a], double.Parse(last[8 + a], CultureInfo.InvariantCulture));
            Assert.Equal(y.MeanStandardError[a], double.Parse(last[12 + a], CultureInfo.InvariantCulture));
            Assert.Equal(y.VarianceStandardError[a], double.Parse(last[16 + a], CultureInfo.InvariantCulture));
        }

        JsonObject projections = summary["projections"]!.AsObject();
        Assert.Equal(4, projections["directions"]!.GetValue<int>());
        Assert.True(projections["covarianceRecorded"]!.GetValue<bool>());
        Assert.Null(projections["file"]);
        Assert.Equal(EnsembleOutput.ProjectionCovarianceFile, projections["final"]!["covariance"]!.GetValue<string>());
        Assert.Equal(y.Variance, projections["final"]!["variance"]!.AsArray().Select(n => n!.GetValue<double>()));
        foreach (string name in new[] { EnsembleOutput.ProjectionsFile, EnsembleOutput.ProjectionCovarianceFile, EnsembleOutput.CovarianceFile })
        {
            Assert.True(RunFolder.IsEngineOutput(name), name);
        }
    }

    [Fact]
    public void WithoutTheirCovarianceOnlyTheTimeSeriesOfTheProjectionsIsWritten()
    {
        Problem problem = CoordinateStatisticsTests.Problem100();
        var ensemble = new EnsembleAlgorithm(300, 20, 3, new RecordSpec(5)) { Projection = new ProjectionSpec(new double[100], RandomMatrix(2, 100, 5)) };
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        string directory = folder["plain"];
        JsonObject summary = EnsembleOutput.Write(directory, new Scenario(null, null, problem, ensemble), result);
        Assert.True(File.Exists(Path.Combine(directory, EnsembleOutput.ProjectionsFile)));
        Assert.False(File.Exists(Path.Combine(directory, EnsembleOutput.ProjectionCovarianceFile)));
        Assert.False(File.Exists(Path.Combine(directory, EnsembleOutput.CovarianceFile)));
        Assert.StartsWith("not recorded", summary["projections"]!["final"]!["covariance"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("not recorded", summary["final"]!["covariance"]!.GetValue<string>(), StringComparison.Ordinal);

        var none = EnsembleOutput.Summary(new Scenario(null, null, problem, ensemble with { Projection = null }), EnsembleSolver.Solve(problem, ensemble with { Projection = null }, backend));
        Assert.False(none.ContainsKey("projections"));
        Assert.Throws<InvalidOperationException>(() => EnsembleOutput.ProjectionSeries(EnsembleSolver.Solve(problem, ensemble with { Projection = null }, backend)));
    }

    [Fact]
    public void RunWritesTheProjectionsOfAScenarioWithADirectionsFile()
    {
        NpyFile.Write(folder["eigenvectors.npy"], new double[,] { { 0.8, 0.6 }, { -0.6, 0.8 } });
        string scenario = folder.Write("scenario.json", """
            {"landscape": {"type": "quadratic", "hessian": [[2, 0.5], [0.5, 1]], "gradientNoiseCovariance": [[0.5, 0], [0, 0.5]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1},
             "initial": {"mean": [1, -1], "covariance": [[0.1, 0], [0, 0.1]]},
             "ensemble": {"trajectories": 2000, "steps": 20, "seed": 4},
             "record": {"every": 10, "directions": {"file": "eigenvectors.npy", "centre": "initial", "covariance": true}}}
            """);
        string output = folder["run"];
        CliResult r = Sgdyn.Run(folder.Path, "run", scenario, "--backend", "managed", "--out", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(EnsembleOutput.ProjectionCovarianceFile, r.StdOut, StringComparison.Ordinal);

        double[,] covariance = NpyFile.ReadMatrix(Path.Combine(output, EnsembleOutput.ProjectionCovarianceFile));
        Assert.Equal((2, 2), (covariance.GetLength(0), covariance.GetLength(1)));
        Assert.True(covariance[0, 0] > 0 && covariance[1, 1] > 0);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(output, EnsembleOutput.ProjectionsFile)).Length);
        JsonObject summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, EnsembleOutput.SummaryFile)))!.AsObject();
        Assert.Equal(folder["eigenvectors.npy"], summary["projections"]!["file"]!.GetValue<string>());
        Assert.Equal("initial", summary["projections"]!["centre"]!.GetValue<string>());
        string manifest = File.ReadAllText(Path.Combine(output, RunFolder.ManifestFile));
        Assert.Contains(EnsembleOutput.ProjectionsFile, manifest, StringComparison.Ordinal);
        Assert.Contains(EnsembleOutput.ProjectionCovarianceFile, manifest, StringComparison.Ordinal);

        // the written scenario reads back to the same one, the directions pinned by their hash
        Assert.Equal(ScenarioLoader.LoadFile(scenario), ScenarioLoader.LoadFile(Path.Combine(output, EnsembleOutput.ScenarioFile)));
    }
}
