using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// Stationary variance of a confined mode (1-D, λ = 1, additive noise σ² = 1) against the discrete
/// prediction <c>ησ²/(λ(2 − ηλ))</c> and the Langevin one <c>ησ²/(2λ)</c>. The run starts at 0 and lasts
/// long enough that the transient (1 − ηλ)^(2k) is below 1e-12. Tolerance: |z| ≤ 5 on the standard error
/// √((m₄ − m₂²)/n) of the sample variance (false-alarm rate ≈ 6e-7 per comparison).
/// </summary>
public sealed class ConfinedModeStationaryVariance(long trajectories = 1 << 18, uint seed = 11) : IValidationCase
{
    /// <inheritdoc/>
    public string Name => "confined-mode stationary variance";

    /// <inheritdoc/>
    public IReadOnlyList<CaseResult> Run(double eta, IEnsembleBackend backend)
    {
        const double lambda = 1.0, sigma2 = 1.0;
        int steps = (int)Math.Ceiling(Math.Log(1e-12) / (2 * Math.Log(Math.Abs(1 - eta * lambda))));
        Problem problem = ProblemBuilder.Quadratic(
            new double[,] { { lambda } }, new double[,] { { sigma2 } }, eta, [0.0], trajectories, Math.Max(steps, 1), seed);
        var moments = EnsembleSolver.Solve(problem, backend).Final.Moments;
        double variance = moments.Covariance[0, 0], se = moments.VarianceStandardError[0];
        return
        [
            new(Name, "discrete prediction", variance, se, QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, lambda, sigma2, 0), 5),
            new(Name, "Langevin prediction", variance, se, QuadraticMomentTheory.LangevinStationaryVariance1D(eta, lambda, sigma2), 5),
        ];
    }
}
