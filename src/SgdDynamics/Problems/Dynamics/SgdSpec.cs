using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Problems;

/// <summary>Plain SGD, <c>x ← x − η g</c>. Runs <see cref="Sgd"/>.</summary>
/// <param name="LearningRate">η &gt; 0.</param>
public sealed record SgdSpec(double LearningRate) : DynamicsSpec(LearningRate);

/// <summary>Heavy-ball momentum, <c>v ← β v − η g; x ← x + v</c> (v₀ = 0). Runs <see cref="HeavyBall"/>.</summary>
/// <param name="LearningRate">η &gt; 0.</param>
/// <param name="Momentum">β in [0, 1).</param>
public sealed record HeavyBallSpec(double LearningRate, double Momentum) : DynamicsSpec(LearningRate);

/// <summary>
/// The Langevin SDE of SME-1 in place of SGD, <c>dX = −ḡ(X) dt + √(η Σ(X)) dW</c>, t = kη, integrated by Euler–Maruyama
/// with <paramref name="Substeps"/> substeps per SGD step. Runs <see cref="ModifiedEquation"/> of order 1; a scenario names it in its
/// <c>dynamics</c> section, with the learning rate of an <c>sgd</c> optimizer.
/// </summary>
/// <param name="LearningRate">η &gt; 0: the time of one SGD step, and the noise temperature.</param>
/// <param name="Substeps">m ≥ 1.</param>
/// <param name="Scheme">The integration scheme of the substeps.</param>
public sealed record LangevinSpec(double LearningRate, int Substeps, SdeScheme Scheme = SdeScheme.EulerMaruyama) : DynamicsSpec(LearningRate), ISdeModelSpec;

/// <summary>
/// SME-2, the second-order stochastic modified equation, <c>dX = −(ḡ + (η/4)∇|ḡ|²)(X) dt + √(η Σ(X)) dW</c>, integrated
/// by Euler–Maruyama with <paramref name="Substeps"/> substeps per SGD step; the Hessian-vector product in the drift
/// by a central difference of mean gradients (step <see cref="ModifiedEquation.HessianStep"/>). Runs <see cref="ModifiedEquation"/> of order 2; named in a
/// scenario's <c>dynamics</c> section.
/// </summary>
/// <param name="LearningRate">η &gt; 0.</param>
/// <param name="Substeps">m ≥ 1.</param>
/// <param name="Scheme">The integration scheme of the substeps.</param>
public sealed record Sme2Spec(double LearningRate, int Substeps, SdeScheme Scheme = SdeScheme.EulerMaruyama) : DynamicsSpec(LearningRate), ISdeModelSpec;

/// <summary>
/// The stochastic modified flow of Gess, Kassing and Konarovskyi: SME-2's drift <c>−(ḡ + (η/4)∇|ḡ|²)</c> with the noise
/// written through the per-sample gradients, <c>√(η/(nB)) Σ_i (∇ℓ_i(X) − ḡ(X)) dW_i</c> on a finite sum (least squares),
/// and in its regular-coefficient form G(X) dW (the landscape's own Gaussian noise as a linear function of its normals,
/// not Σ(X)^{1/2}) on the Gaussian-noise landscapes. The engine draws every SDE model's noise in exactly these forms
/// (<see cref="Kernels.Landscapes.ILandscape.AddGaussianNoise"/>), and an Euler–Maruyama step sees only the law of the
/// increment, N(0, ηδΣ(X)), which the two forms share: so the flow runs the SME-2 kernel (<see cref="ModifiedEquation"/> of order 2) and its
/// samples are those of <c>sme2</c> bit for bit. The two equations differ as pathwise objects (SMF's coefficients stay
/// smooth where Σ degenerates), not in any statistic the engine computes.
/// </summary>
/// <param name="LearningRate">η &gt; 0.</param>
/// <param name="Substeps">m ≥ 1.</param>
/// <param name="Scheme">The integration scheme of the substeps.</param>
public sealed record SmfSpec(double LearningRate, int Substeps, SdeScheme Scheme = SdeScheme.EulerMaruyama) : DynamicsSpec(LearningRate), ISdeModelSpec;

/// <summary>How an SDE model's substeps are integrated (a scenario's <c>dynamics.scheme</c>).</summary>
public enum SdeScheme
{
    /// <summary><c>"eulerMaruyama"</c>: weak order 1 in the substep δ = η/m; every landscape.</summary>
    EulerMaruyama,

    /// <summary>
    /// <c>"weakOrder2"</c>: Platen's explicit weak order 2.0 scheme (derivative-free; <see cref="ModifiedEquation"/>), for
    /// landscapes of dimension 1 with one noise normal per step (doubleWell, tiltedCosine, fluctuating, a 1-D quadratic
    /// without curvature noise, 1-sample least squares).
    /// </summary>
    WeakOrder2,
}

/// <summary>The settings every SDE model shares: substeps per SGD step and the integration scheme.</summary>
public interface ISdeModelSpec
{
    /// <summary>m ≥ 1.</summary>
    int Substeps { get; }

    /// <summary>The integration scheme.</summary>
    SdeScheme Scheme { get; }
}
