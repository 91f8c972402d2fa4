using System.Text.Json;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>
/// Ring valley <c>L(x) = λ(|x|² − 1)²/4</c> in d ≥ 2 dimensions: minima on the unit sphere (flat along it,
/// curvature 2λ across it) with isotropic additive gradient noise: <c>g = λ(|x|² − 1) x + σ ξ</c>, ξ ~ N(0, I_d).
/// Runs <see cref="RingValleyLandscape"/>.
/// </summary>
/// <param name="Dimension">Dimension d, 2 … <see cref="Limits.MaxDimension"/>.</param>
/// <param name="Curvature">λ &gt; 0.</param>
/// <param name="NoiseStd">Gradient-noise standard deviation σ ≥ 0.</param>
public sealed record RingValleyLandscapeSpec(int Dimension, double Curvature, double NoiseStd) : LandscapeSpec
{
    /// <summary>Dimension d, 2 … <see cref="Limits.MaxDimension"/>.</summary>
    public override int Dimension { get; } = Dimension;
}

/// <summary>Registration of <c>"ringValley"</c>.</summary>
public sealed class RingValleyLandscapeRegistration : LandscapeRegistration<RingValleyLandscapeSpec>
{
    /// <inheritdoc/>
    public override string TypeName => "ringValley";

    /// <inheritdoc/>
    public override string DimensionReason => "the dimension of the ringValley landscape";

    /// <inheritdoc/>
    public override LandscapeSpec Example { get; } = new RingValleyLandscapeSpec(2, 1.0, 0.5);

    /// <inheritdoc/>
    internal override LandscapeSpec Read(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "dimension", "curvature", "noiseStd");
        int d = 2;
        if (landscape.Optional("dimension") is { } dimensionField)
        {
            long dimension = dimensionField.AsInteger(int.MinValue, Limits.MaxDimension);
            if (dimension < 2)
            {
                throw dimensionField.Error($"must be at least 2 (got {dimensionField.Raw}); a ring valley needs 2 or more dimensions (doubleWell is the 1-D landscape)");
            }

            d = (int)dimension;
        }

        double curvature = ScenarioFields.Positive(landscape, "curvature");
        return new RingValleyLandscapeSpec(d, curvature, ScenarioFields.NonNegative(landscape, "noiseStd"));
    }

    /// <inheritdoc/>
    protected override void Write(Utf8JsonWriter writer, RingValleyLandscapeSpec spec)
    {
        writer.WriteNumber("dimension", spec.Dimension);
        ScenarioJson.WriteNumber(writer, "curvature", spec.Curvature);
        ScenarioJson.WriteNumber(writer, "noiseStd", spec.NoiseStd);
    }

    /// <inheritdoc/>
    protected override TResult Bind<TP, TResult>(RingValleyLandscapeSpec spec, IParameterStore<TP> store, ILandscapeVisitor<TResult> visitor) =>
        visitor.Visit(new RingValleyLandscape(spec.Dimension, spec.Curvature, spec.NoiseStd));

    /// <inheritdoc/>
    protected override GridLandscape Grid(RingValleyLandscapeSpec spec) =>
        GridLandscape.Wrap(new RingValleyLandscape(spec.Dimension, spec.Curvature, spec.NoiseStd));
}
