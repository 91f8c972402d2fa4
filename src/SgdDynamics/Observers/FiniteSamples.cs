using System.Numerics;

namespace SgdDynamics.Observers;

/// <summary>The finite values of a float or double sample, widened to double (diverged NaN/∞ states are left out and counted by the caller).</summary>
internal static class FiniteSamples
{
    /// <summary>The finite values in order at the front of a new array, and their number.</summary>
    public static (double[] Values, int Count) Collect<T>(ReadOnlySpan<T> samples) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new double[samples.Length];
        int n = 0;
        foreach (T x in samples)
        {
            if (T.IsFinite(x))
            {
                values[n++] = double.CreateChecked(x);
            }
        }

        return (values, n);
    }
}
