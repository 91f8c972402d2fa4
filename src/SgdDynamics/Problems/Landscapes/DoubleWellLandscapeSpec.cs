using System.Text.Json;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// Symmetric double well <c>L(x) = (x² − 1)²/4</c> in one dimension (minima at ±1, curvature L''(±1) = 2, barrier
/// 1/4 at 0) with additive gradient noise: one step's gradient is <c>g = x³ − x + σ ξ</c>, ξ ~ N(0, 1).
/// Runs <see cref="DoubleWellLandscape"/>.
/// </summary>
/// <param name="NoiseStd">Gradient-noise standard deviation σ ≥ 0.</param>
public sealed record DoubleWellLandscapeSpec(double NoiseStd) : LandscapeSpec
{
    /// <summary>Always 1.</summary>
    public override int Dimension => 1;
}

/// <summary>Registration of <c>"doubleWell"</c>.</summary>
public sealed class DoubleWellLandscapeRegistration : LandscapeRegistration<DoubleWellLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "doubleWell";

    /// <inheritdoc/>
    public override string DimensionReason => "the doubleWell landscape is 1-dimensional";

    /// <inheritdoc/>
    public override LandscapeSpec Example { get; } = new DoubleWellLandscapeSpec(0.7);

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "noiseStd");
        return new DoubleWellLandscapeSpec(ScenarioFields.NonNegative(landscape, "noiseStd"));
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, DoubleWellLandscapeSpec spec) =>
        ScenarioJson.WriteNumber(writer, "noiseStd", spec.NoiseStd);

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(DoubleWellLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(new DoubleWellLandscape(spec.NoiseStd));

    /// <inheritdoc/>
    protected override GridLandscape Grid(DoubleWellLandscapeSpec spec) => GridLandscape.Wrap(new DoubleWellLandscape(spec.NoiseStd));
}
