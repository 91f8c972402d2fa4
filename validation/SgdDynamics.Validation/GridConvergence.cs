using SgdDynamics.Grids;

namespace SgdDynamics.Validation;

/// <summary>
/// Grid accuracy of a deterministic grid result, from two resolutions h and h/2 of a scheme of nominal order 2:
/// the Richardson estimate of the fine-grid error is <c>|v_h − v_{h/2}| / 3</c>. A check passes when the fine-grid
/// error against the exact value is at most <c>2 ×</c> that estimate plus the stated error terms that do not
/// shrink with h (truncation of a kernel or of a box, computed from their formulas) and a rounding floor of
/// 10⁻¹² relative. The observed order <c>log₂(e_h / e_{h/2})</c> is reported beside it.
/// </summary>
public static class GridConvergence
{
    /// <summary>Relative rounding floor of the grid checks.</summary>
    public const double RoundingFloor = 1e-12;

    /// <summary>Observed order <c>log₂(e_h / e_{h/2})</c> of relative errors (NaN when either is within 100× the rounding floor).</summary>
    public static double Order(double coarseError, double fineError) =>
        Math.Min(Math.Abs(fineError), Math.Abs(coarseError)) > 100 * RoundingFloor ? Math.Log2(Math.Abs(coarseError) / Math.Abs(fineError)) : double.NaN;

    /// <summary>
    /// A check that the relative error of <paramref name="fine"/> against <paramref name="exact"/> is within grid
    /// accuracy: at most <c>2|coarse − fine|/(3|exact|) + fixedTerms + 10⁻¹²</c>.
    /// </summary>
    public static Check Check(string quantity, double exact, double coarse, double fine, double fixedTerms, string fixedBasis)
    {
        double coarseError = (coarse - exact) / exact;
        double fineError = (fine - exact) / exact;
        double estimate = Math.Abs(coarse - fine) / (3 * Math.Abs(exact));
        double bound = 2 * estimate + fixedTerms + RoundingFloor;
        double order = Order(coarseError, fineError);
        string level = double.IsNaN(order) ? "at rounding level"
            : Math.Abs(fineError) <= 1.5 * fixedTerms && Math.Abs(coarseError) <= 1.5 * fixedTerms ? "at the level of the fixed terms at both h"
            : $"observed order {order:F2}";
        return new Check(
            $"{quantity}: relative error at h/2 ({level})",
            bound,
            Math.Abs(fineError),
            0,
            Expectation.AtMost,
            0,
            $"grid accuracy: 2 × Richardson estimate |v_h − v_h/2|/3 = {2 * estimate:G2}, plus {fixedBasis} {fixedTerms:G2}, plus 1e-12 rounding; errors at h, h/2: {coarseError:G3}, {fineError:G3}");
    }

    /// <summary>
    /// A check that a distance to the exact answer (exact value 0, e.g. a total variation) is within grid accuracy:
    /// at most <c>2|e_h − e_{h/2}|/3 + 10⁻¹²</c> at h/2 (Richardson for order 2).
    /// </summary>
    public static Check CheckDistance(string quantity, double coarse, double fine)
    {
        double estimate = Math.Abs(coarse - fine) / 3;
        double order = coarse > 100 * RoundingFloor && fine > 100 * RoundingFloor ? Math.Log2(coarse / fine) : double.NaN;
        return new Check(
            $"{quantity} at h/2 ({(double.IsNaN(order) ? "at rounding level" : $"observed order {order:F2}")})",
            2 * estimate + RoundingFloor,
            fine,
            0,
            Expectation.AtMost,
            0,
            $"grid accuracy: 2 × Richardson estimate |e_h − e_h/2|/3 plus 1e-12; distances at h, h/2: {coarse:G3}, {fine:G3}");
    }

    /// <summary>
    /// Bound on the total variation between a histogram of <paramref name="samples"/> independent draws and the true bin
    /// probabilities <paramref name="probabilities"/> (sum 1) from sampling noise alone: the multinomial expectation
    /// <c>E[TV] ≈ ½ Σ_b √(2 p_b(1 − p_b)/(π n))</c> plus 5 standard deviations, <c>sd(TV) ≤ 1/√(2n)</c> by Efron–Stein
    /// (one sample moves TV by at most 1/n). Returns the bound and the expectation.
    /// </summary>
    public static (double Bound, double Expected) HistogramNoiseBound(IEnumerable<double> probabilities, long samples)
    {
        double expected = 0.5 * probabilities.Sum(p => Math.Sqrt(2 * p * (1 - p) / (Math.PI * samples)));
        return (expected + Validation.Check.DefaultZ / Math.Sqrt(2.0 * samples), expected);
    }

    /// <summary><c>E[f(x)]</c> under the normalised grid masses of a 1-D density (cell centres).</summary>
    public static double Expectation1D(GridDensity p, Func<double, double> f)
    {
        double total = p.TotalMass, sum = 0;
        for (int c = 0; c < p.Mass.Length; c++)
        {
            sum += p.Mass[c] * f(p.Grid.Centre(0, c));
        }

        return sum / total;
    }

    /// <summary>Relative variance deficit of a normal truncated to ±T sd and renormalised: <c>2Tφ(T)/(1 − 2Q(T))</c>.</summary>
    public static double TruncatedNormalVarianceDeficit(double t)
    {
        double phi = Math.Exp(-t * t / 2) / Math.Sqrt(2 * Math.PI);
        double inside = 1 - MathNet.Numerics.SpecialFunctions.Erfc(t / Math.Sqrt(2));
        return 2 * t * phi / inside;
    }
}
