using System.Text.Json.Nodes;

namespace SgdDynamics.Tests.Scenarios;

/// <summary>Scenario texts shared by the scenario tests, and a helper that edits one field of a scenario.</summary>
internal static class ScenarioFixtures
{
    public const string Example = """
        {"landscape": {"type": "quadratic", "hessian": [[2,0.5],[0.5,1]], "linearTerm": [0.1,0],
                       "gradientNoiseCovariance": [[1,0.3],[0.3,0.5]], "curvatureNoiseStd": [0.3,0]},
         "optimizer": {"type": "sgd", "learningRate": 0.1, "momentum": 0.0},
         "initial": {"point": [1,-1]},
         "ensemble": {"trajectories": 1000000, "steps": 500, "seed": 7, "divergenceThreshold": 1e12},
         "record": {"every": 10}}
        """;

    public const string Minimal = """
        {"landscape": {"type": "quadratic", "hessian": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"trajectories": 10, "steps": 100, "seed": 0}}
        """;

    /// <summary>
    /// The example with the field at a dotted path (e.g. <c>landscape.hessian</c>) set to
    /// <paramref name="valueJson"/>, or removed when <paramref name="valueJson"/> is null.
    /// </summary>
    public static string WithField(string dottedPath, string? valueJson, string baseJson = Example)
    {
        var root = JsonNode.Parse(baseJson)!.AsObject();
        var parts = dottedPath.Split('.');
        var parent = root;
        foreach (var part in parts[..^1])
        {
            parent = parent[part]!.AsObject();
        }

        if (valueJson is null)
        {
            Assert.True(parent.Remove(parts[^1]), $"fixture has no field {dottedPath}");
        }
        else
        {
            parent[parts[^1]] = JsonNode.Parse(valueJson);
        }

        return root.ToJsonString();
    }
}
