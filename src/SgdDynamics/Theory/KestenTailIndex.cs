using System.Globalization;
using MathNet.Numerics;
using MathNet.Numerics.RootFinding;

namespace SgdDynamics.Theory;

/// <summary>What kind of stationary law the 1-D random recursion has.</summary>
public enum TailLaw
{
    /// <summary>Kesten–Goldie regime: a stationary law with <c>P(|x| &gt; t) ~ C t^{−α}</c>.</summary>
    PowerLaw,

    /// <summary>No curvature noise (a = 0) and <c>|1 − ηλ| &lt; 1</c>: the stationary law is Gaussian, every moment is finite.</summary>
    Gaussian,

    /// <summary><c>E log|1 − ηh| ≥ 0</c>: the iterates do not settle, there is no stationary law.</summary>
    NoStationaryLaw,
}

/// <summary>Tail index of the stationary law of <c>x' = (1 − ηh) x − η s ξ</c>, or why there is none.</summary>
/// <param name="Law">Which regime applies.</param>
/// <param name="Alpha">
/// The tail index α &gt; 0 solving <c>E|1 − ηh|^α = 1</c> for <see cref="TailLaw.PowerLaw"/>; +∞ for
/// <see cref="TailLaw.Gaussian"/>; NaN for <see cref="TailLaw.NoStationaryLaw"/>.
/// </param>
/// <param name="ExpectedLogMultiplier">Lyapunov exponent <c>E log|1 − ηh|</c> of the multiplicative part.</param>
/// <param name="Reason">Why there is no power tail; null for <see cref="TailLaw.PowerLaw"/>.</param>
public sealed record TailIndexResult(TailLaw Law, double Alpha, double ExpectedLogMultiplier, string? Reason);

/// <summary>
/// Heavy tails of 1-D SGD with curvature noise, <c>x' = (1 − ηh) x − η s ξ</c>, <c>h ~ N(λ, a²)</c> independent of
/// <c>ξ ~ N(0, 1)</c>, s ≠ 0. With the multiplier <c>A = 1 − ηh ~ N(1 − ηλ, η² a²)</c>: if <c>E log|A| &lt; 0</c> and
/// <c>P(|A| &gt; 1) &gt; 0</c> (true for a ≠ 0), the recursion has a unique stationary law and
/// <c>P(|x| &gt; t) ~ C t^{−α}</c>, where α &gt; 0 is the unique positive root of <c>E|A|^α = 1</c>
/// (H. Kesten, Acta Math. 131, 1973; C. M. Goldie, Ann. Appl. Probab. 1, 1991; for SGD: Gürbüzbalaban, Şimşekli &amp;
/// Zhu, ICML 2021; Hodgkinson &amp; Mahoney, ICML 2021). α does not depend on s or on a linear term.
/// <c>Λ(α) = log E|A|^α</c> is convex with <c>Λ(0) = 0</c> and <c>Λ'(0) = E log|A|</c>, so the root exists iff
/// <c>E log|A| &lt; 0</c>; since <c>E A² = (1 − ηλ)² + η² a²</c>, α = 2 exactly on the second-moment stability
/// boundary <c>η a² = λ(2 − ηλ)</c>, α &gt; 2 inside the stable region and α &lt; 2 beyond it.
/// </summary>
public static class KestenTailIndex
{
    // Poisson-mixture sums cost O(√z) terms; beyond this z the moment is integrated and E log uses its expansion.
    private const double SeriesLimit = 1e6;
    private const double TermTolerance = 1e-18;

