namespace SgdDynamics.Theory;

/// <summary>
/// Stationary (Gibbs) density of the Langevin approximation of SGD with isotropic gradient noise <c>Σ = σ² I</c> on a
/// loss L: the first-order SME <c>dX = −∇L(X) dt + √(η σ²) dW</c> (Mandt, Hoffman &amp; Blei, JMLR 18, 2017;
/// Li, Tai &amp; E, ICML 2017) has the stationary Fokker–Planck solution
/// <c>p(x) ∝ exp(−L(x) / T)</c> with temperature <c>T = η σ² / 2</c>, i.e. <c>p ∝ exp(−2 L(x) / (η σ²))</c>, whenever
/// it is normalisable. For <c>L = λ x²/2</c> this is <c>N(0, η σ² / (2λ))</c>, the Langevin variance of
/// <see cref="QuadraticMomentTheory.LangevinStationaryVariance1D"/>. It is not the law of discrete SGD, which differs
/// at O(η) (<see cref="EigenmodeTheory.DiscreteToLangevinRatio"/>), and it assumes state-independent noise.
/// </summary>
public sealed class GibbsDensity
{
    private readonly Func<double[], double> loss;

    /// <summary>The Gibbs density of <paramref name="loss"/> at learning rate η and isotropic noise variance σ².</summary>
    /// <param name="loss">Loss L(x).</param>
    /// <param name="learningRate">Learning rate η &gt; 0.</param>
    /// <param name="noiseVariance">Isotropic gradient-noise variance σ² &gt; 0.</param>
    public GibbsDensity(Func<double[], double> loss, double learningRate, double noiseVariance)
    {
        ArgumentNullException.ThrowIfNull(loss);
        this.loss = loss;
        Temperature = TemperatureOf(learningRate, noiseVariance);
    }

    /// <summary>Temperature <c>T = η σ² / 2</c>.</summary>
    public double Temperature { get; }

    /// <summary>Unnormalised log-density <c>−L(x) / T = −2 L(x) / (η σ²)</c>.</summary>
    public double LogUnnormalisedDensity(double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return -loss(x) / Temperature;
    }

    /// <summary>
    /// The normalised 1-D Gibbs density <c>p(x) = exp(−L(x)/T) / Z</c> on [<paramref name="lower"/>, <paramref name="upper"/>]
    /// (<see cref="GibbsDensity1D"/>).
    /// </summary>
    public static GibbsDensity1D OneDimensional(
        Func<double, double> loss, double learningRate, double noiseVariance, double lower, double upper, int cells = 256) =>
        new(loss, learningRate, noiseVariance, lower, upper, cells);

