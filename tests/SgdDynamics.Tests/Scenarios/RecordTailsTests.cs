using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Scenarios;

public class RecordTailsTests
{
    private const string Base = """
        {"landscape": {"type": "quadratic", "hessian": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"point": [0]},
         "ensemble": {"trajectories": 10, "steps": 5, "seed": 1},
         "record": RECORD}
        """;

    [Theory]
    [InlineData("""{"every": 1, "tails": true}""", true)]
    [InlineData("""{"every": 1, "tails": false}""", false)]
    [InlineData("""{"every": 1}""", false)]
    public void TailsFlagIsReadAndRoundTrips(string record, bool expected)
    {
        Scenario scenario = ScenarioLoader.Parse(Base.Replace("RECORD", record));
        Assert.Equal(expected, scenario.Algorithm.Record.Tails);
        Assert.Equal(scenario.Algorithm.Record, ScenarioLoader.Parse(scenario.ToJson()).Algorithm.Record);
    }

    [Fact]
    public void TailsMustBeABoolean()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(Base.Replace("RECORD", """{"tails": 1}""")));
        Assert.Equal("$.record.tails", e.JsonPath);
    }
}
