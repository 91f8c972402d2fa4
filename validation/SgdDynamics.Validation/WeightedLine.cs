using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Validation;

/// <summary>
/// Weighted least-squares line y = a + b x with known standard errors of y (weights 1/SE²):
/// β = (XᵀWX)⁻¹XᵀWy, Cov β = (XᵀWX)⁻¹ (Aitken). Points are treated as independent.
/// </summary>
public readonly record struct WeightedLine(double Intercept, double Slope, double InterceptError, double SlopeError)
{
    /// <summary>Fits the line.</summary>
    public static WeightedLine Fit(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> standardErrors)
    {
        int n = x.Count;
        var design = Matrix<double>.Build.Dense(n, 2, (i, j) => j == 0 ? 1.0 : x[i]);
        var weights = Matrix<double>.Build.Diagonal(n, n, i => 1.0 / (standardErrors[i] * standardErrors[i]));
        Matrix<double> normal = design.TransposeThisAndMultiply(weights * design);
        Matrix<double> covariance = normal.Inverse();
        Vector<double> beta = covariance * design.TransposeThisAndMultiply(weights * Vector<double>.Build.DenseOfEnumerable(y));
        return new WeightedLine(beta[0], beta[1], Math.Sqrt(covariance[0, 0]), Math.Sqrt(covariance[1, 1]));
    }
}