    /// <summary>Temperature <c>T = η σ² / 2</c> of the Langevin approximation.</summary>
    /// <param name="learningRate">Learning rate η &gt; 0.</param>
    /// <param name="noiseVariance">Isotropic gradient-noise variance σ² &gt; 0.</param>
    public static double TemperatureOf(double learningRate, double noiseVariance)
    {
        if (!(learningRate > 0.0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        if (!(noiseVariance > 0.0) || !double.IsFinite(noiseVariance))
            throw new ArgumentOutOfRangeException(nameof(noiseVariance), noiseVariance, "The noise variance must be positive and finite.");
        return 0.5 * learningRate * noiseVariance;
    }
}

/// <summary>
/// 1-D Gibbs density <c>p(x) = exp(−L(x)/T) / Z</c>, <c>T = η σ² / 2</c>, restricted to an interval [a, b] that should
/// hold essentially all of its mass. <c>Z = ∫_a^b exp(−L(x)/T) dx</c> is computed as
/// <c>log Z = −L_ref/T + log ∫_a^b exp(−(L(x) − L_ref)/T) dx</c>, with <c>L_ref</c> the smallest loss on the cell ends,
/// by adaptive Gauss–Kronrod quadrature (MathNet) on equal cells (choose enough cells that each is at most a few
/// widths <c>√(T / L'')</c> of the narrowest well).
/// </summary>
public sealed class GibbsDensity1D
{
    private readonly Func<double, double> loss;
    private readonly double[] breakpoints;
    private readonly double logShiftedMass;

    /// <summary>The normalised Gibbs density of <paramref name="loss"/> on [<paramref name="lower"/>, <paramref name="upper"/>].</summary>
    /// <param name="loss">Loss L(x), finite on the interval.</param>
    /// <param name="learningRate">Learning rate η &gt; 0.</param>
    /// <param name="noiseVariance">Gradient-noise variance σ² &gt; 0.</param>
    /// <param name="lower">Interval start a.</param>
    /// <param name="upper">Interval end b &gt; a.</param>
    /// <param name="cells">Number of equal quadrature cells (≥ 1).</param>
    public GibbsDensity1D(Func<double, double> loss, double learningRate, double noiseVariance, double lower, double upper, int cells = 256)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (!double.IsFinite(lower) || !double.IsFinite(upper) || !(upper > lower))
            throw new ArgumentException("The interval must be finite with lower < upper.", nameof(upper));
        ArgumentOutOfRangeException.ThrowIfLessThan(cells, 1);
        this.loss = loss;
        Temperature = GibbsDensity.TemperatureOf(learningRate, noiseVariance);
        Lower = lower;
        Upper = upper;
        breakpoints = PiecewiseQuadrature.Cells(lower, upper, cells).ToArray();
        ReferenceLoss = breakpoints.Select(loss).Min();
        if (!double.IsFinite(ReferenceLoss))
            throw new ArgumentException("The loss must be finite on the interval.", nameof(loss));
        logShiftedMass = Math.Log(PiecewiseQuadrature.Integrate(ShiftedWeight, breakpoints));
        LogNormaliser = -ReferenceLoss / Temperature + logShiftedMass;
    }

    /// <summary>Temperature <c>T = η σ² / 2</c>.</summary>
    public double Temperature { get; }

    /// <summary>Interval start a.</summary>
    public double Lower { get; }

    /// <summary>Interval end b.</summary>
    public double Upper { get; }

    /// <summary>Reference loss <c>L_ref</c> (smallest loss on the cell ends), subtracted before exponentiating.</summary>
    public double ReferenceLoss { get; }

    /// <summary><c>log Z = log ∫_a^b exp(−L(x)/T) dx</c>.</summary>
    public double LogNormaliser { get; }

    /// <summary><c>Z = ∫_a^b exp(−L(x)/T) dx</c> (may overflow to +∞ or underflow to 0: prefer <see cref="LogNormaliser"/>).</summary>
    public double Normaliser => Math.Exp(LogNormaliser);

    /// <summary><c>log p(x) = −L(x)/T − log Z</c> inside [a, b]; −∞ outside.</summary>
    public double LogDensity(double x) =>
        x < Lower || x > Upper ? double.NegativeInfinity : -(loss(x) - ReferenceLoss) / Temperature - logShiftedMass;

    /// <summary><c>p(x) = exp(−L(x)/T) / Z</c> inside [a, b]; 0 outside.</summary>
    public double Density(double x) => Math.Exp(LogDensity(x));

    /// <summary>The density at each grid point.</summary>
    public double[] Density(IEnumerable<double> grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return grid.Select(Density).ToArray();
    }

    /// <summary><c>E[f(X)] = ∫_a^b f(x) p(x) dx</c> by the same piecewise quadrature.</summary>
    public double Expectation(Func<double, double> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return PiecewiseQuadrature.Integrate(x => f(x) * Density(x), breakpoints);
    }

    /// <summary><c>P(from ≤ X ≤ to) = ∫ p</c> over [from, to] ∩ [a, b].</summary>
    public double Probability(double from, double to)
    {
        double lo = Math.Max(from, Lower), hi = Math.Min(to, Upper);
        if (!(hi > lo)) return 0.0;
        return PiecewiseQuadrature.Integrate(Density, breakpoints.Where(x => x > lo && x < hi).Append(lo).Append(hi));
    }

    /// <summary>Mean <c>E[X]</c>.</summary>
    public double Mean => Expectation(x => x);

    /// <summary>Variance <c>E[(X − E X)²]</c>.</summary>
    public double Variance
    {
        get
        {
            double mean = Mean;
            return Expectation(x => (x - mean) * (x - mean));
        }
    }

    private double ShiftedWeight(double x) => Math.Exp(-(loss(x) - ReferenceLoss) / Temperature);
}
