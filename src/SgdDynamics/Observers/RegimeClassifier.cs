using System.Runtime.InteropServices;
using SgdDynamics.Ensembles;

namespace SgdDynamics.Observers;

/// <summary>The long-time behaviour of the variance of one mode.</summary>
public enum Regime
{
    /// <summary>The variance saturates at a stationary value (a confined mode, 0 &lt; ηλ &lt; 2).</summary>
    Confined,

    /// <summary>The variance grows linearly, v = v₀ + 2Dt (a flat mode).</summary>
    Diffusive,

    /// <summary>The variance grows faster than linearly, becomes non-finite, or trajectories diverge.</summary>
    Unstable,

    /// <summary>None of the above at the stated significance within the fit window (see the reason).</summary>
    Undetermined,
}

/// <summary>
/// The variance of one mode at successive records: times t_j (or steps), variances v_j, their standard errors
/// s_j and, optionally, the number of diverged trajectories at each record.
/// </summary>
/// <param name="Times">Record times, strictly increasing; from some record on they may all be +∞ (t = kη overflowed).</param>
/// <param name="Variances">Variance v_j of the mode at each record.</param>
/// <param name="StandardErrors">Standard error s_j of each v_j.</param>
/// <param name="Diverged">Diverged trajectories at each record, or null when not known.</param>
public sealed record VarianceSeries(double[] Times, double[] Variances, double[] StandardErrors, long[]? Diverged = null)
{
    /// <summary>Number of records.</summary>
    public int Count => Times.Length;

    /// <summary>
    /// The variance of coordinate <paramref name="coordinate"/>: times t = kη, v = C_ii, s = √((m₄ − m₂²)/n)
    /// (<see cref="Statistics.Moments.VarianceStandardError"/>), and the diverged counts.
    /// </summary>
    public static VarianceSeries FromRecords(IReadOnlyList<EnsembleRecord> records, int coordinate)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            throw new ArgumentException("no records", nameof(records));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(coordinate);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(coordinate, records[0].Moments.Dimension);
        return new VarianceSeries(
            records.Select(r => r.Time).ToArray(),
            records.Select(r => r.Moments.Variance[coordinate]).ToArray(),
            records.Select(r => r.Moments.VarianceStandardError[coordinate]).ToArray(),
            records.Select(r => r.Moments.Diverged).ToArray());
    }
}

/// <summary>Settings of <see cref="RegimeClassifier"/>.</summary>
/// <param name="Threshold">A slope or curvature counts when |estimate| &gt; Threshold × its conservative standard error (default 5).</param>
/// <param name="FitStartTime">Fit only records with t ≥ this time (e.g. a few relaxation times); null: the last half of the records.</param>
public sealed record RegimeOptions(double Threshold = 5.0, double? FitStartTime = null)
{
    /// <summary>Threshold 5, fit over the last half of the records.</summary>
    public static RegimeOptions Default { get; } = new();
}

/// <summary>
/// The weighted mean of the variance over one third of the fit window: V = Σ w_j v_j / Σ w_j at the time
/// T = Σ w_j t_j / Σ w_j, w_j = 1/s_j², with the standard error Σ w_j s_j / Σ w_j (the bound for any correlation
/// between the records, see <see cref="PolynomialFit"/>).
/// </summary>
/// <param name="Time">Weighted mean time T.</param>
/// <param name="Value">Weighted mean variance V.</param>
/// <param name="StandardError">Conservative standard error of V.</param>
/// <param name="Points">Records in the block.</param>
public sealed record VarianceBlock(double Time, double Value, double StandardError, int Points);

