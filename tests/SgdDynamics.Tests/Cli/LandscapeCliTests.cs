using System.Text.Json.Nodes;
using SgdDynamics.Scenarios;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn run</c> and <c>sgdyn theory</c> on the non-quadratic landscapes.</summary>
public sealed class LandscapeCliTests : IDisposable
{
    /// <summary>3-D ring valley, λ = 1, σ = 0.2, η = 0.05, 2000 trajectories × 60 steps from (1, 0, 0), tails kept.</summary>
    private const string RingValley3D = """
        {
          "name": "ring",
          "landscape": { "type": "ringValley", "dimension": 3, "curvature": 1, "noiseStd": 0.2 },
          "optimizer": { "type": "sgd", "learningRate": 0.05 },
          "initial": { "point": [1, 0, 0] },
          "ensemble": { "trajectories": 2000, "steps": 60, "seed": 5 },
          "record": { "every": 20, "tails": true }
        }
        """;

    private const string DoubleWell1D = """
        {
          "landscape": { "type": "doubleWell", "noiseStd": 0.3 },
          "optimizer": { "type": "momentum", "learningRate": 0.05, "momentum": 0.5 },
          "initial": { "mean": [0], "covariance": [[0.5]] },
          "ensemble": { "trajectories": 1000, "steps": 40, "seed": 6 }
        }
        """;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Run_RingValley_WritesSummaryWithoutModes()
    {
        string scenario = dir.Write("ring.json", RingValley3D);
        string output = dir["out"];

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", output);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("error:", r.StdErr, StringComparison.Ordinal);
        JsonObject summary = ReadJson(Path.Combine(output, "summary.json"));
        Assert.Equal("ringValley", summary["landscape"]!.GetValue<string>());
        Assert.Equal(3, summary["dimension"]!.GetValue<int>());
        Assert.Equal(2000, summary["trajectories"]!.GetValue<long>());
        Assert.False(summary.ContainsKey("modes"), "no Hessian eigenmodes for a ring valley");
        JsonObject final = summary["final"]!.AsObject();
        Assert.Equal(60, final["step"]!.GetValue<int>());
        Assert.Equal(2000, final["count"]!.GetValue<long>());
        Assert.Equal(3, Vector(final["mean"]).Length);
        Assert.Equal(3, final["tailIndex"]!.AsArray().Count);

        // the valley holds the ensemble near the unit sphere: |mean| stays below 1 and x0 stays near 1
        double[] mean = Vector(final["mean"]);
        Assert.InRange(mean[0], 0.5, 1.0);

        Assert.True(File.Exists(Path.Combine(output, "timeseries.csv")));
        Assert.False(File.Exists(Path.Combine(output, "modes.csv")));
        Scenario resolved = ScenarioLoader.LoadFile(Path.Combine(output, "scenario.json"));
        Assert.Equal(ScenarioLoader.LoadFile(scenario).Problem, resolved.Problem);
    }

    [Fact]
    public void Run_DoubleWellWithMomentum_OnIlgpuCpu_MatchesManaged()
    {
        string scenario = dir.Write("well.json", DoubleWell1D);

        CliResult managed = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["managed"], "--json");
        CliResult ilgpu = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "ilgpu-cpu", "--out", dir["ilgpu"], "--json");

        Assert.True(managed.ExitCode == 0, managed.ToString());
        Assert.True(ilgpu.ExitCode == 0, ilgpu.ToString());
        JsonObject a = ParseObject(managed.StdOut, "managed summary");
        JsonObject b = ParseObject(ilgpu.StdOut, "ilgpu-cpu summary");
        Assert.Equal("doubleWell", a["landscape"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(a["final"], b["final"]), $"final records differ:\n{a["final"]}\n---\n{b["final"]}");
    }

    [Fact]
    public void Theory_RingValley_Exit2_SaysTheoryNeedsAQuadratic()
    {
        string scenario = dir.Write("ring.json", RingValley3D);

        CliResult r = Sgdyn.Run(dir.Path, "theory", scenario, "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal("", r.StdOut);
        Assert.True(r.ErrLines.Length == 1, r.ToString());
        Assert.StartsWith("error: ", r.ErrLines[0], StringComparison.Ordinal);
        Assert.Contains("$.landscape.type", r.ErrLines[0], StringComparison.Ordinal);
        Assert.Contains("needs a quadratic or leastSquares landscape", r.ErrLines[0], StringComparison.Ordinal);
        Assert.Contains("ringValley", r.ErrLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("landscape.curvature", "0", "$.landscape.curvature: ", "must be > 0")]
    [InlineData("landscape.dimension", "1", "$.landscape.dimension: ", "at least 2")]
    [InlineData("landscape.noiseStd", "-0.5", "$.landscape.noiseStd: ", "must be >= 0")]
    [InlineData("initial.point", "[1]", "$.initial.point: ", "expected 3 entries")]
    [InlineData("landscape.hessian", "[[1]]", "$.landscape.hessian: ", "unknown field")]
    public void Run_BadRingValley_Exit2_NamesTheField(string field, string value, string location, string detail)
    {
        string file = dir.Write("bad.json", CliScenarios.With(RingValley3D, field, value));

        CliResult r = Sgdyn.Run(dir.Path, "run", file, "--backend", "managed", "--out", dir["out"]);

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.True(r.ErrLines.Length == 1, r.ToString());
        Assert.Contains(location, r.ErrLines[0], StringComparison.Ordinal);
        Assert.Contains(detail, r.ErrLines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir["out"]));
    }
}
