using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

/// <summary>The exact Ornstein–Uhlenbeck moments against the 1-D closed form, a fine numerical integration of the moment ODEs, and the stationary Lyapunov law.</summary>
public sealed class OrnsteinUhlenbeckMomentsTests
{
    private static readonly Matrix<double> H = Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 0.3 }, { 0.3, 0.5 } });
    private static readonly Matrix<double> Sigma = Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 0.2 }, { 0.2, 0.6 } });
    private static readonly Vector<double> B = Vector<double>.Build.DenseOfArray([0.4, -0.1]);
    private static readonly Vector<double> M0 = Vector<double>.Build.DenseOfArray([1.0, -0.8]);
    private static readonly Matrix<double> C0 = Matrix<double>.Build.DenseOfArray(new[,] { { 0.05, 0.01 }, { 0.01, 0.08 } });

    [Fact]
    public void OneDimension_MatchesTheClosedForm()
    {
        // v(t) = v∞ + (v₀ − v∞)e^(−2λt), v∞ = ησ²/(2λ); m(t) = m₀e^(−λt) − (b/λ)(1 − e^(−λt))
        double lambda = 1.3, eta = 0.1, s2 = 0.7, m0 = 0.5, v0 = 0.2, b = 0.25, t = 1.7;
        GaussianMoments m = OrnsteinUhlenbeckMoments.Langevin(
            Matrix<double>.Build.Dense(1, 1, lambda), Vector<double>.Build.Dense(1, b), Matrix<double>.Build.Dense(1, 1, s2), eta,
            Vector<double>.Build.Dense(1, m0), Matrix<double>.Build.Dense(1, 1, v0), t);
        double vInf = eta * s2 / (2 * lambda);
        Assert.Equal(vInf + (v0 - vInf) * Math.Exp(-2 * lambda * t), m.Covariance[0, 0], 1e-15);
        Assert.Equal(m0 * Math.Exp(-lambda * t) - b / lambda * (1 - Math.Exp(-lambda * t)), m.Mean[0], 1e-15);
    }

    [Fact]
    public void TwoDimensions_MatchTheMomentOdesIntegrated()
    {
        // ṁ = −(Hm + b), Ċ = −HC − CH + ηΣ by classical RK4 with dt = 1e-3 (global error O(dt⁴) ≈ 1e-12)
        double eta = 0.1, t = 2.5;
        int steps = 2500;
        double dt = t / steps;
        Matrix<double> q = eta * Sigma;
        Vector<double> m = M0.Clone();
        Matrix<double> c = C0.Clone();
        Vector<double> Fm(Vector<double> x) => -(H * x + B);
        Matrix<double> Fc(Matrix<double> x) => -(H * x) - x * H + q;
        for (int k = 0; k < steps; k++)
        {
            Vector<double> a1 = Fm(m), a2 = Fm(m + dt / 2 * a1), a3 = Fm(m + dt / 2 * a2), a4 = Fm(m + dt * a3);
            m += dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4);
            Matrix<double> k1 = Fc(c), k2 = Fc(c + dt / 2 * k1), k3 = Fc(c + dt / 2 * k2), k4 = Fc(c + dt * k3);
            c += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
        }

        GaussianMoments exact = OrnsteinUhlenbeckMoments.Langevin(H, B, Sigma, eta, M0, C0, t);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(m[i], exact.Mean[i], 1e-10);
            for (int j = 0; j < 2; j++)
            {
                Assert.Equal(c[i, j], exact.Covariance[i, j], 1e-10);
            }
        }
    }

    [Fact]
    public void LongTime_IsTheStationaryLyapunovLaw_AndTimeZeroTheStart()
    {
        double eta = 0.1;
        GaussianMoments late = OrnsteinUhlenbeckMoments.Langevin(H, B, Sigma, eta, M0, C0, 200);
        Matrix<double> residual = H * late.Covariance + late.Covariance * H - eta * Sigma;
        Assert.True(residual.InfinityNorm() < 1e-14, $"Lyapunov residual {residual.InfinityNorm():E2}");
        Assert.True((H * late.Mean + B).InfinityNorm() < 1e-14);

        GaussianMoments start = OrnsteinUhlenbeckMoments.Langevin(H, B, Sigma, eta, M0, C0, 0);
        Assert.True((start.Mean - M0).InfinityNorm() < 1e-15);
        Assert.True((start.Covariance - C0).InfinityNorm() < 1e-15);
    }

    [Fact]
    public void FlatDirection_Diffuses()
    {
        // H = 0: the mean drifts as −b t and the covariance grows as C₀ + Q t
        Matrix<double> zero = Matrix<double>.Build.Dense(2, 2);
        GaussianMoments m = OrnsteinUhlenbeckMoments.At(zero, B, Sigma, M0, C0, 3);
        Assert.True((m.Mean - (M0 - 3 * B)).InfinityNorm() < 1e-14);
        Assert.True((m.Covariance - (C0 + 3 * Sigma)).InfinityNorm() < 1e-14);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => OrnsteinUhlenbeckMoments.At(Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 0.3 }, { 0.2, 1 } }), B, Sigma, M0, C0, 1));
        Assert.Throws<ArgumentException>(() => OrnsteinUhlenbeckMoments.At(H, Vector<double>.Build.Dense(3), Sigma, M0, C0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OrnsteinUhlenbeckMoments.At(H, B, Sigma, M0, C0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OrnsteinUhlenbeckMoments.Langevin(H, B, Sigma, 0, M0, C0, 1));
    }
}
