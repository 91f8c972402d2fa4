using System.Text.Json.Nodes;
using SgdDynamics.Cli;
using SgdDynamics.Output;
using SgdDynamics.Scenarios;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn run</c> end to end: exit code, stdout, stderr and the three output files.</summary>
public sealed class RunCommandTests : IDisposable
{
    private const int Trajectories = 2000;
    private const int Steps = 50;
    private const int Every = 10;
    private const double LearningRate = 0.1;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Run_Managed_WritesSummaryTimeSeriesAndScenario()
    {
        string scenario = dir.Write("example2d.json", CliScenarios.Example2D);
        string output = dir["out"];

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", output);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("error:", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("warning:", r.StdErr, StringComparison.Ordinal);

        JsonObject summary = ReadJson(Path.Combine(output, "summary.json"));
        AssertSummary(summary, "managed");

        AssertTimeSeries(Path.Combine(output, "timeseries.csv"), summary);

        // scenario.json is the resolved scenario: it loads back to the same problem (and name).
        Scenario original = ScenarioLoader.LoadFile(scenario);
        Scenario resolved = ScenarioLoader.LoadFile(Path.Combine(output, "scenario.json"));
        Assert.Equal(original.Problem, resolved.Problem);
        Assert.Equal(original.Name, resolved.Name);
        Assert.Equal(original.Description, resolved.Description);
    }

    /// <summary>
    /// A scenario without <c>"name"</c> is named after its file: summary.json's <c>scenario</c> and the name written into the
    /// folder's scenario.json. A resumed run reads the folder's scenario.json as written: one from before unnamed scenarios
    /// took their file's name stays unnamed (not "scenario"), so its resumed outputs match the run it continues.
    /// </summary>
    [Fact]
    public void Run_UnnamedScenario_IsNamedAfterItsFile_AResumedFolderKeepsTheNameItHolds()
    {
        string scenario = dir.Write("confined-walk.json", CliScenarios.Confined1D);
        string output = dir["out"];

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", output, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("confined-walk", ParseObject(r.StdOut, "run --json")["scenario"]!.GetValue<string>());
        Assert.Equal("confined-walk", ReadJson(Path.Combine(output, "summary.json"))["scenario"]!.GetValue<string>());
        Assert.Equal("confined-walk", ReadJson(Path.Combine(output, "scenario.json"))["name"]!.GetValue<string>());

        // Stopped runs' folders (a checkpoint index beside scenario.json): one written now, one whose scenario.json has no name.
        string written = dir["written"], old = dir["old"];
        foreach ((string folder, string json) in new[] { (written, File.ReadAllText(Path.Combine(output, "scenario.json"))), (old, CliScenarios.Confined1D) })
        {
            Directory.CreateDirectory(RunCheckpoint.PathOf(folder));
            File.WriteAllText(Path.Combine(RunCheckpoint.PathOf(folder), RunCheckpoint.IndexFile), "{}");
            File.WriteAllText(Path.Combine(folder, "scenario.json"), json);
        }

        string backend = "managed";
        var limits = new RunLimits((long.MaxValue, "unlimited"), 1000);
        Assert.Null(ResumeCheck.Prepare(old, ref backend, ref limits, densityFilesGiven: false).Name);
        Assert.Equal("confined-walk", ResumeCheck.Prepare(written, ref backend, ref limits, densityFilesGiven: false).Name);
    }

