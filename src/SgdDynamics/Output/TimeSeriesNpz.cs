using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Statistics;

namespace SgdDynamics.Output;

/// <summary>
/// <c>timeseries.npz</c> of an ensemble run: every record's moments as NumPy arrays (R records, dimension d, K projections),
/// the numbers of timeseries.csv and projections.csv at full precision, NaN where a statistic does not exist:
/// <list type="bullet">
/// <item><c>steps</c> (R,) int64, <c>times</c> (R,) float64 (step·η), <c>counts</c> and <c>diverged</c> (R,) int64;</item>
/// <item><c>means</c>, <c>variances</c>, <c>mean_standard_errors</c>, <c>variance_standard_errors</c>,
/// <c>third_central_moments</c>, <c>fourth_central_moments</c> (R, d) float64;</item>
/// <item><c>covariances</c> (R, d, d) float64 when the covariance is recorded (d ≤ 64, or the full covariance asked for above);</item>
/// <item>with projections: <c>projection_means</c>, <c>projection_variances</c>, <c>projection_mean_standard_errors</c>,
/// <c>projection_variance_standard_errors</c>, <c>projection_third_central_moments</c>,
/// <c>projection_fourth_central_moments</c> (R, K), and <c>projection_covariances</c> (R, K, K) when recorded.</item>
/// </list>
/// The engine has no standard errors of the covariances, so none are written. Entries are stored, not deflated (the
/// moments of a run barely compress, and numpy.load reads stored entries without copying through zlib).
/// </summary>
public static class TimeSeriesNpz
{
    /// <summary>The file name.</summary>
    public const string FileName = "timeseries.npz";

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/>, atomically.</summary>
    public static void Write(string directory, EnsembleResult result) => Build(result).Save(Path.Combine(directory, FileName));

    /// <summary>The archive's arrays (not yet written; they reference the records' arrays).</summary>
    public static NpzWriter Build(EnsembleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        IReadOnlyList<EnsembleRecord> records = result.Records;
        int d = result.Problem.Dimension;
        var npz = new NpzWriter()
            .Add("steps", records.Select(r => (long)r.Step).ToArray())
            .Add("times", records.Select(r => r.Time).ToArray())
            .Add("counts", records.Select(r => r.Moments.Count).ToArray())
            .Add("diverged", records.Select(r => r.Moments.Diverged).ToArray());
        AddMoments(npz, string.Empty, [.. records.Select(r => r.Moments)], d);
        if (result.Algorithm.Projection is { } projection)
        {
            AddMoments(npz, "projection_", [.. records.Select(r => r.Projected ?? throw new InvalidOperationException($"the record at step {r.Step} has no projections"))], projection.Count);
        }

        return npz;
    }

    private static void AddMoments(NpzWriter npz, string prefix, Moments[] moments, int n)
    {
        npz.AddRows(prefix + "means", [.. moments.Select(m => m.Mean)], n)
            .AddRows(prefix + "variances", [.. moments.Select(m => m.Variance)], n)
            .AddRows(prefix + "mean_standard_errors", [.. moments.Select(m => m.MeanStandardError)], n)
            .AddRows(prefix + "variance_standard_errors", [.. moments.Select(m => m.VarianceStandardError)], n)
            .AddRows(prefix + "third_central_moments", [.. moments.Select(m => m.ThirdCentralMoment)], n)
            .AddRows(prefix + "fourth_central_moments", [.. moments.Select(m => m.FourthCentralMoment)], n);
        if (moments.Length > 0 && moments.All(m => m.HasCovariance))
        {
            npz.AddMatrices(prefix + "covariances", [.. moments.Select(m => m.Covariance)], n, n);
        }
    }
}
