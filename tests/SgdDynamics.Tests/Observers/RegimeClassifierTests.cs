using MathNet.Numerics.Distributions;
using SgdDynamics.Observers;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Observers;

/// <summary>
/// <see cref="RegimeClassifier"/> on constructed series (a known curve plus independent Gaussian noise at the
/// stated standard error) and on the correlated series of simulated ensembles, whose records share trajectories.
/// </summary>
public class RegimeClassifierTests(ITestOutputHelper output)
{
    /// <summary>Records at t = 0, Δt, …, (count − 1)Δt with v = curve(t) + s(t)·N(0, 1).</summary>
    private static VarianceSeries Noisy(Func<double, double> curve, Func<double, double> error, int count, double dt, int seed)
    {
        var normal = new Normal(0.0, 1.0, new System.Random(seed));
        var times = new double[count];
        var values = new double[count];
        var errors = new double[count];
        for (int j = 0; j < count; j++)
        {
            double t = j * dt;
            times[j] = t;
            errors[j] = error(t);
            values[j] = curve(t) + errors[j] * normal.Sample();
        }

        return new VarianceSeries(times, values, errors);
    }

    private void Report(string label, RegimeClassification c) =>
        output.WriteLine(FormattableString.Invariant($"{label}: {c.Regime} {c.Value:G6} ± {c.StandardError:G3}; {c.Reason}"));

    [Fact]
    public void ExponentialRelaxationIsConfined()
    {
        // v = 0.5 (1 − e^(−t)), t = 0 … 20, s = 0.005: the last half (t ≥ 10) is relaxed to 2e-5, far below s.
        for (int seed = 0; seed < 10; seed++)
        {
            VarianceSeries series = Noisy(t => 0.5 * (1 - Math.Exp(-t)), _ => 0.005, 81, 0.25, seed);
            RegimeClassification c = RegimeClassifier.Classify(series);
            Report($"relaxation, seed {seed}", c);
            Assert.Equal(Regime.Confined, c.Regime);
            Assert.True(Math.Abs(c.Value - 0.5) < 5 * c.StandardError, $"value {c.Value}");
            // Conservative error: that of one record (0.005), not 0.005/√41 for 41 independent points.
            Assert.Equal(0.005, c.StandardError, 12);
            Assert.True(c.Diagnostics.Constant!.IndependentStandardErrors[0] < c.StandardError);
            Assert.InRange(c.Diagnostics.Constant.ReducedChiSquared, 0.4, 2.0);
            Assert.Equal(40, c.Diagnostics.FitStart);
            Assert.Equal(41, c.Diagnostics.FitPoints);
        }
    }

    [Fact]
    public void RelaxationFromAboveIsConfined()
    {
        VarianceSeries series = Noisy(t => 0.5 + 1.5 * Math.Exp(-t / 2), t => 0.01 * (0.5 + 1.5 * Math.Exp(-t / 2)), 101, 0.4, seed: 3);
        RegimeClassification c = RegimeClassifier.Classify(series);
        Report("relaxation from above", c);
        Assert.Equal(Regime.Confined, c.Regime);
        Assert.True(Math.Abs(c.Value - 0.5) < 5 * c.StandardError);
    }

    [Fact]
    public void LinearGrowthIsDiffusive()
    {
        // v = 0.1 + 2·0.25·t with a 1 % error: D = 0.25.
        for (int seed = 0; seed < 10; seed++)
        {
            VarianceSeries series = Noisy(t => 0.1 + 0.5 * t, t => 0.01 * (0.1 + 0.5 * t), 41, 0.5, seed);
            RegimeClassification c = RegimeClassifier.Classify(series);
            Report($"linear, seed {seed}", c);
            Assert.Equal(Regime.Diffusive, c.Regime);
            Assert.True(Math.Abs(c.Value - 0.25) < 5 * c.StandardError, $"D = {c.Value} ± {c.StandardError}");
            // Conservative: at least the independent-point error, at most that of the end records' 1 % errors
            // tilting the line over the window.
            Assert.True(c.StandardError >= c.Diagnostics.Linear!.IndependentStandardErrors[1] / 2);
            Assert.InRange(c.StandardError, 1e-3, 0.02);
            Assert.True(Math.Abs(c.Diagnostics.CurvatureScore) <= 5);
            PolynomialFit linear = c.Diagnostics.Linear!;
            Assert.True(Math.Abs(linear.Coefficients[0] - 0.1) < 5 * linear.StandardErrors[0], $"v₀ = {linear.Coefficients[0]}");
            Assert.True(linear.ChiSquared > 0);
        }
    }

