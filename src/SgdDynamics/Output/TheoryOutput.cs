using System.Text.Json.Nodes;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Output;

/// <summary>The exact moment theory of a problem as JSON (the <c>sgdyn theory --json</c> document).</summary>
public static class TheoryOutput
{
    /// <summary>
    /// <c>{"recorded": [{"step", "time", "mean", "covariance"}…], "stationary": {"discrete": {…}, "langevin": {…}}, "modes": […]}</c>;
    /// a stationary covariance is null when that law does not exist (unstable, or a flat direction). <c>modes</c> (when
    /// <paramref name="modes"/> is given) holds every Hessian eigenmode's stationary values (<see cref="Mode"/>), which a
    /// confined mode keeps when another mode is flat.
    /// </summary>
    public static JsonObject Build(Problem problem, IReadOnlyList<MomentRecord> recorded, StationaryMoments stationary, IReadOnlyList<ModePrediction>? modes = null)
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
            ["modes"] = modes is null ? null : new JsonArray(modes.Select(m => (JsonNode)Mode(m)).ToArray()),
        };
    }

    /// <summary>
    /// One eigenmode's entry: <c>mode</c>, <c>eigenvalue</c>, <c>noiseVariance</c> (s² = vᵀΣv), <c>curvatureVariance</c>
    /// (a_v²), <c>behaviour</c> (confined, diffusive, unstable or unknown), <c>secondMomentStable</c>, <c>quantity</c>
    /// (stationaryVariance or diffusionCoefficient) and its <c>discrete</c> and <c>langevin</c> values (null where they do
    /// not exist), <c>diffusionCoefficient</c> for a flat mode, and <c>note</c> (which formula, or why a value is missing).
    /// </summary>
    public static JsonObject Mode(ModePrediction mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        var entry = new JsonObject
        {
            ["mode"] = mode.Mode,
            ["eigenvalue"] = Json.Number(mode.Eigenvalue),
            ["noiseVariance"] = Json.Number(mode.NoiseVariance),
            ["curvatureVariance"] = Json.Number(mode.CurvatureVariance),
            ["behaviour"] = mode.BehaviourName,
            ["secondMomentStable"] = mode.SecondMomentStable,
            ["quantity"] = mode.Quantity,
            ["discrete"] = mode.Discrete is { } d ? Json.Number(d) : null,
            ["langevin"] = mode.Langevin is { } l ? Json.Number(l) : null,
            ["note"] = mode.Reason,
        };
        if (mode.Behaviour == ModeBehaviour.Diffusive)
        {
            entry["diffusionCoefficient"] = Json.Number(mode.Discrete!.Value);
        }

        return entry;
    }

    private static JsonObject Law(StationaryCovariance law) => new()
    {
        ["stable"] = law.Stable,
        ["mean"] = law.Mean is null ? null : Json.Vector(law.Mean),
        ["covariance"] = law.Covariance is null ? null : Json.Matrix(law.Covariance),
        ["reason"] = law.Reason,
    };
}
