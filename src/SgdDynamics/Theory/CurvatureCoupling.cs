using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.RootFinding;

namespace SgdDynamics.Theory;

/// <summary>
/// Stationary second moments in the eigenbasis of H, reduced from d² unknowns to d.
/// Both Lyapunov equations have the form <c>P̃_ij = γ_ij Q̃_ij</c> with the injected noise
/// <c>Q̃ = κ (Σ̃ + Uᵀ diag(w) U)</c> and <c>w = a² ⊙ (diag C + m²)</c>:
/// the pair response γ_ij is the xx entry of <c>(r I − M_i ⊗ M_j)⁻¹ vec(e eᵀ)</c> (discrete, r = 1, κ = η²)
/// or <c>1 / (λ_i + λ_j + s)</c> (Langevin, s = 0, κ = η_eff). Since <c>diag C = κ f + κ G w</c> with
/// <c>f_l = Σ_ij U_li U_lj γ_ij Σ̃_ij</c> and the coupling <c>G_lk = Σ_ij γ_ij U_li U_lj U_ki U_kj</c>,
/// the curvature-noise variances solve the d × d system <c>(I − κ diag(a²) G) w = a² ⊙ (κ f + m²)</c>.
/// Stability follows from splitting the positive second-moment map into its mode part 𝒦 and the positive
/// curvature part 𝒫: <c>ρ(𝒦 + 𝒫) &lt; r ⇔ ρ(𝒦) &lt; r and ρ((r − 𝒦)⁻¹ 𝒫) &lt; 1</c>, and the nonzero spectrum of
/// <c>(r − 𝒦)⁻¹ 𝒫</c> is that of <c>κ diag(a) G diag(a)</c> (T. Damm, Rational Matrix Equations in Stochastic
/// Control, 2004, ch. 3; the same holds for the spectral abscissa of the continuous generator).
/// </summary>
internal static class CurvatureCoupling
{
    /// <summary>
    /// Discrete pair response <c>γ_ij(r) = [(r I − M_i ⊗ M_j)⁻¹ vec(e eᵀ)]_xx</c>, the stationary
    /// Cov(x̃_i, x̃_j) of <c>B = r⁻¹ (M_i B M_jᵀ + e eᵀ)</c>. Built from <c>N = I − M = [[ηλ, −β], [ηλ, 1 − β]]</c>
    /// as <c>(r − 1) I + N_i ⊗ I + I ⊗ N_j − N_i ⊗ N_j</c> to avoid the cancellation in <c>1 − (1 − ηλ_i)(1 − ηλ_j)</c>;
    /// for SGD <c>γ_ij = 1 / (r − 1 + ηλ_i + ηλ_j − η² λ_i λ_j)</c>.
    /// </summary>
    public static double[] DiscreteResponse(HeavyBallModes modes, double r)
    {
        int d = modes.Dimension;
        int stride = modes.Stride;
        double beta = modes.Momentum;
        var response = new double[d * stride];
        Span<double> system = stackalloc double[16];
        Span<double> rhs = stackalloc double[4];
        for (int i = 0; i < d; i++)
        {
            double hi = modes.LearningRate * modes.Eigenvalues[i];
            for (int j = i; j < d; j++)
            {
                double hj = modes.LearningRate * modes.Eigenvalues[j];
                double gamma;
                if (!modes.HasVelocity)
                {
                    gamma = 1.0 / (r - 1.0 + hi + hj - hi * hj);
                }
                else
                {
                    ReadOnlySpan<double> ni = [hi, -beta, hi, 1.0 - beta];
                    ReadOnlySpan<double> nj = [hj, -beta, hj, 1.0 - beta];
                    for (int row = 0; row < 4; row++)
                    {
                        int alpha = row >> 1, betaIndex = row & 1;
                        for (int col = 0; col < 4; col++)
                        {
                            int gammaIndex = col >> 1, delta = col & 1;
                            double left = ni[2 * alpha + gammaIndex];
                            double right = nj[2 * betaIndex + delta];
                            bool sameLeft = alpha == gammaIndex, sameRight = betaIndex == delta;
                            double value = -left * right;
                            if (sameRight) value += left;
                            if (sameLeft) value += right;
                            if (sameLeft && sameRight) value += r - 1.0;
                            system[4 * row + col] = value;
                        }
                    }
                    rhs.Fill(1.0);
                    DenseKernels.Solve4(system, rhs);
                    gamma = rhs[0];
                }
                response[i * stride + j] = gamma;
                response[j * stride + i] = gamma;
            }
        }
        return response;
    }

    /// <summary>Langevin pair response <c>γ_ij(s) = 1 / (λ_i + λ_j + s)</c>, the resolvent of <c>S ↦ H S + S H</c>.</summary>
    public static double[] LangevinResponse(HeavyBallModes modes, double s)
    {
        int d = modes.Dimension;
        var response = new double[d * modes.Stride];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                response[i * modes.Stride + j] = 1.0 / (modes.Eigenvalues[i] + modes.Eigenvalues[j] + s);
        return response;
    }