/// <summary>How <see cref="RegimeClassifier"/> came to its verdict.</summary>
/// <param name="Records">Records in the series.</param>
/// <param name="FitStart">Index of the first record of the fit window.</param>
/// <param name="FitPoints">Records used: those of the window with a positive standard error.</param>
/// <param name="ZeroErrorRecords">Records of the window left out because their standard error is 0 (a deterministic start).</param>
/// <param name="NonFiniteRecords">Records whose variance or standard error is NaN or infinite.</param>
/// <param name="FirstDiverged">Diverged trajectories at the first record (0 when unknown).</param>
/// <param name="LastDiverged">Diverged trajectories at the last record (0 when unknown).</param>
/// <param name="Blocks">The three block means of the window (empty when no fit was made).</param>
/// <param name="Slope">(V₃ − V₁)/(T₃ − T₁) of the blocks.</param>
/// <param name="SlopeStandardError">(E₁ + E₃)/(T₃ − T₁), E_b the block errors.</param>
/// <param name="Curvature">[(V₃ − V₂)/(T₃ − T₂) − (V₂ − V₁)/(T₂ − T₁)]/(T₃ − T₁): the coefficient c of a quadratic v = a + bt + ct² through the blocks.</param>
/// <param name="CurvatureStandardError">[E₁/(T₂ − T₁) + E₂(1/(T₂ − T₁) + 1/(T₃ − T₂)) + E₃/(T₃ − T₂)]/(T₃ − T₁).</param>
/// <param name="Constant">Weighted fit v = a₀ over the window (null when no fit was made).</param>
/// <param name="Linear">Weighted fit v = a₀ + a₁t over the window (null when no fit was made).</param>
/// <param name="Threshold">The significance threshold used.</param>
public sealed record RegimeDiagnostics(
    int Records,
    int FitStart,
    int FitPoints,
    int ZeroErrorRecords,
    int NonFiniteRecords,
    long FirstDiverged,
    long LastDiverged,
    IReadOnlyList<VarianceBlock> Blocks,
    double Slope,
    double SlopeStandardError,
    double Curvature,
    double CurvatureStandardError,
    PolynomialFit? Constant,
    PolynomialFit? Linear,
    double Threshold)
{
    /// <summary>Slope / its standard error.</summary>
    public double SlopeScore => Slope / SlopeStandardError;

    /// <summary>Curvature / its standard error.</summary>
    public double CurvatureScore => Curvature / CurvatureStandardError;
}

/// <summary>The verdict of <see cref="RegimeClassifier"/>.</summary>
/// <param name="Regime">The regime.</param>
/// <param name="Value">Confined: the stationary variance; Diffusive: D (from v = v₀ + 2Dt); otherwise NaN.</param>
/// <param name="StandardError">Conservative standard error of <see cref="Value"/> (see <see cref="PolynomialFit"/>).</param>
/// <param name="Reason">The rule that decided, with its numbers.</param>
/// <param name="Diagnostics">Fits, scores and counts behind the verdict.</param>
public sealed record RegimeClassification(
    Regime Regime,
    double Value,
    double StandardError,
    string Reason,
    RegimeDiagnostics Diagnostics);

