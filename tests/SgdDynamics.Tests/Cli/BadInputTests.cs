namespace SgdDynamics.Tests.Cli;

/// <summary>Bad scenarios and options: exit 2 and one <c>error: </c> line naming where the problem is, no stack trace.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>Case name, scenario text (null: no file at all), where the message must point, what it must say.</summary>
    public static TheoryData<string, string?, string, string> Cases()
    {
        string b = CliScenarios.Tiny2D;
        return new TheoryData<string, string?, string, string>
        {
            { "malformed-json", """{"landscape": {"type": "quadratic", """, "$: ", "not valid JSON" },
            { "empty-file", "", "$: ", "empty" },
            { "unknown-field", CliScenarios.With(b, "landscape.hesian", "[[1]]"), "$.landscape.hesian: ", "unknown field" },
            { "unknown-top-level-field", CliScenarios.With(b, "optimiser", "{}"), "$.optimiser: ", "unknown field" },
            { "unknown-landscape-type", CliScenarios.With(b, "landscape.type", "\"rosenbrock\""), "$.landscape.type: ", "rosenbrock" },
            { "wrong-dimension", CliScenarios.With(b, "initial.point", "[1, 2, 3]"), "$.initial.point: ", "expected 2 entries" },
            { "wrong-dimension-sigma", CliScenarios.With(b, "landscape.gradientNoiseCovariance", "[[1]]"), "$.landscape.gradientNoiseCovariance: ", "expected 2 rows" },
            { "non-symmetric-hessian", CliScenarios.With(b, "landscape.hessian", "[[2, 0.5], [0.4, 1]]"), "$.landscape.hessian: ", "not symmetric" },
            { "sigma-not-psd", CliScenarios.With(b, "landscape.gradientNoiseCovariance", "[[1, 2], [2, 1]]"), "$.landscape.gradientNoiseCovariance: ", "positive semidefinite" },
            { "learning-rate-zero", CliScenarios.With(b, "optimizer.learningRate", "0"), "$.optimizer.learningRate: ", "must be > 0" },
            { "learning-rate-negative", CliScenarios.With(b, "optimizer.learningRate", "-0.1"), "$.optimizer.learningRate: ", "must be > 0" },
            { "trajectories-zero", CliScenarios.With(b, "ensemble.trajectories", "0"), "$.ensemble.trajectories: ", "at least 1" },
            { "trajectories-negative", CliScenarios.With(b, "ensemble.trajectories", "-5"), "$.ensemble.trajectories: ", "at least 1" },
            { "missing-learning-rate", CliScenarios.With(b, "optimizer.learningRate", null), "$.optimizer.learningRate: ", "required field is missing" },
            { "missing-ensemble", CliScenarios.With(b, "ensemble", null), "$.ensemble: ", "required field is missing" },
            { "missing-file", null, "missing-file.json: ", "does not exist" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_BadScenario_Exit2_OneErrorLineNamingThePath(string name, string? content, string location, string detail)
    {
        string file = dir[name + ".json"];
        if (content is not null)
        {
            File.WriteAllText(file, content);
        }

        CliResult r = Sgdyn.Run(dir.Path, "run", file, "--backend", "managed", "--out", dir["out"], "--json");

        AssertOneError(r, location, detail);
        Assert.Contains(file, r.StdErr, StringComparison.Ordinal); // the file is named too
        Assert.False(Directory.Exists(dir["out"]), "no outputs for a scenario that did not load");
    }

    [Theory]
    [InlineData("malformed-json", "$: ", "not valid JSON")]
    [InlineData("sigma-not-psd", "$.landscape.gradientNoiseCovariance: ", "positive semidefinite")]
    [InlineData("missing-file", "missing-file.json: ", "does not exist")]
    public void Theory_BadScenario_Exit2_OneErrorLine(string name, string location, string detail)
    {
        string file = dir[name + ".json"];
        string? content = name switch
        {
            "malformed-json" => """{"landscape": [""",
            "sigma-not-psd" => CliScenarios.With(CliScenarios.Tiny2D, "landscape.gradientNoiseCovariance", "[[1, 2], [2, 1]]"),
            _ => null,
        };
        if (content is not null)
        {
            File.WriteAllText(file, content);
        }

        CliResult r = Sgdyn.Run(dir.Path, "theory", file, "--json");

        AssertOneError(r, location, detail);
    }

    [Fact]
    public void Run_ScenarioIsAFolder_Exit2()
    {
        Directory.CreateDirectory(dir["folder.json"]);

        CliResult r = Sgdyn.Run(dir.Path, "run", dir["folder.json"], "--out", dir["out"]);

        AssertOneError(r, "folder.json: ", "directory");
    }

    [Fact]
    public void Demo_TooFewTrajectories_Exit2_NamesTheOption()
    {
        CliResult r = Sgdyn.Run(dir.Path, "demo", "--trajectories", "1", "--out", dir["out"]);

        AssertOneError(r, "--trajectories", "between 2 and");
        Assert.False(Directory.Exists(dir["out"]));
    }

    private static void AssertOneError(CliResult r, string location, string detail)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.True(r.StdOut.Length == 0, r.ToString());
        Assert.True(r.ErrLines.Length == 1, r.ToString());
        string line = r.ErrLines[0];
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(location, line, StringComparison.Ordinal);
        Assert.Contains(detail, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.StdErr, StringComparison.Ordinal);
    }
}
