using System.Globalization;
using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>
/// Exact moment theory of SGD and heavy ball on the quadratic landscape with gradient
/// <c>g = (H + diag(a ⊙ ζ)) x + b + L ξ</c> (ζ, ξ independent standard normal, <c>Σ = L Lᵀ</c>).
/// SGD: <c>x' = x − η g</c>. Heavy ball: <c>v' = β v − η g</c>, <c>x' = x + v'</c>, <c>v₀ = 0</c>.
/// The noise <c>n = −η (diag(a ⊙ ζ) x + L ξ)</c> has <c>E[n | x] = 0</c> and
/// <c>E[n nᵀ | x] = η² (Σ + diag(a² ⊙ x²))</c>, so the first two moments close exactly
/// (multiplicative curvature noise in the sense of Hodgkinson &amp; Mahoney, ICML 2021).
/// </summary>
public static class QuadraticMomentTheory
{
    /// <summary>
    /// Exact mean and covariance of x at every step in <paramref name="steps"/> (ascending, e.g. an algorithm's
    /// <see cref="Algorithm.RecordSteps"/>), starting from
    /// <c>x₀ ~ N(m₀, C₀)</c>. SGD, with <c>A = I − ηH</c>, <c>c = −η b</c> and <c>S = E[x xᵀ]</c>:
    /// <c>m' = A m + c</c>, <c>S' = A S Aᵀ + A m cᵀ + c mᵀ Aᵀ + c cᵀ + η² diag(a² ⊙ diag S) + η² Σ</c>, i.e.
    /// <c>C' = A C Aᵀ + η² (Σ + diag(a² ⊙ (diag C + m²)))</c> (curvature noise sees the second moment).
    /// Heavy ball, on <c>z = (x, v)</c>: <c>z' = M z + (c, c) + (n, n)</c>, <c>M = [[I − ηH, βI], [−ηH, βI]]</c>,
    /// <c>Cov(z') = M Cov(z) Mᵀ + [[Q, Q], [Q, Q]]</c>, <c>Q = η² (Σ + diag(a² ⊙ (diag C_xx + m_x²)))</c>;
    /// the x block is reported.
    /// Computed in the eigenbasis of H, where M is block diagonal over modes: without curvature noise the
    /// map between two records is applied in closed form (binary powering, O(d² log n)); with curvature noise
    /// each step costs O(|{l: a_l ≠ 0}| d²); each record costs O(d³) to rotate back. Divergent runs give growing
    /// or non-finite moments.
    /// </summary>
    /// <exception cref="ArgumentException">The Hessian is not symmetric, or the steps are not ascending and non-negative.</exception>
    public static IReadOnlyList<MomentRecord> Recursion(Problem problem, IReadOnlyList<int> steps)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(steps);
        for (int i = 0; i < steps.Count; i++)
        {
            if (steps[i] < 0 || (i > 0 && steps[i] < steps[i - 1]))
            {
                throw new ArgumentException($"steps must be non-negative and ascending (entry {i} is {steps[i]})", nameof(steps));
            }
        }

        var recursion = new MomentRecursion(HeavyBallModes.FromProblem(problem), problem.Initial);
        var records = new List<MomentRecord>();
        foreach (int step in steps)
        {
            recursion.AdvanceTo(step);

            // step 0 is the initial law itself, without the round trip through the eigenbasis
            records.Add(step == 0 ? new MomentRecord(0, problem.Initial.Mean.Clone(), problem.Initial.Covariance.Clone()) : recursion.Current());
        }

