using System.Globalization;
using System.Text;

namespace SgdDynamics.Output;

/// <summary>The moment columns shared by the time series of ensemble and grid runs: <c>mean_i</c>, then <c>cov_i_j</c> for j ≥ i.</summary>
internal static class MomentColumns
{
    /// <summary>Appends <c>,mean_0,…,cov_0_0,cov_0_1,…</c> for dimension <paramref name="d"/>.</summary>
    public static void AppendHeader(StringBuilder csv, int d)
    {
        for (int i = 0; i < d; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",mean_{i}");
        }

        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                csv.Append(CultureInfo.InvariantCulture, $",cov_{i}_{j}");
            }
        }
    }

    /// <summary>Appends the values of one record in the order of <see cref="AppendHeader"/>.</summary>
    public static void AppendValues(StringBuilder csv, IReadOnlyList<double> mean, double[,] covariance)
    {
        int d = mean.Count;
        foreach (double m in mean)
        {
            csv.Append(',').Append(Format(m));
        }

        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                csv.Append(',').Append(Format(covariance[i, j]));
            }
        }
    }

    /// <summary>Appends <c>,mean_0,…,var_0,var_1,…</c> for dimension <paramref name="d"/> (no covariances).</summary>
    public static void AppendVarianceHeader(StringBuilder csv, int d)
    {
        for (int i = 0; i < d; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",mean_{i}");
        }

        for (int i = 0; i < d; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",var_{i}");
        }
    }

    /// <summary>Appends the values of one record in the order of <see cref="AppendVarianceHeader"/>.</summary>
    public static void AppendVarianceValues(StringBuilder csv, IReadOnlyList<double> mean, IReadOnlyList<double> variance)
    {
        foreach (double m in mean)
        {
            csv.Append(',').Append(Format(m));
        }

        foreach (double v in variance)
        {
            csv.Append(',').Append(Format(v));
        }
    }

    /// <summary>A round-trip number, empty when not finite.</summary>
    public static string Format(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "";
}
