using System.Text.Json.Nodes;
using SgdDynamics.Scenarios;
using static SgdDynamics.Tests.Scenarios.ScenarioFixtures;

namespace SgdDynamics.Tests.Scenarios;

public class ScenarioWriterTests
{
    public static TheoryData<string> Scenarios => new()
    {
        Example,
        Minimal,
        WithField("initial", """{"mean": [0.5, -0.5], "covariance": [[0.04, 0.01], [0.01, 0.09]]}"""),
        WithField("initial", """{"mean": [0, 0], "covariance": [[1, 1], [1, 1]]}"""),
        WithField("landscape.gradientNoiseCovariance", "[[0, 0], [0, 2.5e-7]]"),
        WithField("optimizer", """{"type": "momentum", "learningRate": 0.003, "momentum": 0.99}"""),
        WithField("ensemble", """{"trajectories": 4294967296, "steps": 2147483647, "seed": 4294967295, "divergenceThreshold": 1e15}"""),
        WithField("description", "\"quotes \\\" and unicode: η, Σ\"", WithField("name", "\"round trip\"")),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void ToJson_ParsesBackToAnEqualScenario(string json)
    {
        var scenario = ScenarioLoader.Parse(json);

        var written = scenario.ToJson();

        Assert.Equal(scenario, ScenarioLoader.Parse(written));
        Assert.Equal(written, ScenarioLoader.Parse(written).ToJson());
    }

    [Fact]
    public void ToJson_WritesResolvedDefaults()
    {
        var written = JsonNode.Parse(ScenarioLoader.Parse(Minimal).ToJson())!;

        Assert.Equal("[0]", written["landscape"]!["linearTerm"]!.ToJsonString());
        Assert.Equal("[[0]]", written["landscape"]!["gradientNoiseCovariance"]!.ToJsonString());
        Assert.Equal("[0]", written["landscape"]!["curvatureNoiseStd"]!.ToJsonString());
        Assert.Null(written["optimizer"]!["momentum"]); // sgd has no constants besides η
        Assert.Equal("sgd", written["optimizer"]!["type"]!.GetValue<string>());
        Assert.Equal(1e12, written["ensemble"]!["divergenceThreshold"]!.GetValue<double>());
        Assert.Equal(100, written["record"]!["every"]!.GetValue<int>());
        Assert.Null(written["name"]);
        Assert.Null(written["description"]);
    }

    [Fact]
    public void ToJson_WritesMatrixRowsOnTheirOwnLines()
    {
        var written = ScenarioLoader.Parse(Example).ToJson();

        Assert.Contains("\"hessian\": [\n      [2, 0.5],\n      [0.5, 1]\n    ],\n", written);
        Assert.Contains("\"point\": [1, -1]", written);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(2.0, "2")]
    [InlineData(-0.0, "-0")]
    [InlineData(1e-5, "1e-5")]
    [InlineData(2.5e20, "2.5e20")]
    [InlineData(1e12, "1000000000000")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    public void Numbers_AreWrittenInShortestRoundTripJsonForm(double value, string expected)
    {
        Assert.Equal(expected, NumberText.Format(value));
        Assert.Equal(value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void WriteFile_ThenLoadFile_RoundTrips()
    {
        var scenario = ScenarioLoader.Parse(WithField("name", "\"file\""));
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        try
        {
            ScenarioWriter.WriteFile(scenario, path);

            Assert.Equal(scenario, ScenarioLoader.LoadFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