    /// <summary>
    /// Tail index of <c>x' = (1 − ηh) x − η s ξ</c>, <c>h ~ N(λ, a²)</c>: α solving <c>E|1 − ηh|^α = 1</c>, found by
    /// Brent's method (MathNet) on a bracket grown by doubling or halving from α = 2; the moments come from
    /// <see cref="LogAbsoluteMoment"/> and the existence test from <see cref="ExpectedLogAbsolute"/>.
    /// </summary>
    /// <param name="eta">Learning rate η &gt; 0.</param>
    /// <param name="lambda">Mean curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a² ≥ 0.</param>
    public static TailIndexResult Compute(double eta, double lambda, double a2)
    {
        if (!(eta > 0.0) || !double.IsFinite(eta))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "The learning rate must be positive and finite.");
        if (!double.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be finite.");
        if (!(a2 >= 0.0) || !double.IsFinite(a2))
            throw new ArgumentOutOfRangeException(nameof(a2), a2, "a² must be nonnegative and finite.");

        double mean = 1.0 - eta * lambda;
        double std = eta * Math.Sqrt(a2);
        double logMultiplier = ExpectedLogAbsolute(mean, std);
        if (a2 == 0.0)
        {
            return Math.Abs(mean) < 1.0
                ? new TailIndexResult(TailLaw.Gaussian, double.PositiveInfinity, logMultiplier,
                    "no curvature noise: the multiplier 1 − ηλ is deterministic and the stationary law is Gaussian")
                : new TailIndexResult(TailLaw.NoStationaryLaw, double.NaN, logMultiplier,
                    Format("no curvature noise and |1 − ηλ| = {0} ≥ 1: the iterates do not contract", Math.Abs(mean)));
        }

        if (!(logMultiplier < 0.0))
            return new TailIndexResult(TailLaw.NoStationaryLaw, double.NaN, logMultiplier,
                Format("E log|1 − ηh| = {0} ≥ 0: |x| does not settle (Kesten 1973), there is no stationary law", logMultiplier));

        double Lambda(double alpha) => LogAbsoluteMoment(mean, std, alpha);
        double lower, upper;
        double atTwo = Lambda(2.0);
        if (atTwo == 0.0) return new TailIndexResult(TailLaw.PowerLaw, 2.0, logMultiplier, null);
        if (atTwo < 0.0)
        {
            lower = 2.0;
            upper = 4.0;
            while (Lambda(upper) < 0.0)
            {
                lower = upper;
                upper *= 2.0;
                if (double.IsInfinity(upper))
                    return new TailIndexResult(TailLaw.PowerLaw, double.PositiveInfinity, logMultiplier, null);
            }
        }
        else
        {
            upper = 2.0;
            lower = 1.0;
            while (Lambda(lower) >= 0.0)
            {
                upper = lower;
                lower *= 0.5;
                if (lower == 0.0) return new TailIndexResult(TailLaw.PowerLaw, 0.0, logMultiplier, null);
            }
        }

        // Λ is convex and changes sign once on (lower, upper); a false return only means that the last step could
        // not shrink the bracket further in double precision, and the root is then as accurate as it can be.
        Brent.TryFindRoot(Lambda, lower, upper, 1e-14, 500, out double root);
        return new TailIndexResult(TailLaw.PowerLaw, root, logMultiplier, null);
    }

    /// <summary><c>E log|1 − ηh|</c>, <c>h ~ N(λ, a²)</c> (<see cref="ExpectedLogAbsolute"/>).</summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Mean curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double ExpectedLogMultiplier(double eta, double lambda, double a2) =>
        ExpectedLogAbsolute(1.0 - eta * lambda, eta * Math.Sqrt(a2));

    /// <summary>
    /// <c>E|Z|^p</c> for <c>Z ~ N(μ, σ²)</c>: <c>σ^p 2^{p/2} Γ((p + 1)/2) / √π · ₁F₁(−p/2; 1/2; −μ²/(2σ²))</c>
    /// (Winkelbauer, arXiv:1209.4340, 2012); see <see cref="LogAbsoluteMoment"/>.
    /// </summary>
    /// <param name="mean">Mean μ.</param>
    /// <param name="std">Standard deviation σ ≥ 0.</param>
    /// <param name="p">Order p ≥ 0.</param>
    public static double AbsoluteMoment(double mean, double std, double p) => Math.Exp(LogAbsoluteMoment(mean, std, p));

