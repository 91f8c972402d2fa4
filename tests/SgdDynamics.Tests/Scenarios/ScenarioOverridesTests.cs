using System.Text.Json;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Scenarios;

/// <summary><c>--set PATH=VALUE</c> and sweep sections: paths, values, the rewritten document and the errors naming their source.</summary>
public sealed class ScenarioOverridesTests
{
    private const string Base = """
        {
          "name": "base",
          "landscape": { "type": "quadratic", "hessian": [[1, 0], [0, 2]], "gradientNoiseCovariance": [[1, 0], [0, 1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "point": [1, -1] },
          "ensemble": { "trajectories": 1024, "steps": 20, "seed": 7 }
        }
        """;

    private static Scenario Load(string json, params string[] sets) =>
        ScenarioDocument.FromText(json).Load(sets.Select(s => ScenarioOverride.Parse(s)).ToArray());

    [Fact]
    public void Set_ReplacesScalars_AddsMissingFieldsAndObjects_AndIndexesArrays()
    {
        Scenario s = Load(Base, "optimizer.learningRate=0.3", "ensemble.seed=4", "record.every=5", "$.landscape.hessian[1][1]=3", "initial.point=[0, 2]");

        Assert.Equal(0.3, s.Problem.Dynamics.LearningRate);
        var ensemble = Assert.IsType<EnsembleAlgorithm>(s.Algorithm);
        Assert.Equal(4u, ensemble.Seed);
        Assert.Equal(5, ensemble.Record.Every);
        Assert.Equal(3.0, s.Problem.Quadratic.Hessian[1, 1]);
        Assert.Equal(1.0, s.Problem.Quadratic.Hessian[0, 0]);
        Assert.Equal("base", s.Name);
    }

    [Fact]
    public void Set_LaterValueOfTheSamePathWins()
    {
        Scenario s = Load(Base, "optimizer.learningRate=0.3", "optimizer.learningRate=0.2");
        Assert.Equal(0.2, s.Problem.Dynamics.LearningRate);
    }

    [Fact]
    public void Set_BareWordIsAString_JsonLooksAreParsed()
    {
        Assert.Equal(JsonValueKind.String, ScenarioOverride.Parse("optimizer.type=momentum").Value.ValueKind);
        Assert.Equal(JsonValueKind.Number, ScenarioOverride.Parse("a=-1e-3").Value.ValueKind);
        Assert.Equal(JsonValueKind.Array, ScenarioOverride.Parse("a=[0.7]").Value.ValueKind);
        Assert.Equal(JsonValueKind.True, ScenarioOverride.Parse("a=true").Value.ValueKind);
        Assert.Equal(JsonValueKind.String, ScenarioOverride.Parse("a=\"1.5\"").Value.ValueKind);
    }

