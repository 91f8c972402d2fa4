using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Scenarios;

/// <summary>
/// The <c>record</c> section's <c>"covariance"</c> (the state's full covariance above d = 64) and <c>"directions"</c>
/// (moments along the rows of a .npy file or inline rows, about a centre, with or without their covariance): read,
/// written back (the file by its path and the SHA-256 of its directions), and each error naming its JSON path.
/// </summary>
public sealed class RecordMomentsTests : IDisposable
{
    private const string Base = """
        {"landscape": {"type": "quadratic", "hessian": [[2, 0.5, 0], [0.5, 1, 0], [0, 0, 0.5]]},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"mean": [1, -1, 0.5], "covariance": [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]]},
         "ensemble": {"trajectories": 300, "steps": 10, "seed": 1},
         "record": RECORD}
        """;

    private const string Grid = """
        {"landscape": {"type": "quadratic", "hessian": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"point": [0]},
         "ensemble": {"steps": 5},
         "solver": {"type": "masterEquation", "grid": {"lower": [-2], "upper": [2], "cells": [41]}},
         "record": RECORD}
        """;

    private readonly TempFolder folder = new();

    private static readonly double[,] Eigenvectors = { { 0.8, 0.6, 0 }, { -0.6, 0.8, 0 } };

    public void Dispose() => folder.Dispose();

    private static string With(string record) => Base.Replace("RECORD", record, StringComparison.Ordinal);

    private string Scenario(string record)
    {
        string path = folder["scenario.json"];
        File.WriteAllText(path, With(record));
        return path;
    }

    [Fact]
    public void CovarianceIsReadForEnsemblesAndRoundTrips()
    {
        var off = (EnsembleAlgorithm)ScenarioLoader.Parse(With("""{"every": 5}""")).Algorithm;
        Assert.False(off.FullCovariance);
        Assert.Null(off.Projection);
        Scenario on = ScenarioLoader.Parse(With("""{"every": 5, "covariance": true}"""));
        Assert.True(((EnsembleAlgorithm)on.Algorithm).FullCovariance);
        Assert.Equal(on, ScenarioLoader.Parse(on.ToJson()));
        Assert.Contains("\"covariance\": true", on.ToJson(), StringComparison.Ordinal);
        ScenarioLoaderTests.AssertInvalid(With("""{"covariance": "yes"}"""), "$.record.covariance");
    }

