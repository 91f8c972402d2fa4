using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using static SgdDynamics.Tests.Scenarios.ScenarioFixtures;

namespace SgdDynamics.Tests.Scenarios;

/// <summary>The <c>doubleWell</c> and <c>ringValley</c> landscape types: parsing, defaults, errors and the writer's round trip.</summary>
public class LandscapeTypeTests
{
    public const string DoubleWell = """
        {"name": "double well",
         "landscape": {"type": "doubleWell", "noiseStd": 0.3},
         "optimizer": {"type": "sgd", "learningRate": 0.05},
         "initial": {"point": [1]},
         "ensemble": {"trajectories": 1000, "steps": 100, "seed": 3}}
        """;

    public const string RingValley = """
        {"landscape": {"type": "ringValley", "dimension": 3, "curvature": 1.5, "noiseStd": 0.2},
         "optimizer": {"type": "momentum", "learningRate": 0.05, "momentum": 0.5},
         "initial": {"mean": [1, 0, 0], "covariance": [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]]},
         "ensemble": {"trajectories": 1000, "steps": 100, "seed": 4},
         "record": {"every": 10, "tails": true}}
        """;

    public static TheoryData<string> Scenarios => new()
    {
        DoubleWell,
        RingValley,
        WithField("landscape", """{"type": "ringValley", "curvature": 2, "noiseStd": 0}""", WithField("initial", """{"point": [0.5, 0.5]}""")),
        WithField("landscape", """{"type": "doubleWell", "noiseStd": 0}""", WithField("initial", """{"mean": [0], "covariance": [[2]]}""")),
    };

