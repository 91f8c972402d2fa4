using System.Text.Json.Nodes;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Output;

/// <summary>The exact moment theory of a problem as JSON (the <c>sgdyn theory --json</c> document).</summary>
public static class TheoryOutput
{
    /// <summary>
    /// <c>{"recorded": [{"step", "time", "mean", "covariance"}…], "stationary": {"discrete": {…}, "langevin": {…}}}</c>;
    /// a stationary covariance is null when that law does not exist (unstable, or a flat direction).
    /// </summary>
    public static JsonObject Build(Problem problem, IReadOnlyList<MomentRecord> recorded, StationaryMoments stationary)
    {
        var records = new JsonArray();
        foreach (MomentRecord r in recorded)
        {
            records.Add(new JsonObject
            {
                ["step"] = r.Step,
                ["time"] = Json.Number(r.Step * problem.Dynamics.LearningRate),
                ["mean"] = Json.Vector(r.Mean),
                ["covariance"] = Json.Matrix(r.Covariance),
            });
        }

        JsonObject discrete = Law(stationary.Discrete);
        discrete["spectralRadius"] = Json.Number(stationary.SpectralRadius);
        JsonObject langevin = Law(stationary.Langevin);
        langevin["spectralAbscissa"] = Json.Number(stationary.SpectralAbscissa);
        return new JsonObject
        {
            ["dimension"] = problem.Dimension,
            ["learningRate"] = Json.Number(problem.Dynamics.LearningRate),
            ["recorded"] = records,
            ["stationary"] = new JsonObject { ["discrete"] = discrete, ["langevin"] = langevin },
        };
    }

    private static JsonObject Law(StationaryCovariance law) => new()
    {
        ["stable"] = law.Stable,
        ["mean"] = law.Mean is null ? null : Json.Vector(law.Mean),
        ["covariance"] = law.Covariance is null ? null : Json.Matrix(law.Covariance),
        ["reason"] = law.Reason,
    };
}
