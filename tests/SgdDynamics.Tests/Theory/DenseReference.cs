using SgdDynamics.Theory;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Theory;

/// <summary>
/// Straightforward dense implementations of the moment equations in the original coordinates, written
/// directly from the model, to check the eigenbasis engine against.
/// </summary>
internal static class DenseReference
{
    /// <summary>
    /// SGD in second-moment form: <c>m' = A m + c</c>,
    /// <c>S' = A S Aᵀ + A m cᵀ + c mᵀ Aᵀ + c cᵀ + η² diag(a² ⊙ diag S) + η² Σ</c>; returns (m, S − m mᵀ) at
    /// every step 0, 1, …, <paramref name="steps"/>.
    /// </summary>
    public static List<(Vector<double> Mean, Matrix<double> Covariance)> Sgd(Problem problem, int steps)
    {
        var (h, b, sigma, a2, eta) = Unpack(problem);
        int d = h.RowCount;
        var identity = Matrix<double>.Build.DenseIdentity(d);
        var transition = identity - eta * h;
        var shift = -eta * b;
        var m = problem.Initial.Mean.Clone();
        var s = problem.Initial.Covariance + m.OuterProduct(m);
        var result = new List<(Vector<double>, Matrix<double>)> { (m, s - m.OuterProduct(m)) };
        for (int k = 0; k < steps; k++)
        {
            var am = transition * m;
            var curvature = Matrix<double>.Build.DenseOfDiagonalVector(a2.PointwiseMultiply(s.Diagonal()));
            s = transition * s * transition.Transpose() + am.OuterProduct(shift) + shift.OuterProduct(am)
                + shift.OuterProduct(shift) + eta * eta * (curvature + sigma);
            m = am + shift;
            result.Add((m, s - m.OuterProduct(m)));
        }
        return result;
    }

    /// <summary>
    /// Heavy ball on <c>z = (x, v)</c>: <c>μ' = M μ + (c, c)</c>, <c>Z' = M Z Mᵀ + [[Q, Q], [Q, Q]]</c>,
    /// <c>Q = η² (Σ + diag(a² ⊙ (diag Z_xx + m_x²)))</c>; returns the x block at every step 0, 1, …, <paramref name="steps"/>.
    /// </summary>
    public static List<(Vector<double> Mean, Matrix<double> Covariance)> Momentum(Problem problem, int steps)
    {
        var (h, b, sigma, a2, eta) = Unpack(problem);
        double beta = TheoryDynamics.Momentum(problem.Dynamics);
        int d = h.RowCount;
        var transition = Augmented(h, eta, beta);
        var shift = Vector<double>.Build.Dense(2 * d);
        shift.SetSubVector(0, d, -eta * b);
        shift.SetSubVector(d, d, -eta * b);
        var mean = Vector<double>.Build.Dense(2 * d);
        mean.SetSubVector(0, d, problem.Initial.Mean);
        var cov = Matrix<double>.Build.Dense(2 * d, 2 * d);
        cov.SetSubMatrix(0, 0, problem.Initial.Covariance);
        var result = new List<(Vector<double>, Matrix<double>)> { (problem.Initial.Mean.Clone(), problem.Initial.Covariance.Clone()) };
        for (int k = 0; k < steps; k++)
        {
            var mx = mean.SubVector(0, d);
            var secondMoment = cov.SubMatrix(0, d, 0, d).Diagonal() + mx.PointwiseMultiply(mx);
            var q = eta * eta * (sigma + Matrix<double>.Build.DenseOfDiagonalVector(a2.PointwiseMultiply(secondMoment)));
            cov = transition * cov * transition.Transpose() + Duplicate(q);
            mean = transition * mean + shift;
            result.Add((mean.SubVector(0, d), cov.SubMatrix(0, d, 0, d)));
        }
        return result;
    }

