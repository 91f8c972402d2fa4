using SgdDynamics.Backends.Managed;
using SgdDynamics.Theory;
using SgdDynamics.Validation;

namespace SgdDynamics.Tests.Validation;

public class ConfinedModeStationaryVarianceTests
{
    /// <summary>
    /// At η = 0.5 (λ = 1, σ² = 1) the discrete prediction 1/3 and the Langevin one 1/4 differ by ~90 standard
    /// errors with 2^18 trajectories (SE of the sample variance √((m₄ − m₂²)/n) ≈ 9e-4): the experiment agrees
    /// with the discrete law (|z| ≤ 5, false alarm ≈ 6e-7) and rejects the Langevin one. Fixed seed.
    /// </summary>
    [Fact]
    public void DiscretePredictionAgreesAndLangevinIsRejectedAtLargeLearningRate()
    {
        using var backend = new ManagedBackend();
        Estimate variance = Experiments.StationaryVariance1D(0.5, 1.0, 1.0, backend, 1 << 18, seed: 11);

        double discrete = QuadraticMomentTheory.DiscreteStationaryVariance1D(0.5, 1.0, 1.0, 0);
        double langevin = QuadraticMomentTheory.LangevinStationaryVariance1D(0.5, 1.0, 1.0);
        Assert.Equal(1.0 / 3.0, discrete, 12);
        Assert.Equal(0.25, langevin, 12);
        Assert.True(Math.Abs(variance.Value - discrete) <= 5 * variance.StandardError, $"discrete z = {(variance.Value - discrete) / variance.StandardError:F2}");
        Assert.True((variance.Value - langevin) / variance.StandardError > 50, $"Langevin z = {(variance.Value - langevin) / variance.StandardError:F2}");
    }
}
