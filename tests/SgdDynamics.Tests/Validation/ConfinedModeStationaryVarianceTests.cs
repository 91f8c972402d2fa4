using SgdDynamics.Backends.Managed;
using SgdDynamics.Validation.Cases;

namespace SgdDynamics.Tests.Validation;

public class ConfinedModeStationaryVarianceTests
{
    /// <summary>
    /// At η = 0.5 (λ = 1, σ² = 1) the discrete prediction 1/3 and the Langevin one 1/4 differ by ~180 standard
    /// errors with 2^18 trajectories (SE of the sample variance √((m₄ − m₂²)/n) ≈ 9e-4): the case must accept
    /// the discrete law (|z| ≤ 5, false alarm ≈ 6e-7) and reject the Langevin one. Fixed seed.
    /// </summary>
    [Fact]
    public void DiscretePredictionAgreesAndLangevinIsRejectedAtLargeLearningRate()
    {
        using var backend = new ManagedBackend();
        IReadOnlyList<CaseResult> results = new ConfinedModeStationaryVariance(trajectories: 1 << 18, seed: 11).Run(0.5, backend);

        CaseResult discrete = results.Single(r => r.Quantity == "discrete prediction");
        CaseResult langevin = results.Single(r => r.Quantity == "Langevin prediction");
        Assert.Equal(1.0 / 3.0, discrete.Prediction, 12);
        Assert.Equal(0.25, langevin.Prediction, 12);
        Assert.True(discrete.Agrees, $"discrete z = {discrete.Z:F2}");
        Assert.False(langevin.Agrees, $"Langevin z = {langevin.Z:F2}");
        Assert.True(langevin.Z > 50, $"Langevin z = {langevin.Z:F2}");
    }
}
