using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics;

/// <summary>
/// MathNet's symmetric eigen decomposition, safe at the edges of the double range: a matrix whose largest entry is beyond
/// 2^500 or below 2^-500 is decomposed scaled by an even power of 2, 4^-k (exact in every product, quotient and square
/// root, so the result is the same as far as it does not overflow), and its eigenvalues scaled back; entries below
/// 2^-1000 of the largest are taken as 0; a matrix with a NaN or infinite entry has
/// NaN eigenvalues and eigenvectors. Every other matrix goes to <see cref="Matrix{T}.Evd(Symmetricity)"/> unchanged.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues (MathNet's order) and eigenvectors (the columns) of the symmetric matrix <paramref name="matrix"/>.</summary>
    public static (double[] Values, Matrix<double> Vectors) Decompose(Matrix<double> matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int d = matrix.RowCount;
        double largest = 0.0;
        foreach (double x in matrix.Enumerate())
        {
            if (!double.IsFinite(x))
            {
                return (Enumerable.Repeat(double.NaN, d).ToArray(), Matrix<double>.Build.Dense(d, d, double.NaN));
            }

            largest = Math.Max(largest, Math.Abs(x));
        }

        int power = 0;
        if (largest > Math.ScaleB(1.0, 500) || (largest > 0 && largest < Math.ScaleB(1.0, -500)))
        {
            power = 2 * ((Math.ILogB(largest) + 2) / 2);
            matrix = matrix.Map(x => Math.ScaleB(x, -power));
            largest = Math.ScaleB(largest, -power);
        }

        // Entries below 2^-1000 of the largest are far below the decomposition's own backward error (ε‖A‖): they are set
        // to 0, which keeps MathNet's QL iteration away from subnormal numbers (where it can run past its arrays).
        double negligible = Math.ScaleB(largest, -1000);
        if (matrix.Enumerate().Any(x => x != 0.0 && Math.Abs(x) < negligible))
        {
            matrix = matrix.Map(x => Math.Abs(x) < negligible ? 0.0 : x);
        }

        var evd = matrix.Evd(Symmetricity.Symmetric);
        return (evd.EigenValues.Select(z => Math.ScaleB(z.Real, power)).ToArray(), evd.EigenVectors);
    }

    /// <summary>
    /// (A + Aᵀ)/2, or A/2 + Aᵀ/2 when the sum overflows (the same numbers wherever neither overflows nor is subnormal).
    /// </summary>
    public static Matrix<double> Symmetrize(Matrix<double> matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Matrix<double> symmetric = 0.5 * (matrix + matrix.Transpose());
        return symmetric.Enumerate().All(double.IsFinite) || !matrix.Enumerate().All(double.IsFinite)
            ? symmetric
            : (0.5 * matrix) + (0.5 * matrix.Transpose());
    }
}
