using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Theory;

/// <summary>Mean and covariance of a Gaussian law at one time.</summary>
/// <param name="Mean">The mean vector.</param>
/// <param name="Covariance">The covariance matrix.</param>
public sealed record GaussianMoments(Vector<double> Mean, Matrix<double> Covariance);

/// <summary>
/// Exact moments of the Ornstein–Uhlenbeck process <c>dX = −(H X + b) dt + √Q dW</c> with symmetric H and constant
/// diffusion covariance Q — the SDE of the Langevin Fokker–Planck equation of SGD on a quadratic with additive noise,
/// <c>∂_t p = ∇·(ḡ p) + ∂_i∂_j(D_ij p)</c>, <c>ḡ = H x + b</c>, <c>D = ηΣ/2</c>, so <c>Q = 2D = ηΣ</c> in time
/// <c>t = kη</c> (<see cref="Langevin"/>). A Gaussian start stays Gaussian, and any start's mean and covariance follow
/// <c>ṁ = −(H m + b)</c>, <c>Ċ = −H C − C H + Q</c>. In the eigenbasis <c>H = U Λ Uᵀ</c> (tilde: coordinates
/// <c>Uᵀ · U</c>) both are solved in closed form:
/// <c>m̃_i(t) = e^{−λ_i t} m̃_i(0) − b̃_i φ(λ_i, t)</c> and
/// <c>C̃_ij(t) = e^{−(λ_i+λ_j) t} C̃_ij(0) + Q̃_ij φ(λ_i + λ_j, t)</c> with <c>φ(s, t) = (1 − e^{−s t})/s</c>
/// (= t at s = 0, evaluated through an accurate <c>expm1</c>). Flat and unstable directions (λ ≤ 0) are covered too: a flat
/// direction diffuses as <c>Q̃_ii t</c>, an unstable one grows.
/// </summary>
public static class OrnsteinUhlenbeckMoments
{
    /// <summary>The mean and covariance at <paramref name="time"/> ≥ 0 from the start moments <paramref name="mean0"/>, <paramref name="covariance0"/>.</summary>
    /// <exception cref="ArgumentException">Dimensions differ, H is not symmetric, or the time is negative or not finite.</exception>
    public static GaussianMoments At(
        Matrix<double> hessian, Vector<double> offset, Matrix<double> diffusion, Vector<double> mean0, Matrix<double> covariance0, double time)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentNullException.ThrowIfNull(offset);
        ArgumentNullException.ThrowIfNull(diffusion);
        ArgumentNullException.ThrowIfNull(mean0);
        ArgumentNullException.ThrowIfNull(covariance0);
        int d = hessian.RowCount;
        if (hessian.ColumnCount != d || offset.Count != d || diffusion.RowCount != d || diffusion.ColumnCount != d
            || mean0.Count != d || covariance0.RowCount != d || covariance0.ColumnCount != d)
        {
            throw new ArgumentException($"H is {hessian.RowCount} × {hessian.ColumnCount}: b, Q, the start mean and covariance must have its dimension");
        }

        if (!hessian.IsSymmetric())
        {
            throw new ArgumentException("H must be symmetric", nameof(hessian));
        }

        if (!(time >= 0) || !double.IsFinite(time))
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "need a finite time ≥ 0");
        }

        var evd = hessian.Evd(Symmetricity.Symmetric);
        Matrix<double> u = evd.EigenVectors;
        double[] lambda = [.. evd.EigenValues.Select(v => v.Real)];
        Vector<double> m = u.TransposeThisAndMultiply(mean0);
        Vector<double> bt = u.TransposeThisAndMultiply(offset);
        Matrix<double> c = u.TransposeThisAndMultiply(covariance0) * u;
        Matrix<double> q = u.TransposeThisAndMultiply(diffusion) * u;
        var mean = Vector<double>.Build.Dense(d);
        var covariance = Matrix<double>.Build.Dense(d, d);
        for (int i = 0; i < d; i++)
        {
            mean[i] = Math.Exp(-lambda[i] * time) * m[i] - bt[i] * Phi(lambda[i], time);
            for (int j = 0; j < d; j++)
            {
                double s = lambda[i] + lambda[j];
                covariance[i, j] = Math.Exp(-s * time) * c[i, j] + q[i, j] * Phi(s, time);
            }
        }

        Matrix<double> back = u * covariance * u.Transpose();
        return new GaussianMoments(u * mean, (back + back.Transpose()) / 2);
    }

    /// <summary>
    /// The Langevin Fokker–Planck equation of SGD with learning rate η on the quadratic <c>ḡ = H x + b</c> with additive
    /// noise covariance Σ, in time <c>t = kη</c> (k SGD steps): <see cref="At"/> with <c>Q = ηΣ</c>.
    /// </summary>
    public static GaussianMoments Langevin(
        Matrix<double> hessian, Vector<double> offset, Matrix<double> noiseCovariance, double learningRate, Vector<double> mean0, Matrix<double> covariance0, double time)
    {
        ArgumentNullException.ThrowIfNull(noiseCovariance);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "need a finite learning rate η > 0");
        }

        return At(hessian, offset, learningRate * noiseCovariance, mean0, covariance0, time);
    }

    /// <summary><c>(1 − e^{−s t})/s</c>, its limit t at s = 0.</summary>
    private static double Phi(double s, double t) => s == 0 ? t : -SpecialFunctions.Expm1(-s * t) / s;
}
