using System.Text.Json.Nodes;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>--backend</c>: same numbers from every CPU backend, clear errors for absent or unknown ones.</summary>
public sealed class BackendSelectionTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void ManagedAndIlgpuCpu_GiveIdenticalMoments()
    {
        string scenario = dir.Write("tiny.json", CliScenarios.Tiny2D);

        CliResult managed = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["managed"], "--json");
        CliResult ilgpu = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "ilgpu-cpu", "--out", dir["ilgpu"], "--json");

        Assert.True(managed.ExitCode == 0, managed.ToString());
        Assert.True(ilgpu.ExitCode == 0, ilgpu.ToString());
        JsonObject m = ReadJson(dir[Path.Combine("managed", "summary.json")]);
        JsonObject i = ReadJson(dir[Path.Combine("ilgpu", "summary.json")]);
        Assert.Equal("managed", m["backend"]!.GetValue<string>());
        Assert.Equal("ilgpu-cpu", i["backend"]!.GetValue<string>());
        Assert.Equal(300, i["trajectories"]!.GetValue<long>());
        Assert.Equal(20, i["steps"]!.GetValue<int>());

        JsonObject mf = m["final"]!.AsObject(), jf = i["final"]!.AsObject();
        Assert.Equal(Vector(mf["mean"]), Vector(jf["mean"]));
        Assert.Equal(Matrix(mf["covariance"]), Matrix(jf["covariance"]));

        // The statistics are exact, so the whole final record and every recorded row agree bit for bit.
        Assert.True(JsonNode.DeepEquals(mf, jf), $"final records differ:\n{mf}\n---\n{jf}");
        Assert.Equal(
            File.ReadAllText(dir[Path.Combine("managed", "timeseries.csv")]),
            File.ReadAllText(dir[Path.Combine("ilgpu", "timeseries.csv")]));
    }

    [AbsentGpuBackendFact]
    public void AbsentBackend_Exit2_SaysNotAvailableAndListsTheAvailableOnes()
    {
        // cuda on a machine without a CUDA device, opencl when only CUDA is present (skipped when both are).
        string absent = Sgdyn.AbsentGpuBackend!;

        string scenario = dir.Write("tiny.json", CliScenarios.Tiny2D);
        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", absent, "--out", dir["out"], "--json");

        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal("", r.StdOut);
        string line = Assert.Single(r.ErrLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains($"'{absent}' is not available", line, StringComparison.Ordinal);
        Assert.Contains("managed, ilgpu-cpu", line, StringComparison.Ordinal);
        Assert.Contains(string.Join(", ", Sgdyn.Available), line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir["out"]), "no output folder for a run that never started");
    }

    [Fact]
    public void UnknownBackendName_IsAParseError()
    {
        string scenario = dir.Write("tiny.json", CliScenarios.Tiny2D);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "quantum", "--out", dir["out"]);

        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("quantum", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("managed", r.StdErr, StringComparison.Ordinal); // the accepted names are listed
        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir["out"]));
    }
}
