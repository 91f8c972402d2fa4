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
    Vector<double> CurvatureNoiseStd)
{
    /// <summary>Dimension d of the parameter space.</summary>
    public int Dimension => Hessian.RowCount;
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
    QuadraticLandscapeSpec Landscape,
    OptimizerSpec Optimizer,
    InitialLaw Initial,
    EnsembleSpec Ensemble,
    RecordSpec Record)
{
    /// <summary>Dimension d.</summary>
    public int Dimension => Landscape.Dimension;

    /// <summary>The solver (default: an ensemble of trajectories).</summary>
    public SolverSpec Solver { get; init; } = SolverSpec.Ensemble;

    /// <summary>Recorded steps, ascending, starting at 0 and ending at the last step.</summary>
    public IReadOnlyList<int> RecordSteps => Record.Steps(Ensemble.Steps);
}