    /// <summary><c>M = [[I − ηH, βI], [−ηH, βI]]</c>.</summary>
    public static Matrix<double> Augmented(Matrix<double> h, double eta, double beta)
    {
        int d = h.RowCount;
        var identity = Matrix<double>.Build.DenseIdentity(d);
        var m = Matrix<double>.Build.Dense(2 * d, 2 * d);
        m.SetSubMatrix(0, 0, identity - eta * h);
        m.SetSubMatrix(0, d, beta * identity);
        m.SetSubMatrix(d, 0, -eta * h);
        m.SetSubMatrix(d, d, beta * identity);
        return m;
    }

    /// <summary>
    /// Spectral radius of the discrete second-moment map as a dense (n² × n²) matrix with a general Evd:
    /// SGD <c>S ↦ A S Aᵀ + η² diag(a² ⊙ diag S)</c>, heavy ball <c>Z ↦ M Z Mᵀ + [[Q, Q], [Q, Q]]</c>.
    /// </summary>
    public static double DiscreteSpectralRadius(Problem problem)
    {
        var (h, _, _, a2, eta) = Unpack(problem);
        int d = h.RowCount;
        bool momentum = problem.Dynamics is HeavyBallSpec;
        var transition = momentum
            ? Augmented(h, eta, TheoryDynamics.Momentum(problem.Dynamics))
            : Matrix<double>.Build.DenseIdentity(d) - eta * h;
        Matrix<double> Map(Matrix<double> z)
        {
            var q = eta * eta * Matrix<double>.Build.DenseOfDiagonalVector(a2.PointwiseMultiply(z.SubMatrix(0, d, 0, d).Diagonal()));
            return transition * z * transition.Transpose() + (momentum ? Duplicate(q) : q);
        }
        return OperatorSpectrum(Map, transition.RowCount).Max(z => z.Magnitude);
    }

    /// <summary>
    /// Spectral abscissa of the Langevin generator <c>S ↦ −(H S + S H) + η_eff diag(a² ⊙ diag S)</c> (dense Evd).
    /// </summary>
    public static double LangevinSpectralAbscissa(Problem problem)
    {
        var (h, _, _, a2, eta) = Unpack(problem);
        double kappa = problem.Dynamics is HeavyBallSpec ? eta / (1.0 - TheoryDynamics.Momentum(problem.Dynamics)) : eta;
        Matrix<double> Map(Matrix<double> s) =>
            -(h * s + s * h) + kappa * Matrix<double>.Build.DenseOfDiagonalVector(a2.PointwiseMultiply(s.Diagonal()));
        return OperatorSpectrum(Map, h.RowCount).Max(z => z.Real);
    }

    public static Matrix<double> Duplicate(Matrix<double> q)
    {
        int d = q.RowCount;
        var z = Matrix<double>.Build.Dense(2 * d, 2 * d);
        z.SetSubMatrix(0, 0, q);
        z.SetSubMatrix(0, d, q);
        z.SetSubMatrix(d, 0, q);
        z.SetSubMatrix(d, d, q);
        return z;
    }

    private static IEnumerable<System.Numerics.Complex> OperatorSpectrum(Func<Matrix<double>, Matrix<double>> map, int n)
    {
        var op = Matrix<double>.Build.Dense(n * n, n * n);
        for (int p = 0; p < n; p++)
            for (int q = 0; q < n; q++)
            {
                var unit = Matrix<double>.Build.Dense(n, n);
                unit[p, q] = 1.0;
                var image = map(unit);
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < n; c++) op[r * n + c, p * n + q] = image[r, c];
            }
        return op.Evd().EigenValues;
    }

    private static (Matrix<double> H, Vector<double> B, Matrix<double> Sigma, Vector<double> A2, double Eta) Unpack(Problem problem)
    {
        var landscape = problem.Quadratic;
        return (landscape.Hessian, landscape.LinearTerm, landscape.NoiseCovariance,
            landscape.CurvatureNoiseStd.PointwiseMultiply(landscape.CurvatureNoiseStd), problem.Dynamics.LearningRate);
    }
}