    [Fact]
    public void DirectionsFromANpyFileAreReadAboutTheInitialMeanAndWrittenBackPinnedByTheirHash()
    {
        NpyFile.Write(folder["v.npy"], Eigenvectors);
        string path = Scenario("""{"every": 5, "directions": {"file": "v.npy", "centre": "initial", "covariance": true}}""");
        Scenario scenario = ScenarioLoader.LoadFile(path);
        ProjectionSpec spec = ((EnsembleAlgorithm)scenario.Algorithm).Projection!;
        Assert.Equal((2, 3), (spec.Count, spec.Dimension));
        Assert.True(spec.Covariance);
        Assert.True(spec.CentreIsInitialMean);
        Assert.Equal([1.0, -1.0, 0.5], spec.Centre);
        Assert.Equal(Eigenvectors, spec.Directions);
        Assert.Equal(folder["v.npy"], spec.DirectionsFile);

        string written = scenario.ToJson();
        Assert.Contains($"\"file\": \"{folder["v.npy"]}\"", written, StringComparison.Ordinal);
        Assert.Contains($"\"sha256\": \"{spec.Fingerprint()}\"", written, StringComparison.Ordinal);
        Assert.Contains("\"centre\": \"initial\"", written, StringComparison.Ordinal);
        Assert.Equal(scenario, ScenarioLoader.Parse(written));
        Assert.Equal(written, ScenarioLoader.Parse(written).ToJson());

        // a changed file is refused by the written scenario, naming the field
        NpyFile.Write(folder["v.npy"], new double[,] { { 1, 0, 0 } });
        var e = ScenarioLoaderTests.AssertInvalid(written, "$.record.directions.sha256");
        Assert.Contains("the directions file has changed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InlineDirectionsWithAGivenCentreRoundTripAndFloat32FilesAreRead()
    {
        Scenario scenario = ScenarioLoader.Parse(With("""{"directions": {"rows": [[1, 0, 0], [0, 0.5, 0.5]], "centre": [0.1, 0.2, 0.3]}}"""));
        ProjectionSpec spec = ((EnsembleAlgorithm)scenario.Algorithm).Projection!;
        Assert.False(spec.Covariance);
        Assert.False(spec.CentreIsInitialMean);
        Assert.Null(spec.DirectionsFile);
        Assert.Equal([0.1, 0.2, 0.3], spec.Centre);
        Assert.Equal(scenario, ScenarioLoader.Parse(scenario.ToJson()));

        // without a centre: the origin
        var origin = ((EnsembleAlgorithm)ScenarioLoader.Parse(With("""{"directions": {"rows": [[1, 0, 0]]}}""")).Algorithm).Projection!;
        Assert.Equal([0.0, 0.0, 0.0], origin.Centre);
    }

    [Fact]
    public void ProjectionsOfAScenarioRunThroughTheEnsemble()
    {
        NpyFile.Write(folder["v.npy"], Eigenvectors);
        Scenario scenario = ScenarioLoader.LoadFile(Scenario("""{"every": 5, "directions": {"file": "v.npy", "centre": "initial", "covariance": true}}"""));
        using var backend = new Backends.Managed.ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(scenario.Problem, (EnsembleAlgorithm)scenario.Algorithm, backend);
        Assert.Equal(2, result.Final.Projected!.Dimension);
        Assert.True(result.Final.Projected.HasCovariance);

        // at step 0 the projections about the initial mean have mean 0 to sampling error
        SgdDynamics.Statistics.Moments start = result.Records[0].Projected!;
        for (int a = 0; a < 2; a++)
        {
            Assert.InRange(Math.Abs(start.Mean[a]), 0.0, 5 * start.MeanStandardError[a]);
        }
    }

    public static TheoryData<string, string, string> Errors => new()
    {
        { """{"directions": {"centre": "initial"}}""", "$.record.directions", "give exactly one of \"file\"" },
        { """{"directions": {"rows": [[1, 0, 0]], "file": "v.npy"}}""", "$.record.directions", "give exactly one of" },
        { """{"directions": {"rows": [[1, 0, 0]], "size": 3}}""", "$.record.directions.size", "size" },
        { """{"directions": {"rows": []}}""", "$.record.directions.rows", "no directions" },
        { """{"directions": {"rows": [[1, 0]]}}""", "$.record.directions.rows[0]", "expected 3 entries" },
        { """{"directions": {"rows": [[1, 0, 0]], "sha256": "00"}}""", "$.record.directions.sha256", "only a directions file is pinned" },
        { """{"directions": {"rows": [[1, 0, 0]], "centre": "mean"}}""", "$.record.directions.centre", "expected \"initial\"" },
        { """{"directions": {"rows": [[1, 0, 0]], "centre": [1, 2]}}""", "$.record.directions.centre", "expected 3 entries" },
        { """{"directions": {"rows": [[1, 0, 0]], "covariance": 1}}""", "$.record.directions.covariance", "true or false" },
        { """{"directions": {"file": "absent.npy"}}""", "$.record.directions.file", "absent.npy: does not exist" },
        { """{"directions": [1, 0, 0]}""", "$.record.directions", "object" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void InvalidDirectionsNameTheJsonPath(string record, string path, string fragment)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(Scenario(record)));
        Assert.Equal(path, error.JsonPath);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadDirectionFilesAreRefusedNamingTheFieldAndTheFile()
    {
        NpyFile.Write(folder["wide.npy"], new double[,] { { 1, 0, 0, 0 } });
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(Scenario("""{"directions": {"file": "wide.npy"}}""")));
        Assert.Equal("$.record.directions.file", e.JsonPath);
        Assert.Contains($"{folder["wide.npy"]}: 1 × 4 directions; each needs d = 3 coordinates", e.Message, StringComparison.Ordinal);

        NpyFile.Write(folder["nan.npy"], new double[,] { { 1, double.NaN, 0 } });
        e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(Scenario("""{"directions": {"file": "nan.npy"}}""")));
        Assert.Equal("$.record.directions.file", e.JsonPath);
        Assert.Contains("direction 0, coordinate 1 is NaN", e.Message, StringComparison.Ordinal);

        NpyFile.Write(folder["vector.npy"], [1.0, 0, 0]);
        e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(Scenario("""{"directions": {"file": "vector.npy"}}""")));
        Assert.Equal("$.record.directions.file", e.JsonPath);
        Assert.Contains("expected a 2-D array", e.Message, StringComparison.Ordinal);

        File.WriteAllText(folder["text.npy"], "0.8 0.6 0\n");
        e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(Scenario("""{"directions": {"file": "text.npy"}}""")));
        Assert.Contains("bad magic", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"covariance": true}""", "$.record.covariance")]
    [InlineData("""{"directions": {"rows": [[1]]}}""", "$.record.directions")]
    public void GridSolversRefuseTheEnsembleOnlyRecordFields(string record, string path)
    {
        var e = ScenarioLoaderTests.AssertInvalid(Grid.Replace("RECORD", record, StringComparison.Ordinal), path);
        Assert.Contains("solver type 'ensemble'", e.Message, StringComparison.Ordinal);
    }
}