        return records;
    }

    /// <summary>
    /// Stationary laws. Mean: <c>m* = −H⁻¹ b</c>. Discrete covariance (SGD, <c>A = I − ηH</c>):
    /// <c>C = A C Aᵀ + η² (Σ + diag(a² ⊙ diag(C + m* m*ᵀ)))</c>; heavy ball: the augmented equation
    /// <c>Z = M Z Mᵀ + [[Q, Q], [Q, Q]]</c>, <c>Q = η² (Σ + diag(a² ⊙ diag(Z_xx + m* m*ᵀ)))</c>, reporting <c>Z_xx</c>.
    /// Langevin covariance: the Itô SDE <c>dX = −(H X + b) dt + √η_eff (Σ + diag(a² ⊙ X²))^{1/2} dW</c> gives
    /// <c>H C + C H = η_eff (Σ + diag(a² ⊙ diag(C + m* m*ᵀ)))</c>, which is <c>H C + C H = η Σ</c> for a = 0
    /// (first-order SME, Li, Tai &amp; E, ICML 2017); <c>η_eff = η</c> for SGD and <c>η / (1 − β)</c> for heavy ball
    /// (its SME with the effective learning rate, Li, Tai &amp; E, JMLR 2019).
    /// Both are solved in the eigenbasis of H with the curvature noise reduced to a d × d linear system, and
    /// stability is decided by an exact splitting of the positive second-moment map (see the
    /// <see cref="StationaryMoments"/> members): no Evd of the d² × d² operator is needed.
    /// A flat direction (eigenvalue 0 of H) has no stationary law in either model.
    /// </summary>
    /// <exception cref="ArgumentException">The Hessian is not symmetric.</exception>
    public static StationaryMoments Stationary(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var modes = HeavyBallModes.FromProblem(problem);
        var (discrete, radius) = DiscreteStationary(modes);
        var (langevin, abscissa) = LangevinStationary(modes);
        return new StationaryMoments(discrete, radius, langevin, abscissa);
    }

    /// <summary>
    /// Stationary variance of 1-D SGD, <c>x' = x − η((λ + a ζ) x + s ξ)</c>:
    /// <c>η s² / (λ (2 − ηλ) − η a²)</c>; +∞ when that denominator is ≤ 0 (no stationary law).
    /// </summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="s2">Additive gradient-noise variance s².</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double DiscreteStationaryVariance1D(double eta, double lambda, double s2, double a2)
    {
        double denominator = lambda * (2.0 - eta * lambda) - eta * a2;
        return denominator > 0.0 ? eta * s2 / denominator : double.PositiveInfinity;
    }

    /// <summary>
    /// Stationary variance of 1-D heavy ball, <c>v' = β v − η((λ + a ζ) x + s ξ)</c>, <c>x' = x + v'</c>:
    /// <c>η s² (1 + β) / (λ (1 − β)(2(1 + β) − ηλ) − η a² (1 + β))</c>; +∞ when |β| ≥ 1 or the denominator is ≤ 0.
    /// β = 0 gives <see cref="DiscreteStationaryVariance1D"/>.
    /// </summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="beta">Momentum β.</param>
    /// <param name="s2">Additive gradient-noise variance s².</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double MomentumStationaryVariance1D(double eta, double lambda, double beta, double s2, double a2)
    {
        if (Math.Abs(beta) >= 1.0) return double.PositiveInfinity;
        double denominator = lambda * (1.0 - beta) * (2.0 * (1.0 + beta) - eta * lambda) - eta * a2 * (1.0 + beta);
        return denominator > 0.0 ? eta * s2 * (1.0 + beta) / denominator : double.PositiveInfinity;
    }

    /// <summary>
    /// Stationary variance of the 1-D Langevin limit <c>dX = −λ X dt + √η (s² + a² X²)^{1/2} dW</c>:
    /// <c>η s² / (2λ − η a²)</c>, i.e. <c>η s² / (2λ)</c> without curvature noise; +∞ when <c>2λ − η a² ≤ 0</c>.
    /// </summary>
    /// <param name="eta">Learning rate η (for heavy ball pass <c>η / (1 − β)</c>).</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="s2">Additive gradient-noise variance s².</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double LangevinStationaryVariance1D(double eta, double lambda, double s2, double a2 = 0.0)
    {
        double denominator = 2.0 * lambda - eta * a2;
        return denominator > 0.0 ? eta * s2 / denominator : double.PositiveInfinity;
    }

    private static (StationaryCovariance Law, double SpectralRadius) DiscreteStationary(HeavyBallModes modes)
    {
        double kappa = modes.LearningRate * modes.LearningRate;
        var modeRadii = Enumerable.Range(0, modes.Dimension).Select(modes.ModeSpectralRadius).ToArray();
        double modeRadius = modeRadii.Max();
        double modeBound = modeRadius * modeRadius;
        double radius = CurvatureCoupling.SpectralBound(modes, CurvatureCoupling.DiscreteResponse, kappa, modeBound);

        if (FlatReason(modes) is { } flat) return (Unstable(flat), radius);
        if (modeRadius >= 1.0)
        {
            int i = Array.IndexOf(modeRadii, modeRadius);
            string reason = modes.HasVelocity
                ? Format("mode {0} (λ = {1}) does not contract: its heavy-ball step matrix has spectral radius {2} ≥ 1", i, modes.Eigenvalues[i], modeRadius)
                : Format("mode {0} (λ = {1}) does not contract: |1 − ηλ| = {2} ≥ 1", i, modes.Eigenvalues[i], modeRadius);
            return (Unstable(reason), radius);
        }

        var response = CurvatureCoupling.DiscreteResponse(modes, 1.0);
        return (Solve(modes, response, kappa, "second-moment map", radius), radius);
    }

    private static (StationaryCovariance Law, double SpectralAbscissa) LangevinStationary(HeavyBallModes modes)
    {
        if (modes.Momentum >= 1.0)
            return (Unstable(Format("the heavy-ball SME needs β < 1 (β = {0})", modes.Momentum)), double.NaN);
        double kappa = modes.LearningRate / (1.0 - modes.Momentum);
        double smallest = modes.Eigenvalues.Min();
        double modeBound = -2.0 * smallest;
        double abscissa = CurvatureCoupling.SpectralBound(modes, CurvatureCoupling.LangevinResponse, kappa, modeBound);

        if (FlatReason(modes) is { } flat) return (Unstable(flat), abscissa);
        if (smallest <= 0.0)
            return (Unstable(Format("H is not positive definite (smallest eigenvalue {0})", smallest)), abscissa);

        var response = CurvatureCoupling.LangevinResponse(modes, 0.0);
        return (Solve(modes, response, kappa, "Langevin second-moment generator", abscissa), abscissa);
    }

    /// <summary>Checks <c>ρ(κ diag(a) G diag(a)) &lt; 1</c>, then solves for the stationary law.</summary>
    private static StationaryCovariance Solve(HeavyBallModes modes, double[] response, double kappa, string map, double bound)
    {
        double perron = CurvatureCoupling.PerronRoot(modes, CurvatureCoupling.Coupling(modes, response), kappa);
        if (perron >= 1.0)
            return Unstable(Format("curvature noise makes the {0} expand although every mode contracts (spectral bound {1}, curvature gain {2} ≥ 1)", map, bound, perron));
        var mean = modes.ToCoordinateVector(modes.StationaryModeMean());
        return new StationaryCovariance(true, mean, CurvatureCoupling.SolveCovariance(modes, response, kappa, mean), null);
    }

    private static string? FlatReason(HeavyBallModes modes)
    {
        foreach (int i in modes.FlatModes())
            return Format("flat direction: H has eigenvalue {0} ≈ 0 (mode {1}), along which the law never forgets its start and the noise accumulates", modes.Eigenvalues[i], i);
        return null;
    }

    private static StationaryCovariance Unstable(string reason) => new(false, null, null, reason);

    private static string Format(string format, params object[] arguments) =>
        string.Format(CultureInfo.InvariantCulture, format, arguments);
}