/// <summary>
/// Classifies the variance time series of one mode as confined (saturating), diffusive (linear growth) or
/// unstable (faster than linear growth or divergence). The regimes are those of the exact discrete recursion of a
/// mode of curvature λ under SGD with rate η and additive noise σ², v_{k+1} = (1 − ηλ)² v_k + η²σ²: it saturates at
/// ησ²/(λ(2 − ηλ)) for 0 &lt; ηλ &lt; 2, grows linearly with D = ησ²/2 per unit time t = kη for λ = 0, and grows
/// geometrically when the multiplier (1 − ηλ)² (plus the curvature-noise term η²a²) exceeds 1 (Liu, Ziyin and
/// Ueda 2021, "Noise and fluctuation of finite learning rate stochastic gradient descent", ICML).
/// </summary>
/// <remarks>
/// <para><b>Window.</b> Records with t ≥ <see cref="RegimeOptions.FitStartTime"/>, else the last ⌈J/2⌉ of the J
/// records; records with a zero standard error (a deterministic start) are left out; at least 4 must remain. When every
/// record of the window has a zero standard error (no spread at all) the scores are undefined and the verdict is
/// <see cref="Regime.Undetermined"/>, as it is when the record times overflow (t = kη = +∞).</para>
/// <para><b>Correlated records.</b> Ensemble estimates at different records come from the same trajectories, so
/// their errors are strongly and positively correlated (for a random walk corr(v_i, v_j) = t_i/t_j), and errors
/// computed as if the records were independent can be far too small. Every standard error here is therefore
/// conservative: for a linear combination Σ_j a_j v_j it is at least the bound Σ_j |a_j| s_j, which holds whatever
/// the correlations (|Cov(v_i, v_j)| ≤ s_i s_j) and is exact when they are all 1. For a weighted mean it is the
/// mean error of one record, not that of J independent ones.</para>
/// <para><b>Decision statistics</b> come from three block means (<see cref="VarianceBlock"/>): the window's usable
/// records split by count into thirds [⌊bm/3⌋, ⌊(b+1)m/3⌋), each reduced to its weighted mean value V_b at its
/// weighted mean time T_b with error E_b. The slope (V₃ − V₁)/(T₃ − T₁) and the curvature, the quadratic
/// coefficient c through the three blocks (second divided difference), have the bound errors given in
/// <see cref="RegimeDiagnostics"/>. Both are model-free and scale-free: a line gives a curvature of exactly 0
/// in expectation (weighted means of a line lie on it), and geometric growth over many decades, where a weighted
/// polynomial fit breaks down, still gives a large positive curvature.</para>
/// <para><b>Decision</b>, in this order, with T = <see cref="RegimeOptions.Threshold"/> (default 5, a false alarm
/// of at most 5.7e-7 per score for Gaussian estimates, less with conservative errors), z₁ the slope score and z₂
/// the curvature score:
/// <list type="number">
/// <item>any record with a non-finite variance or standard error, or a diverged count above the first record's →
///       <see cref="Regime.Unstable"/>;</item>
/// <item>z₁ &gt; T and z₂ &gt; T (growing, faster than linearly: quadratic or geometric growth) →
///       <see cref="Regime.Unstable"/>;</item>
/// <item>z₁ &gt; T and |z₂| ≤ T (growing, quadratic term consistent with 0) → <see cref="Regime.Diffusive"/>;</item>
/// <item>|z₁| ≤ T and |z₂| ≤ T (no trend) → <see cref="Regime.Confined"/>;</item>
/// <item>otherwise → <see cref="Regime.Undetermined"/>: z₁ &lt; −T (still decreasing: the window starts before the
///       relaxation ended), z₁ &gt; T with z₂ &lt; −T (growth slowing down: saturation not reached, or sub-linear
///       growth), or |z₁| ≤ T with |z₂| &gt; T (curved without a trend).</item>
/// </list></para>
/// <para><b>Reported values</b> come from weighted least-squares fits over the window (<see cref="PolynomialFit"/>,
/// weights 1/s_j², conservative errors: the larger of the bound and the independent-point error inflated by
/// √(χ²/ν) when χ²/ν &gt; 1): Confined, the stationary variance a₀ of the constant fit, with its χ²/ν as the
/// goodness of fit; Diffusive, D = a₁/2 from the linear fit v = a₀ + a₁t = v₀ + 2Dt, with its χ²/ν.</para>
/// <para><b>Borderline cases.</b> A slope below T standard errors is reported as <see cref="Regime.Confined"/>: a
/// diffusion too weak for the data to resolve looks stationary (its slope and score are in the diagnostics). A
/// slow geometric growth whose curvature over the window is below T standard errors looks
/// <see cref="Regime.Diffusive"/>. A diverged count that is already nonzero at the first record but does not rise
/// is only reported. Conservative errors make the verdicts that need a significant trend or curvature (Diffusive,
/// Unstable by curvature, Undetermined) harder to reach; Confined therefore means "no trend at this resolution",
/// and the slope with its error says how small a diffusion it excludes.</para>
/// </remarks>
public static class RegimeClassifier
{
    /// <summary>A classification without a fit (no slope or curvature scores): the diagnostics say why.</summary>
    private static RegimeClassification WithoutFit(Regime regime, string reason, RegimeDiagnostics diagnostics) =>
        new(regime, double.NaN, double.NaN, reason, diagnostics);

    private const int MinimumFitPoints = 4;

    /// <summary>Classifies coordinate <paramref name="coordinate"/> of an ensemble run (see <see cref="VarianceSeries.FromRecords"/>).</summary>
    public static RegimeClassification Classify(IReadOnlyList<EnsembleRecord> records, int coordinate, RegimeOptions? options = null) =>
        Classify(VarianceSeries.FromRecords(records, coordinate), options);

