using MathNet.Numerics.Distributions;
using SgdDynamics.Observers;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Observers;

/// <summary>
/// The Hill estimator on samples with known tail index: exact Pareto samples X = U^(−1/α) (inverse CDF, U uniform
/// on (0, 1], fixed-seed <see cref="System.Random"/>) and symmetric Student-t samples (tail index ν). Accuracy is
/// judged by z = (α̂ − α)/SE with |z| &lt; 5; the reported SE α̂/√k is checked against the spread of α̂ over 50
/// independent replicates (sample SD within 30 % of the mean reported SE: the SD of 50 replicates has a relative
/// error of about 10 %).
/// </summary>
public class HillEstimatorTests(ITestOutputHelper output)
{
    private const int SampleSize = 100_000;

    private static double[] Pareto(double alpha, int n, int seed)
    {
        var random = new System.Random(seed);
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = Math.Pow(1.0 - random.NextDouble(), -1.0 / alpha);
        }

        return x;
    }

    private static double[] StudentSamples(double dof, int n, int seed)
    {
        var x = new double[n];
        new StudentT(0.0, 1.0, dof, new System.Random(seed)).Samples(x);
        return x;
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(2.0)]
    [InlineData(3.0)]
    public void ParetoTailIndexIsRecoveredWithTheSquareRootRule(double alpha)
    {
        HillEstimate estimate = HillEstimator.Estimate(Pareto(alpha, SampleSize, seed: 17 + (int)(10 * alpha)));

        Assert.Equal(316, estimate.K); // ⌊√100000⌋
        Assert.Equal(SampleSize, estimate.N);
        Assert.Equal(0, estimate.Excluded);
        Assert.Equal(TailCountRule.SquareRoot, estimate.Rule);
        Assert.Equal(TailSide.Absolute, estimate.Side);
        Assert.Equal(estimate.Alpha / Math.Sqrt(estimate.K), estimate.StandardError, 14);
        // The threshold is the (k+1)-th largest value: near the quantile 1 − k/n of the Pareto law.
        double expectedThreshold = Math.Pow((double)estimate.K / SampleSize, -1.0 / alpha);
        Assert.InRange(estimate.Threshold / expectedThreshold, 0.8, 1.25);
        double z = (estimate.Alpha - alpha) / estimate.StandardError;
        output.WriteLine(FormattableString.Invariant($"α = {alpha}: α̂ = {estimate.Alpha:F4} ± {estimate.StandardError:F4}, z = {z:F2}"));
        Assert.True(Math.Abs(z) < 5, FormattableString.Invariant($"z = {z:F2}"));
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(2.0)]
    [InlineData(3.0)]
    public void ReportedStandardErrorMatchesTheSpreadOverReplicates(double alpha)
    {
        const int replicates = 50;
        var estimates = new double[replicates];
        var errors = new double[replicates];
        for (int r = 0; r < replicates; r++)
        {
            HillEstimate e = HillEstimator.Estimate(Pareto(alpha, SampleSize, seed: 1000 * (int)(10 * alpha) + r));
            estimates[r] = e.Alpha;
            errors[r] = e.StandardError;
            Assert.True(Math.Abs(e.Alpha - alpha) < 5 * e.StandardError, $"replicate {r}: α̂ = {e.Alpha}");
        }

        double mean = estimates.Average();
        double sd = Math.Sqrt(estimates.Sum(a => (a - mean) * (a - mean)) / (replicates - 1));
        double meanError = errors.Average();
        output.WriteLine(FormattableString.Invariant($"α = {alpha}: mean α̂ {mean:F4}, replicate SD {sd:F4}, mean reported SE {meanError:F4}"));
        Assert.InRange(sd / meanError, 0.7, 1.3);
        // The replicate mean is unbiased to within its own error SD/√50.
        Assert.True(Math.Abs(mean - alpha) < 5 * sd / Math.Sqrt(replicates), FormattableString.Invariant($"mean {mean:F4}"));
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.0)]
    [InlineData(4.0)]
    public void StudentTTailIndexIsItsDegreesOfFreedom(double dof)
    {
        double[] x = StudentSamples(dof, SampleSize, seed: 29);
        HillEstimate both = HillEstimator.Estimate(x);
        HillEstimate upper = HillEstimator.Estimate(x, TailSide.Upper);
        HillEstimate lower = HillEstimator.Estimate(x, TailSide.Lower);
        foreach (HillEstimate e in new[] { both, upper, lower })
        {
            double z = (e.Alpha - dof) / e.StandardError;
            output.WriteLine(FormattableString.Invariant($"ν = {dof}, {e.Side}: α̂ = {e.Alpha:F3} ± {e.StandardError:F3} (k = {e.K}), z = {z:F2}"));
            Assert.True(Math.Abs(z) < 5, FormattableString.Invariant($"{e.Side}: z = {z:F2}"));
        }

        // n is the whole sample on every side, so k = ⌊√n⌋; one tail holds about half of the largest |x|,
        // so its (k+1)-th largest value lies lower.
        Assert.Equal(316, upper.K);
        Assert.True(upper.Threshold < both.Threshold);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(3.0)]
    public void StabilityRuleRecoversParetoTailsWithMoreOrderStatistics(double alpha)
    {
        (int low, int high) = HillEstimator.StabilityRange(SampleSize);
        Assert.Equal((31, 3162), (low, high));
        for (int r = 0; r < 10; r++)
        {
            HillEstimate e = HillEstimator.Estimate(Pareto(alpha, SampleSize, seed: 500 * (int)(10 * alpha) + r), rule: TailCountRule.Stability);
            Assert.Equal(TailCountRule.Stability, e.Rule);
            Assert.InRange(e.K, low, high);
            double z = (e.Alpha - alpha) / e.StandardError;
            output.WriteLine(FormattableString.Invariant($"α = {alpha}, replicate {r}: k = {e.K}, α̂ = {e.Alpha:F4} ± {e.StandardError:F4}, z = {z:F2}"));
            Assert.True(Math.Abs(z) < 5, FormattableString.Invariant($"replicate {r}: z = {z:F2}"));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void StabilityRuleRecoversStudentTailsWithFastFadingCorrections(double dof)
    {
        for (int r = 0; r < 10; r++)
        {
            HillEstimate e = HillEstimator.Estimate(StudentSamples(dof, SampleSize, seed: 700 + r), rule: TailCountRule.Stability);
            double z = (e.Alpha - dof) / e.StandardError;
            output.WriteLine(FormattableString.Invariant($"ν = {dof}, replicate {r}: k = {e.K}, α̂ = {e.Alpha:F4} ± {e.StandardError:F4}, z = {z:F2}"));
            Assert.True(Math.Abs(z) < 5, FormattableString.Invariant($"replicate {r}: z = {z:F2}"));
        }
    }

    /// <summary>
    /// Documented limitation: Student-t with ν = 4 has a slowly fading second-order term (ρ = −1/2), the Hill plot
    /// drifts too gently for the stability rule, which picks a large k and underestimates α by several of its own
    /// (small) standard errors; the square-root rule stays within 5 SE on the same samples.
    /// </summary>
    [Fact]
    public void StabilityRuleIsBiasedLowForSlowlyFadingCorrections()
    {
        const double dof = 4.0;
        const int replicates = 10;
        double stabilityScore = 0.0;
        for (int r = 0; r < replicates; r++)
        {
            double[] x = StudentSamples(dof, SampleSize, seed: 900 + r);
            HillEstimate stable = HillEstimator.Estimate(x, rule: TailCountRule.Stability);
            HillEstimate root = HillEstimator.Estimate(x);
            stabilityScore += (stable.Alpha - dof) / stable.StandardError / replicates;
            Assert.True(Math.Abs(root.Alpha - dof) < 5 * root.StandardError, FormattableString.Invariant($"replicate {r}: √n rule α̂ = {root.Alpha:F3}"));
        }

        output.WriteLine(FormattableString.Invariant($"ν = 4: mean z of the stability rule {stabilityScore:F2}"));
        Assert.True(stabilityScore < -1.0, FormattableString.Invariant($"mean z {stabilityScore:F2}"));
    }

    [Fact]
    public void SmallSampleWithGivenCountMatchesTheFormula()
    {
        // Y = 16, 8, 4, 2, 1 (descending); k = 2: threshold 4, γ = (log 4 + log 2)/2 = 1.5 log 2.
        double[] x = [1, -2, 4, 8, -16];
        HillEstimate e = HillEstimator.EstimateWithCount(x, 2);
        double alpha = 1.0 / (1.5 * Math.Log(2.0));
        Assert.Equal(alpha, e.Alpha, 14);
        Assert.Equal(alpha / Math.Sqrt(2.0), e.StandardError, 14);
        Assert.Equal(4.0, e.Threshold);
        Assert.Equal(TailCountRule.Fixed, e.Rule);
        Assert.Equal(5, e.N);

        // Upper side: Y = 8, 4, 1, −2, −16; k = 2: threshold 1, γ = (log 8 + log 4)/2 = 2.5 log 2.
        HillEstimate upper = HillEstimator.EstimateWithCount(x, 2, TailSide.Upper);
        Assert.Equal(1.0 / (2.5 * Math.Log(2.0)), upper.Alpha, 14);

        // The Hill plot holds α̂(k) for k = 1…; α̂(1) = 1/log(16/8).
        double[] plot = HillEstimator.Plot(x, 4);
        Assert.Equal(1.0 / Math.Log(2.0), plot[0], 14);
        Assert.Equal(alpha, plot[1], 14);
        // Lower side: Y = 16, 2, −1, −4, −8: thresholds from k = 2 on are not positive.
        double[] lowerPlot = HillEstimator.Plot(x, 4, TailSide.Lower);
        Assert.Equal(1.0 / Math.Log(8.0), lowerPlot[0], 14);
        Assert.True(double.IsNaN(lowerPlot[1]));
        Assert.Throws<ArgumentException>(() => HillEstimator.EstimateWithCount(x, 2, TailSide.Lower));
    }

    [Fact]
    public void NonFiniteValuesAreExcludedAndCounted()
    {
        double[] clean = Pareto(2.0, 10_000, seed: 3);
        var dirty = new double[clean.Length + 7];
        clean.CopyTo(dirty, 0);
        dirty[^7] = double.NaN;
        dirty[^6] = double.NaN;
        dirty[^5] = double.PositiveInfinity;
        dirty[^4] = double.NegativeInfinity;
        dirty[^3] = double.NaN;
        dirty[^2] = double.NaN;
        dirty[^1] = double.NaN;
        (dirty[3], dirty[^1]) = (dirty[^1], dirty[3]); // a NaN in the middle

        HillEstimate a = HillEstimator.Estimate(clean);
        HillEstimate b = HillEstimator.Estimate(dirty);
        Assert.Equal(0, a.Excluded);
        Assert.Equal(7, b.Excluded);
        Assert.Equal(a.N, b.N);
        Assert.Equal(a.Alpha, b.Alpha);
        Assert.Equal(a.K, b.K);
    }

    [Fact]
    public void FloatSamplesGiveTheEstimateOfTheirDoubleValues()
    {
        float[] x = Pareto(2.5, 20_000, seed: 8).Select(v => (float)v).ToArray();
        x[10] = float.NaN;
        HillEstimate f = HillEstimator.Estimate(x, rule: TailCountRule.Stability);
        HillEstimate d = HillEstimator.Estimate(x.Select(v => (double)v).ToArray(), rule: TailCountRule.Stability);
        Assert.Equal(d, f);
        Assert.Equal(1, f.Excluded);
        Assert.Equal(d, HillEstimator.EstimateWithCount(x.Select(v => (double)v).ToArray(), d.K) with { Rule = TailCountRule.Stability });
    }

    [Fact]
    public void CountRulesAreExact()
    {
        Assert.Equal(316, HillEstimator.SquareRootCount(100_000));
        Assert.Equal(10, HillEstimator.SquareRootCount(100));
        Assert.Equal(9, HillEstimator.SquareRootCount(99));
        Assert.Equal(1, HillEstimator.SquareRootCount(2));
        Assert.Equal(1, HillEstimator.SquareRootCount(3));
        Assert.Equal(46340, HillEstimator.SquareRootCount(int.MaxValue));
        // 1024^0.3 = 8 and 1024^0.7 = 128 exactly: integer arithmetic, no rounding of powers.
        Assert.Equal((8, 128), HillEstimator.StabilityRange(1024));
        Assert.Equal((7, 127), HillEstimator.StabilityRange(1023)); // just below both powers
        Assert.Equal((2, 2), HillEstimator.StabilityRange(3));
        Assert.Equal((1, 2), HillEstimator.StabilityWindow(1));
        Assert.Equal((5, 20), HillEstimator.StabilityWindow(10));
        Assert.Equal((6, 22), HillEstimator.StabilityWindow(11));
    }

    [Fact]
    public void InvalidInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => HillEstimator.Estimate([1.0]));
        Assert.Throws<ArgumentException>(() => HillEstimator.Estimate([1.0, double.NaN, double.NaN]));
        Assert.Throws<ArgumentException>(() => HillEstimator.Estimate([1.0, 2.0, 3.0], rule: TailCountRule.Fixed));
        Assert.Throws<ArgumentOutOfRangeException>(() => HillEstimator.EstimateWithCount([1.0, 2.0, 3.0], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HillEstimator.EstimateWithCount([1.0, 2.0, 3.0], 0));
        Assert.Throws<ArgumentException>(() => HillEstimator.EstimateWithCount([5.0, 5.0, 5.0, 1.0], 2)); // top values tied
        Assert.Throws<ArgumentException>(() => HillEstimator.Estimate(new double[100], rule: TailCountRule.SquareRoot)); // all zero
        Assert.Throws<ArgumentException>(() => HillEstimator.Estimate([1.0, 2.0], rule: TailCountRule.Stability)); // n = 2: no k range
    }
}
