using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Problems;

/// <summary>Which update rule the ensemble runs.</summary>
public enum OptimizerKind
{
    /// <summary>Plain SGD: <c>x ← x − η g</c>.</summary>
    Sgd,

    /// <summary>Heavy-ball momentum: <c>v ← β v − η g; x ← x + v</c> (v₀ = 0).</summary>
    Momentum,
}

/// <summary>Optimizer settings: learning rate η and heavy-ball momentum β (0 for SGD).</summary>
public sealed record OptimizerSpec(OptimizerKind Kind, double LearningRate, double Momentum);

/// <summary>
/// A loss landscape with noisy gradients, as a problem describes it: <see cref="QuadraticLandscapeSpec"/>,
/// <see cref="DoubleWellLandscapeSpec"/> or <see cref="RingValleyLandscapeSpec"/>. Theory and the Hessian eigenmodes
/// exist for the quadratic only (<see cref="Problem.Quadratic"/>).
/// </summary>
public abstract record LandscapeSpec
{
    /// <summary>Dimension d of the parameter space.</summary>
    public abstract int Dimension { get; }

    /// <summary>The scenario name of the landscape type (<c>quadratic</c>, <c>doubleWell</c>, <c>ringValley</c>).</summary>
    public abstract string TypeName { get; }
}

/// <summary>
/// Quadratic landscape with noisy gradients. One step's gradient at x is
/// <c>g = (H + diag(a ⊙ ζ)) x + b + L ξ</c>, ζ, ξ independent standard normal vectors,
/// Σ = L Lᵀ the gradient-noise covariance and a the per-coordinate curvature-noise std.
/// </summary>
/// <param name="Hessian">Symmetric mean Hessian H (d × d).</param>
/// <param name="LinearTerm">Linear term b (the gradient at 0 is b).</param>
/// <param name="NoiseCovariance">Gradient-noise covariance Σ (positive semidefinite).</param>
/// <param name="NoiseFactor">A factor L with L Lᵀ = Σ (lower triangular when <paramref name="NoiseFactorIsLowerTriangular"/>).</param>
/// <param name="NoiseFactorIsLowerTriangular">True when <paramref name="NoiseFactor"/> is lower triangular (a Cholesky factor).</param>
/// <param name="CurvatureNoiseStd">Per-coordinate curvature-noise standard deviation a.</param>
public sealed record QuadraticLandscapeSpec(
    Matrix<double> Hessian,
    Vector<double> LinearTerm,
    Matrix<double> NoiseCovariance,
    Matrix<double> NoiseFactor,
    bool NoiseFactorIsLowerTriangular,
    Vector<double> CurvatureNoiseStd) : LandscapeSpec
{
    /// <summary>Dimension d of the parameter space.</summary>
    public override int Dimension => Hessian.RowCount;

    /// <inheritdoc/>
    public override string TypeName => "quadratic";
}

/// <summary>
/// Symmetric double well <c>L(x) = (x² − 1)²/4</c> in one dimension (minima at ±1, curvature L''(±1) = 2, barrier
/// 1/4 at 0) with additive gradient noise: one step's gradient is <c>g = x³ − x + σ ξ</c>, ξ ~ N(0, 1).
/// Runs <see cref="Kernels.Landscapes.DoubleWellLandscape"/>.
/// </summary>
/// <param name="NoiseStd">Gradient-noise standard deviation σ ≥ 0.</param>
public sealed record DoubleWellLandscapeSpec(double NoiseStd) : LandscapeSpec
{
    /// <summary>Always 1.</summary>
    public override int Dimension => 1;

    /// <inheritdoc/>
    public override string TypeName => "doubleWell";
}

/// <summary>
/// Ring valley <c>L(x) = λ(|x|² − 1)²/4</c> in d ≥ 2 dimensions: minima on the unit sphere (flat along it,
/// curvature 2λ across it) with isotropic additive gradient noise: <c>g = λ(|x|² − 1) x + σ ξ</c>, ξ ~ N(0, I_d).
/// Runs <see cref="Kernels.Landscapes.RingValleyLandscape"/>.
/// </summary>
/// <param name="Dimension">Dimension d, 2 … 64.</param>
/// <param name="Curvature">λ &gt; 0.</param>
/// <param name="NoiseStd">Gradient-noise standard deviation σ ≥ 0.</param>
public sealed record RingValleyLandscapeSpec(int Dimension, double Curvature, double NoiseStd) : LandscapeSpec
{
    /// <summary>Dimension d, 2 … 64.</summary>
    public override int Dimension { get; } = Dimension;

    /// <inheritdoc/>
    public override string TypeName => "ringValley";
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

/// <summary>Ensemble size, length, seed and the divergence threshold (largest allowed |x_i|).</summary>
public sealed record EnsembleSpec(long Trajectories, int Steps, uint Seed, double DivergenceThreshold)
{
    /// <summary>Default divergence threshold on max_i |x_i|.</summary>
    public const double DefaultDivergenceThreshold = 1e12;
}

/// <summary>
/// Recording schedule: statistics at step 0, every <paramref name="Every"/> steps, and at the last step;
/// <paramref name="Tails"/> also keeps the final states to estimate tail indices (Hill) and quantiles.
/// </summary>
public sealed record RecordSpec(int Every, bool Tails = false)
{
    /// <summary>The recorded steps for a run of <paramref name="steps"/> steps: 0, every, 2·every, …, and steps.</summary>
    public IReadOnlyList<int> Steps(int steps)
    {
        var list = new List<int>();
        for (int k = 0; k < steps; k += Every) list.Add(k);
        list.Add(steps);
        return list;
    }
}

/// <summary>A validated, immutable problem: landscape, optimizer, initial law, ensemble and recording schedule.</summary>
public sealed record Problem(
    LandscapeSpec Landscape,
    OptimizerSpec Optimizer,
    InitialLaw Initial,
    EnsembleSpec Ensemble,
    RecordSpec Record)
{
    /// <summary>Dimension d.</summary>
    public int Dimension => Landscape.Dimension;

    /// <summary>The solver (default: an ensemble of trajectories).</summary>
    public SolverSpec Solver { get; init; } = SolverSpec.Ensemble;

    /// <summary>True when the landscape is a <see cref="QuadraticLandscapeSpec"/> (theory and Hessian eigenmodes exist).</summary>
    public bool IsQuadratic => Landscape is QuadraticLandscapeSpec;

    /// <summary>
    /// The quadratic landscape; throws <see cref="InvalidOperationException"/> naming the landscape type when it
    /// is not quadratic (theory, eigenmodes and grid quadratics need one).
    /// </summary>
    public QuadraticLandscapeSpec Quadratic => Landscape as QuadraticLandscapeSpec
        ?? throw new InvalidOperationException($"this needs a quadratic landscape; the problem's landscape is '{Landscape.TypeName}'");

    /// <summary>Recorded steps, ascending, starting at 0 and ending at the last step.</summary>
    public IReadOnlyList<int> RecordSteps => Record.Steps(Ensemble.Steps);
}
