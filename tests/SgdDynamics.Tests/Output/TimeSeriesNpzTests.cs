using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Cli;
using SgdDynamics.Tests.Ensembles;
using static SgdDynamics.Tests.Ensembles.ProjectionTestData;

namespace SgdDynamics.Tests.Output;

/// <summary>
/// timeseries.npz of an ensemble run: the numbers of timeseries.csv and projections.csv, bit for bit, with the standard
/// errors and central moments of every record; the covariances when recorded, the variances always; listed in the manifest.
/// </summary>
public sealed class TimeSeriesNpzTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A CSV file's columns by name: each column's values, an empty field (a non-finite number) read as NaN.</summary>
    private static Dictionary<string, double[]> ReadCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = lines[0].Split(',');
        string[][] rows = [.. lines.Skip(1).Select(l => l.Split(','))];
        return header.Select((name, c) => (name, c)).ToDictionary(
            h => h.name,
            h => rows.Select(r => r[h.c].Length == 0 ? double.NaN : double.Parse(r[h.c], CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Bitwise equality, any NaN matching an empty CSV field (which stands for any non-finite number).</summary>
    private static void AssertSame(double fromCsv, double fromNpz, string where) =>
        Assert.True(double.IsNaN(fromCsv) ? !double.IsFinite(fromNpz) : Bitwise.Same(fromCsv, fromNpz), $"{where}: csv {fromCsv:R}, npz {fromNpz:R}");

    private static void AssertShape(NpyArray array, string dtype, params int[] shape)
    {
        Assert.Equal(dtype, array.DataType);
        Assert.Equal(shape, array.Shape);
    }

    [Fact]
    public void TheArchiveHoldsTheCsvNumbersAndEveryRecordsMoments()
    {
        Problem problem = Problem3();
        var ensemble = new EnsembleAlgorithm(400, 30, 5, new RecordSpec(10)) { Projection = new ProjectionSpec(new double[3], RandomMatrix(2, 3, 7), covariance: true) };
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        string directory = folder["out"];
        EnsembleOutput.Write(directory, new Scenario("npz", null, problem, ensemble), result);

        IReadOnlyDictionary<string, NpyArray> npz = NpzFile.Read(Path.Combine(directory, TimeSeriesNpz.FileName));
        Dictionary<string, double[]> csv = ReadCsv(Path.Combine(directory, EnsembleOutput.TimeSeriesFile));
        const int R = 4, D = 3, K = 2;
        Assert.Equal(R, csv["step"].Length);
        AssertShape(npz["steps"], "<i8", R);
        AssertShape(npz["times"], "<f8", R);
        AssertShape(npz["counts"], "<i8", R);
        AssertShape(npz["diverged"], "<i8", R);
        AssertShape(npz["means"], "<f8", R, D);
        AssertShape(npz["covariances"], "<f8", R, D, D);
        foreach (string name in new[] { "variances", "mean_standard_errors", "variance_standard_errors", "third_central_moments", "fourth_central_moments" })
        {
            AssertShape(npz[name], "<f8", R, D);
        }

        for (int r = 0; r < R; r++)
        {
            AssertSame(csv["step"][r], npz["steps"].Values[r], "steps");
            AssertSame(csv["time"][r], npz["times"].Values[r], "times");
            AssertSame(csv["count"][r], npz["counts"].Values[r], "counts");
            AssertSame(csv["diverged"][r], npz["diverged"].Values[r], "diverged");
            Moments m = result.Records[r].Moments;
            for (int i = 0; i < D; i++)
            {
                AssertSame(csv[$"mean_{i}"][r], npz["means"].Values[(r * D) + i], $"means[{r}, {i}]");
                AssertSame(m.Variance[i], npz["variances"].Values[(r * D) + i], $"variances[{r}, {i}]");
                AssertSame(m.MeanStandardError[i], npz["mean_standard_errors"].Values[(r * D) + i], $"mean_standard_errors[{r}, {i}]");
                AssertSame(m.VarianceStandardError[i], npz["variance_standard_errors"].Values[(r * D) + i], $"variance_standard_errors[{r}, {i}]");
                AssertSame(m.ThirdCentralMoment[i], npz["third_central_moments"].Values[(r * D) + i], "third_central_moments");
                AssertSame(m.FourthCentralMoment[i], npz["fourth_central_moments"].Values[(r * D) + i], "fourth_central_moments");
                for (int j = 0; j < D; j++)
                {
                    AssertSame(csv[$"cov_{Math.Min(i, j)}_{Math.Max(i, j)}"][r], npz["covariances"].Values[(((r * D) + i) * D) + j], $"covariances[{r}, {i}, {j}]");
                }
            }
        }

        // the projections: projections.csv's numbers, their central moments and covariances
        Dictionary<string, double[]> projections = ReadCsv(Path.Combine(directory, EnsembleOutput.ProjectionsFile));
        AssertShape(npz["projection_covariances"], "<f8", R, K, K);
        foreach ((string column, string name) in new[] { ("mean", "projection_means"), ("var", "projection_variances"), ("mean_se", "projection_mean_standard_errors"), ("var_se", "projection_variance_standard_errors") })
        {
            AssertShape(npz[name], "<f8", R, K);
            for (int r = 0; r < R; r++)
            {
                for (int a = 0; a < K; a++)
                {
                    AssertSame(projections[$"{column}_{a}"][r], npz[name].Values[(r * K) + a], $"{name}[{r}, {a}]");
                }
            }
        }

        for (int r = 0; r < R; r++)
        {
            Moments y = result.Records[r].Projected!;
            Bitwise.AssertSame(y.Covariance.Cast<double>().ToArray(), npz["projection_covariances"].Values.AsSpan(r * K * K, K * K).ToArray(), "projection_covariances");
            Bitwise.AssertSame(y.FourthCentralMoment, npz["projection_fourth_central_moments"].Values.AsSpan(r * K, K).ToArray(), "projection_fourth_central_moments");
        }

        Assert.Equal(4 + 7 + 7, npz.Count);
        Assert.True(RunFolder.IsEngineOutput(TimeSeriesNpz.FileName));
    }

    [Fact]
    public void CoordinatesOnlyRunsHaveVariancesAndNoCovariances()
    {
        Problem problem = CoordinateStatisticsTests.Problem100();
        var ensemble = new EnsembleAlgorithm(200, 10, 3, new RecordSpec(5));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        Assert.False(result.Final.Moments.HasCovariance);
        string directory = folder["coordinates"];
        EnsembleOutput.Write(directory, new Scenario(null, null, problem, ensemble), result);

        IReadOnlyDictionary<string, NpyArray> npz = NpzFile.Read(Path.Combine(directory, TimeSeriesNpz.FileName));
        Dictionary<string, double[]> csv = ReadCsv(Path.Combine(directory, EnsembleOutput.TimeSeriesFile));
        Assert.False(npz.ContainsKey("covariances"));
        Assert.False(npz.ContainsKey("projection_means"));
        AssertShape(npz["variances"], "<f8", 3, 100);
        for (int r = 0; r < 3; r++)
        {
            for (int i = 0; i < 100; i++)
            {
                AssertSame(csv[$"mean_{i}"][r], npz["means"].Values[(r * 100) + i], "means");
                AssertSame(csv[$"var_{i}"][r], npz["variances"].Values[(r * 100) + i], "variances");
            }
        }
    }

    [Fact]
    public void RunListsTheArchiveInTheManifestAndItsMessage()
    {
        string scenario = folder.Write("scenario.json", CliScenarios.Example2D);
        string output = folder["run"];
        CliResult r = Sgdyn.Run(folder.Path, "run", scenario, "--backend", "managed", "--out", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(TimeSeriesNpz.FileName, r.StdOut, StringComparison.Ordinal);
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunFolder.ManifestFile)))!.AsObject();
        Assert.Contains(TimeSeriesNpz.FileName, manifest["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        IReadOnlyDictionary<string, NpyArray> npz = NpzFile.Read(Path.Combine(output, TimeSeriesNpz.FileName));
        Assert.Equal([0, 10, 20, 30, 40, 50], npz["steps"].Values);
        Assert.Equal([6, 2, 2], npz["covariances"].Shape);
    }

    [NumPyFact]
    public void NumPyReadsTheArchive()
    {
        Problem problem = Problem3();
        var ensemble = new EnsembleAlgorithm(100, 20, 5, new RecordSpec(10));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        string directory = folder.Path;
        TimeSeriesNpz.Write(directory, result);
        JsonObject loaded = NumPy.Load(Path.Combine(directory, TimeSeriesNpz.FileName));
        Assert.Equal(["counts", "covariances", "diverged", "fourth_central_moments", "mean_standard_errors", "means", "steps", "third_central_moments", "times", "variance_standard_errors", "variances"], loaded.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("[0,10,20]", loaded["steps"]!["values"]!.ToJsonString());
        Assert.Equal("<i8", (string?)loaded["steps"]!["dtype"]);
        Assert.Equal("[3,3,3]", loaded["covariances"]!["shape"]!.ToJsonString());
        Assert.Equal(
            result.Final.Moments.Mean.Select(v => BitConverter.DoubleToUInt64Bits(v).ToString(CultureInfo.InvariantCulture)),
            loaded["means"]!["values"]!.AsArray().Skip(6).Select(n => n!.ToJsonString()));
    }
}