    [Fact]
    public void Run_Json_PrintsExactlyTheSummaryOnStdout_ProgressOnStderr()
    {
        string scenario = dir.Write("example2d.json", CliScenarios.Example2D);
        string output = dir["out"];

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", output, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject printed = ParseObject(r.StdOut, "stdout of run --json"); // fails on anything besides one JSON document
        Assert.StartsWith("{", r.StdOut.TrimStart(), StringComparison.Ordinal);
        Assert.EndsWith("}", r.StdOut.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', r.StdOut); // no terminal escapes

        JsonObject written = ReadJson(Path.Combine(output, "summary.json"));
        Assert.True(JsonNode.DeepEquals(printed, written), $"stdout differs from summary.json:\n{printed}\n---\n{written}");
        AssertSummary(printed, "managed");

        // Progress is reported on stderr (plain lines when redirected), never on stdout.
        Assert.Contains("100%", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("%", r.StdOut, StringComparison.Ordinal);
        Assert.All(r.ErrLines, l => Assert.DoesNotContain("error", l, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Run_DefaultBackendAndOutputFolder_AutoResolvesAndWritesRunsScenarioName()
    {
        dir.Write("example2d.json", CliScenarios.Example2D);

        CliResult r = Sgdyn.Run(dir.Path, "run", "example2d.json");

        Assert.True(r.ExitCode == 0, r.ToString());
        string output = dir[Path.Combine("runs", "example2d")];
        JsonObject summary = ReadJson(Path.Combine(output, "summary.json"));
        Assert.True(File.Exists(Path.Combine(output, "timeseries.csv")));
        Assert.True(File.Exists(Path.Combine(output, "scenario.json")));

        // auto is CUDA when a CUDA device is present, else managed.
        string expected = Sgdyn.Available.Contains("cuda") ? "cuda" : "managed";
        Assert.Equal(expected, summary["backend"]!.GetValue<string>());

        // Without --json, stdout is the human-readable report and names the backend and the written files.
        Assert.Contains(expected, r.StdOut, StringComparison.Ordinal);
        Assert.Contains("summary.json", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_AgreesWithTheory_WithinFiveStandardErrors()
    {
        string scenario = dir.Write("example2d.json", CliScenarios.Example2D);

        CliResult run = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"], "--json");
        CliResult theory = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(theory.ExitCode == 0, theory.ToString());
        JsonObject final = ParseObject(run.StdOut, "run --json")["final"]!.AsObject();
        JsonObject exact = ParseObject(theory.StdOut, "theory --json")["recorded"]!.AsArray()[^1]!.AsObject();
        Assert.Equal(Steps, exact["step"]!.GetValue<int>());

        double[] mean = Vector(final["mean"]), meanSe = Vector(final["meanStandardError"]);
        double[][] cov = Matrix(final["covariance"]);
        double[] varSe = Vector(final["varianceStandardError"]);
        double[] exactMean = Vector(exact["mean"]);
        double[][] exactCov = Matrix(exact["covariance"]);
        for (int i = 0; i < 2; i++)
        {
            Assert.True(Math.Abs(mean[i] - exactMean[i]) <= 5 * meanSe[i], $"mean[{i}] = {mean[i]} ± {meanSe[i]}, theory {exactMean[i]}");
            Assert.True(Math.Abs(cov[i][i] - exactCov[i][i]) <= 5 * varSe[i], $"var[{i}] = {cov[i][i]} ± {varSe[i]}, theory {exactCov[i][i]}");
        }
    }

    /// <summary>The fields every summary must have, with this scenario's values.</summary>
    private static void AssertSummary(JsonObject summary, string backend)
    {
        Assert.Equal(backend, summary["backend"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(summary["device"]!.GetValue<string>()));
        Assert.Equal(Trajectories, summary["trajectories"]!.GetValue<long>());
        Assert.Equal(Steps, summary["steps"]!.GetValue<int>());
        Assert.Equal(7, summary["seed"]!.GetValue<long>());
        Assert.True(summary["seconds"]!.GetValue<double>() > 0);
        Assert.True(summary["trajectoryStepsPerSecond"]!.GetValue<double>() > 0);

        JsonObject final = Assert.IsType<JsonObject>(summary["final"]);
        Assert.Equal(0, final["diverged"]!.GetValue<long>());
        double[] mean = Vector(final["mean"]);
        Assert.Equal(2, mean.Length);
        Assert.All(mean, m => Assert.True(double.IsFinite(m)));
        double[][] cov = Matrix(final["covariance"]);
        Assert.Equal(2, cov.Length);
        Assert.All(cov, row => Assert.Equal(2, row.Length));
        Assert.All(cov.SelectMany(row => row), c => Assert.True(double.IsFinite(c)));
        Assert.Equal(cov[0][1], cov[1][0]);
        Assert.True(cov[0][0] > 0 && cov[1][1] > 0);
    }

    private static void AssertTimeSeries(string path, JsonObject summary)
    {
        (string[] header, string[][] rows) = ReadCsv(path);
        Assert.Equal(["step", "time", "count", "diverged", "mean_0", "mean_1", "cov_0_0", "cov_0_1", "cov_1_1"], header);

        int[] expectedSteps = Enumerable.Range(0, Steps / Every + 1).Select(k => k * Every).ToArray();
        Assert.Equal(expectedSteps, rows.Select(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        foreach (string[] row in rows)
        {
            Assert.Equal(header.Length, row.Length);
            int step = int.Parse(row[0], System.Globalization.CultureInfo.InvariantCulture);
            Close(step * LearningRate, Number(row[1]), 1e-12, $"time at step {step}");
            Assert.Equal(Trajectories, Number(row[2]));
            Assert.Equal(0, Number(row[3]));
            Assert.All(row[4..], f => Assert.True(double.IsFinite(Number(f)), $"step {step}: field '{f}'"));
        }

        // Step 0: every trajectory at the initial point.
        Assert.Equal(["1", "-1", "0", "0", "0"], rows[0][4..]);

        // The last row is the summary's final record, to the last digit.
        JsonObject final = summary["final"]!.AsObject();
        double[] mean = Vector(final["mean"]);
        double[][] cov = Matrix(final["covariance"]);
        string[] last = rows[^1];
        Assert.Equal(mean[0], Number(last[4]));
        Assert.Equal(mean[1], Number(last[5]));
        Assert.Equal(cov[0][0], Number(last[6]));
        Assert.Equal(cov[0][1], Number(last[7]));
        Assert.Equal(cov[1][1], Number(last[8]));
    }
}
