using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class LeastSquaresMomentTheoryTests
{
    private static readonly double[,] Features3x2 = { { 1.0, 0.5 }, { -0.3, 1.2 }, { 0.8, -0.7 } };
    private static readonly double[] Targets3 = { 0.4, -1.1, 0.9 };
    private static readonly double[,] Features4x1 = { { 0.5 }, { 1.5 }, { -1.0 }, { 2.0 } };
    private static readonly double[] Targets4 = { 1.0, 0.3, -0.5, 2.0 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MomentsEqualEnumerationOfEveryMinibatchSequenceFromAPoint2D(int batch)
    {
        var theory = new LeastSquaresMomentTheory(Features3x2, Targets3, batch, 0.3);
        AssertMatchesEnumeration(theory, Features3x2, Targets3, batch, 0.3, new[] { new[] { 0.7, -0.2 } });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MomentsEqualEnumerationOfEveryMinibatchSequenceFromAPoint1D(int batch)
    {
        var theory = new LeastSquaresMomentTheory(Features4x1, Targets4, batch, 0.2);
        AssertMatchesEnumeration(theory, Features4x1, Targets4, batch, 0.2, new[] { new[] { -0.6 } });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MomentsEqualEnumerationFromAFiniteMixtureStart(int batch)
    {
        // only the first two moments of x₀ enter: a three-point start with the matching mean and covariance
        var starts = new[] { new[] { 1.0, 0.0 }, new[] { 0.0, 1.0 }, new[] { -1.0, -1.5 } };
        var theory = new LeastSquaresMomentTheory(Features3x2, Targets3, batch, 0.25);
        AssertMatchesEnumeration(theory, Features3x2, Targets3, batch, 0.25, starts);
    }

    [Fact]
    public void StationaryLawIsAFixedPointOfStepAndTheLimitOfTheMoments()
    {
        var (features, targets) = RandomData(new Random(5), n: 7, d: 3);
        var theory = new LeastSquaresMomentTheory(features, targets, batchSize: 2, learningRate: 0.2);
        var law = theory.Stationary();
        Assert.Equal(LeastSquaresStationaryStatus.Stable, law.Status);
        Assert.True(law.Stable);
        Assert.Null(law.Reason);
        Assert.True(law.SecondMomentSpectralRadius < 0.99, $"ρ(T) = {law.SecondMomentSpectralRadius}");
        Assert.True(law.MeanMapSpectralRadius < 1.0);
        // ρ(T) ≥ ρ(I − ηH)²
        Assert.True(law.SecondMomentSpectralRadius >= law.MeanMapSpectralRadius * law.MeanMapSpectralRadius * (1.0 - 1e-12));

        // m* solves the normal equations and the residuals are a m* − y
        var a = Matrix<double>.Build.DenseOfArray(features);
        var mean = law.Mean!;
        AssertClose(theory.MeanTarget, theory.Hessian * mean, 1e-13);
        AssertClose(a * mean - Vector<double>.Build.DenseOfArray(targets), law.Residuals!, 1e-13);
        Assert.True(theory.MeanGradient(mean).L2Norm() < 1e-14);

        var covariance = law.Covariance!;
        Assert.True(covariance.Evd().EigenValues.Enumerate().All(e => e.Real > 0.0));
        var (nextMean, nextCovariance) = theory.Step(mean, covariance);
        AssertClose(mean, nextMean, 1e-13);
        AssertClose(covariance, nextCovariance, 1e-12);

        // from any start the moments converge to the stationary law (geometrically, at rate ρ(T) per step)
        var start = Matrix<double>.Build.DenseIdentity(3) * 4.0;
        var records = theory.Moments(Vector<double>.Build.Dense(3, 5.0), start, new[] { 0, 6000 });
        Assert.Equal(6000, records[1].Step);
        AssertClose(mean, records[1].Mean, 1e-12);
        AssertClose(covariance, records[1].Covariance, 1e-10);
    }

    [Fact]
    public void SecondMomentOperatorReproducesTheStep()
    {
        var random = new Random(11);
        var (features, targets) = RandomData(random, n: 5, d: 3);
        var theory = new LeastSquaresMomentTheory(features, targets, batchSize: 3, learningRate: 0.15);
        var m = Vector<double>.Build.Dense(3, i => random.NextDouble() - 0.5);
        var root = Matrix<double>.Build.Dense(3, 3, (i, j) => random.NextDouble() - 0.5);
        var c = root * root.Transpose();
        var (_, next) = theory.Step(m, c);

        // vec C' = T vec C + (η²/B) vec Σ-part at m, the latter is Step from a point start
        var (_, forcing) = theory.Step(m, Matrix<double>.Build.Dense(3, 3));
        var t = theory.SecondMomentOperator();
        Assert.Equal(9, t.RowCount);
        Assert.True(t.Equals(t.Transpose()));
        var predicted = t * Vector<double>.Build.DenseOfArray(c.ToColumnMajorArray()) + Vector<double>.Build.DenseOfArray(forcing.ToColumnMajorArray());
        AssertClose(Vector<double>.Build.DenseOfArray(next.ToColumnMajorArray()), predicted, 1e-13);

        // M4 vec C = vec((1/n) Σ a_i a_iᵀ (a_iᵀ C a_i))
        var direct = Matrix<double>.Build.Dense(3, 3);
        var a = Matrix<double>.Build.DenseOfArray(features);
        for (int i = 0; i < 5; i++) direct += a.Row(i).OuterProduct(a.Row(i)) * (a.Row(i) * c * a.Row(i)) / 5.0;
        var viaM4 = theory.FeatureFourthMoment() * Vector<double>.Build.DenseOfArray(c.ToColumnMajorArray());
        AssertClose(Vector<double>.Build.DenseOfArray(direct.ToColumnMajorArray()), viaM4, 1e-14);

        // the map's spectral radius is its largest absolute eigenvalue
        double radius = t.Evd().EigenValues.Enumerate().Max(e => e.Magnitude);
        Assert.Equal(radius, theory.SecondMomentSpectralRadius(), 1e-13);
    }

    [Theory]
    [InlineData(1, 0.05, true)]
    [InlineData(1, 0.6, true)]
    [InlineData(2, 1.5, false)] // ρ(I − ηH) ≈ 0.90 but ρ(T) ≈ 1.02
    [InlineData(5, 3.0, false)] // ρ(I − ηH) ≈ 1.41
    public void SymmetricSubspaceGivesTheFullOperatorsRadiusAndSolution(int batch, double eta, bool stable)
    {
        // ρ(T) and C* are computed on the symmetric matrices; compare with the full d² × d² operator
        var (features, targets) = RandomData(new Random(29), n: 9, d: 4);
        var theory = new LeastSquaresMomentTheory(features, targets, batch, eta);
        var t = theory.SecondMomentOperator();
        double full = t.Evd().EigenValues.Enumerate().Max(e => e.Magnitude);
        var law = theory.Stationary();
        Assert.Equal(full, law.SecondMomentSpectralRadius, 1e-13 * full);
        Assert.Equal(stable, law.Stable);
        Assert.Equal(law.SecondMomentSpectralRadius < 1.0 && law.MeanMapSpectralRadius < 1.0, law.Stable);
        if (!law.Stable)
        {
            Assert.Null(law.Covariance);
            return;
        }

        var n = Matrix<double>.Build.Dense(4, 4);
        var a = Matrix<double>.Build.DenseOfArray(features);
        for (int i = 0; i < 9; i++) n += a.Row(i).OuterProduct(a.Row(i)) * (law.Residuals![i] * law.Residuals![i] / 9.0);
        var rhs = Vector<double>.Build.DenseOfArray(n.ToColumnMajorArray()) * (eta * eta / batch);
        var vec = (Matrix<double>.Build.DenseIdentity(16) - t).Solve(rhs);
        AssertClose(Matrix<double>.Build.DenseOfColumnMajor(4, 4, vec.ToArray()), law.Covariance!, 1e-12);
    }

    [Theory]
    [InlineData(1, 0.1)]
    [InlineData(1, 0.2)]
    [InlineData(2, 0.3)]
    public void StationaryVarianceMatchesTheClosedForm1D(int batch, double eta)
    {
        // a ∈ {1, 3}: h = 5, m4 = 41; T = (1 − ηh)² + (η²/B)(m4 − h²), C* = (η²/B) N / (1 − T)
        double[,] features = { { 1.0 }, { 3.0 } };
        double[] targets = { 1.0, 2.0 };
        var theory = new LeastSquaresMomentTheory(features, targets, batch, eta);
        double h = 5.0, m4 = 41.0;
        double t = (1.0 - eta * h) * (1.0 - eta * h) + eta * eta / batch * (m4 - h * h);
        double mean = (1.0 * 1.0 + 3.0 * 2.0) / 2.0 / h;
        double r1 = mean - 1.0, r2 = 3.0 * mean - 2.0;
        double n = (r1 * r1 + 9.0 * r2 * r2) / 2.0;
        var law = theory.Stationary();
        Assert.True(law.Stable);
        Assert.Equal(mean, law.Mean![0], 1e-15);
        Assert.Equal(t, law.SecondMomentSpectralRadius, 1e-14);
        Assert.Equal(Math.Abs(1.0 - eta * h), law.MeanMapSpectralRadius, 1e-15);
        double expected = eta * eta / batch * n / (1.0 - t);
        Assert.Equal(expected, law.Covariance![0, 0], 1e-14 * expected);
        // SME-1: 2h C = (η/B)(N + (m4 − h²) C)
        double langevin = eta / batch * n / (2.0 * h - eta / batch * (m4 - h * h));
        Assert.Equal(langevin, law.LangevinCovariance![0, 0], 1e-14 * langevin);
    }

    [Fact]
    public void SingleSampleWithFullBatchHasNoStationaryNoise()
    {
        var theory = new LeastSquaresMomentTheory(new[,] { { 2.0 } }, new[] { 3.0 }, batchSize: 1, learningRate: 0.1);
        var law = theory.Stationary();
        Assert.True(law.Stable);
        Assert.Equal(1.5, law.Mean![0], 1e-15);
        Assert.Equal(0.0, law.Residuals![0], 1e-15);
        Assert.Equal(0.0, law.Covariance![0, 0]);
        Assert.Equal(0.0, law.LangevinCovariance![0, 0]);
    }

    [Fact]
    public void ConsistentTargetsHaveNoStationaryNoise()
    {
        // y = A x_true exactly: every residual vanishes at m* = x_true, so does the minibatch noise
        var (features, _) = RandomData(new Random(3), n: 5, d: 2);
        var truth = new[] { 0.75, -1.25 };
        var targets = Enumerable.Range(0, 5).Select(i => features[i, 0] * truth[0] + features[i, 1] * truth[1]).ToArray();
        var theory = new LeastSquaresMomentTheory(features, targets, batchSize: 2, learningRate: 0.2);
        var law = theory.Stationary();
        Assert.True(law.Stable);
        AssertClose(Vector<double>.Build.DenseOfArray(truth), law.Mean!, 1e-14);
        Assert.True(law.Residuals!.AbsoluteMaximum() < 1e-14);
        Assert.True(law.Covariance!.Enumerate().All(x => Math.Abs(x) < 1e-28));
        Assert.True(law.LangevinCovariance!.Enumerate().All(x => Math.Abs(x) < 1e-28));
    }

    [Fact]
    public void LargeLearningRateHasNoStationaryCovariance()
    {
        // η λ_max > 2: the mean map itself expands
        var theory = new LeastSquaresMomentTheory(Features3x2, Targets3, batchSize: 2, learningRate: 3.0);
        var law = theory.Stationary();
        Assert.Equal(LeastSquaresStationaryStatus.Unstable, law.Status);
        Assert.False(law.Stable);
        Assert.Null(law.Covariance);
        Assert.Contains("mean map", law.Reason);
        Assert.True(law.MeanMapSpectralRadius > 1.0);
        Assert.True(law.SecondMomentSpectralRadius > 1.0);
        Assert.NotNull(law.Mean); // still the fixed point of the mean map
        Assert.Equal(law.LangevinSpectralAbscissa < 0, law.LangevinCovariance is not null); // exists iff its generator is stable
    }

    [Fact]
    public void MinibatchNoiseAloneCanDestroyTheStationaryLaw()
    {
        // a ∈ {1, 3}, B = 1, η = 0.3: |1 − ηh| = 0.5 but T = 1 − 10η + 41η² = 1.69
        var theory = new LeastSquaresMomentTheory(new[,] { { 1.0 }, { 3.0 } }, new[] { 1.0, 2.0 }, batchSize: 1, learningRate: 0.3);
        var law = theory.Stationary();
        Assert.Equal(LeastSquaresStationaryStatus.Unstable, law.Status);
        Assert.Null(law.Covariance);
        Assert.Equal(0.5, law.MeanMapSpectralRadius, 1e-15);
        Assert.Equal(1.69, law.SecondMomentSpectralRadius, 1e-14);
        Assert.Contains("ρ(T)", law.Reason);

        var records = theory.Moments(Vector<double>.Build.Dense(1), Matrix<double>.Build.Dense(1, 1), new[] { 50, 100 });
        Assert.True(records[1].Covariance[0, 0] > 1e10 * records[0].Covariance[0, 0]);
    }

    [Fact]
    public void SingularHessianHasNoUniqueStationaryLaw()
    {
        var theory = new LeastSquaresMomentTheory(new[,] { { 1.0, 1.0 }, { 2.0, 2.0 } }, new[] { 1.0, 0.0 }, batchSize: 1, learningRate: 0.1);
        var law = theory.Stationary();
        Assert.Equal(LeastSquaresStationaryStatus.SingularHessian, law.Status);
        Assert.False(law.Stable);
        Assert.Null(law.Mean);
        Assert.Null(law.Residuals);
        Assert.Null(law.Covariance);
        Assert.Null(law.LangevinCovariance);
        Assert.Contains("singular", law.Reason);
        Assert.Equal(1.0, law.MeanMapSpectralRadius, 1e-15);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void LangevinCovarianceIsTheSmallLearningRateLimit(int batch)
    {
        var (features, targets) = RandomData(new Random(17), n: 8, d: 3);
        double previous = double.PositiveInfinity;
        foreach (double eta in new[] { 1e-2, 1e-3, 1e-4, 1e-5 })
        {
            var law = new LeastSquaresMomentTheory(features, targets, batch, eta).Stationary();
            Assert.True(law.Stable);
            // C*/η and C_L/η: relative gap O(η)
            var discrete = law.Covariance! / eta;
            var langevin = law.LangevinCovariance! / eta;
            double gap = (discrete - langevin).FrobeniusNorm() / langevin.FrobeniusNorm();
            Assert.True(gap < 20.0 * eta, $"η = {eta}: relative gap {gap}");
            if (double.IsFinite(previous))
            {
                double ratio = gap / previous;
                Assert.True(ratio > 0.05 && ratio < 0.2, $"η = {eta}: gap ratio {ratio}, expected ≈ 0.1 (linear in η)");
            }
            previous = gap;

            // the Langevin covariance solves H C + C H = η E Σ(X) = η Σ(m*) + (η/B)((1/n) Σ a aᵀ (aᵀCa) − HCH)
            var theory = new LeastSquaresMomentTheory(features, targets, batch, eta);
            var h = theory.Hessian;
            var c = law.LangevinCovariance!;
            var lhs = h * c + c * h;
            var a = Matrix<double>.Build.DenseOfArray(features);
            var fourth = Matrix<double>.Build.Dense(3, 3);
            for (int i = 0; i < a.RowCount; i++)
            {
                var row = a.Row(i);
                fourth += row.OuterProduct(row) * (row * c * row);
            }

            var rhs = (theory.NoiseCovariance(law.Mean!) + ((fourth / a.RowCount) - (h * c * h)) / batch) * eta;
            AssertClose(rhs, lhs, 1e-12);
        }
    }

    [Fact]
    public void ConstructorRejectsInvalidArguments()
    {
        double[,] ok = { { 1.0 }, { 2.0 } };
        double[] y = { 0.0, 1.0 };
        AssertArgument("features", "at least one sample", () => new LeastSquaresMomentTheory(new double[0, 2], Array.Empty<double>(), 1, 0.1));
        AssertArgument("features", "at least one feature", () => new LeastSquaresMomentTheory(new double[2, 0], y, 1, 0.1));
        AssertArgument("features", "features[1, 0] = NaN is not finite", () => new LeastSquaresMomentTheory(new[,] { { 1.0 }, { double.NaN } }, y, 1, 0.1));
        AssertArgument("targets", "targets has length 3, features has 2 rows", () => new LeastSquaresMomentTheory(ok, new[] { 0.0, 1.0, 2.0 }, 1, 0.1));
        AssertArgument("targets", "targets[0] = Infinity is not finite", () => new LeastSquaresMomentTheory(ok, new[] { double.PositiveInfinity, 1.0 }, 1, 0.1));
        AssertArgument("batchSize", "batchSize must be at least 1 (got 0)", () => new LeastSquaresMomentTheory(ok, y, 0, 0.1));
        AssertArgument("learningRate", "learningRate must be positive and finite (got 0)", () => new LeastSquaresMomentTheory(ok, y, 1, 0.0));
        AssertArgument("learningRate", "got -0.5", () => new LeastSquaresMomentTheory(ok, y, 1, -0.5));
        AssertArgument("learningRate", "got NaN", () => new LeastSquaresMomentTheory(ok, y, 1, double.NaN));
        AssertArgument("learningRate", "got Infinity", () => new LeastSquaresMomentTheory(ok, y, 1, double.PositiveInfinity));
        Assert.Throws<ArgumentNullException>(() => new LeastSquaresMomentTheory(null!, y, 1, 0.1));
        Assert.Throws<ArgumentNullException>(() => new LeastSquaresMomentTheory(ok, null!, 1, 0.1));
    }

    [Fact]
    public void MethodsRejectMismatchedArguments()
    {
        var theory = new LeastSquaresMomentTheory(Features3x2, Targets3, 1, 0.1);
        var m = Vector<double>.Build.Dense(2);
        var c = Matrix<double>.Build.Dense(2, 2);
        AssertArgument("mean", "mean has length 3, the dimension is 2", () => theory.Step(Vector<double>.Build.Dense(3), c));
        AssertArgument("covariance", "covariance is 2 × 3, expected 2 × 2", () => theory.Step(m, Matrix<double>.Build.Dense(2, 3)));
        AssertArgument("recordSteps", "entry 1 is 2", () => theory.Moments(m, c, new[] { 3, 2 }));
        AssertArgument("recordSteps", "entry 0 is -1", () => theory.Moments(m, c, new[] { -1 }));
        AssertArgument("cov0", "cov0 is 3 × 3", () => theory.Moments(m, Matrix<double>.Build.Dense(3, 3), new[] { 0 }));
        Assert.Equal(new[] { 0, 2, 2 }, theory.Moments(m, c, new[] { 0, 2, 2 }).Select(r => r.Step));
    }

    [Fact]
    public void OperatorsAreLimitedInDimensionWhileStepIsNot()
    {
        const int d = LeastSquaresMomentTheory.MaxOperatorDimension + 1;
        var (features, targets) = RandomData(new Random(1), n: d + 3, d: d);
        var theory = new LeastSquaresMomentTheory(features, targets, 4, 0.01);
        AssertArgument("features", "d ≤ 32", () => theory.Stationary());
        AssertArgument("features", "d = 33", () => theory.SecondMomentOperator());
        AssertArgument("features", "d ≤ 32", () => theory.FeatureFourthMoment());
        AssertArgument("features", "d ≤ 32", () => theory.SecondMomentSpectralRadius());
        var records = theory.Moments(Vector<double>.Build.Dense(d), Matrix<double>.Build.Dense(d, d), new[] { 0, 3 });
        Assert.Equal(d, records[1].Mean.Count);
        Assert.True(records[1].Covariance.Enumerate().All(double.IsFinite));
        Assert.True(theory.MeanMapSpectralRadius < 1.0);
    }

    private static void AssertArgument(string parameter, string fragment, Action action)
    {
        var exception = Assert.Throws<ArgumentException>(action);
        Assert.Equal(parameter, exception.ParamName);
        Assert.Contains(fragment, exception.Message);
    }

    /// <summary>
    /// Enumerates every minibatch sequence (each of the n^B index tuples at each of 3 steps, equally likely) from every
    /// start point (equally weighted), and compares the exact mean and covariance of x_k, k = 0..3, with the theory.
    /// </summary>
    private static void AssertMatchesEnumeration(LeastSquaresMomentTheory theory, double[,] a, double[] y, int batch, double eta, double[][] starts)
    {
        int n = y.Length, d = a.GetLength(1);
        var layers = new List<List<double[]>> { starts.ToList() };
        for (int step = 0; step < 3; step++)
        {
            var next = new List<double[]>();
            foreach (var x in layers[^1])
            {
                for (int code = 0; code < (int)Math.Pow(n, batch); code++)
                {
                    var gradient = new double[d];
                    for (int j = 0, rest = code; j < batch; j++, rest /= n)
                    {
                        int i = rest % n;
                        double residual = -y[i];
                        for (int k = 0; k < d; k++) residual += a[i, k] * x[k];
                        for (int k = 0; k < d; k++) gradient[k] += a[i, k] * residual / batch;
                    }
                    next.Add(Enumerable.Range(0, d).Select(k => x[k] - eta * gradient[k]).ToArray());
                }
            }
            layers.Add(next);
        }
        Assert.Equal(starts.Length * (int)Math.Pow(n, 3 * batch), layers[3].Count);

        var (mean0, cov0) = EmpiricalMoments(layers[0], d);
        var records = theory.Moments(mean0, cov0, new[] { 0, 1, 2, 3 });
        for (int k = 0; k <= 3; k++)
        {
            var (mean, covariance) = EmpiricalMoments(layers[k], d);
            Assert.Equal(k, records[k].Step);
            AssertClose(mean, records[k].Mean, 1e-12);
            AssertClose(covariance, records[k].Covariance, 1e-12);
        }
    }

    /// <summary>Mean and covariance of equally weighted points, by two passes.</summary>
    private static (Vector<double> Mean, Matrix<double> Covariance) EmpiricalMoments(List<double[]> points, int d)
    {
        var mean = Vector<double>.Build.Dense(d);
        foreach (var x in points) mean += Vector<double>.Build.DenseOfArray(x);
        mean /= points.Count;
        var covariance = Matrix<double>.Build.Dense(d, d);
        foreach (var x in points)
        {
            var deviation = Vector<double>.Build.DenseOfArray(x) - mean;
            covariance += deviation.OuterProduct(deviation);
        }
        return (mean, covariance / points.Count);
    }

    private static (double[,] Features, double[] Targets) RandomData(Random random, int n, int d)
    {
        var features = new double[n, d];
        var targets = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < d; k++) features[i, k] = 2.0 * random.NextDouble() - 1.0;
            targets[i] = 2.0 * random.NextDouble() - 1.0;
        }
        return (features, targets);
    }

    /// <summary>Max-norm error relative to the expected value's max norm.</summary>
    private static void AssertClose(Vector<double> expected, Vector<double> actual, double relative)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = Math.Max(expected.InfinityNorm(), double.Epsilon);
        double error = (expected - actual).InfinityNorm();
        Assert.True(error <= relative * scale, $"error {error} > {relative} × {scale}");
    }

    private static void AssertClose(Matrix<double> expected, Matrix<double> actual, double relative)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.ColumnCount, actual.ColumnCount);
        double scale = Math.Max(expected.Enumerate().Max(Math.Abs), double.Epsilon);
        double error = (expected - actual).Enumerate().Max(Math.Abs);
        Assert.True(error <= relative * scale, $"error {error} > {relative} × {scale}");
    }
}