    /// <summary>
    /// <c>log E|Z|^p</c>, <c>Z ~ N(μ, σ²)</c>. Kummer's transformation <c>₁F₁(−p/2; ½; −z) = e^{−z} ₁F₁((p + 1)/2; ½; z)</c>,
    /// <c>z = μ²/(2σ²)</c>, turns the closed form into the positive Poisson mixture
    /// <c>E|Z|^p = σ^p 2^{p/2} Σ_n e^{−z} z^n/n! · Γ(n + (p + 1)/2) / Γ(n + ½)</c>
    /// (Z²/σ² is noncentral χ²₁, a Poisson(z) mixture of χ²_{1+2n}), summed outward from its largest term in
    /// log-scaled form. For <c>z &gt; 10⁶</c> the integral is evaluated instead (<see cref="LogAbsoluteMomentByQuadrature"/>).
    /// σ = 0 gives <c>p log|μ|</c>.
    /// </summary>
    /// <param name="mean">Mean μ.</param>
    /// <param name="std">Standard deviation σ ≥ 0.</param>
    /// <param name="p">Order p ≥ 0.</param>
    public static double LogAbsoluteMoment(double mean, double std, double p)
    {
        CheckMoment(mean, std, p);
        if (p == 0.0) return 0.0;
        if (std == 0.0) return p * Math.Log(Math.Abs(mean));
        double z = mean * mean / (2.0 * std * std);
        if (z > SeriesLimit) return LogAbsoluteMomentByQuadrature(mean, std, p);

        double c = 0.5 * (p + 1.0);
        double prefactor = p * Math.Log(std) + 0.5 * p * Constants.Ln2;
        if (z == 0.0) return prefactor + SpecialFunctions.GammaLn(c) - SpecialFunctions.GammaLn(0.5);

        // T_{n+1}/T_n = z (n + c) / ((n + 1)(n + ½)) decreases in n; the largest term sits at the root of
        // (n + 1)(n + ½) = z (n + c).
        double b = z - 1.5;
        double peak = 0.5 * (b + Math.Sqrt(b * b + 4.0 * (z * c - 0.5)));
        long top = Math.Max(0L, (long)Math.Ceiling(peak));
        double logTop = top * Math.Log(z) - z - SpecialFunctions.GammaLn(top + 1.0)
            + SpecialFunctions.GammaLn(top + c) - SpecialFunctions.GammaLn(top + 0.5);

        double sum = 1.0, term = 1.0;
        for (long n = top; ; n++)
        {
            term *= z * (n + c) / ((n + 1.0) * (n + 0.5));
            sum += term;
            if (term < TermTolerance * sum) break;
        }

        term = 1.0;
        for (long n = top; n > 0; n--)
        {
            term *= n * (n - 0.5) / (z * (n - 1.0 + c));
            sum += term;
            if (term < TermTolerance * sum) break;
        }

        return prefactor + logTop + Math.Log(sum);
    }

