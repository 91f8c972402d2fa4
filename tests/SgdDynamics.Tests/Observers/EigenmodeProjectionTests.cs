using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Observers;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Observers;

public class EigenmodeProjectionTests
{
    /// <summary>A random orthogonal matrix (Q of the QR of a seeded Gaussian matrix).</summary>
    private static Matrix<double> Rotation(int d, int seed)
    {
        var normal = new Normal(0.0, 1.0, new System.Random(seed));
        return Matrix<double>.Build.Dense(d, d, (_, _) => normal.Sample()).QR().Q;
    }

    private static Matrix<double> Rotated(Matrix<double> rotation, params double[] diagonal) =>
        rotation * Matrix<double>.Build.DenseOfDiagonalArray(diagonal) * rotation.Transpose();

    [Fact]
    public void RotatedDiagonalMatricesGiveBackTheDiagonal()
    {
        Matrix<double> r = Rotation(4, seed: 1);
        Matrix<double> h = Rotated(r, 3.0, 0.0, 1.0, 2.0);
        Matrix<double> c = Rotated(r, 0.3, 7.0, 0.1, 0.2); // C shares H's eigenvectors
        var projection = new EigenmodeProjection(h);

        Assert.Equal(4, projection.Dimension);
        double[] lambda = projection.Eigenvalues;
        Assert.Equal([0.0, 1.0, 2.0, 3.0], lambda.Select(x => Math.Round(x, 12)).ToArray());
        double[] variances = projection.Variances(c.ToArray());
        double[] expected = [7.0, 0.1, 0.2, 0.3]; // in ascending-eigenvalue order
        for (int mode = 0; mode < 4; mode++)
        {
            Assert.Equal(expected[mode], variances[mode], 12);
            Vector<double> v = projection.Eigenvector(mode);
            Assert.Equal(1.0, v.L2Norm(), 12);
            Assert.True((h * v - lambda[mode] * v).L2Norm() < 1e-12);
            // Sign rule: the largest-magnitude component is positive.
            Assert.True(v[v.AbsoluteMaximumIndex()] > 0);
        }

        Matrix<double> basis = projection.Eigenvectors;
        Assert.True((basis.TransposeThisAndMultiply(basis) - Matrix<double>.Build.DenseIdentity(4)).InfinityNorm() < 1e-12);
    }

    [Fact]
    public void SignRuleIsDeterministicForTiedComponents()
    {
        // H = [[2, 1], [1, 2]]: eigenvectors (1, −1)/√2 (λ = 1) and (1, 1)/√2 (λ = 3); equal magnitudes → the first is positive.
        var projection = new EigenmodeProjection(new double[,] { { 2, 1 }, { 1, 2 } });
        Assert.Equal(1.0, projection.Eigenvalues[0], 12);
        Assert.Equal(3.0, projection.Eigenvalues[1], 12);
        Assert.Equal(Math.Sqrt(0.5), projection.Eigenvector(0)[0], 12);
        Assert.Equal(-Math.Sqrt(0.5), projection.Eigenvector(0)[1], 12);
        Assert.Equal(Math.Sqrt(0.5), projection.Eigenvector(1)[0], 12);
        Assert.Equal(Math.Sqrt(0.5), projection.Eigenvector(1)[1], 12);

        // A diagonal Hessian: unit vectors, ordered by eigenvalue, each with a +1.
        var diagonal = new EigenmodeProjection(new double[,] { { 5, 0, 0 }, { 0, -1, 0 }, { 0, 0, 2 } });
        Assert.Equal([-1.0, 2.0, 5.0], diagonal.Eigenvalues);
        Assert.Equal(Matrix<double>.Build.DenseOfArray(new double[,] { { 0, 0, 1 }, { 1, 0, 0 }, { 0, 1, 0 } }), diagonal.Eigenvectors);
    }

    [Fact]
    public void GaussianErrorFromMoments()
    {
        var projection = new EigenmodeProjection(new double[,] { { 1, 0 }, { 0, 4 } });
        var moments = new Moments(2, 1001, 3, [0, 0], new double[,] { { 2.0, 0.5 }, { 0.5, 0.25 } }, [0, 0], [0, 0], [0, 0], [0, 0]);
        ModeVariance[] modes = projection.FromMoments(moments);
        Assert.Equal(2.0, modes[0].Variance, 14);
        Assert.Equal(0.25, modes[1].Variance, 14);
        Assert.Equal(Math.Sqrt(2.0 / 1000) * 2.0, modes[0].StandardError, 14);
        Assert.Equal(Math.Sqrt(2.0 / 1000) * 0.25, modes[1].StandardError, 14);
        Assert.All(modes, m => Assert.Equal(VarianceErrorMethod.GaussianApproximation, m.ErrorMethod));
        Assert.All(modes, m => Assert.Equal(3, m.Excluded));
        Assert.Equal(1001, modes[0].Count);
        Assert.Equal(4.0, modes[1].Eigenvalue);
        Assert.True(double.IsNaN(EigenmodeProjection.GaussianVarianceStandardError(1.0, 1)));
    }

