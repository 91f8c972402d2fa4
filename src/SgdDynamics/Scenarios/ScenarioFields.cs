using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace SgdDynamics.Scenarios;

/// <summary>
/// Checked reading of the values that several scenario sections share (symmetric and PSD matrices, non-negative and
/// positive numbers), for <see cref="ScenarioLoader"/> and the landscape and dynamics registrations.
/// </summary>
internal static class ScenarioFields
{
    /// <summary>Reads a d × d covariance and checks that it is symmetric positive semidefinite; returns it symmetrized.</summary>
    public static Matrix<double> Covariance(JsonField field, int d, string symbol, string dimensionReason)
    {
        var matrix = Symmetrized(field.AsSquareMatrix(d, dimensionReason), field, symbol);
        (double[] eigenvalues, double power) = SymmetricEigenvalues(matrix);

        // λ_min ≥ −tol · max(1, max |λ|) with λ = 2^power · λ', tested on the scaled λ' so that nothing overflows.
        double smallest = eigenvalues.Min();
        double scale = Math.Max(Math.ScaleB(1.0, -(int)power), eigenvalues.Max(Math.Abs));
        if (smallest < -ScenarioLoader.EigenvalueTolerance * scale)
        {
            throw field.Error($"not positive semidefinite (smallest eigenvalue {NumberText.Format(Math.ScaleB(smallest, (int)power), 6)})");
        }

        return matrix;
    }

    /// <summary>
    /// The eigenvalues λ' of a symmetric matrix divided by 2^power, power = 0 unless an entry exceeds 2^500 in
    /// magnitude; then they are those of the matrix scaled by an even power of 2 to entries below 1 (exact), so the
    /// decomposition cannot overflow.
    /// </summary>
    public static (double[] Eigenvalues, double Power) SymmetricEigenvalues(Matrix<double> matrix)
    {
        double largest = matrix.Enumerate().Max(Math.Abs);
        int power = largest > Math.ScaleB(1.0, 500) ? 2 * ((Math.ILogB(largest) + 2) / 2) : 0;
        double[] eigenvalues = SymmetricEigen.Decompose(power == 0 ? matrix : matrix.Map(x => Math.ScaleB(x, -power))).Values;
        return (eigenvalues, power);
    }

    /// <summary>Checks symmetry within <see cref="ScenarioLoader.SymmetryTolerance"/> and returns (A + Aᵀ) / 2 (equal to A when A is exactly symmetric).</summary>
    public static Matrix<double> Symmetrized(Matrix<double> matrix, JsonField field, string symbol)
    {
        int d = matrix.RowCount;
        for (int i = 0; i < d; i++)
        {
            for (int j = i + 1; j < d; j++)
            {
                double upper = matrix[i, j];
                double lower = matrix[j, i];
                double scale = Math.Max(1.0, Math.Max(Math.Abs(upper), Math.Abs(lower)));
                if (Math.Abs(upper - lower) > ScenarioLoader.SymmetryTolerance * scale)
                {
                    throw field.Error(
                        $"matrix is not symmetric ({symbol}[{i}][{j}] = {NumberText.Format(upper)}, {symbol}[{j}][{i}] = {NumberText.Format(lower)})");
                }
            }
        }

        return Matrix<double>.Build.Dense(d, d, (i, j) => 0.5 * matrix[i, j] + 0.5 * matrix[j, i]);
    }

    /// <summary>Checks every entry of a vector field is ≥ 0.</summary>
    public static void RequireNonNegative(JsonField field, Vector<double> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] < 0)
            {
                throw new ScenarioException($"{field.Path}[{i}]", $"must be >= 0 (got {NumberText.Format(values[i])})");
            }
        }
    }

    /// <summary>The required number <paramref name="name"/> ≥ 0 (a written −0 is stored as +0, so equal specs compare equal).</summary>
    public static double NonNegative(ObjectFields fields, string name)
    {
        var field = fields.Required(name);
        double value = field.AsNumber();
        if (value < 0)
        {
            throw field.Error($"must be >= 0 (got {field.Raw})");
        }

        return value + 0.0;
    }

    /// <summary>The required number <paramref name="name"/> &gt; 0.</summary>
    public static double Positive(ObjectFields fields, string name)
    {
        var field = fields.Required(name);
        double value = field.AsNumber();
        if (!(value > 0))
        {
            throw field.Error($"must be > 0 (got {field.Raw})");
        }

        return value;
    }

    /// <summary>A string for messages, quoted and shortened.</summary>
    public static string Quote(string text) =>
        "'" + (text.Length <= 40 ? text : text[..37] + "...").ReplaceLineEndings(" ") + "'";
}
