using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>Where a point lies with respect to the second-moment stability of discrete SGD and its Langevin limit.</summary>
public enum StabilityRegion
{
    /// <summary>Both second moments converge: <c>η a² &lt; λ(2 − ηλ)</c> in 1-D (ρ &lt; 1 and abscissa &lt; 0 in general).</summary>
    BothStable,

    /// <summary>
    /// The discrete second moment diverges while the Langevin one converges: <c>λ(2 − ηλ) ≤ η a² &lt; 2λ</c> in 1-D
    /// (or <c>ηλ ≥ 2</c> with λ &gt; 0): the SME predicts a stationary law that SGD does not have.
    /// </summary>
    DiscreteUnstableLangevinStable,

    /// <summary>
    /// The discrete second moment converges while the Langevin one diverges. It never happens for SGD: a Lyapunov
    /// certificate <c>X ≻ 0</c> with <c>η 𝓛(X) + η² H X H ≺ 0</c> of the discrete map also gives <c>𝓛(X) ≺ 0</c>
    /// for the Langevin generator 𝓛 (T. Damm, Rational Matrix Equations in Stochastic Control, 2004);
    /// it is listed so that the classification of a heavy-ball problem is total.
    /// </summary>
    DiscreteStableLangevinUnstable,

    /// <summary>Both second moments diverge: <c>η a² ≥ 2λ</c> or λ ≤ 0 in 1-D.</summary>
    BothUnstable,
}

/// <summary>
/// Spectral quantities deciding second-moment stability and the resulting classification.
/// </summary>
/// <param name="SpectralRadius">
/// Spectral radius ρ of the discrete second-moment map <c>S ↦ A S Aᵀ + η² diag(a² ⊙ diag S)</c>, <c>A = I − ηH</c>
/// (<see cref="StationaryMoments.SpectralRadius"/>); the discrete second moment converges iff ρ &lt; 1.
/// </param>
/// <param name="SpectralAbscissa">
/// Spectral abscissa of the Langevin generator <c>S ↦ −(H S + S H) + η diag(a² ⊙ diag S)</c>
/// (<see cref="StationaryMoments.SpectralAbscissa"/>); the Langevin second moment converges iff it is &lt; 0.
/// </param>
/// <param name="Region">The classification of the two.</param>
public sealed record StabilityAnalysis(double SpectralRadius, double SpectralAbscissa, StabilityRegion Region);

/// <summary>
/// Mean-square stability of SGD with curvature noise and of its Langevin (first-order SME) limit. In 1-D,
/// <c>x' = (1 − η(λ + a ζ)) x − η s ξ</c> gives <c>E[x'²] = ((1 − ηλ)² + η² a²) E[x²] + η² s²</c>, so the discrete
/// second moment converges iff <c>(1 − ηλ)² + η² a² &lt; 1 ⇔ η a² &lt; λ (2 − ηλ)</c> (with λ &gt; 0), and the Langevin
/// SDE <c>dX = −λ X dt + √η (s² + a² X²)^{1/2} dW</c> gives <c>d E[X²]/dt = (−2λ + η a²) E[X²] + η s²</c>, stable iff
/// <c>η a² &lt; 2λ</c>. In general the two criteria are the spectral radius of the discrete second-moment map and the
/// spectral abscissa of the Langevin generator, taken from <see cref="QuadraticMomentTheory.Stationary"/>.
/// </summary>
public static class SecondMomentStability
{
    /// <summary>1-D discrete criterion: stable iff <c>λ &gt; 0</c> and <c>η a² &lt; λ (2 − ηλ)</c>.</summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static bool DiscreteStable1D(double eta, double lambda, double a2) =>
        lambda > 0.0 && eta * a2 < lambda * (2.0 - eta * lambda);

    /// <summary>1-D Langevin criterion: stable iff <c>λ &gt; 0</c> and <c>η a² &lt; 2λ</c>.</summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static bool LangevinStable1D(double eta, double lambda, double a2) =>
        lambda > 0.0 && eta * a2 < 2.0 * lambda;