    [Theory]
    [InlineData("exponential")]
    [InlineData("quadratic")]
    [InlineData("fast exponential")]
    public void FasterThanLinearGrowthIsUnstable(string kind)
    {
        Func<double, double> curve = kind switch
        {
            "exponential" => t => 0.1 * Math.Exp(0.5 * t),
            "fast exponential" => t => 0.1 * Math.Exp(3 * t),
            _ => t => 0.1 + 0.05 * t * t,
        };
        Func<double, double> error = kind == "quadratic" ? _ => 0.02 : t => 0.01 * curve(t);
        VarianceSeries series = Noisy(curve, error, 41, 0.5, seed: 5);
        RegimeClassification c = RegimeClassifier.Classify(series);
        Report(kind, c);
        Assert.Equal(Regime.Unstable, c.Regime);
        Assert.True(double.IsNaN(c.Value));
        Assert.True(c.Diagnostics.CurvatureScore > 5 && c.Diagnostics.SlopeScore > 5);
    }

    [Fact]
    public void NonFiniteRecordIsUnstable()
    {
        VarianceSeries series = Noisy(t => 0.1 * Math.Exp(0.5 * t), t => 0.01, 41, 0.5, seed: 6);
        series.Variances[37] = double.PositiveInfinity;
        series.Variances[38] = double.NaN;
        series.StandardErrors[38] = double.NaN;
        RegimeClassification c = RegimeClassifier.Classify(series);
        Report("NaN", c);
        Assert.Equal(Regime.Unstable, c.Regime);
        Assert.Equal(2, c.Diagnostics.NonFiniteRecords);
        Assert.Null(c.Diagnostics.Linear);
        Assert.Empty(c.Diagnostics.Blocks);
        Assert.Contains("non-finite", c.Reason);
    }

    [Fact]
    public void RisingDivergedCountIsUnstable()
    {
        VarianceSeries flat = Noisy(_ => 0.5, _ => 0.005, 41, 0.5, seed: 7);
        long[] diverged = new long[41];
        diverged[40] = 3;
        RegimeClassification c = RegimeClassifier.Classify(flat with { Diverged = diverged });
        Report("diverged", c);
        Assert.Equal(Regime.Unstable, c.Regime);
        Assert.Equal(3, c.Diagnostics.LastDiverged);

        // A constant count (trajectories lost before the first record) is reported but does not decide.
        RegimeClassification constant = RegimeClassifier.Classify(flat with { Diverged = Enumerable.Repeat(2L, 41).ToArray() });
        Assert.Equal(Regime.Confined, constant.Regime);
        Assert.Equal(2, constant.Diagnostics.FirstDiverged);
    }

    /// <summary>Borderline: the window (last half) starts before the relaxation ended → Undetermined; a later fit start → Confined.</summary>
    [Fact]
    public void UnfinishedRelaxationIsUndeterminedUntilTheFitStartsLater()
    {
        Func<double, double> curve = t => 0.5 + 2.0 * Math.Exp(-t / 5);
        VarianceSeries series = Noisy(curve, t => 0.002, 201, 0.5, seed: 8); // t = 0 … 100
        var shortSeries = series with
        {
            Times = series.Times[..21], Variances = series.Variances[..21], StandardErrors = series.StandardErrors[..21],
        };
        RegimeClassification early = RegimeClassifier.Classify(shortSeries);
        Report("t ≤ 10", early);
        Assert.Equal(Regime.Undetermined, early.Regime);
        Assert.True(early.Diagnostics.SlopeScore < -5);
        Assert.Contains("still decreasing", early.Reason);

        RegimeClassification late = RegimeClassifier.Classify(series, new RegimeOptions(FitStartTime: 80));
        Report("t ≥ 80", late);
        Assert.Equal(Regime.Confined, late.Regime);
        Assert.Equal(160, late.Diagnostics.FitStart);
        Assert.True(Math.Abs(late.Value - 0.5) < 5 * late.StandardError);
    }

    /// <summary>Borderline: growth that slows down (saturation not yet reached in the window) → Undetermined.</summary>
    [Fact]
    public void SlowingGrowthIsUndetermined()
    {
        VarianceSeries series = Noisy(t => 1 - Math.Exp(-t / 10), _ => 0.001, 41, 0.5, seed: 9);
        RegimeClassification c = RegimeClassifier.Classify(series);
        Report("slowing", c);
        Assert.Equal(Regime.Undetermined, c.Regime);
        Assert.True(c.Diagnostics.SlopeScore > 5 && c.Diagnostics.CurvatureScore < -5);
    }

