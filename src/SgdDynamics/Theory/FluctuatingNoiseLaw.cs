namespace SgdDynamics.Theory;

/// <summary>
/// The law of one step's noise on the fluctuating landscape. At x the random part of the gradient is e(x)·S with
/// <c>S = Σ_k A_k u_k cos(2πk x/P + π v_k)</c>; since v_k is uniform over a whole period, <c>c_k = cos(2πk x/P + π v_k)</c>
/// has the arcsine law on [−1, 1] whatever x, so <b>S has the same law at every x</b>: a sum of independent terms
/// <c>Y_k = A_k u_k c_k</c>, each with the exact distribution function
/// <c>F(y) = 1/2 + sign(y)·(r artanh √(1 − r²) + arcsin r)/π</c>, r = |y|/A (density <c>artanh √(1 − r²)/(πA)</c>, a
/// logarithmic peak at 0; support [−A, A]). One SGD step from x is then <c>x − η m(x) − η e(x) S</c>: a fixed shape,
/// shifted and scaled by x, supported on ±η|e(x)| Σ|A_k| — what a master equation for this landscape needs.
/// <para>
/// The law of S is computed on the lattice hℤ: each Y_k rounded to the nearest multiple of h has the exact masses
/// F(jh + h/2) − F(jh − h/2), and the lattice masses of the sum are their convolution (exact in double up to rounding).
/// The rounded sum L differs from S by at most K·h/2, so <c>F_L(s − Kh/2) ≤ F_S(s) ≤ F_L(s + Kh/2)</c>
/// (<see cref="CdfErrorBound"/>); the variance of S is exactly Σ A_k²/6.
/// </para>
/// </summary>
public sealed class FluctuatingNoiseLaw
{
    private readonly double[] cumulative;

    private FluctuatingNoiseLaw(double spacing, int halfWidth, double[] masses, int modes, double variance)
    {
        Spacing = spacing;
        HalfWidth = halfWidth;
        Masses = masses;
        Modes = modes;
        Variance = variance;
        cumulative = new double[masses.Length + 1];
        for (int j = 0; j < masses.Length; j++)
        {
            cumulative[j + 1] = cumulative[j] + masses[j];
        }
    }

    /// <summary>The lattice spacing h.</summary>
    public double Spacing { get; }

    /// <summary>The lattice runs over j = −HalfWidth … HalfWidth (points jh).</summary>
    public int HalfWidth { get; }

    /// <summary>The lattice masses: <c>Masses[j + HalfWidth]</c> at jh; they sum to 1 up to rounding.</summary>
    public IReadOnlyList<double> Masses { get; }

    /// <summary>K, the number of modes.</summary>
    public int Modes { get; }

    /// <summary>The exact variance Σ A_k²/6 of S.</summary>
    public double Variance { get; }

    /// <summary>How far the lattice law may be displaced from S's: K·h/2.</summary>
    public double CdfErrorBound => Modes * Spacing / 2;

    /// <summary>The law of S for amplitudes A₁ … A_K on the lattice of spacing <paramref name="spacing"/>.</summary>
    /// <exception cref="ArgumentException">No amplitude, an amplitude that is not finite, or a spacing that is not positive, or too fine for Σ|A_k| (more than 2²⁴ lattice points).</exception>
    public static FluctuatingNoiseLaw Of(IReadOnlyList<double> amplitudes, double spacing)
    {
        ArgumentNullException.ThrowIfNull(amplitudes);
        if (amplitudes.Count == 0 || amplitudes.Any(a => !double.IsFinite(a)))
        {
            throw new ArgumentException("need at least one finite amplitude", nameof(amplitudes));
        }

        double bound = amplitudes.Sum(Math.Abs);
        if (!(spacing > 0) || bound / spacing > 1 << 23)
        {
            throw new ArgumentException($"the spacing must be positive and at least Σ|A_k|/2²³ (got {spacing:G4} for Σ|A_k| = {bound:G4})", nameof(spacing));
        }

        double[] law = [1.0];
        int half = 0;
        foreach (double amplitude in amplitudes)
        {
            double a = Math.Abs(amplitude);
            if (a == 0)
            {
                continue;
            }

            int modeHalf = (int)Math.Ceiling(a / spacing - 0.5);
            var mode = new double[(2 * modeHalf) + 1];
            for (int j = -modeHalf; j <= modeHalf; j++)
            {
                mode[j + modeHalf] = ModeCdf((j + 0.5) * spacing, a) - ModeCdf((j - 0.5) * spacing, a);
            }

            law = Convolve(law, mode);
            half += modeHalf;
        }

        return new FluctuatingNoiseLaw(spacing, half, law, amplitudes.Count, amplitudes.Sum(a => a * a) / 6);
    }

    /// <summary>The exact distribution function of <c>A·u·c</c>, u uniform on (−1, 1), c arcsine on [−1, 1].</summary>
    public static double ModeCdf(double y, double amplitude)
    {
        double a = Math.Abs(amplitude);
        if (a == 0)
        {
            return y < 0 ? 0 : 1;
        }

        double r = Math.Min(Math.Abs(y) / a, 1.0);
        double part = (r > 0 ? r * Math.Atanh(Math.Sqrt(1 - (r * r))) : 0) + Math.Asin(r);
        return 0.5 + (Math.Sign(y) * part / Math.PI);
    }

    /// <summary>The lattice law's distribution function at s: the mass of the lattice points ≤ s.</summary>
    public double Cdf(double s)
    {
        double j = Math.Floor(s / Spacing) + HalfWidth;
        return j < 0 ? 0 : j >= Masses.Count ? 1 : Math.Min(1, cumulative[(int)j + 1]);
    }

    /// <summary>
    /// The lattice law spread evenly over each lattice cell [jh − h/2, jh + h/2): a continuous, piecewise-linear
    /// distribution function (within (K + 1)·h/2 of S's), for integrating the law over intervals.
    /// </summary>
    public double SmoothCdf(double s)
    {
        double u = (s / Spacing) + HalfWidth + 0.5;
        if (!(u > 0))
        {
            return 0;
        }

        if (u >= Masses.Count)
        {
            return 1;
        }

        int j = (int)u;
        return Math.Min(1, cumulative[j] + ((u - j) * Masses[j]));
    }

    private static double[] Convolve(double[] a, double[] b)
    {
        var c = new double[a.Length + b.Length - 1];
        for (int i = 0; i < a.Length; i++)
        {
            double ai = a[i];
            if (ai == 0)
            {
                continue;
            }

            for (int j = 0; j < b.Length; j++)
            {
                c[i + j] += ai * b[j];
            }
        }

        return c;
    }
}
