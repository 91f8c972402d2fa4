using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class StationaryCovarianceTests
{
    [Theory]
    [InlineData(0.1, 1.0, 0.5, 0.0)]
    [InlineData(0.5, 2.0, 1.0, 0.3)]
    [InlineData(1.5, 1.0, 0.2, 0.1)]
    [InlineData(0.01, 3.0, 4.0, 10.0)]
    public void SgdRecursionConvergesToTheClosedForm1D(double eta, double lambda, double s2, double a2)
    {
        double expected = QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, lambda, s2, a2);
        var problem = TheoryProblems.OneDimensional(eta, lambda, s2, a2, x0: 1.0);
        var last = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 20_000, every: 10_000))[^1];
        Assert.Equal(expected, last.Covariance[0, 0], 1e-12 * expected);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        Assert.True(stationary.Discrete.Stable);
        Assert.Equal(expected, stationary.Discrete.Covariance![0, 0], 1e-12 * expected);
        double langevin = QuadraticMomentTheory.LangevinStationaryVariance1D(eta, lambda, s2, a2);
        Assert.Equal(langevin, stationary.Langevin.Covariance![0, 0], 1e-12 * langevin);
    }

    [Theory]
    [InlineData(0.1, 1.0, 0.9, 0.5, 0.0)]
    [InlineData(0.05, 2.0, 0.5, 1.0, 0.0)]
    [InlineData(1.0, 1.5, 0.3, 1.0, 0.0)]
    [InlineData(0.1, 1.0, -0.4, 0.5, 0.0)]
    [InlineData(0.1, 1.0, 0.9, 0.5, 0.2)]
    [InlineData(0.3, 2.0, 0.6, 1.0, 1.5)]
    public void MomentumRecursionConvergesToTheHeavyBallClosedForm1D(double eta, double lambda, double beta, double s2, double a2)
    {
        double expected = QuadraticMomentTheory.MomentumStationaryVariance1D(eta, lambda, beta, s2, a2);
        var problem = TheoryProblems.OneDimensional(eta, lambda, s2, a2, beta: beta, x0: 1.0);
        var last = QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 40_000, every: 20_000))[^1];
        Assert.Equal(expected, last.Covariance[0, 0], 1e-11 * expected);
        var reference = DenseReference.Momentum(TheoryProblems.OneDimensional(eta, lambda, s2, a2, beta: beta, x0: 1.0), steps: 40_000);
        Assert.Equal(expected, reference[^1].Covariance[0, 0], 1e-11 * expected);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        Assert.Equal(expected, stationary.Discrete.Covariance![0, 0], 1e-11 * expected);
        double langevin = QuadraticMomentTheory.LangevinStationaryVariance1D(eta / (1.0 - beta), lambda, s2, a2);
        Assert.Equal(langevin, stationary.Langevin.Covariance![0, 0], 1e-12 * langevin);
    }

    [Fact]
    public void MomentumClosedFormWithoutMomentumIsTheSgdClosedForm()
    {
        Assert.Equal(
            QuadraticMomentTheory.DiscreteStationaryVariance1D(0.3, 1.7, 0.8, 0.4),
            QuadraticMomentTheory.MomentumStationaryVariance1D(0.3, 1.7, 0.0, 0.8, 0.4), 1e-15);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0, 0.5)]
    [InlineData(0.6, 0.0)]
    [InlineData(0.6, 0.5)]
    public void DiscreteLyapunovApproachesLangevinAsEtaVanishes(double beta, double curvature)
    {
        var random = new Random(21);
        var h = TheoryProblems.RandomSymmetric(random, 0.5, 1.0, 2.0);
        var sigma = TheoryProblems.RandomCovariance(random, 3);
        var b = TheoryProblems.RandomVector(random, 3);
        double previous = double.PositiveInfinity;
        foreach (double eta in new[] { 1e-2, 1e-3, 1e-4, 1e-5 })
        {
            var problem = TheoryProblems.Create(h, sigma, eta, beta, linear: b,
                curvatureStd: Vector<double>.Build.Dense(3, curvature));
            var stationary = QuadraticMomentTheory.Stationary(problem);
            var discrete = stationary.Discrete.Covariance!;
            var langevin = stationary.Langevin.Covariance!;
            double deviation = discrete.PointwiseDivide(langevin).Enumerate().Max(r => Math.Abs(r - 1.0));
            Assert.True(deviation < 10.0 * eta / (1.0 - beta), $"η = {eta}: |ratio − 1| = {deviation}");
            Assert.True(deviation < 0.2 * previous);
            previous = deviation;
        }
        Assert.True(previous < 1e-4);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0, 0.6)]
    [InlineData(0.7, 0.0)]
    [InlineData(0.7, 0.6)]
    public void SolutionsSatisfyTheirLyapunovEquations(double beta, double curvature)
    {
        var random = new Random(8);
        var h = TheoryProblems.RandomSymmetric(random, 0.4, 1.1, 1.9, 2.6);
        var sigma = TheoryProblems.RandomCovariance(random, 4);
        var a2 = Vector<double>.Build.DenseOfArray([curvature, 0.0, curvature, 2.0 * curvature]).PointwiseMultiply(
            Vector<double>.Build.DenseOfArray([curvature, 0.0, curvature, 2.0 * curvature]));
        const double eta = 0.2;
        var problem = TheoryProblems.Create(h, sigma, eta, beta,
            linear: TheoryProblems.RandomVector(random, 4), curvatureStd: a2.PointwiseSqrt());
        var stationary = QuadraticMomentTheory.Stationary(problem);
        var m = stationary.Discrete.Mean!;
        Assert.True(TheoryProblems.RelativeError(h * m, -problem.Quadratic.LinearTerm) < 1e-13);

        Matrix<double> Noise(Matrix<double> c) =>
            sigma + Matrix<double>.Build.DenseOfDiagonalVector(a2.PointwiseMultiply(c.Diagonal() + m.PointwiseMultiply(m)));

        var langevin = stationary.Langevin.Covariance!;
        double kappa = eta / (1.0 - beta);
        Assert.True(TheoryProblems.RelativeError(h * langevin + langevin * h, kappa * Noise(langevin)) < 1e-12);

        var discrete = stationary.Discrete.Covariance!;
        if (beta == 0.0)
        {
            var a = Matrix<double>.Build.DenseIdentity(4) - eta * h;
            Assert.True(TheoryProblems.RelativeError(a * discrete * a.Transpose() + eta * eta * Noise(discrete), discrete) < 1e-12);
        }
        else
        {
            // The augmented fixed point: iterate Z ← M Z Mᵀ + [[Q, Q], [Q, Q]] from its x block until converged.
            var reference = DenseReference.Momentum(
                TheoryProblems.Create(h, sigma, eta, beta, linear: problem.Quadratic.LinearTerm, curvatureStd: a2.PointwiseSqrt(), mean: m),
                steps: 3000);
            Assert.True(TheoryProblems.RelativeError(reference[^1].Covariance, discrete) < 1e-10);
        }
    }

    [Fact]
    public void FlatDirectionHasNoStationaryLaw()
    {
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfDiagonalArray([0.0, 1.0]), Matrix<double>.Build.DenseIdentity(2),
            eta: 0.1);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        AssertUnstable(stationary.Discrete, "flat");
        AssertUnstable(stationary.Langevin, "flat");
        Assert.Equal(1.0, stationary.SpectralRadius, 1e-15);
        Assert.Equal(0.0, stationary.SpectralAbscissa, 1e-15);
    }

    [Fact]
    public void SgdIsUnstableBeyondEtaLambdaTwoWhileLangevinIsNot()
    {
        const double eta = 2.05, lambda = 1.0;
        var problem = TheoryProblems.OneDimensional(eta, lambda, s2: 1.0, a2: 0.0);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        AssertUnstable(stationary.Discrete, "does not contract");
        Assert.Equal((1 - eta * lambda) * (1 - eta * lambda), stationary.SpectralRadius, 1e-14);
        Assert.True(stationary.Langevin.Stable);
        Assert.Equal(-2.0 * lambda, stationary.SpectralAbscissa, 1e-15);
        Assert.Equal(double.PositiveInfinity, QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, lambda, 1.0, 0.0));

        var justStable = QuadraticMomentTheory.Stationary(TheoryProblems.OneDimensional(1.95, lambda, 1.0, 0.0));
        Assert.True(justStable.Discrete.Stable);
    }

    [Fact]
    public void MomentumIsUnstableBeyondEtaLambdaTwoOnePlusBeta()
    {
        const double beta = 0.5, lambda = 1.0;
        var stable = QuadraticMomentTheory.Stationary(TheoryProblems.OneDimensional(2.9, lambda, 1.0, 0.0, beta));
        var unstable = QuadraticMomentTheory.Stationary(TheoryProblems.OneDimensional(3.1, lambda, 1.0, 0.0, beta));
        Assert.True(stable.Discrete.Stable);
        AssertUnstable(unstable.Discrete, "heavy-ball step matrix");
        Assert.True(unstable.Langevin.Stable);
    }

    [Theory]
    [InlineData(0.5, 1.0)]
    [InlineData(0.1, 3.0)]
    [InlineData(1.5, 1.0)]
    public void CurvatureNoiseDestabilisesAtItsThreshold(double eta, double lambda)
    {
        double threshold = lambda * (2.0 - eta * lambda) / eta;
        foreach (double a2 in new[] { 0.5 * threshold, 0.999 * threshold, 1.001 * threshold, 2.0 * threshold })
        {
            var stationary = QuadraticMomentTheory.Stationary(TheoryProblems.OneDimensional(eta, lambda, 1.0, a2));
            double radius = (1.0 - eta * lambda) * (1.0 - eta * lambda) + eta * eta * a2;
            Assert.Equal(radius, stationary.SpectralRadius, 1e-12);
            if (a2 < threshold) Assert.True(stationary.Discrete.Stable);
            else AssertUnstable(stationary.Discrete, "curvature noise");
            Assert.Equal(-2.0 * lambda + eta * a2, stationary.SpectralAbscissa, 1e-12);
            Assert.Equal(2.0 * lambda - eta * a2 > 0.0, stationary.Langevin.Stable);
        }
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0, 0.7)]
    [InlineData(0.6, 0.0)]
    [InlineData(0.6, 0.9)]
    [InlineData(0.6, 3.0)]
    [InlineData(-0.3, 0.9)]
    public void SpectralBoundsMatchTheDenseOperators(double beta, double curvature)
    {
        var random = new Random(31);
        var h = TheoryProblems.RandomSymmetric(random, 0.3, 1.2, 2.5);
        var problem = TheoryProblems.Create(h, TheoryProblems.RandomCovariance(random, 3), eta: 0.4, beta,
            curvatureStd: Vector<double>.Build.DenseOfArray([curvature, 0.5 * curvature, 0.0]));
        var stationary = QuadraticMomentTheory.Stationary(problem);
        double radius = DenseReference.DiscreteSpectralRadius(problem);
        Assert.Equal(radius, stationary.SpectralRadius, 1e-10);
        Assert.Equal(radius < 1.0, stationary.Discrete.Stable);
        double abscissa = DenseReference.LangevinSpectralAbscissa(problem);
        Assert.Equal(abscissa, stationary.SpectralAbscissa, 1e-10);
        Assert.Equal(abscissa < 0.0, stationary.Langevin.Stable);
    }

    [Fact]
    public void IndefiniteHessianHasNoLangevinLaw()
    {
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfDiagonalArray([-0.5, 1.0]), Matrix<double>.Build.DenseIdentity(2),
            eta: 0.1);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        AssertUnstable(stationary.Langevin, "not positive definite");
        AssertUnstable(stationary.Discrete, "does not contract");
    }

    [Fact]
    public void StationaryMeanSolvesTheLinearSystem()
    {
        var h = Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, 0.5 }, { 0.5, 1.0 } });
        var b = Vector<double>.Build.DenseOfArray([1.0, -2.0]);
        var problem = TheoryProblems.Create(h, Matrix<double>.Build.DenseIdentity(2), eta: 0.1, linear: b);
        var stationary = QuadraticMomentTheory.Stationary(problem);
        var expected = -h.Solve(b);
        Assert.True(TheoryProblems.RelativeError(stationary.Discrete.Mean!, expected) < 1e-14);
        Assert.True(TheoryProblems.RelativeError(stationary.Langevin.Mean!, expected) < 1e-14);
    }

    private static void AssertUnstable(StationaryCovariance law, string reason)
    {
        Assert.False(law.Stable);
        Assert.Null(law.Covariance);
        Assert.Null(law.Mean);
        Assert.Contains(reason, law.Reason);
    }
}
