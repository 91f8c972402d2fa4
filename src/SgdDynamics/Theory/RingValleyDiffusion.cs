using MathNet.Numerics;

namespace SgdDynamics.Theory;

/// <summary>
/// Angular diffusion of SGD along the ring valley <c>L = λ(|x|² − 1)²/4</c> in 2-D with isotropic gradient noise σ
/// (derivation in docs/theory-notes.md).
/// <para>
/// One step is <c>x' = ρ(r) e(θ) − ησξ</c>, ξ ~ N(0, I₂), with the contracted radius <c>ρ(r) = r(1 − ηλ(r² − 1))</c>.
/// In polar coordinates of the new point, with s = ησ, the pair (r', Δ = θ' − θ) has density
/// <c>(r'/(2πs²)) exp(−(r'² + ρ² − 2r'ρ cos Δ)/(2s²))</c>: the new radius has the Rice law
/// <c>p(r'|r) = (r'/s²) exp(−(r'² + ρ²)/(2s²)) I₀(r'|ρ|/s²)</c> (the radius is an autonomous Markov chain) and, given
/// r', Δ is von Mises with concentration κ = r'|ρ|/s² about 0 (about π when ρ &lt; 0), so
/// <c>E[cos Δ | r, r'] = sign(ρ) I₁(κ)/I₀(κ)</c>. The reflection ξ₂ ↦ −ξ₂ flips Δ and keeps r', so given the radial path
/// the signs of the increments are independent and fair, and exactly
/// <c>E[cos(θ_K − θ₀)] = E[Π_k sign(ρ_k) I₁(κ_k)/I₀(κ_k)]</c>: a Feynman–Kac product over the radial chain. It decays as
/// <c>Λ^K</c>, Λ the top eigenvalue of the radial kernel tilted by the mean resultant,
/// <c>T(r, r') = p(r'|r) sign(ρ) I₁(κ)/I₀(κ)</c>, so that per unit time t = kη
/// <c>E[cos θ(t)] ∝ e^{−D_θ t}</c> with <c>D_θ = −ln Λ / η</c> (unwrapped angle variance 2D_θ t).
/// </para>
/// <para>
/// Leading order: the offset-normal mean <c>C(a) = E[cos Δ | r] = √(π/2)(a/2)e^{−a²/4}[I₀(a²/4) + I₁(a²/4)]
/// = 1 − 1/(2a²) + O(a⁻⁴)</c>, a = ρ/s, averaged over the stationary radial law π, gives the first-order value
/// <c>D_θ ≈ −ln E_π[C(ρ/(ησ))]/η ≈ (ησ²/2) E_π[1/ρ²]</c>, i.e. ησ²/(2R²) on a ring of radius R. It neglects the
/// correlation between the angular step and the radial step (cos Δ depends on r'): at λ = σ = 1, η = 0.1 the first-order
/// value is 3% above the exact one, and ησ²/2 is 14% below it.
/// </para>
/// </summary>
public static class RingValleyDiffusion
{
    /// <summary>
    /// <c>E[cos φ]</c> of the angle φ of a 2-D normal <c>N((a, 0), I₂)</c>:
    /// <c>√(π/2)(a/2) e^{−a²/4}[I₀(a²/4) + I₁(a²/4)]</c> with exponentially scaled Bessel functions (no overflow);
    /// odd in a (a &lt; 0 points the offset the other way).
    /// </summary>
    public static double OffsetNormalMeanCosine(double a)
    {
        if (a == 0)
        {
            return 0;
        }

        double z = a * a / 4;
        return Math.Sqrt(Math.PI / 2) * (a / 2) * (SpecialFunctions.BesselIScaled(0, z) + SpecialFunctions.BesselIScaled(1, z));
    }

    /// <summary>Contracted radius of one noiseless step, <c>ρ(r) = r(1 − ηλ(r² − 1))</c>.</summary>
    public static double ContractedRadius(double r, double curvature, double learningRate) =>
        r * (1 - learningRate * curvature * (r * r - 1));

    /// <summary>
    /// First-order value <c>D_θ ≈ −ln E_π[C(ρ(r)/(ησ))] / η</c> for a radial law π given as weights on radii (normalised
    /// here); see the class remarks for what it neglects.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays differ in length, a weight is negative, or the total weight is 0.</exception>
    public static double AngularDiffusionFirstOrder(ReadOnlySpan<double> radii, ReadOnlySpan<double> weights, double curvature, double noiseStd, double learningRate)
    {
        if (radii.Length != weights.Length)
        {
            throw new ArgumentException("radii and weights differ in length");
        }

        double total = 0, sum = 0;
        for (int i = 0; i < radii.Length; i++)
        {
            if (weights[i] < 0)
            {
                throw new ArgumentException($"weight {i} is negative");
            }

            if (weights[i] == 0)
            {
                continue;
            }

            double rho = ContractedRadius(radii[i], curvature, learningRate);
            sum += weights[i] * OffsetNormalMeanCosine(rho / (learningRate * noiseStd));
            total += weights[i];
        }

        if (total <= 0)
        {
            throw new ArgumentException("the radial law has no mass");
        }

        return -Math.Log(sum / total) / learningRate;
    }

