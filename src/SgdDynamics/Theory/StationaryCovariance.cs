using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Theory;

/// <summary>
/// Stationary Gaussian-moment law of one model: <c>Mean = m*</c> with <c>H m* = −b</c> and the
/// covariance C solving the model's Lyapunov equation, or the reason there is none.
/// </summary>
/// <param name="Stable">True when the second-moment dynamics contracts, so every initial law converges to this one.</param>
/// <param name="Mean">Stationary mean <c>m* = −H⁻¹ b</c>; null when not <paramref name="Stable"/>.</param>
/// <param name="Covariance">Stationary covariance of x; null when not <paramref name="Stable"/>.</param>
/// <param name="Reason">Why there is no stationary law; null when <paramref name="Stable"/>.</param>
public sealed record StationaryCovariance(bool Stable, Vector<double>? Mean, Matrix<double>? Covariance, string? Reason);

/// <summary>
/// Stationary laws of the exact discrete recursion and of its Langevin (first-order SME) limit,
/// with the spectral quantities that decide their stability.
/// </summary>
/// <param name="Discrete">
/// Solution of the discrete Lyapunov equation <c>C = A C Aᵀ + η² (Σ + diag(a² ⊙ diag(C + m mᵀ)))</c>
/// (SGD, <c>A = I − ηH</c>) or of its augmented heavy-ball analogue on <c>z = (x, v)</c>.
/// </param>
/// <param name="SpectralRadius">
/// Spectral radius ρ of the linear second-moment map <c>S ↦ A S Aᵀ + η² diag(a² ⊙ diag S)</c>
/// (augmented <c>Z ↦ M Z Mᵀ + [[Q, Q], [Q, Q]]</c>, <c>Q = η² diag(a² ⊙ diag Z_xx)</c>, for momentum);
/// the discrete law is stable iff ρ &lt; 1.
/// </param>
/// <param name="Langevin">
/// Solution of the continuous Lyapunov equation <c>H C + C H = η_eff (Σ + diag(a² ⊙ diag(C + m mᵀ)))</c>,
/// <c>η_eff = η</c> for SGD and <c>η / (1 − β)</c> for heavy ball.
/// </param>
/// <param name="SpectralAbscissa">
/// Largest real part α of the spectrum of the Langevin second-moment generator
/// <c>S ↦ −(H S + S H) + η_eff diag(a² ⊙ diag S)</c>; the Langevin law is stable iff α &lt; 0
/// (for a = 0, α = −2 λ_min(H)). NaN when the heavy-ball SME is undefined (β ≥ 1).
/// </param>
public sealed record StationaryMoments(
    StationaryCovariance Discrete,
    double SpectralRadius,
    StationaryCovariance Langevin,
    double SpectralAbscissa);
