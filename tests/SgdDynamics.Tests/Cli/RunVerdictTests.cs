using System.Globalization;
using System.Text.Json.Nodes;

namespace SgdDynamics.Tests.Cli;

/// <summary>
/// The verdict of <c>sgdyn run</c>: the per-mode table on stdout carries exactly summary.json's numbers, the
/// second-moment stability is stated, an unstable mode reads "unstable: infinite variance" with no fitted stationary
/// variance, light tails are flagged, and run.png is written and listed in the manifest.
/// </summary>
public class RunVerdictTests
{
    /// <summary>
    /// 2-D, H = diag(2, 0), Σ = diag(0.8, 1.5), η = 0.3, from the origin; 3000 trajectories × 300 steps recorded every 5.
    /// Confined mode (λ = 2, s² = 0.8): discrete ηs²/(λ(2 − ηλ)) = 0.24/2.8, Langevin ηs²/(2λ) = 0.24/4; flat mode
    /// (s² = 1.5): D = ηs²/2 = 0.225.
    /// </summary>
    private const string FlatAndConfined = """
        {
          "name": "verdict2d",
          "landscape": { "type": "quadratic", "hessian": [[2, 0], [0, 0]], "gradientNoiseCovariance": [[0.8, 0], [0, 1.5]] },
          "optimizer": { "type": "sgd", "learningRate": 0.3 },
          "initial": { "point": [0, 0] },
          "ensemble": { "trajectories": 3000, "steps": 300, "seed": 5 },
          "record": { "every": 5, "tails": true }
        }
        """;

    /// <summary>
    /// 1-D, λ = 1, s² = 1, curvature noise a² = 3.2, η = 0.5: ηa² = 1.6 ≥ λ(2 − ηλ) = 1.5, so the discrete second moment
    /// grows by ρ = (1 − ηλ)² + η²a² = 1.05 per step (infinite stationary variance) while the Langevin one converges
    /// (ηa² &lt; 2λ) to ηs²/(2λ − ηa²) = 1.25.
    /// </summary>
    private const string UnstableMode = """
        {
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]], "curvatureNoiseStd": [1.788854381999832] },
          "optimizer": { "type": "sgd", "learningRate": 0.5 },
          "initial": { "point": [0] },
          "ensemble": { "trajectories": 2000, "steps": 60, "seed": 3 },
          "record": { "every": 2 }
        }
        """;

