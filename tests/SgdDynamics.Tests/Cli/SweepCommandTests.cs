using System.Globalization;
using System.Text.Json.Nodes;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn run --set/--sweep</c> end to end: overrides, cells equal to separate runs, sweep.csv/json, errors.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private const string Scenario = """
        {
          "name": "sweep-test",
          "landscape": { "type": "quadratic", "hessian": [[1, 0.2], [0.2, 0.5]], "gradientNoiseCovariance": [[1, 0], [0, 0.5]], "curvatureNoiseStd": [0.3, 0] },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "point": [1, -1] },
          "ensemble": { "trajectories": 1024, "steps": 40, "seed": 7 },
          "record": { "every": 10 }
        }
        """;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Set_ChangesTheRunAndItsResolvedScenario()
    {
        string output = dir["out"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", Scenario), "--backend", "managed", "--out", output,
            "--set", "optimizer.learningRate=0.3", "--set", "ensemble.seed=4");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject summary = ReadJson(Path.Combine(output, "summary.json"));
        Assert.Equal(0.3, summary["optimizer"]!["learningRate"]!.GetValue<double>());
        Assert.Equal(4, summary["seed"]!.GetValue<int>());
        Assert.True(summary["peakMemoryBytes"]!.GetValue<long>() > 0);
        JsonObject resolved = ReadJson(Path.Combine(output, "scenario.json"));
        Assert.Equal(0.3, resolved["optimizer"]!["learningRate"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("optimizer.learningRate=-1", "$.optimizer.learningRate")]
    [InlineData("optimizer.learningRat=0.3", "$.optimizer.learningRat")]
    [InlineData("landscape.hessian[5][0]=1", "$.landscape.hessian[5]")]
    public void Set_BadValues_ExitTwoWithOneLineNamingThePathAndTheOption(string assignment, string path)
    {
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", Scenario), "--backend", "managed", "--out", dir["out"], "--set", assignment);

        Assert.True(r.ExitCode == 2, r.ToString());
        string line = Assert.Single(r.MessageLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains("--set " + assignment, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir["out"]) && File.Exists(Path.Combine(dir["out"], "summary.json")));
    }

    [Fact]
    public void Set_WithoutEquals_AndWithResume_AreRefused()
    {
        CliResult noEquals = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", Scenario), "--backend", "managed", "--out", dir["out"], "--set", "optimizer.learningRate");
        Assert.True(noEquals.ExitCode == 2, noEquals.ToString());
        Assert.Contains("expected PATH=VALUE", noEquals.StdErr, StringComparison.Ordinal);

        CliResult resume = Sgdyn.Run(dir.Path, "run", "--resume", dir["out"], "--set", "optimizer.learningRate=0.2");
        Assert.True(resume.ExitCode == 2, resume.ToString());
        Assert.Contains("cannot be used with --resume", resume.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_EveryCellIsBitIdenticalToTheSeparateRun_AndTheTableHoldsItsNumbers()
    {
        string file = dir.Write("s.json", Scenario);
        string output = dir["sweep"];
        CliResult r = Sgdyn.Run(dir.Path, "run", file, "--backend", "managed", "--out", output,
            "--sweep", "optimizer.learningRate=0.1,0.4", "--sweep", "landscape.curvatureNoiseStd=[0.3,0],[0.8,0]");

        Assert.True(r.ExitCode == 0, r.ToString());
        string[] lines = File.ReadAllLines(Path.Combine(output, "sweep.csv"));
        string[] header = SplitCsv(lines[0]);
        Assert.Equal(5, lines.Length); // header + 2 × 2 cells
        Assert.Contains("optimizer.learningRate", header);
        Assert.Contains("landscape.curvatureNoiseStd", header);
        Assert.True(File.Exists(Path.Combine(output, "sweep.png")));

        // sweep.npz holds the table's numbers as arrays: the swept values by path, the moments per cell
        var npz = SgdDynamics.Data.NpzFile.Read(Path.Combine(output, "sweep.npz"));
        Assert.Equal(new[] { 0.1, 0.1, 0.4, 0.4 }, npz["optimizer.learningRate"].Values);
        Assert.Equal(new[] { 4, 2 }, npz["landscape.curvatureNoiseStd"].Shape);
        Assert.Equal(new[] { 0.3, 0, 0.8, 0, 0.3, 0, 0.8, 0 }, npz["landscape.curvatureNoiseStd"].Values);
        for (int c = 0; c < 4; c++)
        {
            JsonObject cellSummary = ReadJson(Path.Combine(output, $"cell-{c:D3}", "summary.json"));
            Assert.Equal(cellSummary["final"]!["covariance"]![0]![0]!.GetValue<double>(), npz["var_x0"].Values[c]);
            Assert.Equal(cellSummary["final"]!["meanStandardError"]![1]!.GetValue<double>(), npz["mean_x1_se"].Values[c]);
        }

        Assert.True(File.Exists(Path.Combine(output, "manifest.json")));
        JsonObject sweepJson = ReadJson(Path.Combine(output, "sweep.json"));
        Assert.Equal(4, sweepJson["cells"]!.GetValue<int>());
        Assert.True(sweepJson["complete"]!.GetValue<bool>());

        (string Eta, string A)[] cells = [("0.1", "[0.3,0]"), ("0.1", "[0.8,0]"), ("0.4", "[0.3,0]"), ("0.4", "[0.8,0]")];
        for (int c = 0; c < cells.Length; c++)
        {
            string single = dir[$"single{c}"];
            CliResult alone = Sgdyn.Run(dir.Path, "run", file, "--backend", "managed", "--out", single,
                "--set", "optimizer.learningRate=" + cells[c].Eta, "--set", "landscape.curvatureNoiseStd=" + cells[c].A);
            Assert.True(alone.ExitCode == 0, alone.ToString());

            string cellFolder = Path.Combine(output, $"cell-{c:D3}");
            // bit-identical moments: the same numbers, written the same way
            Assert.Equal(File.ReadAllText(Path.Combine(single, "timeseries.csv")), File.ReadAllText(Path.Combine(cellFolder, "timeseries.csv")));
            JsonObject a = ReadJson(Path.Combine(single, "summary.json")), b = ReadJson(Path.Combine(cellFolder, "summary.json"));
            Assert.True(JsonNode.DeepEquals(a["final"], b["final"]), $"cell {c}: final moments differ");
            Assert.True(JsonNode.DeepEquals(a["modes"], b["modes"]), $"cell {c}: modes differ");

            // the sweep's row is the cell's summary
            string[] row = SplitCsv(lines[c + 1]);
            Assert.Equal(cells[c].A, row[Array.IndexOf(header, "landscape.curvatureNoiseStd")]);
            double Column(string name) => double.Parse(row[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
            Assert.Equal(double.Parse(cells[c].Eta, CultureInfo.InvariantCulture), Column("optimizer.learningRate"));
            Assert.Equal(b["final"]!["mean"]![1]!.GetValue<double>(), Column("mean_x1"));
            Assert.Equal(b["final"]!["meanStandardError"]![0]!.GetValue<double>(), Column("mean_x0_se"));
            Assert.Equal(b["final"]!["covariance"]![1]![1]!.GetValue<double>(), Column("var_x1"));
            Assert.Equal(b["final"]!["varianceStandardError"]![1]!.GetValue<double>(), Column("var_x1_se"));
            Assert.Equal(b["modes"]![0]!["eigenvalue"]!.GetValue<double>(), Column("mode0_eigenvalue"));
            Assert.Equal(0.0, Column("divergedFraction"));
        }
    }

    [Fact]
    public void Sweep_SectionInTheFile_ZipMode_AndOptionOverridesTheSectionsAxis()
    {
        string json = Scenario.TrimEnd().TrimEnd('}') + """, "sweep": {"optimizer.learningRate": [0.1, 0.2, 0.3], "ensemble.seed": [1, 2, 3], "mode": "zip"} }""";
        string output = dir["zip"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("z.json", json), "--backend", "managed", "--out", output, "--json",
            "--sweep", "ensemble.seed=5,6,7");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject printed = ParseObject(r.StdOut, "stdout of a sweep with --json");
        Assert.Equal(3, printed["cells"]!.GetValue<int>());
        Assert.Equal("zip", printed["sweep"]!["mode"]!.GetValue<string>());
        Assert.Equal(7, ReadJson(Path.Combine(output, "cell-002", "summary.json"))["seed"]!.GetValue<int>());
        Assert.Equal(0.3, ReadJson(Path.Combine(output, "cell-002", "summary.json"))["optimizer"]!["learningRate"]!.GetValue<double>());
    }

    [Fact]
    public void Sweep_ABadCellValue_IsRefusedBeforeAnythingRuns()
    {
        string output = dir["bad"];
        CliResult r = Sgdyn.Run(dir.Path, "run", dir.Write("s.json", Scenario), "--backend", "managed", "--out", output,
            "--sweep", "optimizer.learningRate=0.1,-0.2");

        Assert.True(r.ExitCode == 2, r.ToString());
        string line = Assert.Single(r.MessageLines);
        Assert.Contains("$.optimizer.learningRate", line, StringComparison.Ordinal);
        Assert.Contains("sweep cell 1 (optimizer.learningRate = -0.2)", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(output, "cell-000")));
    }

    [Fact]
    public void Sweep_AFieldBothSetAndSwept_AndAModeWithoutASweep_AreRefused()
    {
        string file = dir.Write("s.json", Scenario);
        CliResult both = Sgdyn.Run(dir.Path, "run", file, "--out", dir["o"], "--sweep", "optimizer.learningRate=0.1,0.2", "--set", "optimizer.learningRate=0.3");
        Assert.True(both.ExitCode == 2, both.ToString());
        Assert.Contains("either set or swept", both.StdErr, StringComparison.Ordinal);

        CliResult mode = Sgdyn.Run(dir.Path, "run", file, "--out", dir["o"], "--sweep-mode", "zip");
        Assert.True(mode.ExitCode == 2, mode.ToString());
        Assert.Contains("--sweep-mode needs a sweep", mode.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_DivergedCells_AreRowsWithTheirFraction_AndExitThreeUnlessAllowed()
    {
        string file = dir.Write("s.json", Scenario);
        // η = 5 with λ = 1 overflows every trajectory; η = 0.1 is stable
        CliResult r = Sgdyn.Run(dir.Path, "run", file, "--backend", "managed", "--out", dir["d"], "--sweep", "optimizer.learningRate=0.1,5");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("1 of 2 cells had diverged trajectories", r.StdErr, StringComparison.Ordinal);
        string[] lines = File.ReadAllLines(Path.Combine(dir["d"], "sweep.csv"));
        string[] header = SplitCsv(lines[0]);
        Assert.Equal("1", SplitCsv(lines[2])[Array.IndexOf(header, "divergedFraction")]);
        Assert.Equal("diverged", SplitCsv(lines[2])[Array.IndexOf(header, "status")]);

        CliResult allowed = Sgdyn.Run(dir.Path, "run", file, "--backend", "managed", "--out", dir["d"], "--sweep", "optimizer.learningRate=0.1,5", "--allow-divergence");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
    }

    /// <summary>The fields of one CSV line (RFC 4180 quoting: a field with a comma is quoted, a quote doubled).</summary>
    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
            {
                field.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