    /// <summary>
    /// The exact stationary radial law π of SGD on the 2-D ring valley: the stationary vector of the Rice kernel
    /// <c>p(r'|r)</c> (exponentially scaled I₀) sampled at the centres of <paramref name="cells"/> cells of
    /// (0, <paramref name="maxRadius"/>] and normalised per source cell (the largest per-step mass the chain would send
    /// beyond maxRadius is returned as <c>Escape</c>; choose maxRadius so that it is negligible), by power iteration to
    /// an L1 change below <paramref name="tolerance"/>.
    /// </summary>
    /// <returns>Cell-centre radii, stationary weights (sum 1) and the largest per-step escape fraction.</returns>
    /// <exception cref="InvalidOperationException">The iteration did not converge in 10⁶ steps.</exception>
    public static (double[] Radii, double[] Weights, double Escape) StationaryRadialLaw(
        double curvature, double noiseStd, double learningRate, double maxRadius, int cells, double tolerance = 1e-13)
    {
        var chain = new RadialChain(curvature, noiseStd, learningRate, maxRadius, cells);
        (double[] weights, _) = chain.TopEigenvector(chain.Kernel, tolerance);
        return (chain.Radii, weights, chain.Escape);
    }

    /// <summary>
    /// The exact angular diffusion coefficient <c>D_θ = −ln Λ / η</c>, Λ the top eigenvalue of the radial Rice kernel
    /// tilted by the von Mises mean resultant <c>sign(ρ) I₁(κ)/I₀(κ)</c>, κ = r'|ρ(r)|/(ησ)², on the radial grid of
    /// <see cref="StationaryRadialLaw"/> (power iteration until the normalised eigenvector changes by less than
    /// <paramref name="tolerance"/> in L1).
    /// </summary>
    /// <exception cref="InvalidOperationException">The iteration did not converge in 10⁶ steps.</exception>
    public static double AngularDiffusionExact(
        double curvature, double noiseStd, double learningRate, double maxRadius, int cells, double tolerance = 1e-13)
    {
        var chain = new RadialChain(curvature, noiseStd, learningRate, maxRadius, cells);
        (_, double lambda) = chain.TopEigenvector(chain.Tilted, tolerance);
        return -Math.Log(lambda) / learningRate;
    }

    /// <summary>The radial chain on a grid: Rice kernel and its tilt by the angular mean resultant, rows normalised by the Rice row sums.</summary>
    private sealed class RadialChain
    {
        public RadialChain(double curvature, double noiseStd, double learningRate, double maxRadius, int cells)
        {
            double s2 = learningRate * noiseStd * learningRate * noiseStd, h = maxRadius / cells;
            Radii = new double[cells];
            for (int j = 0; j < cells; j++)
            {
                Radii[j] = (j + 0.5) * h;
            }

            Kernel = new double[cells, cells];
            Tilted = new double[cells, cells];
            for (int i = 0; i < cells; i++)
            {
                double signed = ContractedRadius(Radii[i], curvature, learningRate), rho = Math.Abs(signed);
                double row = 0;
                for (int j = 0; j < cells; j++)
                {
                    double r = Radii[j], kappa = r * rho / s2;
                    double i0 = SpecialFunctions.BesselIScaled(0, kappa);
                    double p = r / s2 * Math.Exp(-(r - rho) * (r - rho) / (2 * s2)) * i0 * h;
                    Kernel[i, j] = p;
                    Tilted[i, j] = kappa == 0 ? 0 : p * Math.Sign(signed) * SpecialFunctions.BesselIScaled(1, kappa) / i0;
                    row += p;
                }

                Escape = Math.Max(Escape, Math.Max(0, 1 - row));
                for (int j = 0; j < cells; j++)
                {
                    Kernel[i, j] /= row;
                    Tilted[i, j] /= row;
                }
            }
        }

        public double[] Radii { get; }

        public double[,] Kernel { get; }

        public double[,] Tilted { get; }

        public double Escape { get; }

        /// <summary>Left power iteration w ← w M / |w M|₁ from a point mass at the middle cell; returns w and the growth factor.</summary>
        public (double[] Vector, double Eigenvalue) TopEigenvector(double[,] matrix, double tolerance)
        {
            int n = Radii.Length;
            var w = new double[n];
            var next = new double[n];
            w[n / 2] = 1;
            for (int step = 0; step < 1_000_000; step++)
            {
                Array.Clear(next);
                for (int i = 0; i < n; i++)
                {
                    double m = w[i];
                    if (m == 0)
                    {
                        continue;
                    }

                    for (int j = 0; j < n; j++)
                    {
                        next[j] += m * matrix[i, j];
                    }
                }

                double sum = next.Sum(), change = 0;
                for (int j = 0; j < n; j++)
                {
                    next[j] /= sum;
                    change += Math.Abs(next[j] - w[j]);
                }

                (w, next) = (next, w);
                if (change < tolerance)
                {
                    return (w, sum);
                }

            }

            throw new InvalidOperationException("the radial chain's power iteration did not converge in 10⁶ steps");
        }
    }

    /// <summary>Leading order on a ring of radius R: <c>D_θ = ησ²/(2R²)</c>.</summary>
    public static double LeadingOrder(double noiseStd, double learningRate, double radius = 1) =>
        learningRate * noiseStd * noiseStd / (2 * radius * radius);
}
