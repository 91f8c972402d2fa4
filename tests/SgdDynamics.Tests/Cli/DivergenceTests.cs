using System.Text.Json.Nodes;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary>Diverging runs: exit 3 (unless some survive and --allow-divergence), outputs still written.</summary>
public sealed class DivergenceTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void AllDiverge_Exit3_OneErrorLine_OutputsWrittenWithNullMoments()
    {
        string scenario = dir.Write("blowup.json", CliScenarios.BlowUp1D);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);

        Assert.True(r.ExitCode == 3, r.ToString());
        AssertOneDivergedLine(r, "error: ");
        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);

        JsonObject summary = ReadJson(dir[Path.Combine("out", "summary.json")]);
        Assert.Equal(500, summary["trajectories"]!.GetValue<long>());
        JsonObject final = summary["final"]!.AsObject();
        Assert.Equal(500, final["diverged"]!.GetValue<long>());
        Assert.Equal(0, final["count"]!.GetValue<long>());
        JsonArray mean = Assert.IsType<JsonArray>(final["mean"]);
        Assert.Single(mean);
        Assert.All(mean, m => Assert.Null(m));
        Assert.All(Assert.IsType<JsonArray>(final["covariance"]), row => Assert.All(Assert.IsType<JsonArray>(row), c => Assert.Null(c)));
        int firstDiverged = summary["firstDivergedStep"]!.GetValue<int>();
        Assert.InRange(firstDiverged, 1, 100);

        (string[] header, string[][] rows) = ReadCsv(dir[Path.Combine("out", "timeseries.csv")]);
        Assert.Equal(["step", "time", "count", "diverged", "mean_0", "cov_0_0"], header);
        Assert.Equal(11, rows.Length);
        Assert.All(rows, row => Assert.Equal(500, Number(row[2]) + Number(row[3])));
        Assert.Equal(["100", "250", "0", "500", "", ""], rows[^1]);
        int at = Array.FindIndex(rows, row => row[0] == firstDiverged.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(at > 0, $"firstDivergedStep {firstDiverged} is not a recorded step after 0");
        Assert.True(Number(rows[at][3]) > 0, "no diverged trajectories at firstDivergedStep");
        Assert.Equal(0, Number(rows[at - 1][3]));
        Assert.True(File.Exists(dir[Path.Combine("out", "scenario.json")]));
    }

    [Fact]
    public void AllDiverge_AllowDivergenceDoesNotHelp_Exit3()
    {
        string scenario = dir.Write("blowup.json", CliScenarios.BlowUp1D);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"], "--allow-divergence");

        Assert.True(r.ExitCode == 3, r.ToString());
        AssertOneDivergedLine(r, "error: ");
    }

    [Fact]
    public void SomeDiverge_Exit3_WithoutFlag()
    {
        string scenario = dir.Write("partial.json", CliScenarios.PartlyDiverging1D);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"], "--json");

        Assert.True(r.ExitCode == 3, r.ToString());
        string line = AssertOneDivergedLine(r, "error: ");
        Assert.Contains("--allow-divergence", line, StringComparison.Ordinal);

        // The summary is still printed and written, and counts the diverged trajectories.
        JsonObject printed = ParseObject(r.StdOut, "stdout of run --json");
        JsonObject written = ReadJson(dir[Path.Combine("out", "summary.json")]);
        Assert.True(JsonNode.DeepEquals(printed, written));
        AssertPartlyDiverged(written);
    }

    [Fact]
    public void SomeDiverge_Exit0_WithAllowDivergence_AndAWarning()
    {
        string scenario = dir.Write("partial.json", CliScenarios.PartlyDiverging1D);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"], "--json", "--allow-divergence");

        Assert.True(r.ExitCode == 0, r.ToString());
        AssertOneDivergedLine(r, "warning: ");
        Assert.DoesNotContain("error:", r.StdErr, StringComparison.Ordinal);
        AssertPartlyDiverged(ParseObject(r.StdOut, "stdout of run --json"));
        AssertPartlyDiverged(ReadJson(dir[Path.Combine("out", "summary.json")]));
    }

    private static void AssertPartlyDiverged(JsonObject summary)
    {
        JsonObject final = summary["final"]!.AsObject();
        long diverged = final["diverged"]!.GetValue<long>();
        long count = final["count"]!.GetValue<long>();
        Assert.InRange(diverged, 1, 1999);
        Assert.Equal(2000, diverged + count);
        Assert.True(double.IsFinite(Vector(final["mean"])[0]));
        Assert.True(Matrix(final["covariance"])[0][0] is > 0 and <= 144);
    }

    /// <summary>Exactly one stderr line mentions divergence; it starts with <paramref name="prefix"/>.</summary>
    private static string AssertOneDivergedLine(CliResult r, string prefix)
    {
        string[] lines = r.ErrLines.Where(l => l.Contains("diverged", StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == 1, r.ToString());
        Assert.StartsWith(prefix, lines[0], StringComparison.Ordinal);

        // Besides it, stderr holds only progress lines.
        Assert.True(r.MessageLines.Length == 1, r.ToString());
        return lines[0];
    }
}
