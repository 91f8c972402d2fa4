using System.Text.Json.Nodes;
using SgdDynamics.Problems;

namespace SgdDynamics.Output;

/// <summary>The <c>optimizer</c> object of every summary: type, learning rate and the rule's constants, from its registration.</summary>
public static class DynamicsJson
{
    /// <summary>The JSON object of <paramref name="dynamics"/>.</summary>
    public static JsonObject Of(DynamicsSpec dynamics)
    {
        ArgumentNullException.ThrowIfNull(dynamics);
        DynamicsRegistration registration = ModelRegistry.For(dynamics);
        var json = new JsonObject
        {
            ["type"] = registration.TypeName,
            ["learningRate"] = Json.Number(dynamics.LearningRate),
        };
        foreach ((string name, double value) in registration.Constants(dynamics))
        {
            json[name] = Json.Number(value);
        }

        foreach ((string name, string value) in registration.Labels(dynamics))
        {
            json[name] = value;
        }

        return json;
    }
}