    /// <summary>Borderline: a diffusion too weak to resolve over the window is reported as Confined, its slope score in the diagnostics.</summary>
    [Fact]
    public void UnresolvedWeakDiffusionLooksConfined()
    {
        VarianceSeries series = Noisy(t => 0.5 + 0.0002 * t, _ => 0.01, 41, 0.5, seed: 10);
        RegimeClassification c = RegimeClassifier.Classify(series);
        Report("weak diffusion", c);
        Assert.Equal(Regime.Confined, c.Regime);
        Assert.InRange(c.Diagnostics.SlopeScore, -5, 5);
    }

    /// <summary>Borderline: a slow exponential whose curvature over the window is below 5 SE looks Diffusive; with smaller errors it is Unstable.</summary>
    [Fact]
    public void SlowExponentialIsDiffusiveUntilItsCurvatureIsResolved()
    {
        Func<double, double> curve = t => Math.Exp(0.02 * t);
        RegimeClassification coarse = RegimeClassifier.Classify(Noisy(curve, _ => 1e-3, 41, 0.5, seed: 11));
        RegimeClassification fine = RegimeClassifier.Classify(Noisy(curve, _ => 1e-6, 41, 0.5, seed: 11));
        Report("slow exponential, s = 1e-3", coarse);
        Report("slow exponential, s = 1e-6", fine);
        Assert.Equal(Regime.Diffusive, coarse.Regime);
        Assert.Equal(Regime.Unstable, fine.Regime);
    }

    /// <summary>
    /// A simulated ensemble of 1-D SGD, x ← (1 − ηλ)x − η ξ (σ² = 1) from x = 0: the unbiased variance and its error
    /// √((m₄ − m₂²)/n) every <paramref name="every"/> steps at t = kη. Successive records share the trajectories.
    /// </summary>
    private static VarianceSeries Ensemble(double eta, double lambda, int trajectories, int steps, int every, int seed)
    {
        var normal = new Normal(0.0, 1.0, new System.Random(seed));
        var x = new double[trajectories];
        var times = new List<double>();
        var values = new List<double>();
        var errors = new List<double>();
        for (int k = 0; k <= steps; k++)
        {
            if (k % every == 0)
            {
                double mean = x.Average();
                double m2 = x.Sum(v => (v - mean) * (v - mean)) / trajectories;
                double m4 = x.Sum(v => Math.Pow(v - mean, 4)) / trajectories;
                times.Add(k * eta);
                values.Add(m2 * trajectories / (trajectories - 1));
                errors.Add(Math.Sqrt(Math.Max(0.0, m4 - m2 * m2) / trajectories));
            }

            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (1 - eta * lambda) * x[i] - eta * normal.Sample();
            }
        }

