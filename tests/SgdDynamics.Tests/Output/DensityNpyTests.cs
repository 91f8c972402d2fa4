using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Data;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Output;

/// <summary>
/// density_&lt;step&gt;.npy beside every density CSV (grid runs and the ensemble histogram) and grid.npz: the CSV's densities
/// bit for bit in the grid's shape, the cell centres and edges; rewritten from the CSV files when a grid run resumes.
/// </summary>
public sealed class DensityNpyTests : IDisposable
{
    private const string FokkerPlanck2D = """
        {"landscape": {"type": "quadratic", "hessian": [[1, 0.2], [0.2, 0.5]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.2},
         "initial": {"mean": [1, -0.5], "covariance": [[0.2, 0], [0, 0.2]]},
         "ensemble": {"steps": 8},
         "record": {"every": 4},
         "solver": {"type": "fokkerPlanck", "variant": "discrete", "grid": {"lower": [-3, -2], "upper": [3, 2], "cells": [12, 10]}}}
        """;

    private const string Histogram1D = """
        {"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"trajectories": 2000, "steps": 20, "seed": 5},
         "record": {"every": 10},
         "solver": {"type": "ensemble", "histogram": true, "grid": {"lower": [-4], "upper": [4], "cells": [40]}}}
        """;

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>Asserts that <c>density_&lt;step&gt;.npy</c> holds the CSV's density column bit for bit, in the grid's shape.</summary>
    private static void AssertSameAsCsv(string directory, int step)
    {
        DensityFile csv = DensityCsv.Read(Path.Combine(directory, DensityCsv.FileName(step)));
        NpyArray npy = NpyFile.Read(Path.Combine(directory, DensityNpy.FileName(step)));
        Assert.Equal("<f8", npy.DataType);
        Assert.Equal(csv.Density.Grid.Cells, npy.Shape);
        string[] rows = [.. File.ReadLines(Path.Combine(directory, DensityCsv.FileName(step))).SkipWhile(l => l.StartsWith('#')).Skip(1)];
        int densityColumn = csv.Density.Grid.Dimension;
        Assert.Equal(rows.Length, npy.Values.Length);
        for (int c = 0; c < rows.Length; c++)
        {
            double expected = double.Parse(rows[c].Split(',')[densityColumn], CultureInfo.InvariantCulture);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(npy.Values[c]));
        }
    }

    [Fact]
    public void GridRunsWriteEachSnapshotAndTheGrid()
    {
        string output = folder["fp"];
        CliResult r = Sgdyn.Run(folder.Path, "run", folder.Write("fp.json", FokkerPlanck2D), "--backend", "managed", "--out", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (int step in new[] { 0, 4, 8 })
        {
            AssertSameAsCsv(output, step);
        }

        IReadOnlyDictionary<string, NpyArray> grid = NpzFile.Read(Path.Combine(output, DensityNpy.GridFile));
        Assert.Equal(["cells", "centres_0", "centres_1", "edges_0", "edges_1", "lower", "spacing", "upper"], grid.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([12, 10], grid["cells"].Values);
        Assert.Equal("<i8", grid["cells"].DataType);
        Assert.Equal([-3, -2], grid["lower"].Values);
        Assert.Equal([3, 2], grid["upper"].Values);
        Assert.Equal([0.5, 0.4], grid["spacing"].Values.Select(v => Math.Round(v, 12)));
        Assert.Equal(11, grid["edges_1"].Values.Length);
        Assert.Equal((-2.0, 2.0), (grid["edges_1"].Values[0], grid["edges_1"].Values[^1]));

        // the centres are the CSV's x0 and x1 columns (x0 slowest)
        string[] rows = [.. File.ReadLines(Path.Combine(output, DensityCsv.FileName(8))).SkipWhile(l => l.StartsWith('#')).Skip(1)];
        for (int c = 0; c < rows.Length; c++)
        {
            string[] fields = rows[c].Split(',');
            Assert.Equal(double.Parse(fields[0], CultureInfo.InvariantCulture), grid["centres_0"].Values[c / 10]);
            Assert.Equal(double.Parse(fields[1], CultureInfo.InvariantCulture), grid["centres_1"].Values[c % 10]);
        }

        string manifest = File.ReadAllText(Path.Combine(output, RunFolder.ManifestFile));
        Assert.Contains("\"density_8.npy\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"grid.npz\"", manifest, StringComparison.Ordinal);
        Assert.True(RunFolder.IsEngineOutput("density_8.npy"));
        Assert.True(RunFolder.IsEngineOutput(DensityNpy.GridFile));
    }

    [Fact]
    public void TheEnsembleHistogramIsWrittenAsNpyToo()
    {
        string output = folder["hist"];
        CliResult r = Sgdyn.Run(folder.Path, "run", folder.Write("h.json", Histogram1D), "--backend", "managed", "--out", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        AssertSameAsCsv(output, 20);
        JsonNode histogram = JsonNode.Parse(File.ReadAllText(Path.Combine(output, EnsembleOutput.SummaryFile)))!["histogram"]!;
        Assert.Equal("density_20.npy", histogram["npy"]!.GetValue<string>());
        Assert.Equal(DensityNpy.GridFile, histogram["gridFile"]!.GetValue<string>());
        Assert.Equal(40, NpzFile.Read(Path.Combine(output, DensityNpy.GridFile))["centres_0"].Values.Length);
    }

    [Fact]
    public void RestoredSnapshotsRewriteTheirNpyFromTheCsvFiles()
    {
        var grid = new UniformGrid([-2], [2], [16]);
        var algorithm = new MasterEquationAlgorithm(new GridSpec([-2], [2], [16]), 4, new RecordSpec(2));
        string directory = folder.Path;
        var first = new GridOutput.Snapshots(directory, algorithm, "test", plots: false);
        GridDensity density = GridDensity.Gaussian(grid, [0.3], new double[,] { { 0.5 } });
        first.Add(new GridRecord(0, 0, density.TotalMass, 0, [0.3], new double[,] { { 0.5 } }), density);
        byte[] written = File.ReadAllBytes(Path.Combine(directory, DensityNpy.FileName(0)));
        File.Delete(Path.Combine(directory, DensityNpy.FileName(0)));
        File.Delete(Path.Combine(directory, DensityNpy.GridFile));

        var resumed = new GridOutput.Snapshots(directory, algorithm, "test", plots: false);
        resumed.Restore(first.ToCheckpoint());
        Assert.Equal(written, File.ReadAllBytes(Path.Combine(directory, DensityNpy.FileName(0))));
        Assert.True(File.Exists(Path.Combine(directory, DensityNpy.GridFile)));
    }

    /// <summary>A grid of more cells than one written piece (2¹⁶ values): the file holds every cell's density bit for bit, in order.</summary>
    [Fact]
    public void LargeGridIsWrittenInPiecesBitForBit()
    {
        var grid = new UniformGrid([-3.0, -2.0], [3.0, 2.0], [300, 257]);
        GridDensity density = GridDensity.Gaussian(grid, [0.5, -0.25], new[,] { { 0.6, 0.1 }, { 0.1, 0.3 } });
        string name = DensityNpy.Write(folder.Path, density, 7);
        NpyArray npy = NpyFile.Read(Path.Combine(folder.Path, name));
        Assert.Equal([300, 257], npy.Shape);
        Assert.Equal(grid.Count, npy.Values.Length);
        for (int c = 0; c < grid.Count; c++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(density.Density(c)), BitConverter.DoubleToInt64Bits(npy.Values[c]));
        }
    }

    /// <summary>A heat map of a grid wider than <see cref="DensityPlots.MaxHeatMapCells"/> cells (block means, a narrower last block) is drawn.</summary>
    [Fact]
    public void HeatMapOfALargeGridIsDrawnFromBlockMeans()
    {
        var grid = new UniformGrid([-3.0, -2.0], [3.0, 2.0], [1100, 40]);
        GridDensity density = GridDensity.Gaussian(grid, [0.5, -0.25], new[,] { { 0.6, 0.1 }, { 0.1, 0.3 } });
        string path = Path.Combine(folder.Path, "large.png");
        DensityPlots.HeatMap(path, "large", density);
        byte[] png = File.ReadAllBytes(path);
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G');
    }

    [NumPyFact]
    public void NumPyLoadsTheSnapshotAndTheGrid()
    {
        string output = folder["numpy"];
        CliResult r = Sgdyn.Run(folder.Path, "run", folder.Write("fp.json", FokkerPlanck2D), "--backend", "managed", "--out", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        JsonNode density = NumPy.Load(Path.Combine(output, "density_8.npy"))[string.Empty]!;
        Assert.Equal(("<f8", "[12,10]"), ((string)density["dtype"]!, density["shape"]!.ToJsonString()));
        JsonObject grid = NumPy.Load(Path.Combine(output, DensityNpy.GridFile));
        Assert.Equal("[12,10]", grid["cells"]!["values"]!.ToJsonString());
        Assert.Equal("[13]", grid["edges_0"]!["shape"]!.ToJsonString());
    }
}
