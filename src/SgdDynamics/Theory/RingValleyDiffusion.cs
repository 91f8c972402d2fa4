using MathNet.Numerics;

namespace SgdDynamics.Theory;

/// <summary>
/// Angular diffusion of SGD along the ring valley <c>L = λ(|x|² − 1)²/4</c> in 2-D with isotropic gradient noise σ.
/// <para>
/// Derivation. One step is <c>x' = ρ(r) e(θ) − ησξ</c>, ξ ~ N(0, I₂), with the contracted radius
/// <c>ρ(r) = r(1 − ηλ(r² − 1))</c> (the map is radial because ∇L is). In the frame of e(θ) the new point is
/// <c>(ρ − ησξ₁, −ησξ₂)</c>: the angular increment Δ is the angle of a 2-D normal with offset <c>a = ρ/(ησ)</c> in units
/// of its sd (the offset-normal law), so <c>E[sin Δ | r] = 0</c> and
/// <c>E[cos Δ | r] = C(a) = √(π/2) (a/2) e^{−a²/4} [I₀(a²/4) + I₁(a²/4)] = 1 − 1/(2a²) + O(a⁻⁴)</c>
/// (sign(ρ) C(|a|) when ρ &lt; 0). The reflection ξ₂ ↦ −ξ₂ flips Δ and leaves the next radius |x'| unchanged, so
/// given the whole radial chain the signs of the Δ_k are independent and fair:
/// <c>E[cos(θ_K − θ₀)] = E[Π_k E[cos Δ_k | r_k, r_{k+1}]]</c>. For a stationary radial chain this decays as
/// <c>Λ^K</c>, Λ the top eigenvalue of the radial kernel tilted by cos Δ; to first order in 1 − cos Δ = O(η²σ²),
/// <c>Λ = E_π[C(ρ(r)/(ησ))]</c>, π the stationary radial law. Per unit time t = kη the mean resultant decays as
/// <c>E[cos θ] ∝ e^{−D_θ t}</c> with
/// <c>D_θ = −ln E_π[C(ρ(r)/(ησ))] / η = (ησ²/2) E_π[1/ρ(r)²] (1 + O(η²σ²/ρ²))</c>,
/// the angular diffusion coefficient (unwrapped angle variance 2 D_θ t). Near the ring (r ≈ 1, ρ ≈ 1) this is
/// <c>D_θ ≈ ησ²/2</c>; on a ring of radius R it is ησ²/(2R²). The neglected second-order term is the radial
/// correlation of 1 − cos Δ_k, of relative size O(η²σ² · ησ²/λ) over a radial relaxation time 1/(2ηλ) steps.
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
    /// <c>D_θ = −ln E_π[C(ρ(r)/(ησ))] / η</c> for a radial law π given as weights on radii (normalised here).
    /// </summary>
    /// <exception cref="ArgumentException">The arrays differ in length, a weight is negative, or the total weight is 0.</exception>
    public static double AngularDiffusion(ReadOnlySpan<double> radii, ReadOnlySpan<double> weights, double curvature, double noiseStd, double learningRate)
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
    /// The exact stationary radial law of SGD on the 2-D ring valley. The radius is an autonomous Markov chain:
    /// <c>r' = |ρ(r) e − ησξ|</c> has the Rice law with offset |ρ(r)| and scale s = ησ,
    /// <c>p(r' | r) = (r'/s²) exp(−(r'² + ρ²)/(2s²)) I₀(r'|ρ|/s²)</c> (evaluated with the exponentially scaled I₀). On
    /// <paramref name="cells"/> cells of (0, <paramref name="maxRadius"/>] each source cell's row is the Rice density
    /// at the target centres, normalised over the cells (the mass the chain would send beyond maxRadius is returned
    /// as <c>Escape</c>, the largest per-step fraction; choose maxRadius so that it is negligible); the stationary
    /// vector is found by power iteration to an L1 change below <paramref name="tolerance"/>.
    /// </summary>
    /// <returns>Cell-centre radii, stationary weights (sum 1) and the largest per-step escape fraction.</returns>
    /// <exception cref="InvalidOperationException">The iteration did not converge in 10⁶ steps.</exception>
    public static (double[] Radii, double[] Weights, double Escape) StationaryRadialLaw(
        double curvature, double noiseStd, double learningRate, double maxRadius, int cells, double tolerance = 1e-14)
    {
        double s = learningRate * noiseStd, h = maxRadius / cells;
        var radii = new double[cells];
        for (int j = 0; j < cells; j++)
        {
            radii[j] = (j + 0.5) * h;
        }

        var kernel = new double[cells, cells];
        double escape = 0;
        for (int i = 0; i < cells; i++)
        {
            double rho = Math.Abs(ContractedRadius(radii[i], curvature, learningRate));
            double row = 0;
            for (int j = 0; j < cells; j++)
            {
                double r = radii[j];
                double p = r / (s * s) * Math.Exp(-(r - rho) * (r - rho) / (2 * s * s)) * SpecialFunctions.BesselIScaled(0, r * rho / (s * s)) * h;
                kernel[i, j] = p;
                row += p;
            }

            escape = Math.Max(escape, Math.Max(0, 1 - row));
            for (int j = 0; j < cells; j++)
            {
                kernel[i, j] /= row;
            }
        }

        var weights = new double[cells];
        var next = new double[cells];
        weights[cells / 2] = 1;
        for (int step = 0; step < 1_000_000; step++)
        {
            Array.Clear(next);
            for (int i = 0; i < cells; i++)
            {
                double m = weights[i];
                if (m == 0)
                {
                    continue;
                }

                for (int j = 0; j < cells; j++)
                {
                    next[j] += m * kernel[i, j];
                }
            }

            double change = 0;
            for (int j = 0; j < cells; j++)
            {
                change += Math.Abs(next[j] - weights[j]);
            }

            (weights, next) = (next, weights);
            if (change < tolerance)
            {
                return (radii, weights, escape);
            }
        }

        throw new InvalidOperationException("the radial chain did not reach its stationary law in 10⁶ steps");
    }

    /// <summary>Leading order on a ring of radius R: <c>D_θ = ησ²/(2R²)</c>.</summary>
    public static double LeadingOrder(double noiseStd, double learningRate, double radius = 1) =>
        learningRate * noiseStd * noiseStd / (2 * radius * radius);
}
