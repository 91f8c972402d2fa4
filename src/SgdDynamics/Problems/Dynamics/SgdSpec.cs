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