    /// <summary>1-D discrete second-moment multiplier <c>ρ = (1 − ηλ)² + η² a²</c> (the map's only eigenvalue).</summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double DiscreteSpectralRadius1D(double eta, double lambda, double a2)
    {
        double contraction = 1.0 - eta * lambda;
        return contraction * contraction + eta * eta * a2;
    }

    /// <summary>1-D Langevin second-moment rate <c>−2λ + η a²</c> (the generator's only eigenvalue).</summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double LangevinSpectralAbscissa1D(double eta, double lambda, double a2) =>
        -2.0 * lambda + eta * a2;

    /// <summary>Classifies a 1-D point (η, λ, a²) by <see cref="DiscreteStable1D"/> and <see cref="LangevinStable1D"/>.</summary>
    /// <param name="eta">Learning rate η.</param>
    /// <param name="lambda">Curvature λ.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static StabilityRegion Classify1D(double eta, double lambda, double a2) =>
        Classify(DiscreteStable1D(eta, lambda, a2), LangevinStable1D(eta, lambda, a2));

    /// <summary>
    /// Discrete boundary in the (η, a²) plane: <c>a²_d(η) = λ (2 − ηλ) / η</c>, the largest stable curvature-noise
    /// variance at learning rate η (negative for <c>η ≥ 2/λ</c>: no a² is stable there).
    /// </summary>
    /// <param name="eta">Learning rate η &gt; 0.</param>
    /// <param name="lambda">Curvature λ.</param>
    public static double DiscreteBoundary(double eta, double lambda) => lambda * (2.0 - eta * lambda) / eta;

    /// <summary>Langevin boundary in the (η, a²) plane: <c>a²_L(η) = 2λ / η</c>.</summary>
    /// <param name="eta">Learning rate η &gt; 0.</param>
    /// <param name="lambda">Curvature λ.</param>
    public static double LangevinBoundary(double eta, double lambda) => 2.0 * lambda / eta;

    /// <summary>
    /// The discrete boundary solved for η: <c>η_d = 2λ / (λ² + a²)</c> (from <c>η (λ² + a²) = 2λ</c>); the discrete
    /// second moment converges iff <c>0 &lt; η &lt; η_d</c>.
    /// </summary>
    /// <param name="lambda">Curvature λ &gt; 0.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double DiscreteCriticalLearningRate(double lambda, double a2) => 2.0 * lambda / (lambda * lambda + a2);

    /// <summary>The Langevin boundary solved for η: <c>η_L = 2λ / a²</c> (+∞ for a = 0).</summary>
    /// <param name="lambda">Curvature λ &gt; 0.</param>
    /// <param name="a2">Curvature-noise variance a².</param>
    public static double LangevinCriticalLearningRate(double lambda, double a2) =>
        a2 > 0.0 ? 2.0 * lambda / a2 : double.PositiveInfinity;

    /// <summary>
    /// General problem (any dimension, SGD or heavy ball): the spectral radius of the discrete second-moment map and
    /// the spectral abscissa of the Langevin generator from <see cref="QuadraticMomentTheory.Stationary"/>, classified
    /// by <c>ρ &lt; 1</c> and <c>abscissa &lt; 0</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The Hessian is not symmetric.</exception>
    public static StabilityAnalysis Analyse(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        return Analyse(stationary);
    }

    /// <summary>Classification from already computed stationary moments (<c>ρ &lt; 1</c>, <c>abscissa &lt; 0</c>).</summary>
    public static StabilityAnalysis Analyse(StationaryMoments stationary)
    {
        ArgumentNullException.ThrowIfNull(stationary);
        bool discrete = stationary.SpectralRadius < 1.0;
        bool langevin = stationary.SpectralAbscissa < 0.0;
        return new StabilityAnalysis(stationary.SpectralRadius, stationary.SpectralAbscissa, Classify(discrete, langevin));
    }

    private static StabilityRegion Classify(bool discrete, bool langevin) => (discrete, langevin) switch
    {
        (true, true) => StabilityRegion.BothStable,
        (false, true) => StabilityRegion.DiscreteUnstableLangevinStable,
        (true, false) => StabilityRegion.DiscreteStableLangevinUnstable,
        _ => StabilityRegion.BothUnstable,
    };
}