    [Fact]
    public void DoubleWell_ParsesToItsSpec()
    {
        Problem p = ScenarioLoader.Parse(DoubleWell).Problem;

        Assert.Equal(new DoubleWellLandscapeSpec(0.3), p.Landscape);
        Assert.Equal(1, p.Dimension);
        Assert.False(p.IsQuadratic);
        var error = Assert.Throws<InvalidOperationException>(() => p.Quadratic);
        Assert.Contains("doubleWell", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RingValley_ParsesToItsSpec_WithMomentumAndAGaussianStart()
    {
        Problem p = ScenarioLoader.Parse(RingValley).Problem;

        Assert.Equal(new RingValleyLandscapeSpec(3, 1.5, 0.2), p.Landscape);
        Assert.Equal(3, p.Dimension);
        Assert.IsType<HeavyBallSpec>(p.Dynamics);
        Assert.False(p.Initial.IsPoint);
        Assert.Contains("ringValley", Assert.Throws<InvalidOperationException>(() => p.Quadratic).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RingValley_DimensionDefaultsTo2()
    {
        string json = WithField("landscape", """{"type": "ringValley", "curvature": 1, "noiseStd": 0.1}""");

        Assert.Equal(new RingValleyLandscapeSpec(2, 1, 0.1), ScenarioLoader.Parse(json).Problem.Landscape);
    }

    [Fact]
    public void LandscapeType_DefaultsToQuadratic()
    {
        Problem withType = ScenarioLoader.Parse(Example).Problem;
        Problem withoutType = ScenarioLoader.Parse(WithField("landscape.type", null)).Problem;

        Assert.True(withoutType.IsQuadratic);
        Assert.Equal(withType, withoutType);
        Assert.Same(withoutType.Landscape, withoutType.Quadratic);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Writer_RoundTripsTheNewTypes(string json)
    {
        var scenario = ScenarioLoader.Parse(json);

        string written = scenario.ToJson();

        Assert.Equal(scenario, ScenarioLoader.Parse(written));
        Assert.Equal(written, ScenarioLoader.Parse(written).ToJson());
    }

    [Fact]
    public void Writer_WritesTheRingValleyDefaults()
    {
        string json = WithField("landscape", """{"type": "ringValley", "curvature": 1, "noiseStd": 0.1}""");

        string written = ScenarioLoader.Parse(json).ToJson();

        Assert.Contains("\"type\": \"ringValley\"", written, StringComparison.Ordinal);
        Assert.Contains("\"dimension\": 2", written, StringComparison.Ordinal);
        Assert.DoesNotContain("hessian", written, StringComparison.Ordinal);
    }

    [Theory]
    // unknown fields: quadratic fields are not accepted by the other types, and vice versa
    [InlineData("""{"type": "doubleWell", "noiseStd": 0.1, "hessian": [[1]]}""", "[1]", "$.landscape.hessian", "unknown field")]
    [InlineData("""{"type": "doubleWell", "noiseStd": 0.1, "dimension": 1}""", "[1]", "$.landscape.dimension", "unknown field")]
    [InlineData("""{"type": "ringValley", "curvature": 1, "noiseStd": 0.1, "gradientNoiseCovariance": [[1, 0], [0, 1]]}""", "[1, 0]", "$.landscape.gradientNoiseCovariance", "unknown field")]
    [InlineData("""{"type": "quadratic", "hessian": [[1]], "noiseStd": 0.1}""", "[1]", "$.landscape.noiseStd", "unknown field")]
    [InlineData("""{"type": "doubleWel", "noiseStd": 0.1}""", "[1]", "$.landscape.type", "unknown landscape type 'doubleWel' (expected: quadratic, doubleWell, ringValley")]
    // noise standard deviation
    [InlineData("""{"type": "doubleWell", "noiseStd": -0.1}""", "[1]", "$.landscape.noiseStd", "must be >= 0 (got -0.1)")]
    [InlineData("""{"type": "doubleWell"}""", "[1]", "$.landscape.noiseStd", "required field is missing")]
    [InlineData("""{"type": "doubleWell", "noiseStd": "0.1"}""", "[1]", "$.landscape.noiseStd", "expected a number")]
    [InlineData("""{"type": "ringValley", "curvature": 1, "noiseStd": -1e-3}""", "[1, 0]", "$.landscape.noiseStd", "must be >= 0")]
    // curvature
    [InlineData("""{"type": "ringValley", "curvature": 0, "noiseStd": 0.1}""", "[1, 0]", "$.landscape.curvature", "must be > 0 (got 0)")]
    [InlineData("""{"type": "ringValley", "curvature": -2, "noiseStd": 0.1}""", "[1, 0]", "$.landscape.curvature", "must be > 0 (got -2)")]
    [InlineData("""{"type": "ringValley", "noiseStd": 0.1}""", "[1, 0]", "$.landscape.curvature", "required field is missing")]
    // dimension
    [InlineData("""{"type": "ringValley", "dimension": 1, "curvature": 1, "noiseStd": 0.1}""", "[1]", "$.landscape.dimension", "must be at least 2 (got 1)")]
    [InlineData("""{"type": "ringValley", "dimension": 0, "curvature": 1, "noiseStd": 0.1}""", "[1]", "$.landscape.dimension", "must be at least 2 (got 0)")]
    [InlineData("""{"type": "ringValley", "dimension": 65, "curvature": 1, "noiseStd": 0.1}""", "[1]", "$.landscape.dimension", "must be at most 64 (got 65)")]
    [InlineData("""{"type": "ringValley", "dimension": 2.5, "curvature": 1, "noiseStd": 0.1}""", "[1, 0]", "$.landscape.dimension", "must be an integer (got 2.5)")]
    // the initial law must have the landscape's dimension
    [InlineData("""{"type": "ringValley", "curvature": 1, "noiseStd": 0.1}""", "[1]", "$.initial.point", "expected 2 entries (the dimension of the ringValley landscape), got 1")]
    [InlineData("""{"type": "ringValley", "dimension": 3, "curvature": 1, "noiseStd": 0.1}""", "[1, 0]", "$.initial.point", "expected 3 entries (the dimension of the ringValley landscape), got 2")]
    [InlineData("""{"type": "doubleWell", "noiseStd": 0.1}""", "[1, 0]", "$.initial.point", "expected 1 entry (the doubleWell landscape is 1-dimensional), got 2")]
    public void InvalidLandscape_NamesTheField(string landscape, string point, string expectedPath, string expectedDetail)
    {
        string json = WithField("landscape", landscape, WithField("initial", $$"""{"point": {{point}}}"""));

        var error = ScenarioLoaderTests.AssertInvalid(json, expectedPath);

        Assert.Contains(expectedDetail, error.Detail);
    }

    [Fact]
    public void GaussianInitialLaw_OfTheWrongDimension_NamesTheCovariance()
    {
        string json = WithField(
            "landscape", """{"type": "ringValley", "curvature": 1, "noiseStd": 0.1}""",
            WithField("initial", """{"mean": [1, 0], "covariance": [[1]]}"""));

        var error = ScenarioLoaderTests.AssertInvalid(json, "$.initial.covariance");

        Assert.Contains("expected 2 rows (the dimension of the ringValley landscape)", error.Detail);
    }
}
