using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class MomentRecursionTests
{
    [Theory]
    [InlineData(0.0, 1, 40)]
    [InlineData(0.0, 7, 100)]
    [InlineData(0.3, 1, 40)]
    [InlineData(0.3, 6, 100)]
    public void SgdMatchesSecondMomentRecursionInCoordinates(double curvature, int every, int steps)
    {
        var problem = RandomProblem(seed: 11, eta: 0.2, beta: 0.0, curvature);
        AssertMatchesReference(problem, TheoryProblems.Steps(steps, every), DenseReference.Sgd(problem, steps));
    }

    [Theory]
    [InlineData(0.0, 1, 40)]
    [InlineData(0.0, 9, 120)]
    [InlineData(0.25, 1, 40)]
    [InlineData(0.25, 5, 120)]
    public void MomentumMatchesAugmentedRecursion(double curvature, int every, int steps)
    {
        var problem = RandomProblem(seed: 12, eta: 0.1, beta: 0.7, curvature);
        AssertMatchesReference(problem, TheoryProblems.Steps(steps, every), DenseReference.Momentum(problem, steps));
    }

    [Fact]
    public void RecordsFollowTheSchedule()
    {
        var problem = TheoryProblems.OneDimensional(eta: 0.1, lambda: 1.0, s2: 1.0, a2: 0.0);
        var steps = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 25, every: 10)).Select(r => r.Step);
        Assert.Equal([0, 10, 20, 25], steps);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void FlatDirectionVarianceGrowsByEtaSquaredSigmaSquaredPerStep(double curvatureOnStiffAxis)
    {
        const double eta = 0.1, sigma2 = 0.7;
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfDiagonalArray([0.0, 1.5]),
            Matrix<double>.Build.DenseOfDiagonalArray([sigma2, 0.3]),
            eta,
            curvatureStd: Vector<double>.Build.DenseOfArray([0.0, curvatureOnStiffAxis]),
            covariance: Matrix<double>.Build.DenseOfDiagonalArray([0.25, 0.0]));
        var records = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 30, every: 1));
        for (int k = 1; k < records.Count; k++)
        {
            double increment = records[k].Covariance[0, 0] - records[k - 1].Covariance[0, 0];
            Assert.Equal(eta * eta * sigma2, increment, 1e-15);
            Assert.Equal(0.0, records[k].Covariance[0, 1], 1e-15);
        }
        Assert.Equal(0.25 + 30 * eta * eta * sigma2, records[^1].Covariance[0, 0], 1e-14);
    }

    [Fact]
    public void FlatDirectionAfterAMillionStepsHasAccumulatedEveryStep()
    {
        const double eta = 0.05, sigma2 = 2.0;
        const int steps = 1_000_000;
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfDiagonalArray([0.0, 1.0]),
            Matrix<double>.Build.DenseOfDiagonalArray([sigma2, 1.0]),
            eta);
        var last = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps, every: steps / 4))[^1];
        Assert.Equal(steps, last.Step);
        Assert.Equal(steps * eta * eta * sigma2, last.Covariance[0, 0], 1e-12 * steps * eta * eta * sigma2);
        Assert.Equal(QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, 1.0, 1.0, 0.0), last.Covariance[1, 1], 1e-14);
    }

    [Fact]
    public void MeanFollowsTheDeterministicIteration()
    {
        var h = Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, 0.5 }, { 0.5, 1.0 } });
        var b = Vector<double>.Build.DenseOfArray([1.0, -2.0]);
        var x0 = Vector<double>.Build.DenseOfArray([3.0, 4.0]);
        const double eta = 0.3;
        var problem = TheoryProblems.Create(h, Matrix<double>.Build.DenseIdentity(2), eta, linear: b, mean: x0);
        var records = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 12, every: 4));
        var x = x0.Clone();
        for (int k = 1; k <= 12; k++)
        {
            x -= eta * (h * x + b);
            if (k % 4 == 0) Assert.True(TheoryProblems.RelativeError(records[k / 4].Mean, x) < 1e-14);
        }
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0, 0.4)]
    [InlineData(0.8, 0.0)]
    [InlineData(0.8, 0.4)]
    public void RecursionAtLargeStepEqualsLyapunovSolve3D(double beta, double curvature)
    {
        var random = new Random(5);
        var h = TheoryProblems.RandomSymmetric(random, 0.7, 1.3, 2.1);
        var sigma = TheoryProblems.RandomCovariance(random, 3);
        var problem = TheoryProblems.Create(h, sigma, eta: 0.15, beta,
            linear: TheoryProblems.RandomVector(random, 3),
            curvatureStd: Vector<double>.Build.Dense(3, curvature),
            mean: TheoryProblems.RandomVector(random, 3, 2.0));
        var last = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 4000, every: 1000))[^1];
        var stationary = QuadraticMomentTheory.Stationary(problem).Discrete;
        Assert.True(stationary.Stable);
        Assert.True(TheoryProblems.RelativeError(last.Covariance, stationary.Covariance!) < 1e-10);
        Assert.True(TheoryProblems.RelativeError(last.Mean, stationary.Mean!) < 1e-10);
    }

    [Fact]
    public void LargeDimensionRunReachesItsStationaryLaw()
    {
        const int d = 64;
        var random = new Random(3);
        var eigenvalues = Enumerable.Range(0, d).Select(i => 0.2 + 1.8 * i / (d - 1)).ToArray();
        var problem = TheoryProblems.Create(
            TheoryProblems.RandomSymmetric(random, eigenvalues), TheoryProblems.RandomCovariance(random, d),
            eta: 0.05, beta: 0.5, linear: TheoryProblems.RandomVector(random, d));
        var last = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 1_000_000, every: 100_000))[^1];
        var stationary = QuadraticMomentTheory.Stationary(problem).Discrete;
        Assert.True(TheoryProblems.RelativeError(last.Covariance, stationary.Covariance!) < 1e-10);
        Assert.True(TheoryProblems.RelativeError(last.Mean, stationary.Mean!) < 1e-10);
    }

    [Fact]
    public void NonSymmetricHessianIsRejected()
    {
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 0.5 }, { 0.0, 1.0 } }),
            Matrix<double>.Build.DenseIdentity(2), eta: 0.1);
        Assert.Throws<ArgumentException>(() => QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 1, every: 1)));
    }

    /// <summary>A random 3-D quadratic problem with curvature noise and a Gaussian start, drawn from <paramref name="seed"/>.</summary>
    private static SgdDynamics.Problems.Problem RandomProblem(int seed, double eta, double beta, double curvature)
    {
        var random = new Random(seed);
        var h = TheoryProblems.RandomSymmetric(random, 0.5, 1.0, 3.0);
        return TheoryProblems.Create(h, TheoryProblems.RandomCovariance(random, 3), eta, beta,
            linear: TheoryProblems.RandomVector(random, 3),
            curvatureStd: Vector<double>.Build.DenseOfArray([curvature, 0.0, 2.0 * curvature]),
            mean: TheoryProblems.RandomVector(random, 3, 3.0),
            covariance: TheoryProblems.RandomCovariance(random, 3, 0.5));
    }

    /// <summary>The recursion at <paramref name="recordSteps"/> matches the dense <paramref name="reference"/> (an entry per step).</summary>
    private static void AssertMatchesReference(
        SgdDynamics.Problems.Problem problem,
        IReadOnlyList<int> recordSteps,
        List<(Vector<double> Mean, Matrix<double> Covariance)> reference)
    {
        var records = QuadraticMomentTheory.Recursion(problem, recordSteps);
        Assert.Equal(recordSteps.Count, records.Count);
        foreach (var record in records)
        {
            var (mean, covariance) = reference[record.Step];
            Assert.True(TheoryProblems.RelativeError(record.Mean, mean) < 1e-12, $"mean at step {record.Step}");
            Assert.True(TheoryProblems.RelativeError(record.Covariance, covariance) < 1e-12, $"covariance at step {record.Step}");
        }
    }
}
