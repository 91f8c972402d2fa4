using System.Text.Json.Nodes;

namespace SgdDynamics.Tests.Cli;

/// <summary><c>sgdyn bench --grid</c>: a tiny run's JSON, files and tables, and its option errors (exit 2, one line naming the option).</summary>
public sealed class GridBenchTests : IDisposable
{
    private static readonly string[] Tiny =
        ["bench", "--grid", "--grid-sizes", "24", "--grid-1d", "256", "--repeat", "1", "--min-seconds", "0.001", "--accuracy-size", "16", "--accuracy-time", "0.5", "--accuracy-substeps", "1,2"];

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void TinyRun_Json_EveryRowAndAccuracyPoint_FilesWritten()
    {
        CliResult r = Sgdyn.Run(dir.Path, [.. Tiny, "--json", "--out", "bench"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject json = JsonNode.Parse(r.StdOut)!.AsObject();
        Assert.Equal(json.ToJsonString(), JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "bench", "bench-grid.json")))!.ToJsonString());
        Assert.True(File.Exists(Path.Combine(dir.Path, "bench", "bench-grid.png")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "bench", "bench-grid-accuracy.png")));

        JsonArray bandwidth = json["memoryBandwidth"]!.AsArray();
        Assert.NotEmpty(bandwidth);
        Assert.All(bandwidth, b => Assert.True(b!["bytesPerSecond"]!.GetValue<double>() > 1e8));

        // every solver on the 1-D and the 2-D workload, a timing per thread count
        JsonArray rows = json["rows"]!.AsArray();
        Assert.Equal(["me-1d-256", "me-2d-24", "fp-1d-256", "fp-2d-24", "fp-1d-256", "fp-2d-24", "fp-1d-256", "fp-2d-24"], rows.Select(x => x!["workload"]!.GetValue<string>()));
        Assert.Equal(["me", "me", "fp-adi", "fp-adi", "fp-be", "fp-be", "fp-explicit", "fp-explicit"], rows.Select(x => x!["solver"]!.GetValue<string>()));
        foreach (JsonNode? row in rows)
        {
            Assert.True(row!["setupSeconds"]!.GetValue<double>() >= 0);
            Assert.True(row["minBytesPerCellUpdate"]!.GetValue<int>() >= 16);
            JsonArray timings = row["timings"]!.AsArray();
            Assert.Equal(bandwidth.Count, timings.Count);
            Assert.All(timings, t =>
            {
                Assert.True(t!["cellUpdatesPerSecond"]!.GetValue<double>() > 0);
                Assert.True(t["boundFraction"]!.GetValue<double>() > 0);
            });
        }

        // the explicit operator takes several sub-steps per SGD step; ADI its scenario default (2), backward Euler one
        Assert.True(rows[7]!["substepsPerSgdStep"]!.GetValue<int>() > 1);
        Assert.Equal(2, rows[3]!["substepsPerSgdStep"]!.GetValue<int>());
        Assert.Equal(1, rows[5]!["substepsPerSgdStep"]!.GetValue<int>());

        JsonObject accuracy = json["accuracy"]!.AsObject();
        Assert.Equal(5, accuracy["sgdSteps"]!.GetValue<int>());
        JsonArray points = accuracy["points"]!.AsArray();
        Assert.Equal([1, 2], points.Where(p => p!["scheme"]!.GetValue<string>() == "fp-be").Select(p => p!["substeps"]!.GetValue<int>()));
        Assert.Equal([1, 2], points.Where(p => p!["scheme"]!.GetValue<string>() == "fp-adi").Select(p => p!["substeps"]!.GetValue<int>()));
        Assert.Contains(points, p => p!["scheme"]!.GetValue<string>() == "fp-explicit");
        Assert.All(points, p =>
        {
            // a 16² grid of spacing 0.5 is coarse: the errors are the grid's, but finite and well below the moments' size
            Assert.InRange(p!["maxMeanError"]!.GetValue<double>(), 0, 0.5);
            Assert.InRange(p["maxCovarianceError"]!.GetValue<double>(), 0, 0.5);
        });
    }

    [Fact]
    public void TinyRun_Tables_OneSolverNoAccuracy()
    {
        CliResult r = Sgdyn.Run(dir.Path, "bench", "--grid", "--grid-sizes", "16", "--grid-1d", "0", "--solvers", "fp-be", "--repeat", "1", "--min-seconds", "0.001", "--no-accuracy", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("memory bandwidth (triad, 1 thread)", r.StdOut);
        Assert.Contains("fp-2d-16", r.StdOut);
        Assert.DoesNotContain("me-2d", r.StdOut);
        Assert.DoesNotContain("accuracy per second", r.StdOut);
        Assert.DoesNotContain("scaling", r.StdOut);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "bench")));
    }

    public static TheoryData<string[], string> BadOptions() => new()
    {
        { ["--grid", "--grid-sizes", "abc"], "error: --grid-sizes: 'abc' is not an integer" },
        { ["--grid", "--grid-sizes", "256,1"], "error: --grid-sizes: '1' is not an integer from 2" },
        { ["--grid", "--grid-sizes", "8192"], "error: --grid-sizes: '8192' is not an integer from 2 to 4096" },
        { ["--grid", "--grid-1d", "1"], "error: --grid-1d must be 0 (none) or a cell count" },
        { ["--grid", "--solvers", "me,fp-crank"], "error: --solvers: no grid solver 'fp-crank' (known: me, fp-adi, fp-be, fp-explicit" },
        { ["--grid", "--min-seconds", "0"], "error: --min-seconds must be > 0" },
        { ["--grid", "--accuracy-time", "0.15"], "error: --accuracy-time must be a positive multiple of η = 0.1" },
        { ["--grid", "--accuracy-substeps", "0"], "error: --accuracy-substeps: '0' is not an integer from 1" },
        { ["--grid", "--no-accuracy", "--accuracy-size", "64"], "error: --accuracy-size does not apply with --no-accuracy" },
        { ["--grid", "--backend", "managed", "ilgpu-cpu"], "error: --backend: --grid measures one backend at a time" },
        { ["--grid", "--backend", "tpu"], "error: " },
        { ["--grid", "--workload", "W1"], "error: --workload belongs to the ensemble benchmark and does not apply with --grid" },
        { ["--grid-sizes", "64"], "error: --grid-sizes applies only with --grid" },
        { ["--json"], "error: --json applies only with --grid" },
        { ["--grid", "--repeat", "0"], "error: --repeat must be ≥ 1" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOption_Exit2_OneLineNamingIt(string[] options, string message)
    {
        CliResult r = Sgdyn.Run(dir.Path, ["bench", .. options]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.MessageLines);
        Assert.StartsWith(message, r.MessageLines[0]);
        Assert.Equal("", r.StdOut);
    }
}