        return new VarianceSeries([.. times], [.. values], [.. errors]);
    }

    /// <summary>
    /// Random walks (λ = 0, η = 1/2): D = ησ²/2 = 1/4. Over 40 independent ensembles the spread of D̂ is covered by
    /// the conservative error, while the error of a fit that treats the correlated records as independent is too small.
    /// </summary>
    [Fact]
    public void SimulatedRandomWalksAreDiffusiveWithCoveringErrors()
    {
        const int replicates = 40;
        var estimates = new double[replicates];
        var errors = new double[replicates];
        var independentErrors = new double[replicates];
        for (int r = 0; r < replicates; r++)
        {
            RegimeClassification c = RegimeClassifier.Classify(Ensemble(0.5, 0.0, 2000, 200, 5, seed: 100 + r));
            Assert.Equal(Regime.Diffusive, c.Regime);
            Assert.True(Math.Abs(c.Value - 0.25) < 5 * c.StandardError, $"replicate {r}: D = {c.Value} ± {c.StandardError}");
            estimates[r] = c.Value;
            errors[r] = c.StandardError;
            independentErrors[r] = c.Diagnostics.Linear!.IndependentStandardErrors[1] / 2;
        }

        double mean = estimates.Average();
        double sd = Math.Sqrt(estimates.Sum(d => (d - mean) * (d - mean)) / (replicates - 1));
        output.WriteLine(FormattableString.Invariant(
            $"random walk: mean D̂ {mean:F5}, replicate SD {sd:F5}, mean conservative SE {errors.Average():F5}, mean independent-point SE {independentErrors.Average():F5}"));
        Assert.True(sd < errors.Average(), "the conservative error must cover the replicate spread");
        Assert.True(independentErrors.Average() < sd, "records are correlated: independent-point errors understate the spread");
        Assert.True(Math.Abs(mean - 0.25) < 5 * sd / Math.Sqrt(replicates));
    }

    /// <summary>A confined mode (λ = 1, η = 1/2): stationary variance ησ²/(λ(2 − ηλ)) = 1/3, with covering errors.</summary>
    [Fact]
    public void SimulatedConfinedEnsemblesSaturateAtTheDiscreteValue()
    {
        const int replicates = 40;
        const double exact = 1.0 / 3.0;
        var estimates = new double[replicates];
        var errors = new double[replicates];
        for (int r = 0; r < replicates; r++)
        {
            RegimeClassification c = RegimeClassifier.Classify(Ensemble(0.5, 1.0, 2000, 200, 5, seed: 200 + r));
            Assert.Equal(Regime.Confined, c.Regime);
            Assert.True(Math.Abs(c.Value - exact) < 5 * c.StandardError, $"replicate {r}: v = {c.Value} ± {c.StandardError}");
            estimates[r] = c.Value;
            errors[r] = c.StandardError;
        }

        double mean = estimates.Average();
        double sd = Math.Sqrt(estimates.Sum(d => (d - mean) * (d - mean)) / (replicates - 1));
        output.WriteLine(FormattableString.Invariant($"confined: mean v̂ {mean:F5}, replicate SD {sd:F5}, mean conservative SE {errors.Average():F5}"));
        Assert.True(sd < errors.Average());
        Assert.True(Math.Abs(mean - exact) < 5 * sd / Math.Sqrt(replicates));
    }

    /// <summary>An unstable mode (ηλ = 2.25 &gt; 2): the variance grows by (1 − ηλ)² = 1.5625 per step, finite over the run.</summary>
    [Fact]
    public void SimulatedUnstableEnsembleIsUnstable()
    {
        VarianceSeries series = Ensemble(0.5, 4.5, 2000, 60, 2, seed: 300);
        Assert.All(series.Variances, v => Assert.True(double.IsFinite(v)));
        RegimeClassification c = RegimeClassifier.Classify(series);
        Report("ηλ = 2.25", c);
        Assert.Equal(Regime.Unstable, c.Regime);
        Assert.Equal(0, c.Diagnostics.NonFiniteRecords);
    }

    [Fact]
    public void ZeroErrorRecordsAreLeftOutOfTheFits()
    {
        // A point start: the first record is exactly 0 with error 0.
        VarianceSeries series = Noisy(t => 0.1 * t, t => 0.001 * (1 + t), 21, 1.0, seed: 12);
        series.Variances[0] = 0.0;
        series.StandardErrors[0] = 0.0;
        RegimeClassification c = RegimeClassifier.Classify(series, new RegimeOptions(FitStartTime: 0));
        Assert.Equal(Regime.Diffusive, c.Regime);
        Assert.Equal(1, c.Diagnostics.ZeroErrorRecords);
        Assert.Equal(20, c.Diagnostics.FitPoints);
        Assert.True(Math.Abs(c.Value - 0.05) < 5 * c.StandardError);
    }

    [Fact]
    public void ThresholdIsAnOption()
    {
        // Slope score between 2 and 5: confined at the default threshold, diffusive at threshold 2.
        VarianceSeries series = Noisy(t => 0.5 + 0.01 * t, _ => 0.01, 41, 0.5, seed: 13);
        RegimeClassification strict = RegimeClassifier.Classify(series);
        Report("threshold 5", strict);
        double z = strict.Diagnostics.SlopeScore;
        Assert.InRange(z, 2.0, 5.0);
        Assert.Equal(Regime.Confined, strict.Regime);
        RegimeClassification loose = RegimeClassifier.Classify(series, new RegimeOptions(Threshold: 1.5));
        Assert.Equal(1.5, loose.Diagnostics.Threshold);
        Assert.Equal(Regime.Diffusive, loose.Regime);
    }

    [Fact]
    public void InvalidSeriesAreRejected()
    {
        VarianceSeries good = Noisy(_ => 1.0, _ => 0.1, 10, 1.0, seed: 14);
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(good with { Times = good.Times[..9] }));
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(good with { Times = good.Times.Reverse().ToArray() }));
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(good with { StandardErrors = good.StandardErrors.Select(_ => -0.1).ToArray() }));
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(good with { Diverged = new long[3] }));
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(good, new RegimeOptions(Threshold: 0)));
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(good, new RegimeOptions(FitStartTime: 100)));
        // 10 records: the last half holds 5; from t = 7 only 3, too few for a quadratic with a χ²: undetermined.
        Assert.Equal(Regime.Confined, RegimeClassifier.Classify(good).Regime);
        RegimeClassification few = RegimeClassifier.Classify(good, new RegimeOptions(FitStartTime: 7));
        Assert.Equal(Regime.Undetermined, few.Regime);
        Assert.Contains("at least 4", few.Reason);
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(new VarianceSeries([], [], [])));
    }
}
