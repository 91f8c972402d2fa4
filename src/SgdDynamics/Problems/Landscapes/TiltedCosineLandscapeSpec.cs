using System.Text.Json;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// Tilted periodic landscape <c>L(x) = −A cos(2πx/P) + F x</c> in one dimension with additive gradient noise: one step's
/// gradient is <c>g = (2πA/P) sin(2πx/P) + F + σ ξ</c>, ξ ~ N(0, 1). Runs <see cref="TiltedCosineLandscape"/>; on a
/// grid whose length is a multiple of P, a <c>"periodic"</c> boundary gives the law of x mod the box.
/// </summary>
/// <param name="Amplitude">A ≥ 0.</param>
/// <param name="Period">P &gt; 0.</param>
/// <param name="Tilt">F.</param>
/// <param name="NoiseStd">σ ≥ 0.</param>
public sealed record TiltedCosineLandscapeSpec(double Amplitude, double Period, double Tilt, double NoiseStd) : LandscapeSpec
{
    /// <summary>Always 1.</summary>
    public override int Dimension => 1;

    /// <summary>The kernel struct.</summary>
    public TiltedCosineLandscape Kernel => new(Amplitude, Period, Tilt, NoiseStd);
}

/// <summary>Registration of <c>"tiltedCosine"</c>.</summary>
public sealed class TiltedCosineLandscapeRegistration : LandscapeRegistration<TiltedCosineLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "tiltedCosine";

    /// <inheritdoc/>
    public override string DimensionReason => "the tiltedCosine landscape is 1-dimensional";

    /// <inheritdoc/>
    public override LandscapeSpec Example { get; } = new TiltedCosineLandscapeSpec(1.0, 2 * Math.PI, 0.5, 1.0);

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "amplitude", "period", "tilt", "noiseStd");
        double amplitude = ScenarioFields.NonNegative(landscape, "amplitude");
        double period = ScenarioFields.Positive(landscape, "period");
        double tilt = landscape.Required("tilt").AsNumber() + 0.0;
        return new TiltedCosineLandscapeSpec(amplitude, period, tilt, ScenarioFields.NonNegative(landscape, "noiseStd"));
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, TiltedCosineLandscapeSpec spec)
    {
        ScenarioJson.WriteNumber(writer, "amplitude", spec.Amplitude);
        ScenarioJson.WriteNumber(writer, "period", spec.Period);
        ScenarioJson.WriteNumber(writer, "tilt", spec.Tilt);
        ScenarioJson.WriteNumber(writer, "noiseStd", spec.NoiseStd);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(TiltedCosineLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(spec.Kernel);

    /// <inheritdoc/>
    protected override GridLandscape Grid(TiltedCosineLandscapeSpec spec) => GridLandscape.Wrap(spec.Kernel);
}