    /// <summary>Classifies a variance time series by the rule in the remarks.</summary>
    /// <exception cref="ArgumentException">Lengths differ, times are NaN or not strictly increasing (a tail of +∞ is allowed), a standard
    /// error is negative, a diverged count is negative, or the fit window holds fewer than 4 usable records.</exception>
    public static RegimeClassification Classify(VarianceSeries series, RegimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= RegimeOptions.Default;
        if (!(options.Threshold > 0) || !double.IsFinite(options.Threshold))
        {
            throw new ArgumentException($"threshold {options.Threshold} must be positive and finite", nameof(options));
        }

        Validate(series);
        int count = series.Count;
        double threshold = options.Threshold;
        long firstDiverged = series.Diverged?[0] ?? 0, lastDiverged = series.Diverged?[^1] ?? 0;
        long maxDiverged = series.Diverged?.Max() ?? 0;
        int nonFinite = 0, firstNonFinite = -1;
        for (int j = 0; j < count; j++)
        {
            if (!double.IsFinite(series.Variances[j]) || !double.IsFinite(series.StandardErrors[j]))
            {
                nonFinite++;
                firstNonFinite = firstNonFinite < 0 ? j : firstNonFinite;
            }
        }

        int fitStart = options.FitStartTime is double start
            ? Array.FindIndex(series.Times, t => t >= start)
            : count / 2;
        if (fitStart < 0)
        {
            throw new ArgumentException($"no record at or after the fit start time {options.FitStartTime}", nameof(options));
        }

        if (nonFinite > 0 || maxDiverged > firstDiverged)
        {
            string reason = nonFinite > 0
                ? FormattableString.Invariant($"{nonFinite} record(s) with a non-finite variance or standard error, the first at t = {series.Times[firstNonFinite]:G6}")
                : FormattableString.Invariant($"diverged trajectories rose from {firstDiverged} to {maxDiverged}");
            return WithoutFit(Regime.Unstable, reason, new RegimeDiagnostics(count, fitStart, 0, 0, nonFinite, firstDiverged, lastDiverged, [],
                double.NaN, double.NaN, double.NaN, double.NaN, null, null, threshold));
        }

        int firstInfiniteTime = Array.FindIndex(series.Times, double.IsPositiveInfinity);
        if (firstInfiniteTime >= 0)
        {
            return WithoutFit(
                Regime.Undetermined,
                $"the record times are not finite from record {firstInfiniteTime} on (t = kη overflows a double): no fit is made",
                new RegimeDiagnostics(count, fitStart, 0, 0, 0, firstDiverged, lastDiverged, [], double.NaN, double.NaN, double.NaN, double.NaN, null, null, threshold));
        }

        var times = new List<double>();
        var values = new List<double>();
        var errors = new List<double>();
        int zeroErrors = 0;
        for (int j = fitStart; j < count; j++)
        {
            if (series.StandardErrors[j] > 0)
            {
                times.Add(series.Times[j]);
                values.Add(series.Variances[j]);
                errors.Add(series.StandardErrors[j]);
            }
            else
            {
                zeroErrors++;
            }
        }

        int m = times.Count;
        if (m == 0 && zeroErrors > 0)
        {
            return WithoutFit(
                Regime.Undetermined,
                $"every record of the fit window (records {fitStart}…{count - 1}) has a standard error of exactly 0 (no spread between trajectories): the slope and curvature scores (z) are undefined, so no regime is inferred",
                new RegimeDiagnostics(count, fitStart, 0, zeroErrors, 0, firstDiverged, lastDiverged, [], double.NaN, double.NaN, double.NaN, double.NaN, null, null, threshold));
        }

        if (m < MinimumFitPoints)
        {
            var few = new RegimeDiagnostics(count, fitStart, m, zeroErrors, 0, firstDiverged, lastDiverged, [],
                double.NaN, double.NaN, double.NaN, double.NaN, null, null, threshold);
            return new RegimeClassification(
                Regime.Undetermined,
                double.NaN,
                double.NaN,
                $"the fit window (records {fitStart}…{count - 1}) holds {m} records with a positive standard error; at least {MinimumFitPoints} are needed (record more often)",
                few);
        }

        ReadOnlySpan<double> t = CollectionsMarshal.AsSpan(times), v = CollectionsMarshal.AsSpan(values), s = CollectionsMarshal.AsSpan(errors);
        VarianceBlock b1 = Block(t, v, s, 0, m / 3), b2 = Block(t, v, s, m / 3, 2 * m / 3), b3 = Block(t, v, s, 2 * m / 3, m);
        double span = b3.Time - b1.Time, h12 = b2.Time - b1.Time, h23 = b3.Time - b2.Time;
        double slope = (b3.Value - b1.Value) / span;
        double slopeError = (b1.StandardError + b3.StandardError) / span;
        double curvature = ((b3.Value - b2.Value) / h23 - (b2.Value - b1.Value) / h12) / span;
        double curvatureError = (b1.StandardError / h12 + b2.StandardError * (1 / h12 + 1 / h23) + b3.StandardError / h23) / span;
        PolynomialFit constant = PolynomialFit.Of(t, v, s, 0), linear = PolynomialFit.Of(t, v, s, 1);
        var diagnostics = new RegimeDiagnostics(count, fitStart, m, zeroErrors, nonFinite, firstDiverged, lastDiverged, [b1, b2, b3],
            slope, slopeError, curvature, curvatureError, constant, linear, threshold);
        double z1 = diagnostics.SlopeScore, z2 = diagnostics.CurvatureScore;
        string scores = FormattableString.Invariant($"slope z = {z1:F1}, curvature z = {z2:F1}, threshold {threshold:G3}");

        if (z1 > threshold && z2 > threshold)
        {
            return new RegimeClassification(Regime.Unstable, double.NaN, double.NaN,
                $"variance grows faster than linearly ({scores})", diagnostics);
        }

        if (z1 > threshold && Math.Abs(z2) <= threshold)
        {
            return new RegimeClassification(Regime.Diffusive, linear.Coefficients[1] / 2, linear.StandardErrors[1] / 2,
                FormattableString.Invariant($"linear growth, linear fit χ²/ν = {linear.ReducedChiSquared:G3} ({scores})"), diagnostics);
        }

        if (Math.Abs(z1) <= threshold && Math.Abs(z2) <= threshold)
        {
            return new RegimeClassification(Regime.Confined, constant.Coefficients[0], constant.StandardErrors[0],
                FormattableString.Invariant($"no trend, constant fit χ²/ν = {constant.ReducedChiSquared:G3} ({scores})"), diagnostics);
        }

        string undetermined = z1 < -threshold
            ? "variance still decreasing: the window starts before the relaxation ended"
            : z1 > threshold
                ? "growth slowing down: saturation not reached in the window, or sub-linear growth"
                : "curved without a significant trend";
        return new RegimeClassification(Regime.Undetermined, double.NaN, double.NaN, $"{undetermined} ({scores})", diagnostics);
    }

