using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Problems;

/// <summary>
/// Factors a symmetric positive semidefinite covariance Σ as Σ = L Lᵀ, so that L ξ with ξ standard
/// normal has covariance Σ. Used for the gradient-noise covariance and the initial covariance.
/// </summary>
/// <remarks>
/// Strategy, in order:
/// <list type="number">
/// <item>Σ = 0: L = 0 (lower triangular).</item>
/// <item>Σ positive definite: the Cholesky factor (lower triangular).</item>
/// <item>Σ with zero rows/columns (Σᵢᵢ = 0, hence row i is zero) whose remaining block is positive
/// definite: the Cholesky factor of that block embedded back with zero rows/columns (still lower
/// triangular, since the kept indices stay in order).</item>
/// <item>Otherwise (rank deficient): the symmetric square root L = V diag(√max(λ, 0)) Vᵀ from the
/// symmetric eigendecomposition Σ = V diag(λ) Vᵀ (not triangular).</item>
/// </list>
/// </remarks>
public static class CovarianceFactor
{
    /// <summary>Computes a factor L with L Lᵀ = <paramref name="covariance"/>.</summary>
    /// <param name="covariance">A symmetric positive semidefinite square matrix.</param>
    /// <returns>The factor and whether it is lower triangular.</returns>
    /// <exception cref="ArgumentException">The matrix is not square.</exception>
    public static (Matrix<double> Factor, bool LowerTriangular) Compute(Matrix<double> covariance)
    {
        ArgumentNullException.ThrowIfNull(covariance);
        if (covariance.RowCount != covariance.ColumnCount)
        {
            throw new ArgumentException(
                $"covariance must be square (got {covariance.RowCount} x {covariance.ColumnCount})", nameof(covariance));
        }

        int d = covariance.RowCount;
        if (covariance.Enumerate().All(v => v == 0.0))
        {
            return (Matrix<double>.Build.Dense(d, d), true);
        }

        // Entries beyond 2^500 are factored scaled by an even power of 2, 4^-k (exact in every step), and the
        // factor scaled back by 2^k, so that the products inside the factorisation cannot overflow.
        double largest = covariance.Enumerate().Max(Math.Abs);
        if (largest > Math.ScaleB(1.0, 500))
        {
            int k = (Math.ILogB(largest) + 2) / 2;
            var (scaled, lower) = Compute(covariance.Map(x => Math.ScaleB(x, -2 * k)));
            return (scaled.Map(x => Math.ScaleB(x, k)), lower);
        }

        if (TryCholesky(covariance) is { } full)
        {
            return (full, true);
        }

        if (TryCholeskyOnNonzeroBlock(covariance) is { } embedded)
        {
            return (embedded, true);
        }

        return (SymmetricSquareRoot(covariance), false);
    }

    private static Matrix<double>? TryCholesky(Matrix<double> matrix)
    {
        try
        {
            var factor = matrix.Cholesky().Factor;
            return factor.Enumerate().All(double.IsFinite) ? factor : null;
        }
        catch (ArgumentException)
        {
            // MathNet signals "not positive definite" with an ArgumentException.
            return null;
        }
    }

    /// <summary>Cholesky of the block of indices with a nonzero diagonal, when the other rows and columns are exactly zero.</summary>
    private static Matrix<double>? TryCholeskyOnNonzeroBlock(Matrix<double> matrix)
    {
        int d = matrix.RowCount;
        var kept = Enumerable.Range(0, d).Where(i => matrix[i, i] != 0.0).ToArray();
        if (kept.Length == d)
        {
            return null;
        }

        var dropped = Enumerable.Range(0, d).Except(kept);
        if (dropped.Any(i => matrix.Row(i).Any(v => v != 0.0) || matrix.Column(i).Any(v => v != 0.0)))
        {
            return null;
        }

        var block = Matrix<double>.Build.Dense(kept.Length, kept.Length, (a, b) => matrix[kept[a], kept[b]]);
        if (TryCholesky(block) is not { } blockFactor)
        {
            return null;
        }

        var factor = Matrix<double>.Build.Dense(d, d);
        for (int a = 0; a < kept.Length; a++)
        {
            for (int b = 0; b <= a; b++)
            {
                factor[kept[a], kept[b]] = blockFactor[a, b];
            }
        }

        return factor;
    }

    private static Matrix<double> SymmetricSquareRoot(Matrix<double> matrix)
    {
        (double[] values, var v) = SymmetricEigen.Decompose(matrix);
        var sqrtLambda = Matrix<double>.Build.DiagonalOfDiagonalVector(
            Vector<double>.Build.DenseOfEnumerable(values.Select(l => Math.Sqrt(Math.Max(l, 0.0)))));
        return v * sqrtLambda * v.Transpose();
    }
}
