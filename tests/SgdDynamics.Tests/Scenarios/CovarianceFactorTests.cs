using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Scenarios;

public class CovarianceFactorTests
{
    private static Matrix<double> M(double[,] values) => Matrix<double>.Build.DenseOfArray(values);

    [Fact]
    public void PositiveDefinite_GivesCholeskyFactor()
    {
        var a = M(new[,] { { 1.0, 0.2, -0.3 }, { 0.4, 2.0, 0.1 }, { -0.5, 0.3, 1.5 } });
        var sigma = a * a.Transpose() + 0.1 * Matrix<double>.Build.DenseIdentity(3);

        var (factor, lowerTriangular) = CovarianceFactor.Compute(sigma);

        Assert.True(lowerTriangular);
        AssertLowerTriangular(factor);
        AssertFactorizes(sigma, factor);
        Assert.Equal(sigma.Cholesky().Factor, factor);
    }

    [Fact]
    public void ZeroRowPsd_GivesEmbeddedLowerTriangularFactor()
    {
        var sigma = M(new[,] { { 1.0, 0.0, 0.3 }, { 0.0, 0.0, 0.0 }, { 0.3, 0.0, 0.5 } });

        var (factor, lowerTriangular) = CovarianceFactor.Compute(sigma);

        Assert.True(lowerTriangular);
        AssertLowerTriangular(factor);
        AssertFactorizes(sigma, factor);
        Assert.True(factor.Row(1).All(v => v == 0.0) && factor.Column(1).All(v => v == 0.0));
    }

    [Fact]
    public void RankDeficientPsd_GivesSymmetricSquareRoot()
    {
        var sigma = M(new[,] { { 1.0, 1.0 }, { 1.0, 1.0 } });

        var (factor, lowerTriangular) = CovarianceFactor.Compute(sigma);

        Assert.False(lowerTriangular);
        AssertFactorizes(sigma, factor);
    }

    [Fact]
    public void RankDeficientPsdWithZeroRow_GivesSymmetricSquareRoot()
    {
        var sigma = M(new[,] { { 1.0, 0.0, 1.0 }, { 0.0, 0.0, 0.0 }, { 1.0, 0.0, 1.0 } });

        var (factor, lowerTriangular) = CovarianceFactor.Compute(sigma);

        Assert.False(lowerTriangular);
        AssertFactorizes(sigma, factor);
    }

    [Fact]
    public void RankTwoPsdInFourDimensions_Factorizes()
    {
        var u = Vector<double>.Build.DenseOfArray([1.0, 0.0, 2.0, -1.0]);
        var w = Vector<double>.Build.DenseOfArray([0.5, 0.0, -0.3, 0.7]);
        var sigma = u.OuterProduct(u) + w.OuterProduct(w);

        var (factor, lowerTriangular) = CovarianceFactor.Compute(sigma);

        // Rounding may leave a tiny positive Cholesky pivot; either factor is valid.
        AssertFactorizes(sigma, factor);
        if (lowerTriangular)
        {
            AssertLowerTriangular(factor);
        }
    }

    [Fact]
    public void ZeroMatrix_GivesZeroLowerTriangularFactor()
    {
        var (factor, lowerTriangular) = CovarianceFactor.Compute(Matrix<double>.Build.Dense(3, 3));

        Assert.True(lowerTriangular);
        Assert.Equal(Matrix<double>.Build.Dense(3, 3), factor);
    }

    [Fact]
    public void OneByOne_GivesSquareRoot()
    {
        var (factor, lowerTriangular) = CovarianceFactor.Compute(M(new[,] { { 4.0 } }));

        Assert.True(lowerTriangular);
        Assert.Equal(2.0, factor[0, 0]);
    }

    [Fact]
    public void NonSquare_Throws()
    {
        Assert.Throws<ArgumentException>(() => CovarianceFactor.Compute(Matrix<double>.Build.Dense(2, 3)));
    }

    private static void AssertFactorizes(Matrix<double> sigma, Matrix<double> factor) =>
        Assert.True((factor * factor.Transpose() - sigma).InfinityNorm() <= 1e-12, "L Lᵀ differs from Σ");

    private static void AssertLowerTriangular(Matrix<double> factor)
    {
        for (int i = 0; i < factor.RowCount; i++)
        {
            for (int j = i + 1; j < factor.ColumnCount; j++)
            {
                Assert.Equal(0.0, factor[i, j]);
            }
        }
    }
}
