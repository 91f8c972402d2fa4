namespace SgdDynamics.Grids;

/// <summary>
/// Which Fokker–Planck equation a <see cref="FokkerPlanckSolver"/> integrates, in time <c>t = kη</c> (one SGD step
/// advances t by η). Both have drift ḡ(x) and the Itô form <c>∂_t p = ∇·(ḡ p) + ∂_i∂_j(D_ij p)</c>.
/// </summary>
public enum FokkerPlanckVariant
{
    /// <summary>
    /// Langevin / first-order SME (Li, Tai &amp; E, ICML 2017): <c>D = (η/2) Σ(x)</c>. Valid for small η: it misses the
    /// O(η) discreteness corrections of SGD (e.g. the 1-D quadratic variance ησ²/(2λ) instead of ησ²/(λ(2 − ηλ))).
    /// </summary>
    Langevin,

    /// <summary>
    /// The Kramers–Moyal expansion of the SGD master equation to order η² per step,
    /// <c>p_{k+1} − p_k = η∇·(ḡp) + (η²/2) ∂_i∂_j[(Σ + ḡḡᵀ)_ij p]</c>, i.e. per unit time
    /// <c>D = (η/2)(Σ(x) + ḡ(x)ḡ(x)ᵀ)</c> (Σ(x) includes the curvature noise). D is positive semidefinite, so the
    /// equation is well posed and its finite-volume form keeps positivity; but the truncation drops the O(η³)
    /// per-step Kramers–Moyal terms (third and higher jump moments), so it is exact only for moments that close at
    /// second order (first and second moments of a linear gradient with Gaussian noise) and it cannot see the
    /// second-moment instability of SGD (ηλ ≥ 2 for a quadratic), where its stationary variance ησ²/(λ(2 − ηλ))
    /// stops existing; its stationary law also has power-law tails |x|^(−2/(ηλ) − 2) for a quadratic, absent in SGD
    /// with Gaussian noise.
    /// </summary>
    Discrete,
}

/// <summary>Names of <see cref="FokkerPlanckVariant"/> values as scenario files and outputs write them.</summary>
public static class FokkerPlanckVariantNames
{
    /// <summary><c>langevin</c> or <c>discrete</c>; throws on a value that is not a variant.</summary>
    public static string Name(this FokkerPlanckVariant variant) => variant switch
    {
        FokkerPlanckVariant.Langevin => "langevin",
        FokkerPlanckVariant.Discrete => "discrete",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "unknown Fokker–Planck variant"),
    };
}
