using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Problems;

/// <summary>
/// The optimizer dynamics as a problem describes it: its learning rate and the constants of its update rule. Each
/// subtype has one <see cref="DynamicsRegistration"/> (in <see cref="ModelRegistry"/>) that names it, reads and writes
/// it and binds it to its kernel struct: <see cref="SgdSpec"/>, <see cref="HeavyBallSpec"/>.
/// </summary>
/// <param name="LearningRate">η &gt; 0.</param>
public abstract record DynamicsSpec(double LearningRate)
{
    /// <summary>The scenario name of the update rule (<c>sgd</c>, <c>momentum</c>), from its registration.</summary>
    public string TypeName => ModelRegistry.For(this).TypeName;
}

/// <summary>
/// A loss landscape with noisy gradients, as a problem describes it. Each subtype has one
/// <see cref="LandscapeRegistration"/> (in <see cref="ModelRegistry"/>) that names it, reads and writes it, binds it to
/// its kernel struct and gives its grid form. Theory and the Hessian eigenmodes exist for the quadratic only
/// (<see cref="Problem.Quadratic"/>).
/// </summary>
public abstract record LandscapeSpec
{
    /// <summary>Dimension d of the parameter space.</summary>
    public abstract int Dimension { get; }

    /// <summary>The scenario name of the landscape type (<c>quadratic</c>, <c>doubleWell</c>, …), from its registration.</summary>
    public string TypeName => ModelRegistry.For(this).TypeName;
}

/// <summary>
/// Gaussian initial law N(mean, covariance); a point start has a zero covariance.
/// <paramref name="Factor"/> satisfies Factor Factorᵀ = covariance (same conventions as the noise factor).
/// </summary>
public sealed record InitialLaw(Vector<double> Mean, Matrix<double> Covariance, Matrix<double> Factor, bool FactorIsLowerTriangular)
{
    /// <summary>True when every trajectory starts at the same point.</summary>
    public bool IsPoint => Covariance.Enumerate().All(v => v == 0.0);
}

/// <summary>
/// What is simulated: the landscape, the dynamics with its constants, and the initial law. How it is solved (an ensemble
/// with its size, seed and recording, or a grid solver with its grid) is a separate <see cref="Algorithm"/>; the same
/// problem can be handed to each (docs/architecture.md, "Data flow").
/// </summary>
public sealed record Problem(LandscapeSpec Landscape, DynamicsSpec Dynamics, InitialLaw Initial)
{
    /// <summary>Dimension d.</summary>
    public int Dimension => Landscape.Dimension;

    /// <summary>True when the landscape is a <see cref="QuadraticLandscapeSpec"/> (theory and Hessian eigenmodes exist).</summary>
    public bool IsQuadratic => Landscape is QuadraticLandscapeSpec;

    /// <summary>
    /// The quadratic landscape; throws <see cref="InvalidOperationException"/> naming the landscape type when it
    /// is not quadratic (theory, eigenmodes and grid quadratics need one).
    /// </summary>
    public QuadraticLandscapeSpec Quadratic => Landscape as QuadraticLandscapeSpec
        ?? throw new InvalidOperationException($"this needs a quadratic landscape; the problem's landscape is '{Landscape.TypeName}'");
}
