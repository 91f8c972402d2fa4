using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Ensembles;
using SgdDynamics.Statistics;

namespace SgdDynamics.Observers;

/// <summary>How the standard error of a mode variance was obtained.</summary>
public enum VarianceErrorMethod
{
    /// <summary>√(2/(n − 1)) vᵀCv: exact for Gaussian projections, from the covariance alone.</summary>
    GaussianApproximation,

    /// <summary>√((m₄ − m₂²)/n) from the projections of the individual states: no distributional assumption.</summary>
    FourthMoment,
}

/// <summary>The variance of the ensemble along one eigenvector of the Hessian.</summary>
/// <param name="Mode">Index of the mode (eigenvalues ascending).</param>
/// <param name="Eigenvalue">Its eigenvalue λ.</param>
/// <param name="Variance">vᵀCv, C the unbiased sample covariance (the unbiased sample variance of the projections vᵀx).</param>
/// <param name="StandardError">Standard error of <see cref="Variance"/>, by <see cref="ErrorMethod"/>.</param>
/// <param name="Count">Number n of states behind the estimate.</param>
/// <param name="Excluded">States left out: diverged trajectories, or states with a non-finite component.</param>
/// <param name="ErrorMethod">How <see cref="StandardError"/> was computed.</param>
public sealed record ModeVariance(
    int Mode,
    double Eigenvalue,
    double Variance,
    double StandardError,
    long Count,
    long Excluded,
    VarianceErrorMethod ErrorMethod);

/// <summary>
/// Variances along the eigenvectors of a symmetric Hessian H = V Λ Vᵀ: mode i has variance v_iᵀ C v_i, the variance
/// of the projection p = v_iᵀ x (Var(vᵀx) = vᵀ Cov(x) v). The eigen decomposition is MathNet's symmetric one
/// (<see cref="Matrix{T}.Evd(Symmetricity)"/>); modes are ordered by ascending eigenvalue (ties keep MathNet's
/// order) and each eigenvector's sign is fixed so that its largest-magnitude component is positive (the first
/// such component when several are equal to within a relative 1e-9).
/// </summary>
/// <remarks>
/// <para>
/// Standard errors. From the moments alone (<see cref="FromMoments"/>, <see cref="Series"/>) only the covariance of
/// the projection is known, not its fourth moment, so the error assumes Gaussian projections: for n Gaussian
/// samples (n − 1) s²/σ² is χ² with n − 1 degrees of freedom, Var(s²) = 2σ⁴/(n − 1), and the error is
/// √(2/(n − 1)) vᵀCv. This holds for linear SGD with Gaussian noise started from a Gaussian or a point; with
/// curvature noise the stationary law has power-law tails (Kesten) and the error is too small. From the states
/// (<see cref="FromStates(ReadOnlySpan{float})"/>) the error is √((m₄ − m₂²)/n) with the population central
/// moments m₂, m₄ of the projections: the large-n form of Var(s²) ≈ (μ₄ − σ⁴)/n, the same formula as
/// <see cref="Moments.VarianceStandardError"/>.
/// </para>
/// <para>
/// For a repeated eigenvalue the eigenvectors inside its eigenspace are any orthonormal basis MathNet returns; the
/// variance of each is basis-dependent, their sum (the trace of C over the eigenspace) is not.
/// </para>
/// </remarks>
public sealed class EigenmodeProjection
{
    private const double SymmetryTolerance = 1e-12;
    private const double SignTieTolerance = 1e-9;
    private const int ProjectionBlockValues = 1 << 16;

    private readonly double[] eigenvalues;
    private readonly Matrix<double> eigenvectors; // columns

    /// <summary>Decomposes the symmetric matrix <paramref name="hessian"/>.</summary>
    /// <exception cref="ArgumentException">Not square, not finite, or not symmetric to within 1e-12 of its largest entry.</exception>
    public EigenmodeProjection(Matrix<double> hessian)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        if (hessian.RowCount != hessian.ColumnCount || hessian.RowCount == 0)
        {
            throw new ArgumentException($"the Hessian must be square and non-empty; got {hessian.RowCount} × {hessian.ColumnCount}", nameof(hessian));
        }

        double scale = 0.0;
        foreach (double h in hessian.Enumerate())
        {
            if (!double.IsFinite(h))
            {
                throw new ArgumentException("the Hessian has a non-finite entry", nameof(hessian));
            }

            scale = Math.Max(scale, Math.Abs(h));
        }

        int d = hessian.RowCount;
        for (int i = 0; i < d; i++)
        {
            for (int j = i + 1; j < d; j++)
            {
                if (Math.Abs(hessian[i, j] - hessian[j, i]) > SymmetryTolerance * scale)
                {
                    throw new ArgumentException($"the Hessian is not symmetric: H[{i},{j}] = {hessian[i, j]} but H[{j},{i}] = {hessian[j, i]}", nameof(hessian));
                }
            }
        }

