using System.Globalization;
using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>What the exact theory says one Hessian eigenmode's variance does.</summary>
public enum ModeBehaviour
{
    /// <summary>The variance converges to a finite stationary value (the mode's second moment contracts).</summary>
    Confined,

    /// <summary>A flat mode without curvature noise: the variance grows linearly, <c>v₀ + 2Dt</c> (the map's multiplier is 1).</summary>
    Diffusive,

    /// <summary>The mode's second moment grows geometrically (multiplier &gt; 1): its stationary variance is infinite.</summary>
    Unstable,

    /// <summary>No exact per-mode statement: curvature noise couples the mode with a flat direction (see the reason).</summary>
    Unknown,
}

/// <summary>
/// The theory's stationary values of one eigenmode, usable whether or not the full model has a stationary law: a
/// confined mode's discrete and Langevin stationary variances, a flat mode's diffusion coefficient, or why there is
/// none. Values that do not exist are null.
/// </summary>
/// <param name="Mode">Index of the mode (eigenvalues ascending, as <see cref="EigenmodeDecomposition.Modes"/>).</param>
/// <param name="Eigenvalue">Curvature λ of the mode.</param>
/// <param name="NoiseVariance">Projected gradient-noise variance <c>s² = vᵀΣv</c>.</param>
/// <param name="CurvatureVariance">Projected curvature-noise variance <c>a_v²</c>.</param>
/// <param name="Behaviour">What the mode's variance does.</param>
/// <param name="SecondMomentStable">
/// True when the mode's second moment contracts (a finite stationary variance), false when it grows geometrically
/// (infinite variance), null for a diffusive flat mode (multiplier exactly 1) and for <see cref="ModeBehaviour.Unknown"/>.
/// </param>
/// <param name="Discrete">
/// Confined: the exact discrete stationary variance <c>vᵀCv</c> (<see cref="Eigenmode.ExactDiscreteVariance"/>), or for a
/// decoupled mode when the full model has none (another mode is flat) the per-mode value
/// <c>η s² / (λ(2 − ηλ) − η a²)</c> (heavy ball: <see cref="QuadraticMomentTheory.MomentumStationaryVariance1D"/>), which is
/// then exact. Diffusive: the diffusion coefficient per unit time t = kη, <c>D = η s² / 2</c> (SGD,
/// <see cref="FlatModeDiffusion"/>) or <c>η s² / (2(1 − β)²)</c> (heavy ball). Otherwise null.
/// </param>
/// <param name="Langevin">
/// Confined: the Langevin (first-order SME) stationary variance <c>vᵀC_L v</c>, or per mode <c>η s² / (2λ − η a²)</c>; it
/// can exist where the discrete one does not. Diffusive: the same D (the SDE <c>dY = √η s dW</c> has <c>Var = η s² t</c>).
/// Otherwise null.
/// </param>
/// <param name="Reason">Why a value is missing or which formula gave it; null when both are the exact matrix projections.</param>
public sealed record ModePrediction(
    int Mode,
    double Eigenvalue,
    double NoiseVariance,
    double CurvatureVariance,
    ModeBehaviour Behaviour,
    bool? SecondMomentStable,
    double? Discrete,
    double? Langevin,
    string? Reason)
{
    /// <summary>The quantity <see cref="Discrete"/> and <see cref="Langevin"/> predict: stationaryVariance, diffusionCoefficient or none.</summary>
    public string Quantity => Behaviour switch
    {
        ModeBehaviour.Confined => "stationaryVariance",
        ModeBehaviour.Diffusive => "diffusionCoefficient",
        ModeBehaviour.Unstable or ModeBehaviour.Unknown => "none",
        _ => throw new InvalidOperationException($"unknown mode behaviour {Behaviour}"),
    };

    /// <summary>The behaviour's name in outputs: confined, diffusive, unstable or unknown.</summary>
    public string BehaviourName => Behaviour.ToString().ToLowerInvariant();
}

/// <summary>
/// Per-mode stationary values from <see cref="EigenmodeTheory"/>: for every eigenmode, whether its second moment contracts
/// (per mode, <c>η a² &lt; λ(2 − ηλ)</c> for SGD, where the mode is decoupled; through the full map's spectral radius
/// where curvature noise couples it), and its discrete and Langevin stationary variances or, for a flat mode, its
/// diffusion coefficient. Unlike <see cref="QuadraticMomentTheory.Stationary"/>, which has no stationary covariance as
/// soon as one direction is flat, the confined modes keep their values: without curvature noise between them the modes
/// are independent, so a confined mode's variance is <c>η s² / (λ(2 − ηλ))</c> whatever the flat ones do.
/// </summary>
public static class ModePredictions
{
    /// <summary>
    /// Spectral radii in (1, 1 + this] count as marginal (the multiplier 1 of a flat direction, whose eigenvalue is only
    /// known to <c>10⁻¹² max|λ|</c>); above, the second moment grows geometrically.
    /// </summary>
    public const double MarginalTolerance = 1e-9;

