using System.Text.Json.Nodes;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Cli;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Runs that overflow or whose solver cannot proceed: exit 3, one line, every output written as valid JSON/CSV.</summary>
public sealed class DivergenceContractTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    public static TheoryData<string, string> Overflowing() => new()
    {
        { "huge-learning-rate", RobustnessScenarios.HugeLearningRate },
        { "huge-negative-hessian", RobustnessScenarios.HugeNegativeHessian },
        { "double-well-overflow-tails", RobustnessScenarios.DoubleWellOverflowWithTails },
        { "huge-psd-noise", RobustnessScenarios.WithNoiseCovariance("[[1e308, 1e308], [1e308, 1e308]]") },
        { "huge-curvature-noise", CliScenarios.With(CliScenarios.Tiny2D, "landscape.curvatureNoiseStd", "[1e308, 1e154]") },
        { "huge-full-hessian", CliScenarios.With(CliScenarios.Tiny2D, "landscape.hessian", "[[1e308, 1e308], [1e308, 1e308]]") },
    };

    [Theory]
    [MemberData(nameof(Overflowing))]
    public void Overflow_Exit3_OutputsWritten_NonFiniteNumbersAreNull(string name, string json)
    {
        string scenario = dir.Write(name + ".json", json);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"], "--json");

        CliAssert.OneError(r, 3, "diverged");
        JsonObject printed = ParseObject(r.StdOut, "stdout");
        JsonObject summary = ReadJson(dir[Path.Combine("out", "summary.json")]);
        Assert.Equal(printed.ToJsonString(), summary.ToJsonString());
        JsonObject final = summary["final"]!.AsObject();
        Assert.True(final["diverged"]!.GetValue<long>() > 0);
        Assert.All(Vector(final["mean"]), m => Assert.True(double.IsNaN(m) || double.IsFinite(m)));
        ReadCsv(dir[Path.Combine("out", "timeseries.csv")]);
        Assert.True(File.Exists(dir[Path.Combine("out", "scenario.json")]));
        if (summary["modes"] is JsonArray modes)
        {
            Assert.All(modes, m => Assert.False(string.IsNullOrEmpty(m!["reason"]!.GetValue<string>())));
            ReadCsv(dir[Path.Combine("out", "modes.csv")]);
        }

        if (final["tailIndex"] is JsonArray tails)
        {
            JsonObject tail = Assert.Single(tails)!.AsObject();
            Assert.Null(tail["alpha"]);
            Assert.Contains("no finite final state", tail["undefined"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void HugeLearningRate_RecordTimesOverflow_WrittenAsNull()
    {
        string scenario = dir.Write("eta.json", RobustnessScenarios.HugeLearningRate);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);

        Assert.True(r.ExitCode == 3, r.ToString());
        JsonObject summary = ReadJson(dir[Path.Combine("out", "summary.json")]);
        Assert.Null(summary["final"]!["time"]);
        (_, string[][] rows) = ReadCsv(dir[Path.Combine("out", "timeseries.csv")]);
        Assert.Equal("", rows[^1][1]);
    }

    [Theory]
    [InlineData("huge-learning-rate")]
    [InlineData("huge-negative-hessian")]
    [InlineData("huge-psd-noise")]
    [InlineData("huge-curvature-noise")]
    [InlineData("huge-full-hessian")]
    public void Theory_OfAnOverflowingProblem_Exit0_ValidJson(string name)
    {
        string json = (string)Overflowing().Single(row => (string)row[0] == name)[1];
        string scenario = dir.Write(name + ".json", json);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        ParseObject(r.StdOut, "theory --json");
    }

    [Fact]
    public void GridSolverBreakdown_Exit3_SaysWhy_WritesTheRecordsSoFar()
    {
        string scenario = dir.Write("stiff.json", RobustnessScenarios.StiffFokkerPlanck);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);

        CliAssert.OneError(r, 3, "fokkerPlanck solver stopped", "BiCGStab");
        JsonObject summary = ReadJson(dir[Path.Combine("out", "summary.json")]);
        Assert.Contains("BiCGStab", summary["failure"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, summary["final"]!["step"]!.GetValue<int>());
        Assert.True(File.Exists(dir[Path.Combine("out", "density_0.csv")]));
        (_, string[][] rows) = ReadCsv(dir[Path.Combine("out", "timeseries.csv")]);
        Assert.Single(rows);
    }

    [Fact]
    public void GridDensityOverflow_Exit3_NotASilentNaN()
    {
        string scenario = dir.Write("fp-overflow.json", RobustnessScenarios.OverflowingFokkerPlanck);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);

        CliAssert.OneError(r, 3, "fokkerPlanck solver stopped", "no longer finite");
        JsonObject summary = ReadJson(dir[Path.Combine("out", "summary.json")]);
        Assert.Contains("no longer finite", summary["failure"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(summary["final"]!["mass"]);
    }

    [Fact]
    public void GridRunner_SolverBreakdown_ReturnsTheRecordsAndTheFailure()
    {
        Scenario scenario = ScenarioLoader.Parse(RobustnessScenarios.StiffFokkerPlanck);

        GridResult result = GridRunner.Run(scenario.Problem, (GridAlgorithm)scenario.Algorithm);

        Assert.NotNull(result.Failure);
        Assert.Contains("in steps 1", result.Failure, StringComparison.Ordinal);
        GridRecord only = Assert.Single(result.Records);
        Assert.Equal(0, only.Step);
    }

    [Fact]
    public void BiCgStab_ToleranceOutOfReach_ThrowsGridSolveExceptionWithTheNumbers()
    {
        // A 3 × 3 diagonally dominant system: solvable, but not to a relative residual of 1e-300 in 0 iterations.
        var matrix = new SparseRowMatrix([0, 2, 5, 7], [0, 1, 0, 1, 2, 1, 2], [4, -1, -1, 4, -1, -1, 4]);
        double[] factors = matrix.IncompleteLu();
        var x = new double[3];

        var e = Assert.Throws<GridSolveException>(() => matrix.SolveBiCgStab(factors, [1, 2, 3], x, 1e-300, 0));

        Assert.Contains("did not reach relative residual 1E-300", e.Message, StringComparison.Ordinal);
        Assert.Contains("reached", e.Message, StringComparison.Ordinal);
    }
}
