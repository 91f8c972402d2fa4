using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class SecondMomentStabilityTests
{
    [Theory]
    [InlineData(0.5, 1.0)]
    [InlineData(0.1, 2.0)]
    [InlineData(1.2, 1.5)]
    [InlineData(0.01, 0.3)]
    public void PointsOnEitherSideOfTheBoundariesAreClassified(double eta, double lambda)
    {
        double discrete = SecondMomentStability.DiscreteBoundary(eta, lambda);
        double langevin = SecondMomentStability.LangevinBoundary(eta, lambda);
        Assert.Equal(lambda * (2.0 - eta * lambda) / eta, discrete, 1e-12 * langevin);
        Assert.Equal(2.0 * lambda / eta, langevin, 1e-12 * langevin);
        Assert.True(discrete < langevin);

        const double margin = 1e-6;
        Assert.Equal(StabilityRegion.BothStable, SecondMomentStability.Classify1D(eta, lambda, discrete * (1.0 - margin)));
        Assert.Equal(StabilityRegion.DiscreteUnstableLangevinStable, SecondMomentStability.Classify1D(eta, lambda, discrete * (1.0 + margin)));
        Assert.Equal(StabilityRegion.DiscreteUnstableLangevinStable, SecondMomentStability.Classify1D(eta, lambda, langevin * (1.0 - margin)));
        Assert.Equal(StabilityRegion.BothUnstable, SecondMomentStability.Classify1D(eta, lambda, langevin * (1.0 + margin)));

        // on the boundaries the second-moment multiplier is exactly 1 and the Langevin rate exactly 0
        Assert.Equal(1.0, SecondMomentStability.DiscreteSpectralRadius1D(eta, lambda, discrete), 1e-14);
        Assert.Equal(0.0, SecondMomentStability.LangevinSpectralAbscissa1D(eta, lambda, langevin), 1e-14 * lambda);

        // the boundaries solved for η
        Assert.Equal(eta, SecondMomentStability.DiscreteCriticalLearningRate(lambda, discrete), 1e-12 * eta);
        Assert.Equal(eta, SecondMomentStability.LangevinCriticalLearningRate(lambda, langevin), 1e-12 * eta);
    }

    [Theory]
    [InlineData(0.5, 1.0, 2.9)]
    [InlineData(0.5, 1.0, 3.1)]
    [InlineData(0.5, 1.0, 4.1)]
    [InlineData(2.5, 1.0, 0.0)]
    [InlineData(0.2, 2.0, 5.0)]
    [InlineData(0.3, 0.0, 0.5)]
    public void OneDimensionalRatesMatchTheMatrixTheory(double eta, double lambda, double a2)
    {
        var problem = TheoryProblems.OneDimensional(eta, lambda, 1.0, a2);
        var analysis = SecondMomentStability.Analyse(problem);
        Assert.Equal(SecondMomentStability.DiscreteSpectralRadius1D(eta, lambda, a2), analysis.SpectralRadius, 1e-12);
        Assert.Equal(SecondMomentStability.LangevinSpectralAbscissa1D(eta, lambda, a2), analysis.SpectralAbscissa, 1e-12);
        Assert.Equal(SecondMomentStability.Classify1D(eta, lambda, a2), analysis.Region);
        Assert.Equal(SecondMomentStability.DiscreteStable1D(eta, lambda, a2), QuadraticMomentTheory.Stationary(problem).Discrete.Stable);
    }

    [Fact]
    public void LargeLearningRateWithoutCurvatureNoiseIsUnstableOnlyForTheDiscreteMap()
    {
        Assert.Equal(StabilityRegion.DiscreteUnstableLangevinStable, SecondMomentStability.Classify1D(2.1, 1.0, 0.0));
        Assert.Equal(StabilityRegion.BothStable, SecondMomentStability.Classify1D(1.9, 1.0, 0.0));
        Assert.Equal(StabilityRegion.BothUnstable, SecondMomentStability.Classify1D(0.1, -0.5, 0.0));
        Assert.Equal(StabilityRegion.BothUnstable, SecondMomentStability.Classify1D(0.1, 0.0, 0.0));
        Assert.True(SecondMomentStability.DiscreteBoundary(2.5, 1.0) < 0.0);
        Assert.Equal(double.PositiveInfinity, SecondMomentStability.LangevinCriticalLearningRate(1.0, 0.0));
    }

    [Fact]
    public void DiagonalProblemIsGovernedByItsLeastStableMode()
    {
        // mode 1: discrete boundary 2(2 − 0.4)/0.2 = 16 < a² = 18 < Langevin boundary 20
        const double eta = 0.2;
        double[] lambdas = [1.0, 2.0];
        double[] a2 = [1.0, 18.0];
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfDiagonalArray(lambdas), Matrix<double>.Build.DenseIdentity(2), eta,
            curvatureStd: Vector<double>.Build.DenseOfArray(a2.Select(Math.Sqrt).ToArray()));
        var analysis = SecondMomentStability.Analyse(problem);
        double radius = Math.Max(
            SecondMomentStability.DiscreteSpectralRadius1D(eta, lambdas[0], a2[0]),
            SecondMomentStability.DiscreteSpectralRadius1D(eta, lambdas[1], a2[1]));
        double abscissa = Math.Max(
            SecondMomentStability.LangevinSpectralAbscissa1D(eta, lambdas[0], a2[0]),
            SecondMomentStability.LangevinSpectralAbscissa1D(eta, lambdas[1], a2[1]));
        Assert.Equal(radius, analysis.SpectralRadius, 1e-12);
        Assert.Equal(abscissa, analysis.SpectralAbscissa, 1e-12);
        Assert.Equal(StabilityRegion.DiscreteUnstableLangevinStable, analysis.Region);
        Assert.Equal(analysis, SecondMomentStability.Analyse(QuadraticMomentTheory.Stationary(problem)));
    }
}