    /// <summary>
    /// <c>log E|Z|^p = log ∫ |μ + σu|^p φ(u) du</c> by adaptive Gauss–Kronrod quadrature (MathNet). The exponent
    /// <c>g(u) = p log|μ + σu| − u²/2</c> is concave on each side of the zero <c>u₀ = −μ/σ</c>, with maxima at
    /// <c>u± = (−μ ± √(μ² + 4pσ²)) / (2σ)</c> and <c>g ≤ g(u±) − (u − u±)²/2</c>. Each side is integrated over
    /// <c>|w| = |u − u±| ≤ R</c> (cut at u₀), <c>R² = 80 + 2 max(0, log(1/width))</c> with width <c>(1 − g''(u±))^{−1/2}</c>, on
    /// cells that grow geometrically from the maximum, with the exponent
    /// written relative to its maximum so that it keeps its digits for any p:
    /// <c>g(u± + w) − g(u±) = p (log|1 + x| − x) + (pσ/s − u±) w − w²/2</c>, <c>s = μ + σu±</c>, <c>x = σw/s</c>
    /// (the middle coefficient vanishes at the exact maximum).
    /// </summary>
    /// <param name="mean">Mean μ.</param>
    /// <param name="std">Standard deviation σ &gt; 0.</param>
    /// <param name="p">Order p ≥ 0.</param>
    public static double LogAbsoluteMomentByQuadrature(double mean, double std, double p)
    {
        CheckMoment(mean, std, p);
        if (!(std > 0.0)) throw new ArgumentOutOfRangeException(nameof(std), std, "Quadrature needs σ > 0.");
        if (p == 0.0) return 0.0;

        double zero = -mean / std;
        double root = Math.Sqrt(mean * mean + 4.0 * p * std * std);
        // u+ = (−μ + √·)/(2σ) written without cancellation through u+ u− = −p
        double right = mean >= 0.0 ? 2.0 * p * std / (mean + root) : (root - mean) / (2.0 * std);
        double left = mean >= 0.0 ? -(mean + root) / (2.0 * std) : -2.0 * p * std / (root - mean);

        // g(u) = p log s + p log|1 + σu/μ| − u²/2 with s = |μ|, or s = σ and p log|u| − u²/2 when μ = 0
        double scale = mean != 0.0 ? Math.Abs(mean) : std;
        double G(double u) =>
            (mean != 0.0 ? p * LogAbsOnePlus(std * u / mean) : p * Math.Log(Math.Abs(u))) - 0.5 * u * u;
        double peakRight = G(right), peakLeft = G(left);
        double top = Math.Max(peakRight, peakLeft);

        double sum = 0.0;
        foreach (var (peak, value, isRight) in new[] { (right, peakRight, true), (left, peakLeft, false) })
        {
            if (value < top - 750.0) continue;
            double s = mean + std * peak;
            double slope = p * std / s - peak;
            double width = 1.0 / Math.Sqrt(p * std * std / (s * s) + 1.0);

            // beyond |w| = R the bound e^{−w²/2} leaves less than e^{−40} times the mass near the maximum (≳ width)
            double reach = Math.Sqrt(80.0 + 2.0 * Math.Max(0.0, -Math.Log(width)));
            double lower = isRight ? Math.Max(zero - right, -reach) : -reach;
            double upper = isRight ? reach : Math.Min(zero - left, reach);
            double Relative(double w) => p * LogAbsOnePlusMinusX(std * w / s) + slope * w - 0.5 * w * w;
            var points = new List<double> { lower, upper, 0.0 };
            for (double step = width; step < reach; step *= 2.0)
            {
                points.Add(-step);
                points.Add(step);
            }

            sum += Math.Exp(value - top) * PiecewiseQuadrature.Integrate(
                w => Math.Exp(Relative(w)), points.Where(w => w >= lower && w <= upper));
        }

        return p * Math.Log(scale) + top + Math.Log(sum) - 0.5 * Math.Log(2.0 * Math.PI);
    }

    /// <summary><c>E|Z|^p</c> by quadrature: <c>exp</c> of <see cref="LogAbsoluteMomentByQuadrature"/>.</summary>
    /// <param name="mean">Mean μ.</param>
    /// <param name="std">Standard deviation σ &gt; 0.</param>
    /// <param name="p">Order p ≥ 0.</param>
    public static double AbsoluteMomentByQuadrature(double mean, double std, double p) =>
        Math.Exp(LogAbsoluteMomentByQuadrature(mean, std, p));

