using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Theory;

/// <summary>Builds <see cref="Problem"/> records for the theory tests and dense reference recursions.</summary>
internal static class TheoryProblems
{
    /// <summary>
    /// A quadratic problem with Hessian <paramref name="hessian"/> and noise covariance <paramref name="noise"/>, learning
    /// rate <paramref name="eta"/> and heavy-ball momentum <paramref name="beta"/> (0: plain SGD); the linear term,
    /// curvature noise, initial mean and initial covariance default to zero.
    /// </summary>
    public static Problem Create(
        Matrix<double> hessian,
        Matrix<double> noise,
        double eta,
        double beta = 0.0,
        Vector<double>? linear = null,
        Vector<double>? curvatureStd = null,
        Vector<double>? mean = null,
        Matrix<double>? covariance = null)
    {
        int d = hessian.RowCount;
        linear ??= Vector<double>.Build.Dense(d);
        curvatureStd ??= Vector<double>.Build.Dense(d);
        mean ??= Vector<double>.Build.Dense(d);
        covariance ??= Matrix<double>.Build.Dense(d, d);
        return new Problem(
            new QuadraticLandscapeSpec(hessian, linear, noise, Factor(noise, out bool noiseLower), noiseLower, curvatureStd),
            beta == 0.0 ? new SgdSpec(eta) : new HeavyBallSpec(eta, beta),
            new InitialLaw(mean, covariance, Factor(covariance, out bool initialLower), initialLower));
    }

    /// <summary>
    /// A one-dimensional quadratic problem: curvature <paramref name="lambda"/>, noise variance <paramref name="s2"/>,
    /// curvature-noise variance <paramref name="a2"/>, started at the point <paramref name="x0"/>.
    /// </summary>
    public static Problem OneDimensional(double eta, double lambda, double s2, double a2, double beta = 0.0, double x0 = 0.0) =>
        Create(
            Matrix<double>.Build.Dense(1, 1, lambda),
            Matrix<double>.Build.Dense(1, 1, s2),
            eta, beta,
            curvatureStd: Vector<double>.Build.Dense(1, Math.Sqrt(a2)),
            mean: Vector<double>.Build.Dense(1, x0));

    /// <summary>
    /// The recorded steps of a run of <paramref name="steps"/> steps recording every <paramref name="every"/> steps:
    /// 0, every, 2·every, …, and steps.
    /// </summary>
    public static IReadOnlyList<int> Steps(int steps, int every) => new RecordSpec(every).Steps(steps);

    /// <summary>
    /// A factor F with F Fᵀ = covariance: the Cholesky factor when positive definite (lower triangular),
    /// otherwise the symmetric square root <c>U √Λ Uᵀ</c>.
    /// </summary>
    public static Matrix<double> Factor(Matrix<double> covariance, out bool lowerTriangular)
    {
        var evd = covariance.Evd(Symmetricity.Symmetric);
        lowerTriangular = evd.EigenValues.All(z => z.Real > 0.0);
        if (lowerTriangular) return covariance.Cholesky().Factor;
        var root = Matrix<double>.Build.DenseOfDiagonalVector(evd.EigenValues.Map(z => Math.Sqrt(Math.Max(z.Real, 0.0))));
        return evd.EigenVectors * root * evd.EigenVectors.Transpose();
    }

    /// <summary>Random orthogonal d × d matrix (Q of a Gaussian matrix).</summary>
    public static Matrix<double> RandomOrthogonal(Random random, int d) =>
        Matrix<double>.Build.Dense(d, d, (_, _) => Gaussian(random)).QR().Q;

    /// <summary>Symmetric <c>Q diag(eigenvalues) Qᵀ</c> with a random orthogonal Q.</summary>
    public static Matrix<double> RandomSymmetric(Random random, params double[] eigenvalues)
    {
        var q = RandomOrthogonal(random, eigenvalues.Length);
        var h = q * Matrix<double>.Build.DenseOfDiagonalArray(eigenvalues) * q.Transpose();
        return 0.5 * (h + h.Transpose());
    }

    /// <summary>Full positive-definite covariance <c>G Gᵀ / d + floor I</c>.</summary>
    public static Matrix<double> RandomCovariance(Random random, int d, double floor = 0.1)
    {
        var g = Matrix<double>.Build.Dense(d, d, (_, _) => Gaussian(random));
        var c = g * g.Transpose() / d + floor * Matrix<double>.Build.DenseIdentity(d);
        return 0.5 * (c + c.Transpose());
    }

    public static Vector<double> RandomVector(Random random, int d, double scale = 1.0) =>
        Vector<double>.Build.Dense(d, _ => scale * Gaussian(random));

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());

    /// <summary>Largest |entry| of <c>actual − expected</c> relative to the largest |entry| of expected.</summary>
    public static double RelativeError(Matrix<double> actual, Matrix<double> expected) =>
        (actual - expected).Enumerate().Max(Math.Abs) / expected.Enumerate().Max(Math.Abs);

    /// <summary>Largest |entry| of <c>actual − expected</c> relative to the largest |entry| of expected.</summary>
    public static double RelativeError(Vector<double> actual, Vector<double> expected) =>
        (actual - expected).AbsoluteMaximum() / expected.AbsoluteMaximum();
}
