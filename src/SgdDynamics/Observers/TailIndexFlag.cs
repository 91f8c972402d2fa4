using System.Globalization;
using MathNet.Numerics;

namespace SgdDynamics.Observers;

/// <summary>
/// A Hill estimate that does not measure a tail index: the sample's tail is light (Gaussian-like), and the number
/// <see cref="HillEstimate.Alpha"/> is an artefact of the sample size.
/// </summary>
/// <param name="Flag">Always <c>lightTail</c>.</param>
/// <param name="GaussianAlpha">What the same estimator (same n and k) gives on average for a Gaussian sample, <see cref="TailIndexFlags.GaussianAlpha"/>.</param>
/// <param name="Note">The rule that fired, with its numbers.</param>
public sealed record TailIndexFlag(string Flag, double GaussianAlpha, string Note);

/// <summary>
/// Flags Hill estimates that are beyond the range where they mean anything. For a Gaussian (or any lighter-than-power-law)
/// tail the Hill estimator has no finite limit: with k = ⌊√n⌋ its threshold u is the (1 − k/n) quantile of |x|, and
/// α̂ ≈ 1 / E[log(|X|/u) | |X| &gt; u] ≈ u² + 2 grows with n like 2 ln(n/k) = ln n — about 4.7, 7.5, 9.0, 11.2 and 13.4
/// for n = 10², 2·10³, 10⁴, 10⁵ and 10⁶ (<see cref="GaussianAlpha"/>). Two rules, either of which flags:
/// <list type="bullet">
/// <item><c>α̂ &gt; <see cref="MeaningfulLimit"/> = 10</c>: a tail index above 10 means that moments beyond the tenth
/// exist; no statement of the engine depends on them, and at the sample sizes of a run (n ≤ 10⁶, where a Gaussian sample gives
/// at most ≈ 13) such a value is as likely a light tail's size artefact as a power law.</item>
/// <item><c>α̂ ≥ α_G(n, k) − 2 SE</c> with <c>SE = α̂/√k</c>: the estimate is not significantly heavier than what a
/// Gaussian sample of the same size gives, so the sample shows no power-law tail at all.</item>
/// </list>
/// </summary>
public static class TailIndexFlags
{
    /// <summary>Estimates above this tail index are flagged.</summary>
    public const double MeaningfulLimit = 10.0;

    /// <summary>Standard errors below the Gaussian reference within which an estimate still counts as Gaussian-like.</summary>
    public const double GaussianMargin = 2.0;

    /// <summary>The flag of <paramref name="estimate"/>, or null when it is a usable tail index.</summary>
    public static TailIndexFlag? Check(HillEstimate estimate)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        double gaussian = GaussianAlpha(estimate.N, estimate.K);
        double alpha = estimate.Alpha;
        if (alpha > MeaningfulLimit)
        {
            return new TailIndexFlag("lightTail", gaussian, string.Create(CultureInfo.InvariantCulture,
                $"α̂ = {alpha:G4} > {MeaningfulLimit:G}: a light (Gaussian-like) tail, not a power law; with k = √n the Hill estimate of such a tail grows with n (a Gaussian sample of n = {estimate.N} gives ≈ {gaussian:G3}) and is no tail index"));
        }

        if (alpha >= gaussian - GaussianMargin * estimate.StandardError)
        {
            return new TailIndexFlag("lightTail", gaussian, string.Create(CultureInfo.InvariantCulture,
                $"α̂ = {alpha:G4} ± {estimate.StandardError:G2} is not significantly below {gaussian:G3}, what a Gaussian sample of n = {estimate.N} gives with k = {estimate.K}: no power-law tail is seen, the value is no tail index"));
        }

        return null;
    }

    /// <summary>
    /// The Hill estimate of a Gaussian sample's |x| in the limit of many samples at a fixed fraction k/n:
    /// <c>α_G = P(|X| &gt; u) / ∫_u^∞ P(|X| &gt; x)/x dx</c> with <c>P(|X| &gt; x) = erfc(x/√2)</c> and u its (1 − k/n)
    /// quantile, <c>u = √2 erfc⁻¹(k/n)</c> (the integral is E[log(|X|/u); |X| &gt; u] by parts).
    /// </summary>
    /// <param name="n">Sample size.</param>
    /// <param name="k">Upper order statistics used, 1 ≤ k &lt; n.</param>
    public static double GaussianAlpha(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, n);
        double p = (double)k / n;
        double u = Constants.Sqrt2 * SpecialFunctions.ErfcInv(p);
        // erfc(x/√2) < 1e-300 beyond x = u + 40 for any u ≥ 0: the rest of the integral is negligible.
        double integral = Integrate.OnClosedInterval(x => SpecialFunctions.Erfc(x / Constants.Sqrt2) / x, u, u + 40.0, 1e-10);
        return p / integral;
    }
}
