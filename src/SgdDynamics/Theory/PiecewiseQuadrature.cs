namespace SgdDynamics.Theory;

/// <summary>
/// Adaptive Gauss–Kronrod quadrature (MathNet, 15 points) summed over the pieces between sorted breakpoints, so that
/// narrow peaks and endpoint singularities placed on breakpoints are resolved.
/// </summary>
internal static class PiecewiseQuadrature
{
    private const int MaximumDepth = 15;

    /// <summary>
    /// <c>Σ_p ∫_{x_p}^{x_{p+1}} f(x) dx</c> over the distinct sorted breakpoints, each piece to the relative target
    /// <paramref name="relativeTolerance"/> (not below the rounding noise of f, or the refinement runs to full depth).
    /// </summary>
    public static double Integrate(Func<double, double> f, IEnumerable<double> breakpoints, double relativeTolerance = 1e-12)
    {
        var points = breakpoints.Where(double.IsFinite).Distinct().Order().ToArray();
        double sum = 0.0;
        for (int p = 0; p + 1 < points.Length; p++)
            sum += MathNet.Numerics.Integrate.GaussKronrod(f, points[p], points[p + 1], out _, out _, relativeTolerance, MaximumDepth);
        return sum;
    }

    /// <summary>Breakpoints <c>lower, lower + h, …, upper</c> of <paramref name="cells"/> equal cells plus the extra points inside.</summary>
    public static IEnumerable<double> Cells(double lower, double upper, int cells, params double[] extra)
    {
        for (int p = 0; p <= cells; p++) yield return p == cells ? upper : lower + (upper - lower) * p / cells;
        foreach (double x in extra)
            if (x > lower && x < upper) yield return x;
    }
}
