using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Observers;

/// <summary>
/// A weighted least-squares polynomial fit v(t) = Σ_q a_q t^q to points (t_j, v_j) with standard errors s_j,
/// made by <see cref="Of"/>.
/// </summary>
/// <remarks>
/// <para>
/// The fit minimises χ² = Σ_j ((v_j − v(t_j)) / s_j)² (weights 1/s_j²); it is computed in the centred and
/// scaled time u = (t − t_c)/h, t_c the midpoint and h the half-range of the times, and the coefficients are
/// then expanded in powers of t. Every coefficient is a linear combination â_q = Σ_j A_qj v_j.
/// </para>
/// <para>
/// <see cref="IndependentStandardErrors"/> are the textbook errors √((XᵀWX)⁻¹)_qq, right only when the v_j are
/// independent. Ensemble estimates at successive records come from the same trajectories and are strongly and
/// positively correlated (for a random walk, corr(v_i, v_j) = t_i/t_j), so those errors can be far too small.
/// <see cref="StandardErrors"/> are therefore conservative: the larger of
/// <list type="bullet">
/// <item>the bound Σ_j |A_qj| s_j, which holds for any correlation between the v_j, since
///       Var(Σ_j A_qj v_j) = Σ_ij A_qi A_qj Cov(v_i, v_j) ≤ (Σ_j |A_qj| s_j)² by |Cov(v_i, v_j)| ≤ s_i s_j;
///       it is the exact error when the points are perfectly correlated (for a constant it is the weighted
///       mean of the s_j: the error of one record, not of many independent ones);</item>
/// <item>the independent error inflated by √(χ²/ν) when χ²/ν &gt; 1 (ν = points − coefficients), which covers
///       scatter beyond the stated s_j and a model that misfits.</item>
/// </list>
/// </para>
/// </remarks>
/// <param name="Coefficients">a_0 … a_degree, in powers of t.</param>
/// <param name="StandardErrors">Conservative standard errors of the coefficients (see remarks).</param>
/// <param name="IndependentStandardErrors">Standard errors if the points were independent.</param>
/// <param name="ChiSquared">χ² of the fit.</param>
/// <param name="DegreesOfFreedom">ν = points − (degree + 1).</param>
public sealed record PolynomialFit(
    double[] Coefficients,
    double[] StandardErrors,
    double[] IndependentStandardErrors,
    double ChiSquared,
    int DegreesOfFreedom)
{
    /// <summary>Degree of the polynomial.</summary>
    public int Degree => Coefficients.Length - 1;

    /// <summary>χ²/ν, NaN when ν = 0.</summary>
    public double ReducedChiSquared => DegreesOfFreedom > 0 ? ChiSquared / DegreesOfFreedom : double.NaN;

    /// <summary>The fitted polynomial at time <paramref name="t"/>.</summary>
    public double Evaluate(double t)
    {
        double value = 0.0;
        for (int q = Degree; q >= 0; q--)
        {
            value = value * t + Coefficients[q];
        }

        return value;
    }

    /// <summary>
    /// Fits a polynomial of <paramref name="degree"/> to the points, weighted by 1/<paramref name="standardErrors"/>².
    /// Times must be finite and strictly increasing, values finite, standard errors finite and positive, and
    /// there must be at least degree + 1 points (ν = 0 is allowed; the inflation by √(χ²/ν) then does not apply).
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, fewer points than coefficients, or invalid values.</exception>
    public static PolynomialFit Of(ReadOnlySpan<double> times, ReadOnlySpan<double> values, ReadOnlySpan<double> standardErrors, int degree)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(degree);
        int m = times.Length, p = degree + 1;
        if (values.Length != m || standardErrors.Length != m)
        {
            throw new ArgumentException($"times ({m}), values ({values.Length}) and standard errors ({standardErrors.Length}) differ in length");
        }

        if (m < p)
        {
            throw new ArgumentException($"a degree-{degree} fit needs at least {p} points; got {m}");
        }

        for (int j = 0; j < m; j++)
        {
            if (!double.IsFinite(times[j]) || (j > 0 && !(times[j] > times[j - 1])))
            {
                throw new ArgumentException("times must be finite and strictly increasing", nameof(times));
            }

            if (!double.IsFinite(values[j]) || !(standardErrors[j] > 0) || !double.IsFinite(standardErrors[j]))
            {
                throw new ArgumentException($"point {j}: value {values[j]} and standard error {standardErrors[j]} must be finite, the error positive");
            }
        }

        double centre = m > 1 ? 0.5 * (times[0] + times[m - 1]) : times[0];
        double halfRange = m > 1 ? 0.5 * (times[m - 1] - times[0]) : 1.0;

        // Weighted design X̃_jq = u_j^q / s_j and A_u = (X̃ᵀX̃)⁻¹ X̃ᵀ diag(1/s): the coefficients in u are A_u v.
        var design = Matrix<double>.Build.Dense(m, p);
        for (int j = 0; j < m; j++)
        {
            double u = (times[j] - centre) / halfRange, power = 1.0;
            for (int q = 0; q < p; q++)
            {
                design[j, q] = power / standardErrors[j];
                power *= u;
            }
        }

        Matrix<double> covarianceU = design.TransposeThisAndMultiply(design).Inverse();
        Matrix<double> estimatorU = covarianceU.TransposeAndMultiply(design);
        for (int j = 0; j < m; j++)
        {
            for (int q = 0; q < p; q++)
            {
                estimatorU[q, j] /= standardErrors[j];
            }
        }

        var v = Vector<double>.Build.DenseOfArray(values.ToArray());
        Vector<double> coefficientsU = estimatorU * v;
        double chiSquared = 0.0;
        for (int j = 0; j < m; j++)
        {
            double fitted = 0.0;
            for (int q = 0; q < p; q++)
            {
                fitted += coefficientsU[q] * design[j, q] * standardErrors[j];
            }

            double r = (values[j] - fitted) / standardErrors[j];
            chiSquared += r * r;
        }

        // Expansion in powers of t: ((t − t_c)/h)^r = h^(−r) Σ_q C(r, q) t^q (−t_c)^(r−q).
        var expand = Matrix<double>.Build.Dense(p, p);
        for (int r = 0; r < p; r++)
        {
            double binomial = 1.0; // C(r, q), built up in q
            for (int q = 0; q <= r; q++)
            {
                expand[q, r] = binomial * Math.Pow(-centre, r - q) / Math.Pow(halfRange, r);
                binomial = binomial * (r - q) / (q + 1);
            }
        }

        Matrix<double> estimator = expand * estimatorU;
        Matrix<double> covariance = expand * covarianceU.TransposeAndMultiply(expand);
        Vector<double> coefficients = expand * coefficientsU;
        int dof = m - p;
        double inflation = dof > 0 ? Math.Sqrt(Math.Max(1.0, chiSquared / dof)) : 1.0;
        var independent = new double[p];
        var conservative = new double[p];
        for (int q = 0; q < p; q++)
        {
            independent[q] = Math.Sqrt(Math.Max(0.0, covariance[q, q]));
            double bound = 0.0;
            for (int j = 0; j < m; j++)
            {
                bound += Math.Abs(estimator[q, j]) * standardErrors[j];
            }

            conservative[q] = Math.Max(bound, independent[q] * inflation);
        }

        return new PolynomialFit(coefficients.ToArray(), conservative, independent, chiSquared, dof);
    }
}
