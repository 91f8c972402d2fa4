namespace SgdDynamics.Statistics;

/// <summary>
/// Ensemble moments of one record, computed by <see cref="MomentAccumulator.ToMoments"/> from exact
/// sums in rational arithmetic and correctly rounded to double once at the end (so a huge mean
/// does not cancel digits out of a tiny variance). With raw sums Sₖ = Σ xᵏ over n trajectories:
/// <list type="bullet">
/// <item>mean x̄ = S₁/n;</item>
/// <item>unbiased covariance C = (n S₂ − S₁S₁ᵀ) / (n(n−1));</item>
/// <item>population central moments m₂ = S₂/n − x̄², m₃ = S₃/n − 3x̄S₂/n + 2x̄³,
///       m₄ = S₄/n − 4x̄S₃/n + 6x̄²S₂/n − 3x̄⁴;</item>
/// <item>standard error of the mean √(Cᵢᵢ/n);</item>
/// <item>standard error of the sample variance √((m₄ − m₂²)/n), the large-n form of
///       Var(s²) ≈ (μ₄ − σ⁴)/n.</item>
/// </list>
/// With n = 0 every statistic is NaN; with n = 1 the mean and central moments are defined and the
/// covariance and both standard errors are NaN. A standard error whose radicand is negative (only
/// possible when rounding in the deposited tile sums makes them mutually inconsistent) is 0. A coordinate whose
/// n S₂ − S₁² is within the truncation error of the fixed-point sums (no spread at all, e.g. noise-free dynamics)
/// has variance, covariances, central moments and standard errors of exactly 0; scores divided by such an error are
/// undefined, and the observers say so instead of computing them.
/// An ensemble that records coordinates only (<see cref="Kernels.Statistics.StatisticsPlan.Coordinates"/>, d above
/// <see cref="Problems.Limits.MaxDimension"/>) has no covariance: <see cref="HasCovariance"/> is false, <see cref="Variance"/>
/// holds the variances Cᵢᵢ and reading <see cref="Covariance"/> throws, so no consumer can take an unrecorded covariance for a number.
/// Record equality compares the arrays by reference; compare <see cref="MomentAccumulator"/>s for exact equality.
/// </summary>
/// <param name="Dimension">Dimension d of a state.</param>
/// <param name="Count">Number n of trajectories in the statistics (diverged ones excluded).</param>
/// <param name="Diverged">Number of trajectories excluded because they diverged.</param>
/// <param name="Mean">Mean x̄ (length d).</param>
/// <param name="Covariance">Unbiased sample covariance C (d × d, symmetric); see <see cref="CoordinatesOnly"/> for moments without one.</param>
/// <param name="MeanStandardError">√(Cᵢᵢ/n) per coordinate.</param>
/// <param name="VarianceStandardError">√((m₄ − m₂²)/n) per coordinate: the standard error of Cᵢᵢ.</param>
/// <param name="ThirdCentralMoment">m₃ = (1/n) Σ (xᵢ − x̄ᵢ)³ per coordinate.</param>
/// <param name="FourthCentralMoment">m₄ = (1/n) Σ (xᵢ − x̄ᵢ)⁴ per coordinate.</param>
public sealed record Moments(
    int Dimension,
    long Count,
    long Diverged,
    double[] Mean,
    double[,] Covariance,
    double[] MeanStandardError,
    double[] VarianceStandardError,
    double[] ThirdCentralMoment,
    double[] FourthCentralMoment)
{
    private readonly double[,]? covariance = Covariance;

    /// <summary>Unbiased sample covariance C (d × d, symmetric).</summary>
    /// <exception cref="InvalidOperationException">The covariance was not recorded (<see cref="HasCovariance"/> is false).</exception>
    public double[,] Covariance
    {
        get => covariance ?? throw new InvalidOperationException(
            $"the covariance was not recorded (d = {Dimension} > {Problems.Limits.MaxDimension}: coordinates only); use Variance");
        init => covariance = value;
    }

    /// <summary>True when the full covariance was recorded; false for coordinates-only statistics.</summary>
    public bool HasCovariance => covariance is not null;

    /// <summary>Unbiased sample variance Cᵢᵢ per coordinate (the covariance's diagonal when it was recorded).</summary>
    public double[] Variance { get; init; } = Diagonal(Covariance);

    /// <summary>
    /// Moments of coordinates-only statistics: means, variances, standard errors and central moments per coordinate,
    /// no covariance (<see cref="HasCovariance"/> false).
    /// </summary>
    public static Moments CoordinatesOnly(
        int dimension,
        long count,
        long diverged,
        double[] mean,
        double[] variance,
        double[] meanStandardError,
        double[] varianceStandardError,
        double[] thirdCentralMoment,
        double[] fourthCentralMoment) =>
        new(dimension, count, diverged, mean, null!, meanStandardError, varianceStandardError, thirdCentralMoment, fourthCentralMoment)
        {
            Variance = variance,
        };

    private static double[] Diagonal(double[,]? matrix)
    {
        if (matrix is null)
        {
            return [];
        }

        var diagonal = new double[Math.Min(matrix.GetLength(0), matrix.GetLength(1))];
        for (int i = 0; i < diagonal.Length; i++)
        {
            diagonal[i] = matrix[i, i];
        }

        return diagonal;
    }
}