    /// <summary>The per-mode predictions of <paramref name="problem"/> (quadratic, SGD or heavy ball).</summary>
    /// <exception cref="ArgumentException">The Hessian is not symmetric.</exception>
    public static IReadOnlyList<ModePrediction> Of(Problem problem) => Of(problem, EigenmodeTheory.Decompose(problem));

    /// <summary>The per-mode predictions from an already computed decomposition of <paramref name="problem"/>.</summary>
    public static IReadOnlyList<ModePrediction> Of(Problem problem, EigenmodeDecomposition theory)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(theory);
        double eta = problem.Dynamics.LearningRate;
        double beta = TheoryDynamics.Momentum(problem.Dynamics);
        double radius = theory.Stationary.SpectralRadius;
        bool mapExpands = !(radius <= 1.0 + MarginalTolerance);
        return theory.Modes.Select(mode => Predict(problem, mode, eta, beta, radius, mapExpands)).ToList();
    }

    private static ModePrediction Predict(Problem problem, Eigenmode mode, double eta, double beta, double radius, bool mapExpands)
    {
        double lambda = mode.Eigenvalue, s2 = mode.NoiseVariance, a2 = mode.CurvatureVariance;
        ModePrediction With(ModeBehaviour behaviour, bool? stable, double? discrete, double? langevin, string? reason) =>
            new(mode.Index, lambda, s2, a2, behaviour, stable, discrete, langevin, reason);

        if (mode.IsFlat)
        {
            if (a2 != 0.0)
            {
                return With(ModeBehaviour.Unstable, false, null, null, Format(
                    "flat mode with curvature noise a² = {0}: its second-moment multiplier 1 + η²a² = {1} > 1, the variance grows geometrically",
                    a2, 1.0 + eta * eta * a2));
            }

            double diffusion = problem.Dynamics is SgdSpec
                ? FlatModeDiffusion.FromProblem(problem, mode.Direction).Diffusion
                : eta * s2 / (2 * (1 - beta) * (1 - beta));
            return With(ModeBehaviour.Diffusive, null, diffusion, diffusion,
                "flat mode: the variance grows as v₀ + 2Dt with D = " + (problem.Dynamics is SgdSpec ? "ηs²/2" : "ηs²/(2(1 − β)²)") + " in both models");
        }

        double? exactLangevin = Finite(mode.ExactLangevinVariance);
        if (Finite(mode.ExactDiscreteVariance) is { } exact)
        {
            return With(ModeBehaviour.Confined, true, exact, exactLangevin,
                exactLangevin is null ? "no Langevin stationary law: " + LangevinReason(eta, beta, lambda, a2, mode.Decoupled) : null);
        }

        if (mode.Decoupled)
        {
            double? langevin = exactLangevin ?? Finite(mode.LangevinVariance);
            string langevinNote = langevin is null ? "; no Langevin stationary law: " + LangevinReason(eta, beta, lambda, a2, decoupled: true) : "";
            if (Finite(mode.DiscreteVariance) is { } perMode)
            {
                return With(ModeBehaviour.Confined, true, perMode, langevin,
                    "per-mode formula (exact: the mode is decoupled; the full model has no stationary law because another mode is not confined)" + langevinNote);
            }

            string unstable = beta == 0.0
                ? Format("(1 − ηλ)² + η²a² = {0} ≥ 1 (η a² ≥ λ(2 − ηλ))", SecondMomentStability.DiscreteSpectralRadius1D(eta, lambda, a2))
                : Format("its heavy-ball second-moment map does not contract (λ = {0}, β = {1})", lambda, beta);
            return With(ModeBehaviour.Unstable, false, null, langevin, "the mode's second moment grows geometrically: " + unstable + langevinNote);
        }

        if (mapExpands)
        {
            return With(ModeBehaviour.Unstable, false, null, exactLangevin, Format(
                "curvature noise couples this mode to others and the full second-moment map has spectral radius {0} > 1: the variance grows geometrically", radius));
        }

        return With(ModeBehaviour.Unknown, null, null, exactLangevin,
            "curvature noise couples this mode with a flat direction, so it has no stationary variance of its own");
    }

    private static string LangevinReason(double eta, double beta, double lambda, double a2, bool decoupled)
    {
        if (beta >= 1.0) return Format("the heavy-ball SME needs β < 1 (β = {0})", beta);
        return decoupled
            ? Format("2λ − η_eff a² = {0} ≤ 0", 2 * lambda - eta / (1 - beta) * a2)
            : "the Langevin second-moment generator is not stable";
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Format(string format, params object[] arguments) =>
        string.Format(CultureInfo.InvariantCulture, format, arguments.Select(a => a is double x ? x.ToString("G6", CultureInfo.InvariantCulture) : a).ToArray());
}
