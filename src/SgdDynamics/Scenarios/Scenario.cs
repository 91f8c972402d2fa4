using SgdDynamics.Problems;

namespace SgdDynamics.Scenarios;

/// <summary>
/// A loaded scenario: an optional name and description around the validated <see cref="Problems.Problem"/> (what is
/// simulated) and the <see cref="Problems.Algorithm"/> that solves it.
/// </summary>
/// <param name="Name">Short name of the scenario, if given.</param>
/// <param name="Description">Free-text description, if given.</param>
/// <param name="Problem">The validated problem.</param>
/// <param name="Algorithm">How it is solved: an ensemble or a grid solver.</param>
/// <param name="HessianModes">The settings of the Hessian-mode experiment (the <c>hessianModes</c> section of a network scenario), if given.</param>
public sealed record Scenario(string? Name, string? Description, Problem Problem, Algorithm Algorithm, ModeExperiments.HessianModesSpec? HessianModes = null)
{
    /// <summary>The scenario as JSON in the format <see cref="ScenarioLoader"/> reads, with every default written out.</summary>
    public string ToJson() => ScenarioWriter.ToJson(this);
}