    /// <summary>Weighted mean of records [first, end) with the any-correlation error bound.</summary>
    private static VarianceBlock Block(ReadOnlySpan<double> t, ReadOnlySpan<double> v, ReadOnlySpan<double> s, int first, int end)
    {
        double weights = 0.0, time = 0.0, value = 0.0, error = 0.0;
        for (int j = first; j < end; j++)
        {
            double w = 1.0 / (s[j] * s[j]);
            weights += w;
            time += w * t[j];
            value += w * v[j];
            error += w * s[j];
        }

        return new VarianceBlock(time / weights, value / weights, error / weights, end - first);
    }

    private static void Validate(VarianceSeries series)
    {
        int count = series.Count;
        if (count == 0)
        {
            throw new ArgumentException("the series has no records", nameof(series));
        }

        if (series.Variances.Length != count || series.StandardErrors.Length != count || (series.Diverged is not null && series.Diverged.Length != count))
        {
            throw new ArgumentException("times, variances, standard errors and diverged counts differ in length", nameof(series));
        }

        for (int j = 0; j < count; j++)
        {
            double time = series.Times[j];
            bool increasing = j == 0 || time > series.Times[j - 1] || (double.IsPositiveInfinity(time) && double.IsPositiveInfinity(series.Times[j - 1]));
            if (double.IsNaN(time) || double.IsNegativeInfinity(time) || !increasing)
            {
                throw new ArgumentException("times must be strictly increasing (from some record on they may all be +∞: t = kη overflowed)", nameof(series));
            }

            if (series.StandardErrors[j] < 0)
            {
                throw new ArgumentException($"record {j}: negative standard error {series.StandardErrors[j]}", nameof(series));
            }

            if (series.Diverged is not null && series.Diverged[j] < 0)
            {
                throw new ArgumentException($"record {j}: negative diverged count {series.Diverged[j]}", nameof(series));
            }
        }
    }
}