    [Theory]
    [InlineData("optimizer.learningRate", "expected PATH=VALUE")]
    [InlineData("=0.3", "the path is empty")]
    [InlineData("optimizer..learningRate=0.3", "not a path")]
    [InlineData("optimizer.learningRate=", "the value is empty")]
    [InlineData("optimizer.learningRate=[0.3", "not valid JSON")]
    [InlineData("optimizer.learningRate=1.2.3", "not valid JSON")]
    public void Set_MalformedAssignments_AreFormatErrorsNamingTheOption(string assignment, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ScenarioOverride.Parse(assignment));
        Assert.StartsWith("--set ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_InvalidValue_IsTheLoadersErrorAtThePath_NamingTheOverride()
    {
        var e = Assert.Throws<ScenarioException>(() => Load(Base, "optimizer.learningRate=-1"));
        Assert.Equal("$.optimizer.learningRate", e.JsonPath);
        Assert.Contains("the value comes from --set optimizer.learningRate=-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_MisspelledField_IsRefusedAsUnknown_NamingTheOverride()
    {
        var e = Assert.Throws<ScenarioException>(() => Load(Base, "optimizer.learningrate=0.3"));
        Assert.Equal("$.optimizer.learningrate", e.JsonPath);
        Assert.Contains("--set optimizer.learningrate=0.3", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("optimizer.learningRate.x=1", "$.optimizer.learningRate is a number, not an object or array")]
    [InlineData("landscape.hessian[2][0]=1", "$.landscape.hessian is an array of 2 elements, without index 2")]
    [InlineData("landscape.hessian.x=1", "$.landscape.hessian is an array, not an object")]
    [InlineData("optimizer[0]=1", "$.optimizer is an object, not an array")]
    [InlineData("record.points[0]=1", "missing (an index can only replace an element of an existing array)")]
    public void Set_UnreachablePaths_AreErrorsNamingWhereThePathBreaks(string assignment, string expected)
    {
        var e = Assert.Throws<ScenarioException>(() => Load(Base, assignment));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("--set " + assignment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_OnAFileThatIsNotJson_LeavesTheSyntaxErrorToTheLoader()
    {
        var e = Assert.Throws<ScenarioException>(() => Load("{\"name\": \"x\",\n  \"landscape\": }", "optimizer.learningRate=0.3"));
        Assert.Equal("$", e.JsonPath);
        Assert.Contains("not valid JSON (line 2, position", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_OverlappingPaths_AreRefused()
    {
        var e = Assert.Throws<ScenarioException>(() => Load(Base, "optimizer={\"type\": \"sgd\", \"learningRate\": 0.2}", "optimizer.learningRate=0.3"));
        Assert.Contains("overlapping", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_KeepsDuplicateFieldsOfTheFile_SoTheLoaderStillRefusesThem()
    {
        string duplicate = Base.Replace("\"seed\": 7", "\"seed\": 7, \"seed\": 8", StringComparison.Ordinal);
        var e = Assert.Throws<ScenarioException>(() => Load(duplicate, "optimizer.learningRate=0.3"));
        Assert.Contains("duplicate field", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_Product_RunsEveryCombination_FirstFieldSlowest()
    {
        var spec = new SweepSpec(
            [SweepSpec.ParseOption("optimizer.learningRate=0.2,0.6"), SweepSpec.ParseOption("landscape.curvatureNoiseStd=[0.7,0],[1.0,0],[1.4,0]")],
            SweepMode.Product);

        Assert.Equal(6, spec.Cells.Count);
        Assert.Equal(["0.2|[0.7,0]", "0.2|[1.0,0]", "0.2|[1.4,0]", "0.6|[0.7,0]", "0.6|[1.0,0]", "0.6|[1.4,0]"],
            spec.Cells.Select(c => string.Join('|', c.Axes.Select((a, i) => a.Text(c.ValueIndex[i])))).ToArray());
        Scenario last = ScenarioDocument.FromText(Base).Load(spec.Cells[^1].Overrides);
        Assert.Equal(0.6, last.Problem.Dynamics.LearningRate);
        Assert.Equal(1.4, last.Problem.Quadratic.CurvatureNoiseStd[0]);
    }

    [Fact]
    public void Sweep_Zip_PairsTheIthValues_AndNeedsEqualLengths()
    {
        var zip = new SweepSpec([SweepSpec.ParseOption("optimizer.learningRate=0.2,0.6,0.7"), SweepSpec.ParseOption("ensemble.seed=1,2,3")], SweepMode.Zip);
        Assert.Equal(3, zip.Cells.Count);
        Assert.Equal([2, 2], zip.Cells[2].ValueIndex);

        var e = Assert.Throws<ScenarioException>(() => new SweepSpec([SweepSpec.ParseOption("optimizer.learningRate=0.2,0.6"), SweepSpec.ParseOption("ensemble.seed=1,2,3")], SweepMode.Zip));
        Assert.Equal("$.sweep.mode", e.JsonPath);
        Assert.Contains("optimizer.learningRate: 2, ensemble.seed: 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_OptionValues_AreJsonListsOrBareWords()
    {
        Assert.Equal(["0.2", "0.6"], Texts(SweepSpec.ParseOption("optimizer.learningRate=0.2,0.6")));
        Assert.Equal(["[0.7]", "[1]"], Texts(SweepSpec.ParseOption("landscape.curvatureNoiseStd=[0.7],[1]")));
        Assert.Equal(["\"sgd\"", "\"momentum\""], Texts(SweepSpec.ParseOption("optimizer.type=sgd,momentum")));
        Assert.Throws<FormatException>(() => SweepSpec.ParseOption("optimizer.learningRate"));
        Assert.Throws<FormatException>(() => SweepSpec.ParseOption("optimizer.learningRate="));

        static string[] Texts(SweepAxis axis) => Enumerable.Range(0, axis.Values.Count).Select(axis.Text).ToArray();
    }

    [Fact]
    public void Sweep_ValueTexts_AreTheSerializersCompactJson()
    {
        // the text of a value (cell descriptions, sweep.csv and sweep.json) is written without JsonSerializer; it must stay
        // the serializer's compact text: whitespace dropped, numbers as written, strings escaped by the default encoder
        string section = """{"landscape.hessian": [ [[1, 0.5e-3], [ 0.5e-3, 2 ]] ], "optimizer.type": ["a<b&c'\"é"], "ensemble.seed": [ 7 ], "record": [{ "every" : 5, "tails": true, "x": null }]}""";
        string json = Base.TrimEnd().TrimEnd('}') + ", \"sweep\": " + section + " }";
        var document = ScenarioDocument.FromText(json);

        Assert.Equal(4, document.SweepAxes.Count);
        foreach (SweepAxis axis in document.SweepAxes)
        {
            Assert.Equal(JsonSerializer.Serialize(axis.Values[0]), axis.Text(0));
        }

        Assert.Equal("[[1,0.5e-3],[0.5e-3,2]]", document.SweepAxes[0].Text(0));
    }

    [Fact]
    public void Sweep_SectionIsTakenOutOfTheDocument_AndReadWithItsMode()
    {
        string json = Base.TrimEnd().TrimEnd('}') + """, "sweep": {"optimizer.learningRate": [0.2, 0.6], "mode": "zip"} }""";
        var document = ScenarioDocument.FromText(json);

        Assert.Equal(SweepMode.Zip, document.SweepMode);
        SweepAxis axis = Assert.Single(document.SweepAxes);
        Assert.Equal("optimizer.learningRate", axis.Path.Text);
        Assert.DoesNotContain("sweep", document.Text, StringComparison.Ordinal);
        Assert.Equal(0.1, document.Load([]).Problem.Dynamics.LearningRate);

        // any other command refuses the section instead of running the base scenario alone
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));
        Assert.Equal("$.sweep", e.JsonPath);
        Assert.Contains("sgdyn run", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"optimizer.learningRate": 0.2}""", "must be an array")]
    [InlineData("""{"optimizer.learningRate": []}""", "the list of values is empty")]
    [InlineData("""{"optimizer.learningRate": [0.2], "mode": "grid"}""", "must be \"product\" or \"zip\"")]
    [InlineData("""{"mode": "zip"}""", "at least one field")]
    [InlineData("""[1, 2]""", "must be an object")]
    [InlineData("""{"optimizer": [{}], "optimizer.learningRate": [0.1]}""", "are the same or nested fields")]
    public void Sweep_BadSections_AreErrorsAtTheSection(string section, string expected)
    {
        string json = Base.TrimEnd().TrimEnd('}') + ", \"sweep\": " + section + " }";
        var e = Assert.ThrowsAny<ScenarioException>(() =>
        {
            var document = ScenarioDocument.FromText(json);
            _ = new SweepSpec(document.SweepAxes, document.SweepMode ?? SweepMode.Product);
        });
        Assert.StartsWith("$.sweep", e.JsonPath, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