    [Fact]
    public void StatesGiveTheSampleVarianceOfProjectionsAndTheFourthMomentError()
    {
        // Gaussian states with covariance R diag(1, 9) Rᵀ: mode variances 1 and 9, and the fourth-moment error
        // agrees with the Gaussian one √(2/(n−1)) σ² to within its own sampling error (a few per cent at n = 2e5).
        Matrix<double> r = Rotation(2, seed: 2);
        var projection = new EigenmodeProjection(Rotated(r, 1.0, 2.0));
        const int n = 200_000;
        var normal = new Normal(0.0, 1.0, new System.Random(3));
        var states = new float[2 * n + 4];
        for (int i = 0; i < n; i++)
        {
            Vector<double> x = r * Vector<double>.Build.DenseOfArray([1.0 * normal.Sample(), 3.0 * normal.Sample()]);
            states[2 * i] = (float)x[0];
            states[2 * i + 1] = (float)x[1];
        }

        states[^4] = float.NaN; // a diverged state
        states[^3] = 1f;
        states[^2] = 2f;
        states[^1] = float.PositiveInfinity;
        ModeVariance[] modes = projection.FromStates(states);
        Assert.All(modes, m => Assert.Equal(n, m.Count));
        Assert.All(modes, m => Assert.Equal(2, m.Excluded));
        Assert.All(modes, m => Assert.Equal(VarianceErrorMethod.FourthMoment, m.ErrorMethod));
        Assert.True(Math.Abs(modes[0].Variance - 1.0) < 5 * modes[0].StandardError);
        Assert.True(Math.Abs(modes[1].Variance - 9.0) < 5 * modes[1].StandardError);
        Assert.InRange(modes[0].StandardError / EigenmodeProjection.GaussianVarianceStandardError(modes[0].Variance, n), 0.95, 1.05);
        Assert.InRange(modes[1].StandardError / EigenmodeProjection.GaussianVarianceStandardError(modes[1].Variance, n), 0.95, 1.05);

        // The same as a direct two-pass computation on the projections.
        for (int mode = 0; mode < 2; mode++)
        {
            Vector<double> v = projection.Eigenvector(mode);
            double[] p = Enumerable.Range(0, n).Select(i => v[0] * states[2 * i] + v[1] * states[2 * i + 1]).ToArray();
            double mean = p.Average();
            double m2 = p.Sum(x => (x - mean) * (x - mean)) / n;
            double m4 = p.Sum(x => Math.Pow(x - mean, 4)) / n;
            Assert.Equal(m2 * n / (n - 1), modes[mode].Variance, 10);
            Assert.Equal(Math.Sqrt((m4 - m2 * m2) / n), modes[mode].StandardError, 10);
        }

        // Doubles give the same numbers as the floats they hold.
        ModeVariance[] fromDoubles = projection.FromStates(states.Select(x => (double)x).ToArray());
        Assert.Equal(modes, fromDoubles);
    }

    [Fact]
    public void HeavyTailedProjectionsHaveALargerErrorThanTheGaussianOne()
    {
        // Student-t with 5 degrees of freedom: kurtosis 9, so Var(s²) ≈ (μ₄ − σ⁴)/n = 8σ⁴/n, twice the Gaussian 2σ⁴/n.
        var projection = new EigenmodeProjection(new double[,] { { 1.0 } });
        var samples = new double[400_000];
        new StudentT(0.0, 1.0, 5.0, new System.Random(4)).Samples(samples);
        ModeVariance mode = projection.FromStates(samples)[0];
        double ratio = mode.StandardError / EigenmodeProjection.GaussianVarianceStandardError(mode.Variance, samples.Length);
        Assert.InRange(ratio, 1.6, 2.4);
    }

    [Fact]
    public void InvalidInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new EigenmodeProjection(new double[,] { { 1, 2 }, { 0, 1 } }));
        Assert.Throws<ArgumentException>(() => new EigenmodeProjection(new double[,] { { 1, 2, 3 }, { 2, 1, 0 } }));
        Assert.Throws<ArgumentException>(() => new EigenmodeProjection(new double[,] { { double.NaN } }));
        var projection = new EigenmodeProjection(new double[,] { { 1, 0 }, { 0, 2 } });
        Assert.Throws<ArgumentException>(() => projection.Variances(new double[3, 3]));
        Assert.Throws<ArgumentException>(() => projection.FromStates(new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => projection.Series([], 2));
    }
}
