using System.Text.Json.Nodes;
using SgdDynamics.Grids;

namespace SgdDynamics.Output;

/// <summary>The <c>stationary</c> object of a stationary grid run's summary.json.</summary>
public static class StationaryOutput
{
    /// <summary>
    /// method, residual (with its definition), tolerance, iterations, converged, seconds, the power iteration's
    /// contractionRatio (master equation) and spectralGap: λ₂ (real, imaginary, modulus), relaxationSteps,
    /// relaxationTime (null with a reason when none exists), the Ritz residual, the Krylov dimension, the operator
    /// applications, whether it converged, and its seconds.
    /// </summary>
    public static JsonObject ToJson(StationaryReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new JsonObject
        {
            ["method"] = report.Method,
            ["residual"] = Json.Number(report.Residual),
            ["residualDefinition"] = report.ResidualDefinition,
            ["tolerance"] = Json.Number(report.Tolerance),
            ["iterations"] = report.Iterations,
            ["converged"] = report.Converged,
            ["seconds"] = Json.Number(report.SolveSeconds),
            ["contractionRatio"] = report.ContractionRatio is { } ratio ? Json.Number(ratio) : null,
            ["spectralGap"] = report.Gap is { } gap ? Gap(gap, report.GapSeconds) : null,
        };
    }

    private static JsonObject Gap(SpectralGapEstimate gap, double seconds) => new()
    {
        ["method"] = gap.Method,
        ["eigenvalue"] = new JsonObject { ["real"] = Json.Number(gap.Real), ["imaginary"] = Json.Number(gap.Imaginary) },
        ["modulus"] = Json.Number(gap.Modulus),
        ["relaxationSteps"] = gap.RelaxationSteps is { } steps ? Json.Number(steps) : null,
        ["relaxationTime"] = gap.RelaxationTime is { } time ? Json.Number(time) : null,
        ["reason"] = gap.Reason,
        ["ritzResidual"] = Json.Number(gap.RitzResidual),
        ["krylovDimension"] = gap.KrylovDimension,
        ["applications"] = gap.Applications,
        ["converged"] = gap.Converged,
        ["seconds"] = Json.Number(seconds),
    };
}
