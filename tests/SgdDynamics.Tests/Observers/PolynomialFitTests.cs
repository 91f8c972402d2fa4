using SgdDynamics.Observers;

namespace SgdDynamics.Tests.Observers;

public class PolynomialFitTests
{
    [Fact]
    public void ExactPolynomialsAreRecoveredFarFromTheOrigin()
    {
        // Times near 1000: the fit works in centred, scaled time and expands back to powers of t.
        double[] t = Enumerable.Range(0, 11).Select(j => 1000.0 + j).ToArray();
        double[] v = t.Select(x => 2.0 - 0.5 * x + 1e-3 * x * x).ToArray();
        double[] s = t.Select(_ => 0.1).ToArray();
        PolynomialFit fit = PolynomialFit.Of(t, v, s, 2);
        Assert.Equal(2, fit.Degree);
        Assert.Equal(2.0, fit.Coefficients[0], 6);
        Assert.Equal(-0.5, fit.Coefficients[1], 9);
        Assert.Equal(1e-3, fit.Coefficients[2], 12);
        Assert.Equal(0.0, fit.ChiSquared, 12);
        Assert.Equal(8, fit.DegreesOfFreedom);
        Assert.Equal(v[4], fit.Evaluate(t[4]), 9);
    }

    [Fact]
    public void ConstantFitIsTheWeightedMeanWithTheSingleRecordError()
    {
        double[] t = [0, 1, 2, 3];
        double[] v = [1.0, 1.2, 0.9, 1.1];
        double[] s = [0.1, 0.2, 0.1, 0.2];
        PolynomialFit fit = PolynomialFit.Of(t, v, s, 0);
        double[] w = s.Select(e => 1 / (e * e)).ToArray();
        double mean = v.Zip(w, (a, b) => a * b).Sum() / w.Sum();
        Assert.Equal(mean, fit.Coefficients[0], 14);
        Assert.Equal(Math.Sqrt(1 / w.Sum()), fit.IndependentStandardErrors[0], 14);
        double chi2 = v.Select((x, j) => Math.Pow((x - mean) / s[j], 2)).Sum();
        Assert.Equal(chi2, fit.ChiSquared, 12);
        Assert.Equal(chi2 / 3, fit.ReducedChiSquared, 12);
        // Bound for any correlation: Σ w s / Σ w (here larger than the inflated independent error).
        double bound = w.Zip(s, (a, b) => a * b).Sum() / w.Sum();
        double inflated = fit.IndependentStandardErrors[0] * Math.Sqrt(Math.Max(1, chi2 / 3));
        Assert.Equal(Math.Max(bound, inflated), fit.StandardErrors[0], 14);
    }

    [Fact]
    public void MisfitInflatesTheErrorBeyondTheBound()
    {
        // A constant through a steep line: χ²/ν is huge and √(χ²/ν) × the independent error exceeds the bound.
        double[] t = Enumerable.Range(0, 50).Select(j => (double)j).ToArray();
        double[] v = t.Select(x => x).ToArray();
        double[] s = t.Select(_ => 0.01).ToArray();
        PolynomialFit fit = PolynomialFit.Of(t, v, s, 0);
        Assert.True(fit.ReducedChiSquared > 1e4);
        Assert.Equal(fit.IndependentStandardErrors[0] * Math.Sqrt(fit.ReducedChiSquared), fit.StandardErrors[0], 12);
        Assert.True(fit.StandardErrors[0] > 0.01);
    }

    [Fact]
    public void LineThroughTwoPointsHasNoDegreesOfFreedom()
    {
        PolynomialFit fit = PolynomialFit.Of([1.0, 3.0], [2.0, 6.0], [0.1, 0.3], 1);
        Assert.Equal(0.0, fit.Coefficients[0], 12);
        Assert.Equal(2.0, fit.Coefficients[1], 12);
        Assert.Equal(0, fit.DegreesOfFreedom);
        Assert.True(double.IsNaN(fit.ReducedChiSquared));
        // Slope = (v₂ − v₁)/2: its bound is (s₁ + s₂)/2, its independent error √(s₁² + s₂²)/2.
        Assert.Equal(0.2, fit.StandardErrors[1], 12);
        Assert.Equal(Math.Sqrt(0.1) / 2, fit.IndependentStandardErrors[1], 12);
    }

    [Fact]
    public void InvalidPointsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => PolynomialFit.Of([0.0, 1.0], [1.0, 2.0], [0.1, 0.1], 2));
        Assert.Throws<ArgumentException>(() => PolynomialFit.Of([0.0, 1.0], [1.0, 2.0], [0.1], 0));
        Assert.Throws<ArgumentException>(() => PolynomialFit.Of([1.0, 0.0], [1.0, 2.0], [0.1, 0.1], 0));
        Assert.Throws<ArgumentException>(() => PolynomialFit.Of([0.0, 1.0], [1.0, double.NaN], [0.1, 0.1], 0));
        Assert.Throws<ArgumentException>(() => PolynomialFit.Of([0.0, 1.0], [1.0, 2.0], [0.1, 0.0], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PolynomialFit.Of([0.0, 1.0], [1.0, 2.0], [0.1, 0.1], -1));
    }
}
