using System.Numerics;
using MathNet.Numerics.Statistics;

namespace SgdDynamics.Observers;

/// <summary>Empirical quantiles of a sample at chosen probabilities.</summary>
/// <param name="Probabilities">The probabilities τ asked for.</param>
/// <param name="Values">The quantile at each probability.</param>
/// <param name="N">Number of finite values the quantiles come from.</param>
/// <param name="Excluded">Number of NaN and infinite values left out (diverged trajectories).</param>
public sealed record QuantileEstimate(double[] Probabilities, double[] Values, int N, int Excluded);

/// <summary>
/// Empirical quantiles by MathNet's <see cref="SortedArrayStatistics.Quantile(double[], double)"/>: definition 8 of
/// Hyndman and Fan (1996, "Sample quantiles in statistical packages", Am. Stat. 50, 361), linear interpolation
/// between order statistics at position h = (n + 1/3) τ + 1/3, approximately median-unbiased whatever the
/// distribution; τ below (2/3)/(n + 1/3) gives the minimum and τ at or above (n − 1/3)/(n + 1/3) the maximum.
/// NaN and infinite values are left out and counted.
/// </summary>
public static class EmpiricalQuantiles
{
    /// <summary>Quantiles of the finite values of <paramref name="samples"/> at <paramref name="probabilities"/> (each in [0, 1]).</summary>
    /// <exception cref="ArgumentException">No finite value, or a probability outside [0, 1].</exception>
    public static QuantileEstimate Compute<T>(ReadOnlySpan<T> samples, ReadOnlySpan<double> probabilities)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (double[] values, int n) = FiniteSamples.Collect(samples);
        return FromFinite(values, n, samples.Length - n, probabilities);
    }

    private static QuantileEstimate FromFinite(double[] values, int n, int excluded, ReadOnlySpan<double> probabilities)
    {
        foreach (double p in probabilities)
        {
            if (!(p >= 0.0 && p <= 1.0))
            {
                throw new ArgumentException($"probability {p} is not in [0, 1]", nameof(probabilities));
            }
        }

        if (n == 0)
        {
            throw new ArgumentException($"no finite value to take quantiles of ({excluded} non-finite excluded)");
        }

        Array.Resize(ref values, n);
        Array.Sort(values);
        var quantiles = new double[probabilities.Length];
        for (int i = 0; i < quantiles.Length; i++)
        {
            quantiles[i] = SortedArrayStatistics.Quantile(values, probabilities[i]);
        }

        return new QuantileEstimate(probabilities.ToArray(), quantiles, n, excluded);
    }
}
