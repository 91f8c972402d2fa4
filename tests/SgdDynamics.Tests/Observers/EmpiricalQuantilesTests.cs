using SgdDynamics.Observers;

namespace SgdDynamics.Tests.Observers;

public class EmpiricalQuantilesTests
{
    [Fact]
    public void QuantilesOfKnownDataFollowDefinitionEight()
    {
        // R-8 on 1…5: position h = (n + 1/3)τ + 1/3, linear interpolation; below (2/3)/(n + 1/3) the minimum,
        // at or above (n − 1/3)/(n + 1/3) the maximum.
        double[] data = [5, 3, 1, 4, 2];
        QuantileEstimate q = EmpiricalQuantiles.Compute(data, [0.0, 0.25, 0.5, 0.75, 1.0, 0.1, 0.95]);
        Assert.Equal(5, q.N);
        Assert.Equal(0, q.Excluded);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0, 0.1, 0.95], q.Probabilities);
        Assert.Equal(1.0, q.Values[0], 12);
        Assert.Equal(5.0 / 3.0, q.Values[1], 12);
        Assert.Equal(3.0, q.Values[2], 12);
        Assert.Equal(13.0 / 3.0, q.Values[3], 12);
        Assert.Equal(5.0, q.Values[4], 12);
        Assert.Equal(1.0, q.Values[5], 12); // 0.1 < (2/3)/(16/3) = 0.125
        Assert.Equal(5.0, q.Values[6], 12); // 0.95 ≥ (14/3)/(16/3) = 0.875
    }

    [Fact]
    public void QuantilesOfOneToOneHundred()
    {
        double[] data = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        QuantileEstimate q = EmpiricalQuantiles.Compute(data, [0.5, 0.25, 0.99]);
        Assert.Equal(50.5, q.Values[0], 12);
        Assert.Equal(100.3333333333333 * 0.25 + 1.0 / 3.0, q.Values[1], 10);
        Assert.Equal(100.3333333333333 * 0.99 + 1.0 / 3.0, q.Values[2], 10);
    }

    [Fact]
    public void ExponentialSampleQuantilesApproachTheLaw()
    {
        var random = new System.Random(4);
        float[] x = new float[200_000];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)-Math.Log(1.0 - random.NextDouble());
        }

        double[] p = [0.1, 0.5, 0.9, 0.99];
        QuantileEstimate q = EmpiricalQuantiles.Compute(x, p);
        for (int i = 0; i < p.Length; i++)
        {
            // SE of the τ-quantile: √(τ(1−τ)/n)/f(q_τ), f = 1 − τ at q_τ = −log(1 − τ).
            double exact = -Math.Log(1.0 - p[i]);
            double se = Math.Sqrt(p[i] * (1 - p[i]) / x.Length) / (1 - p[i]);
            Assert.True(Math.Abs(q.Values[i] - exact) < 5 * se, $"τ = {p[i]}: {q.Values[i]} vs {exact}");
        }
    }

    [Fact]
    public void NonFiniteValuesAreExcludedAndCounted()
    {
        QuantileEstimate q = EmpiricalQuantiles.Compute([double.NaN, 2, double.PositiveInfinity, 1, 3, double.NaN], [0.5]);
        Assert.Equal(3, q.N);
        Assert.Equal(3, q.Excluded);
        Assert.Equal(2.0, q.Values[0], 12);
        QuantileEstimate f = EmpiricalQuantiles.Compute([float.NaN, 2f, 1f, 3f], [0.5]);
        Assert.Equal(1, f.Excluded);
        Assert.Equal(2.0, f.Values[0], 12);
    }

    [Fact]
    public void InvalidInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => EmpiricalQuantiles.Compute([1.0, 2.0], [1.5]));
        Assert.Throws<ArgumentException>(() => EmpiricalQuantiles.Compute([1.0, 2.0], [double.NaN]));
        Assert.Throws<ArgumentException>(() => EmpiricalQuantiles.Compute([double.NaN], [0.5]));
        Assert.Throws<ArgumentException>(() => EmpiricalQuantiles.Compute(ReadOnlySpan<double>.Empty, [0.5]));
    }
}