    [Fact]
    public void VerdictTableShowsExactlyTheSummaryNumbers()
    {
        using var folder = new TempFolder();
        string scenario = folder.Write("verdict2d.json", FlatAndConfined);
        CliResult result = Sgdyn.Run(folder.Path, "run", scenario, "--out", folder["out"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        JsonObject summary = Outputs.ReadJson(folder["out/summary.json"]);
        JsonArray modes = summary["modes"]!.AsArray();
        Assert.Equal(2, modes.Count);

        string[][] rows = TableRows(result.StdOut, "verdict per Hessian eigenmode");
        Assert.Equal(2, rows.Length);
        foreach (string[] row in rows)
        {
            JsonObject mode = modes[int.Parse(row[0], CultureInfo.InvariantCulture)]!.AsObject();
            Assert.Equal(Shown(mode["eigenvalue"]), row[1]);
            Assert.Equal(mode["verdict"]!.GetValue<string>(), row[2]);
            Assert.Equal(Shown(mode["fitted"]), row[4]);
            Assert.Equal(Shown(mode["standardError"]), row[5]);
            Assert.Equal(Shown(mode["discrete"]), row[6]);
            Assert.Equal(Shown(mode["zDiscrete"]), row[7]);
            Assert.Equal(Shown(mode["langevin"]), row[8]);
            Assert.Equal(Shown(mode["zLangevin"]), row[9]);
        }

        // The predictions are the formulas, and the z-scores (fitted − prediction)/SE of the written numbers.
        JsonObject confined = modes.Single(m => m!["eigenvalue"]!.GetValue<double>() == 2)!.AsObject();
        JsonObject flat = modes.Single(m => m!["eigenvalue"]!.GetValue<double>() == 0)!.AsObject();
        Assert.Equal(0.3 * 0.8 / (2 * (2 - 0.3 * 2)), confined["discrete"]!.GetValue<double>(), 12);
        Assert.Equal(0.3 * 0.8 / (2 * 2), confined["langevin"]!.GetValue<double>(), 12);
        Assert.Equal(0.3 * 1.5 / 2, flat["discrete"]!.GetValue<double>(), 12);
        Assert.Equal(0.3 * 1.5 / 2, flat["langevin"]!.GetValue<double>(), 12);
        foreach (JsonObject mode in new[] { confined, flat })
        {
            double fitted = mode["fitted"]!.GetValue<double>(), se = mode["standardError"]!.GetValue<double>();
            Assert.Equal((fitted - mode["discrete"]!.GetValue<double>()) / se, mode["zDiscrete"]!.GetValue<double>(), 9);
            Assert.Equal((fitted - mode["langevin"]!.GetValue<double>()) / se, mode["zLangevin"]!.GetValue<double>(), 9);
            Assert.True(mode["secondMomentStable"] is null || mode["secondMomentStable"]!.GetValue<bool>());
        }

        // Fixed seed; the classifier's SEs are conservative bounds, so the exact discrete theory lies within 5 SE, and the
        // Langevin level, 0.024 below the discrete one (about 8 SE at 3000 trajectories), is rejected.
        Assert.Equal("confined", confined["verdict"]!.GetValue<string>());
        Assert.Equal("diffusive", flat["verdict"]!.GetValue<string>());
        Assert.InRange(confined["zDiscrete"]!.GetValue<double>(), -5, 5);
        Assert.True(confined["zLangevin"]!.GetValue<double>() > 5, confined.ToJsonString());
        Assert.InRange(flat["zDiscrete"]!.GetValue<double>(), -5, 5);

        // A flat direction: the second-moment map has spectral radius 1, no stationary law, and the summary says why.
        Assert.False(summary["secondMomentStable"]!.GetValue<bool>());
        Assert.Equal(1.0, summary["secondMomentSpectralRadius"]!.GetValue<double>(), 12);
        Assert.Contains("flat direction", summary["secondMomentNote"]!.GetValue<string>());
        Assert.Contains("second-moment map: not stable", result.StdOut);

        // run.png: a PNG, listed in the manifest and in the "wrote" line.
        byte[] png = File.ReadAllBytes(folder["out/run.png"]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        JsonObject manifest = Outputs.ReadJson(folder["out/manifest.json"]);
        Assert.Contains(manifest["files"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "run.png");
        Assert.Contains("run.png", result.StdOut);
    }

    [Fact]
    public void UnstableSecondMomentIsReportedAsInfiniteVariance()
    {
        using var folder = new TempFolder();
        string scenario = folder.Write("unstable.json", UnstableMode);
        CliResult result = Sgdyn.Run(folder.Path, "run", scenario, "--out", folder["out"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        JsonObject summary = Outputs.ReadJson(folder["out/summary.json"]);
        Assert.False(summary["secondMomentStable"]!.GetValue<bool>());
        Assert.Equal(1.05, summary["secondMomentSpectralRadius"]!.GetValue<double>(), 9);
        Assert.Contains("infinite", summary["secondMomentNote"]!.GetValue<string>());

        JsonObject mode = summary["modes"]![0]!.AsObject();
        Assert.Equal("unstable", mode["regime"]!.GetValue<string>());
        Assert.Equal("unstable: infinite variance", mode["verdict"]!.GetValue<string>());
        Assert.False(mode["secondMomentStable"]!.GetValue<bool>());
        Assert.Equal("none", mode["quantity"]!.GetValue<string>());
        Assert.Null(mode["fitted"]);
        Assert.Null(mode["predicted"]);
        Assert.Null(mode["discrete"]);
        Assert.Null(mode["zDiscrete"]);
        Assert.Null(mode["zLangevin"]);
        Assert.Equal(0.5 / (2 - 0.5 * 3.2), mode["langevin"]!.GetValue<double>(), 9);
        Assert.True(mode["measuredVariance"]!.GetValue<double>() > 0);

        string[] row = Assert.Single(TableRows(result.StdOut, "verdict per Hessian eigenmode"));
        Assert.Equal("unstable: infinite variance", row[2]);
        Assert.Equal("last variance", row[3]);
        Assert.Equal(Shown(mode["measuredVariance"]), row[4]);
        Assert.Equal("—", row[6]);
        Assert.Equal("—", row[7]);
    }

    [Fact]
    public void StableAndNotApplicableSecondMoments()
    {
        using var folder = new TempFolder();
        CliResult stable = Sgdyn.Run(folder.Path, "run", folder.Write("example.json", CliScenarios.Tiny2D), "--out", folder["stable"], "--json");
        Assert.True(stable.ExitCode == 0, stable.ToString());
        JsonObject summary = Outputs.ParseObject(stable.StdOut, "stdout");
        Assert.True(summary["secondMomentStable"]!.GetValue<bool>());
        Assert.True(summary["secondMomentSpectralRadius"]!.GetValue<double>() < 1);

        // A double well: no moment theory, so no answer, with the reason; its bimodal |x| has a light tail (flagged).
        string well = folder.Write("well.json", """
            {"landscape": {"type": "doubleWell", "noiseStd": 0.5}, "optimizer": {"type": "sgd", "learningRate": 0.05},
             "initial": {"mean": [0], "covariance": [[0.25]]}, "ensemble": {"trajectories": 4000, "steps": 200, "seed": 3},
             "record": {"every": 50, "tails": true}}
            """);
        CliResult run = Sgdyn.Run(folder.Path, "run", well, "--out", folder["well"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        JsonObject wellSummary = Outputs.ReadJson(folder["well/summary.json"]);
        Assert.True(wellSummary.ContainsKey("secondMomentStable"));
        Assert.Null(wellSummary["secondMomentStable"]);
        Assert.Contains("doubleWell", wellSummary["secondMomentNote"]!.GetValue<string>());
        Assert.Contains("not evaluated", run.StdOut);
        JsonObject tail = wellSummary["final"]!["tailIndex"]![0]!.AsObject();
        Assert.True(tail["alpha"]!.GetValue<double>() > 10, tail.ToJsonString());
        Assert.Equal("lightTail", tail["flag"]!.GetValue<string>());
        Assert.Contains("not a power law", tail["note"]!.GetValue<string>());
        string[] tailRow = Assert.Single(TableRows(run.StdOut, "tail index of |x_i|"));
        Assert.Equal(Shown(tail["alpha"]), tailRow[1]);
        Assert.Contains("light tail", tailRow[4]);
        Assert.True(File.Exists(folder["well/run.png"]));
    }

    /// <summary>How the verdict prints a summary number: 6 significant digits, "—" for null.</summary>
    private static string Shown(JsonNode? node) =>
        node is null ? "—" : node.GetValue<double>().ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>The data rows (cells trimmed) of the table whose title contains <paramref name="title"/>.</summary>
    private static string[][] TableRows(string stdout, string title)
    {
        string[] lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        int start = Array.FindIndex(lines, l => l.Contains(title, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no table '{title}' in:\n{stdout}");
        var rows = new List<string[]>();
        bool header = true;
        for (int i = start + 1; i < lines.Length && !lines[i].TrimStart().StartsWith('╰'); i++)
        {
            string line = lines[i].Trim();
            if (!line.StartsWith('│'))
            {
                continue;
            }

            string[] cells = line.Trim('│').Split('│').Select(c => c.Trim()).ToArray();
            if (header)
            {
                header = false;
                continue;
            }

            if (cells[0].Length > 0)
            {
                rows.Add(cells);
            }
        }

        return [.. rows];
    }
}
