using SgdDynamics.Validation.Cases;

namespace SgdDynamics.Validation;

/// <summary>The validation catalog, in report order.</summary>
public static class Catalog
{
    /// <summary>Every case.</summary>
    public static IReadOnlyList<IValidationCase> All() =>
    [
        new EtaScalingCase(),
        new FlatModeDiffusionCase(),
        new FullCovarianceCase(),
        new NonGibbsCase(),
        new MomentumCase(),
        new StabilityPhaseDiagramCase(),
        new HeavyTailsCase(),
        new GridQuadraticCase(),
        new DoubleWellCase(),
        new RingValleyCase(),
        new TiltedPeriodicCase(),
        new FluctuatingLandscapeCase(),
        new ReplacementCase(),
        new FiniteDataMasterEquationCase(),
        new RoughLandscapeSdeCase(),
        new SdeWeakOrderCase(),
        new NetworkModesCase(),
    ];
}
