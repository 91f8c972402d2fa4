using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Theory;

/// <summary>
/// Exact first two moments of the iterate x after <paramref name="Step"/> steps:
/// <c>Mean = E[x_k]</c> and <c>Covariance = E[x_k x_kᵀ] − Mean Meanᵀ</c>.
/// </summary>
/// <param name="Step">Step index k (0 is the initial law).</param>
/// <param name="Mean">Mean vector E[x_k] (length d).</param>
/// <param name="Covariance">Covariance matrix Cov(x_k) (d × d, symmetric).</param>
public sealed record MomentRecord(int Step, Vector<double> Mean, Matrix<double> Covariance);