        (double[] values, Matrix<double> vectors) = SymmetricEigen.Decompose(SymmetricEigen.Symmetrize(hessian));
        int[] order = Enumerable.Range(0, d).OrderBy(i => values[i]).ThenBy(i => i).ToArray();
        eigenvalues = order.Select(i => values[i]).ToArray();
        eigenvectors = Matrix<double>.Build.Dense(d, d);
        for (int mode = 0; mode < d; mode++)
        {
            Vector<double> v = vectors.Column(order[mode]);
            eigenvectors.SetColumn(mode, FixSign(v / v.L2Norm()));
        }
    }

    /// <summary>Decomposes the symmetric matrix <paramref name="hessian"/>.</summary>
    public EigenmodeProjection(double[,] hessian)
        : this(Matrix<double>.Build.DenseOfArray(hessian ?? throw new ArgumentNullException(nameof(hessian))))
    {
    }

    /// <summary>Dimension d.</summary>
    public int Dimension => eigenvalues.Length;

    /// <summary>Eigenvalues λ_0 ≤ λ_1 ≤ … (a copy).</summary>
    public double[] Eigenvalues => (double[])eigenvalues.Clone();

    /// <summary>Eigenvectors as the columns of V, in the order of <see cref="Eigenvalues"/> (a copy).</summary>
    public Matrix<double> Eigenvectors => eigenvectors.Clone();

    /// <summary>Eigenvector of mode <paramref name="mode"/> (a copy).</summary>
    public Vector<double> Eigenvector(int mode) => eigenvectors.Column(mode);

    /// <summary>√(2/(n − 1)) · <paramref name="variance"/>: the standard error of a sample variance of n Gaussian samples (NaN for n &lt; 2).</summary>
    public static double GaussianVarianceStandardError(double variance, long count) =>
        count >= 2 ? Math.Sqrt(2.0 / (count - 1)) * variance : double.NaN;

    /// <summary>v_iᵀ C v_i for every mode i, C a d × d covariance (e.g. <see cref="Moments.Covariance"/>).</summary>
    public double[] Variances(double[,] covariance)
    {
        Matrix<double> c = CovarianceMatrix(covariance);
        var variances = new double[Dimension];
        for (int mode = 0; mode < Dimension; mode++)
        {
            Vector<double> v = eigenvectors.Column(mode);
            // vᵀCv of a positive semidefinite C; rounding can leave a zero spread a hair below zero.
            variances[mode] = Math.Max(0.0, v.DotProduct(c * v));
        }

        return variances;
    }

    /// <summary>
    /// Mode variances from the moments of one record, with the Gaussian-approximation error √(2/(n − 1)) vᵀCv
    /// (see remarks); <see cref="ModeVariance.Excluded"/> is <see cref="Moments.Diverged"/>.
    /// </summary>
    public ModeVariance[] FromMoments(Moments moments)
    {
        ArgumentNullException.ThrowIfNull(moments);
        double[] variances = Variances(moments.Covariance);
        return variances
            .Select((v, mode) => new ModeVariance(
                mode, eigenvalues[mode], v, GaussianVarianceStandardError(v, moments.Count), moments.Count, moments.Diverged,
                VarianceErrorMethod.GaussianApproximation))
            .ToArray();
    }

    /// <summary>
    /// Mode variances from individual states (rows of <see cref="Dimension"/> values, e.g.
    /// <see cref="EnsembleResult.FinalStates"/>): the unbiased sample variance of the projections vᵀx and its
    /// error √((m₄ − m₂²)/n), from the central sums of the projections (two passes: the mean state, then
    /// vᵀ(x − x̄) for blocks of states). States with a NaN or infinite component (diverged) are left out and counted.
    /// </summary>
    public ModeVariance[] FromStates(ReadOnlySpan<float> states) => FromStatesCore(states);

    /// <inheritdoc cref="FromStates(ReadOnlySpan{float})"/>
    public ModeVariance[] FromStates(ReadOnlySpan<double> states) => FromStatesCore(states);

    /// <summary>Mode variances of the final states of an ensemble run solved with <c>keepFinalStates</c>.</summary>
    /// <exception cref="InvalidOperationException">The run did not keep its final states.</exception>
    public ModeVariance[] FromFinalStates(EnsembleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        float[] states = result.FinalStates ?? throw new InvalidOperationException("final states were not kept: solve with keepFinalStates");
        CheckDimension(result.Problem.Dimension);
        return FromStates(states);
    }

    /// <summary>
    /// The variance of mode <paramref name="mode"/> at every record, with the Gaussian-approximation error and the
    /// diverged counts, ready for <see cref="RegimeClassifier"/>.
    /// </summary>
    public VarianceSeries Series(IReadOnlyList<EnsembleRecord> records, int mode)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfNegative(mode);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(mode, Dimension);
        if (records.Count == 0)
        {
            throw new ArgumentException("no records", nameof(records));
        }

        var times = new double[records.Count];
        var variances = new double[records.Count];
        var errors = new double[records.Count];
        var diverged = new long[records.Count];
        for (int r = 0; r < records.Count; r++)
        {
            ModeVariance m = FromMoments(records[r].Moments)[mode];
            times[r] = records[r].Time;
            variances[r] = m.Variance;
            errors[r] = m.StandardError;
            diverged[r] = records[r].Moments.Diverged;
        }

        return new VarianceSeries(times, variances, errors, diverged);
    }

    /// <summary>
    /// <see cref="Series(IReadOnlyList{EnsembleRecord}, int)"/> of every mode, with one projection of each record's
    /// moments for all modes (d times cheaper than asking mode by mode).
    /// </summary>
    public VarianceSeries[] AllSeries(IReadOnlyList<EnsembleRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            throw new ArgumentException("no records", nameof(records));
        }

        int d = Dimension, count = records.Count;
        var times = records.Select(r => r.Time).ToArray();
        var diverged = records.Select(r => r.Moments.Diverged).ToArray();
        var variances = new double[d][];
        var errors = new double[d][];
        for (int m = 0; m < d; m++)
        {
            variances[m] = new double[count];
            errors[m] = new double[count];
        }

        for (int r = 0; r < count; r++)
        {
            ModeVariance[] modes = FromMoments(records[r].Moments);
            for (int m = 0; m < d; m++)
            {
                variances[m][r] = modes[m].Variance;
                errors[m][r] = modes[m].StandardError;
            }
        }

        return Enumerable.Range(0, d).Select(m => new VarianceSeries(times, variances[m], errors[m], diverged)).ToArray();
    }

    private ModeVariance[] FromStatesCore<T>(ReadOnlySpan<T> states)
        where T : struct, System.Numerics.IFloatingPointIeee754<T>
    {
        int d = Dimension;
        if (states.Length % d != 0)
        {
            throw new ArgumentException($"{states.Length} values are not a whole number of {d}-dimensional states", nameof(states));
        }

        int rows = states.Length / d;
        var mean = new double[d];
        long n = 0;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> x = states.Slice(row * d, d);
            if (IsFinite(x))
            {
                for (int i = 0; i < d; i++)
                {
                    mean[i] += double.CreateTruncating(x[i]);
                }

                n++;
            }
        }

        for (int i = 0; i < d; i++)
        {
            mean[i] /= n;
        }

        // Central sums of the projections vᵀ(x − x̄), a block of states at a time: P = Y V.
        var s2 = new double[d];
        var s4 = new double[d];
        int blockRows = Math.Max(1, Math.Min(rows, ProjectionBlockValues / d));
        var block = Matrix<double>.Build.Dense(blockRows, d);
        var projected = Matrix<double>.Build.Dense(blockRows, d);
        int filled = 0;
        for (int row = 0; row <= rows; row++)
        {
            if (filled == blockRows || (row == rows && filled > 0))
            {
                block.Multiply(eigenvectors, projected);
                for (int mode = 0; mode < d; mode++)
                {
                    for (int b = 0; b < filled; b++)
                    {
                        double p = projected[b, mode], p2 = p * p;
                        s2[mode] += p2;
                        s4[mode] += p2 * p2;
                    }
                }

                filled = 0;
            }

            if (row == rows)
            {
                break;
            }

            ReadOnlySpan<T> x = states.Slice(row * d, d);
            if (IsFinite(x))
            {
                for (int i = 0; i < d; i++)
                {
                    block[filled, i] = double.CreateTruncating(x[i]) - mean[i];
                }

                filled++;
            }
        }

        var result = new ModeVariance[d];
        for (int mode = 0; mode < d; mode++)
        {
            double m2 = s2[mode] / n, m4 = s4[mode] / n;
            (double variance, double error) = n >= 2
                ? (s2[mode] / (n - 1), Math.Sqrt(Math.Max(0.0, m4 - m2 * m2) / n))
                : (double.NaN, double.NaN);
            result[mode] = new ModeVariance(mode, eigenvalues[mode], variance, error, n, rows - n, VarianceErrorMethod.FourthMoment);
        }

        return result;
    }

    private static bool IsFinite<T>(ReadOnlySpan<T> x)
        where T : struct, System.Numerics.IFloatingPointIeee754<T>
    {
        foreach (T value in x)
        {
            if (!T.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    private static Vector<double> FixSign(Vector<double> v)
    {
        double largest = v.AbsoluteMaximum();
        for (int i = 0; i < v.Count; i++)
        {
            if (Math.Abs(v[i]) >= largest * (1.0 - SignTieTolerance))
            {
                return v[i] < 0 ? -v : v;
            }
        }

        return v;
    }

    private Matrix<double> CovarianceMatrix(double[,] covariance)
    {
        ArgumentNullException.ThrowIfNull(covariance);
        if (covariance.GetLength(0) != Dimension || covariance.GetLength(1) != Dimension)
        {
            throw new ArgumentException(
                $"the covariance is {covariance.GetLength(0)} × {covariance.GetLength(1)}; the Hessian is {Dimension} × {Dimension}", nameof(covariance));
        }

        return Matrix<double>.Build.DenseOfArray(covariance);
    }

    private void CheckDimension(int dimension)
    {
        if (dimension != Dimension)
        {
            throw new ArgumentException($"the states are {dimension}-dimensional; the Hessian is {Dimension} × {Dimension}");
        }
    }
}