    /// <summary>
    /// Coupling <c>G_lk = Σ_ij γ_ij (U_li U_ki)(U_lj U_kj)</c> on the coordinates with curvature noise:
    /// the response of <c>C_ll</c> to unit curvature noise on coordinate k. Cost O(|active|² d²).
    /// </summary>
    public static Matrix<double> Coupling(HeavyBallModes modes, double[] response)
    {
        int d = modes.Dimension;
        int stride = modes.Stride;
        var active = modes.ActiveCoordinates;
        var coupling = Matrix<double>.Build.Dense(active.Length, active.Length);
        var product = new double[stride];
        for (int p = 0; p < active.Length; p++)
        {
            var ul = modes.BasisRow(active[p]);
            for (int q = p; q < active.Length; q++)
            {
                var uk = modes.BasisRow(active[q]);
                for (int i = 0; i < d; i++) product[i] = ul[i] * uk[i];
                double value = 0.0;
                for (int i = 0; i < d; i++)
                    if (product[i] != 0.0) value += product[i] * DenseKernels.Dot(response.AsSpan(i * stride, stride), product);
                coupling[p, q] = value;
                coupling[q, p] = value;
            }
        }
        return coupling;
    }

    /// <summary>
    /// Perron root of the nonnegative symmetric matrix <c>κ diag(a) G diag(a)</c>, equal to
    /// <c>ρ((r − 𝒦)⁻¹ 𝒫)</c> on the active coordinates (largest eigenvalue modulus, symmetric eigensolver).
    /// </summary>
    public static double PerronRoot(HeavyBallModes modes, Matrix<double> coupling, double kappa)
    {
        var active = modes.ActiveCoordinates;
        if (active.Length == 0) return 0.0;
        var scaled = Matrix<double>.Build.Dense(active.Length, active.Length, (p, q) =>
            kappa * Math.Sqrt(modes.CurvatureVariance[active[p]] * modes.CurvatureVariance[active[q]]) * coupling[p, q]);
        // A coupling that overflowed has no finite Perron root: report it as unbounded (no stationary law).
        double root = SymmetricEigen.Decompose(scaled).Values.Max(Math.Abs);
        return double.IsNaN(root) ? double.PositiveInfinity : root;
    }

    /// <summary>
    /// Stationary covariance of x in coordinates: solves <c>(I − κ diag(a²) G) w = a² ⊙ (κ f + m²)</c>, then
    /// <c>Q̃ = κ (Σ̃ + Σ_l w_l u_l u_lᵀ)</c>, <c>P̃ = γ ⊙ Q̃</c> and <c>C = U P̃ Uᵀ</c>.
    /// </summary>
    public static Matrix<double> SolveCovariance(
        HeavyBallModes modes, double[] response, double kappa, Vector<double> mean)
    {
        int d = modes.Dimension;
        int stride = modes.Stride;
        var active = modes.ActiveCoordinates;
        var noise = modes.Noise.Select(s => kappa * s).ToArray();
        if (active.Length > 0)
        {
            var weighted = new double[d * stride];
            for (int k = 0; k < weighted.Length; k++) weighted[k] = response[k] * modes.Noise[k];
            var coupling = Coupling(modes, response);
            var system = Matrix<double>.Build.Dense(active.Length, active.Length, (p, q) =>
                (p == q ? 1.0 : 0.0) - kappa * modes.CurvatureVariance[active[p]] * coupling[p, q]);
            var rhs = Vector<double>.Build.Dense(active.Length, p =>
            {
                int l = active[p];
                var u = modes.BasisRow(l);
                double f = 0.0;
                for (int i = 0; i < d; i++)
                    if (u[i] != 0.0) f += u[i] * DenseKernels.Dot(weighted.AsSpan(i * stride, stride), u);
                return modes.CurvatureVariance[l] * (kappa * f + mean[l] * mean[l]);
            });
            var w = system.Solve(rhs);
            for (int p = 0; p < active.Length; p++)
            {
                var u = modes.BasisRow(active[p]);
                for (int i = 0; i < d; i++)
                    if (u[i] != 0.0) DenseKernels.Axpy(kappa * w[p] * u[i], u, noise.AsSpan(i * stride, stride));
            }
        }
        for (int k = 0; k < noise.Length; k++) noise[k] *= response[k];
        return modes.ToCoordinateMatrix(noise);
    }

    /// <summary>
    /// Spectral bound of 𝒦 + 𝒫 for one response (<see cref="DiscreteResponse"/> or <see cref="LangevinResponse"/>):
    /// <paramref name="lower"/>, the spectral bound of 𝒦, when no coordinate carries curvature noise (𝒫 = 0), else
    /// <see cref="SpectralThreshold"/> of <c>t ↦ PerronRoot(Coupling(response(t)), κ)</c>.
    /// </summary>
    public static double SpectralBound(HeavyBallModes modes, Func<HeavyBallModes, double, double[]> response, double kappa, double lower) =>
        modes.ActiveCoordinates.Length == 0
            ? lower
            : SpectralThreshold(t => PerronRoot(modes, Coupling(modes, response(modes, t)), kappa), lower);

    /// <summary>
    /// Smallest threshold t ≥ <paramref name="lower"/> with <c>perron(t') &lt; 1</c> for all t' &gt; t, where
    /// <paramref name="perron"/> is the decreasing function <c>t ↦ ρ((t − 𝒦)⁻¹ 𝒫)</c> on (lower, ∞) and
    /// <paramref name="lower"/> the spectral bound of 𝒦: the spectral bound of 𝒦 + 𝒫. Brackets the crossing
    /// of 1 by doubling, then refines with Brent's method (relative accuracy ~1e-14).
    /// </summary>
    public static double SpectralThreshold(Func<double, double> perron, double lower)
    {
        double width = Math.Max(Math.Abs(lower), 1.0);
        while (perron(lower + width) >= 1.0)
        {
            width *= 2.0;
            if (double.IsInfinity(width)) return double.PositiveInfinity;
        }
        double upper = lower + width;
        double start = lower + 1e-14 * width;
        if (perron(start) <= 1.0) return lower;
        return Brent.FindRoot(t => perron(t) - 1.0, start, upper, 1e-15, 500);
    }
}