    /// <summary>
    /// <c>E log|Z|</c> for <c>Z ~ N(μ, σ²)</c>, the derivative at p = 0 of <see cref="LogAbsoluteMoment"/>:
    /// <c>log σ + ½ log 2 + ½ Σ_n e^{−z} z^n/n! · ψ(n + ½)</c>, <c>z = μ²/(2σ²)</c>, ψ the digamma function (so
    /// <c>−(γ + log 2)/2 + log σ</c> at μ = 0). For <c>z &gt; 10⁶</c> the expansion
    /// <c>log|μ| − Σ_{k=1}^{4} (2k − 1)!! ε^{2k} / (2k)</c>, <c>ε = σ/|μ|</c>, is used (its error, O(ε¹⁰ + e^{−z}),
    /// is below double rounding there). σ = 0 gives <c>log|μ|</c>.
    /// </summary>
    /// <param name="mean">Mean μ.</param>
    /// <param name="std">Standard deviation σ ≥ 0.</param>
    public static double ExpectedLogAbsolute(double mean, double std)
    {
        CheckMoment(mean, std, 0.0);
        if (std == 0.0) return Math.Log(Math.Abs(mean));
        double z = mean * mean / (2.0 * std * std);
        if (z > SeriesLimit)
        {
            double e2 = std * std / (mean * mean);
            return Math.Log(Math.Abs(mean)) - e2 * (0.5 + e2 * (0.75 + e2 * (2.5 + e2 * 105.0 / 8.0)));
        }

        // Poisson(z) weights relative to the mode, self-normalised.
        long mode = (long)Math.Floor(z);
        double weights = 1.0, weighted = SpecialFunctions.DiGamma(mode + 0.5), weight = 1.0;
        for (long n = mode; ; n++)
        {
            weight *= z / (n + 1.0);
            weights += weight;
            weighted += weight * SpecialFunctions.DiGamma(n + 1.5);
            if (weight < TermTolerance * weights) break;
        }

        weight = 1.0;
        for (long n = mode; n > 0; n--)
        {
            weight *= n / z;
            weights += weight;
            weighted += weight * SpecialFunctions.DiGamma(n - 0.5);
            if (weight < TermTolerance * weights) break;
        }

        return Math.Log(std) + 0.5 * Constants.Ln2 + 0.5 * weighted / weights;
    }

    /// <summary>
    /// <c>E log|Z| = ∫ log|μ + σu| φ(u) du</c> by adaptive Gauss–Kronrod quadrature (MathNet) on unit cells of
    /// [−40, 40], split at the logarithmic singularity <c>u₀ = −μ/σ</c> so that it sits on a cell end.
    /// </summary>
    /// <param name="mean">Mean μ.</param>
    /// <param name="std">Standard deviation σ &gt; 0.</param>
    public static double ExpectedLogAbsoluteByQuadrature(double mean, double std)
    {
        CheckMoment(mean, std, 0.0);
        if (!(std > 0.0)) throw new ArgumentOutOfRangeException(nameof(std), std, "Quadrature needs σ > 0.");
        double zero = -mean / std;
        double Integrand(double u)
        {
            double x = Math.Abs(mean + std * u);
            return x > 0.0 ? Math.Log(x) * Math.Exp(-0.5 * u * u) : 0.0;
        }

        return PiecewiseQuadrature.Integrate(Integrand, PiecewiseQuadrature.Cells(-40.0, 40.0, 80, zero))
            / Math.Sqrt(2.0 * Math.PI);
    }

    /// <summary>
    /// <c>log|1 + x|</c>, for x &gt; −1 to a few ulps (W. Kahan's <c>log(u) · x / (u − 1)</c>, u = 1 + x);
    /// −∞ at x = −1.
    /// </summary>
    private static double LogAbsOnePlus(double x)
    {
        if (x <= -1.0) return Math.Log(-1.0 - x);
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary><c>log|1 + x| − x</c>: the series <c>Σ_{k≥2} (−1)^{k+1} x^k / k</c> for |x| &lt; 1/4, else directly.</summary>
    private static double LogAbsOnePlusMinusX(double x)
    {
        if (Math.Abs(x) >= 0.25) return LogAbsOnePlus(x) - x;
        double power = x * x, sum = 0.0;
        for (int k = 2; k < 60; k++)
        {
            double term = (k % 2 == 0 ? -power : power) / k;
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
            power *= x;
        }

        return sum;
    }

    private static void CheckMoment(double mean, double std, double p)
    {
        if (!double.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(mean), mean, "μ must be finite.");
        if (!(std >= 0.0) || !double.IsFinite(std))
            throw new ArgumentOutOfRangeException(nameof(std), std, "σ must be nonnegative and finite.");
        if (!(p >= 0.0) || !double.IsFinite(p))
            throw new ArgumentOutOfRangeException(nameof(p), p, "The order must be nonnegative and finite.");
    }

    private static string Format(string format, params object[] arguments) =>
        string.Format(CultureInfo.InvariantCulture, format, arguments);
}
