using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn demo</c> and <c>sgdyn --help</c>.</summary>
public sealed class DemoAndHelpTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Demo_DefaultFolder_IsRunsDemoUnderTheWorkingDirectory()
    {
        CliResult r = Sgdyn.Run(dir.Path, "demo", "--trajectories", "4096");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("discrete", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("Langevin", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("0.33333", r.StdOut, StringComparison.Ordinal); // discrete prediction ησ²/(λ(2 − ηλ))
        Assert.Contains("0.25000", r.StdOut, StringComparison.Ordinal); // Langevin prediction ησ²/(2λ)
        Assert.DoesNotContain("error:", r.StdErr, StringComparison.Ordinal);

        AssertDemoOutputs(dir[Path.Combine("runs", "demo")]);
    }

    [Fact]
    public void Demo_Out_WritesThere()
    {
        CliResult r = Sgdyn.Run(dir.Path, "demo", "--trajectories", "4096", "--backend", "managed", "--out", dir["elsewhere"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Langevin", r.StdOut, StringComparison.Ordinal);
        AssertDemoOutputs(dir["elsewhere"]);
        Assert.False(Directory.Exists(dir["runs"]), "--out was ignored: runs/ was created");
    }

    [Fact]
    public void Help_ListsTheFourCommands()
    {
        CliResult r = Sgdyn.Run(dir.Path, "--help");

        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (string command in new[] { "run", "theory", "demo", "bench" })
        {
            Assert.True(Regex.IsMatch(r.StdOut, $@"^\s+{command}\b", RegexOptions.Multiline), $"--help does not list '{command}':\n{r.StdOut}");
        }
    }

    [Fact]
    public void RunHelp_ListsItsOptions()
    {
        CliResult r = Sgdyn.Run(dir.Path, "run", "--help");

        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (string option in new[] { "--backend", "--out", "--json", "--threads", "--allow-divergence" })
        {
            Assert.Contains(option, r.StdOut, StringComparison.Ordinal);
        }
    }

    private static void AssertDemoOutputs(string folder)
    {
        JsonObject summary = ReadJson(Path.Combine(folder, "summary.json"));
        Assert.Equal(4096, summary["trajectories"]!.GetValue<long>());
        Assert.Equal(200, summary["steps"]!.GetValue<int>());
        JsonObject final = summary["final"]!.AsObject();
        Assert.Equal(0, final["diverged"]!.GetValue<long>());

        // Confined variance near 1/3 (SE ≈ 0.007), flat variance near 200 · η² = 50 (SE ≈ 1.1).
        double[][] cov = Matrix(final["covariance"]);
        Assert.InRange(cov[0][0], 1.0 / 3 - 0.04, 1.0 / 3 + 0.04);
        Assert.InRange(cov[1][1], 50 - 6, 50 + 6);

        (string[] header, string[][] rows) = ReadCsv(Path.Combine(folder, "timeseries.csv"));
        Assert.Equal(["step", "time", "count", "diverged", "mean_0", "mean_1", "cov_0_0", "cov_0_1", "cov_1_1"], header);
        Assert.Equal(Enumerable.Range(0, 11).Select(k => (20 * k).ToString(System.Globalization.CultureInfo.InvariantCulture)), rows.Select(r => r[0]));
        Assert.True(File.Exists(Path.Combine(folder, "scenario.json")));
    }
}
