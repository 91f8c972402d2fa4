using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class EigenmodeTheoryTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void PerModeFormulasAreExactForADiagonalHessianWithCurvatureNoise(double beta)
    {
        var random = new Random(3);
        var h = Matrix<double>.Build.DenseOfDiagonalArray([0.6, 1.3, 2.1]);
        var sigma = TheoryProblems.RandomCovariance(random, 3);
        var b = TheoryProblems.RandomVector(random, 3);
        var a = Vector<double>.Build.DenseOfArray([0.4, 0.0, 0.7]);
        const double eta = 0.15;
        var problem = TheoryProblems.Create(h, sigma, eta, beta, linear: b, curvatureStd: a);

        var decomposition = EigenmodeTheory.Decompose(problem);
        Assert.True(decomposition.PerModeFormulasExact);
        foreach (var mode in decomposition.Modes)
        {
            int axis = mode.Direction.AbsoluteMaximumIndex();
            Assert.Equal(h[axis, axis], mode.Eigenvalue, 1e-14);
            Assert.Equal(sigma[axis, axis], mode.NoiseVariance, 1e-14);
            Assert.Equal(a[axis] * a[axis], mode.CurvatureVariance, 1e-14);
            Assert.True(Math.Abs(mode.DiscreteVariance / mode.ExactDiscreteVariance - 1.0) < 1e-12,
                $"mode {mode.Index}: {mode.DiscreteVariance} vs {mode.ExactDiscreteVariance}");
            Assert.True(Math.Abs(mode.LangevinVariance / mode.ExactLangevinVariance - 1.0) < 1e-12,
                $"mode {mode.Index}: {mode.LangevinVariance} vs {mode.ExactLangevinVariance}");
        }
    }

    [Fact]
    public void PerModeFormulasAreExactForARotatedHessianWithoutCurvatureNoise()
    {
        var random = new Random(5);
        double[] eigenvalues = [0.5, 1.0, 2.0, 3.0];
        var h = TheoryProblems.RandomSymmetric(random, eigenvalues);
        var sigma = TheoryProblems.RandomCovariance(random, 4);
        const double eta = 0.2;
        var problem = TheoryProblems.Create(h, sigma, eta, linear: TheoryProblems.RandomVector(random, 4));

        var decomposition = EigenmodeTheory.Decompose(problem);
        Assert.True(decomposition.PerModeFormulasExact);
        for (int i = 0; i < 4; i++)
        {
            var mode = decomposition.Modes[i];
            Assert.Equal(eigenvalues[i], mode.Eigenvalue, 1e-13);
            Assert.Equal(mode.Direction.DotProduct(sigma * mode.Direction), mode.NoiseVariance, 1e-13);
            Assert.Equal(0.0, mode.CurvatureVariance);
            Assert.True((h * mode.Direction - mode.Eigenvalue * mode.Direction).L2Norm() < 1e-13);
            double expected = eta * mode.NoiseVariance / (mode.Eigenvalue * (2.0 - eta * mode.Eigenvalue));
            Assert.Equal(expected, mode.DiscreteVariance, 1e-14 * expected);
            Assert.True(Math.Abs(mode.ExactDiscreteVariance / expected - 1.0) < 1e-12);
            double langevin = eta * mode.NoiseVariance / (2.0 * mode.Eigenvalue);
            Assert.Equal(langevin, mode.LangevinVariance, 1e-14 * langevin);
            Assert.True(Math.Abs(mode.ExactLangevinVariance / langevin - 1.0) < 1e-12);
        }
    }

    [Fact]
    public void CurvatureNoiseOnRotatedModesCouplesThemAndOnlyTheProjectionIsExact()
    {
        var random = new Random(12);
        var h = TheoryProblems.RandomSymmetric(random, 0.8, 1.5, 2.2);
        var sigma = TheoryProblems.RandomCovariance(random, 3);
        var a = Vector<double>.Build.DenseOfArray([0.9, 0.0, 0.6]);
        const double eta = 0.2;
        var problem = TheoryProblems.Create(h, sigma, eta, curvatureStd: a,
            mean: Vector<double>.Build.Dense(3, 1.0));

        var decomposition = EigenmodeTheory.Decompose(problem);
        Assert.False(decomposition.PerModeFormulasExact);

        // the exact projection is the long-time limit of the exact recursion, the per-mode formula is not
        var late = EigenmodeTheory.ModeMomentsAt(problem, 4000);
        double largestGap = 0.0;
        foreach (var mode in decomposition.Modes)
        {
            Assert.False(mode.Decoupled);
            double expectedA2 = Enumerable.Range(0, 3).Sum(l => a[l] * a[l] * Math.Pow(mode.Direction[l], 4));
            Assert.Equal(expectedA2, mode.CurvatureVariance, 1e-14);
            Assert.True(Math.Abs(late.Variances[mode.Index] / mode.ExactDiscreteVariance - 1.0) < 1e-11);
            largestGap = Math.Max(largestGap, Math.Abs(mode.DiscreteVariance / mode.ExactDiscreteVariance - 1.0));
        }
        Assert.True(largestGap > 1e-3, $"largest relative gap {largestGap}");
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void DiscreteOverLangevinIsTwoOverTwoMinusEtaLambda(double eta)
    {
        var random = new Random(7);
        var h = TheoryProblems.RandomSymmetric(random, 0.4, 1.0, 1.7);
        var problem = TheoryProblems.Create(h, TheoryProblems.RandomCovariance(random, 3), eta);
        foreach (var mode in EigenmodeTheory.Decompose(problem).Modes)
        {
            double ratio = EigenmodeTheory.DiscreteToLangevinRatio(eta, mode.Eigenvalue);
            Assert.Equal(2.0 / (2.0 - eta * mode.Eigenvalue), ratio, 1e-15);
            Assert.Equal(ratio, mode.DiscreteVariance / mode.LangevinVariance, 1e-13);
            Assert.Equal(ratio, mode.ExactDiscreteVariance / mode.ExactLangevinVariance, 1e-11);
        }
    }

    [Fact]
    public void DiscreteApproachesLangevinAsEtaVanishesWithTheFirstOrderCorrection()
    {
        const double lambda = 1.7;
        foreach (double eta in new[] { 1e-1, 1e-2, 1e-3, 1e-4 })
        {
            double ratio = EigenmodeTheory.DiscreteModeVariance(eta, lambda, 0.8) / EigenmodeTheory.LangevinModeVariance(eta, lambda, 0.8);
            // ratio − 1 = ηλ / (2 − ηλ) = ηλ/2 + O(η²)
            Assert.Equal(eta * lambda / (2.0 - eta * lambda), ratio - 1.0, 1e-13);
            Assert.True(Math.Abs((ratio - 1.0) / eta - lambda / 2.0) < lambda * lambda * eta);
        }
    }

    [Fact]
    public void ModeVarianceAtStepFollowsTheOneDimensionalRecursion()
    {
        var random = new Random(9);
        var h = TheoryProblems.RandomSymmetric(random, 0.3, 1.1, 2.5);
        var sigma = TheoryProblems.RandomCovariance(random, 3);
        const double eta = 0.3;
        var problem = TheoryProblems.Create(h, sigma, eta, mean: TheoryProblems.RandomVector(random, 3));
        var recordSteps = TheoryProblems.Steps(steps: 60, every: 7);
        var decomposition = EigenmodeTheory.Decompose(problem);
        var records = EigenmodeTheory.ModeMomentsAtRecords(problem, recordSteps);
        Assert.Equal(recordSteps, records.Select(r => r.Step));
        foreach (var record in records)
        {
            foreach (var mode in decomposition.Modes)
            {
                // point start: Var_k = η² s² (1 − A^{2k}) / (1 − A²), A = 1 − ηλ
                double a = 1.0 - eta * mode.Eigenvalue;
                double expected = eta * eta * mode.NoiseVariance * (1.0 - Math.Pow(a, 2 * record.Step)) / (1.0 - a * a);
                Assert.Equal(expected, record.Variances[mode.Index], 1e-13 + 1e-12 * expected);
                double mean0 = mode.Direction.DotProduct(problem.Initial.Mean);
                Assert.Equal(mean0 * Math.Pow(a, record.Step), record.Means[mode.Index], 1e-12);
            }
        }

        var single = EigenmodeTheory.ModeMomentsAt(problem, 21);
        var fromRecords = records.Single(r => r.Step == 21);
        Assert.Equal(21, single.Step);
        for (int i = 0; i < 3; i++) Assert.Equal(fromRecords.Variances[i], single.Variances[i], 1e-14);
        Assert.Equal(0.0, EigenmodeTheory.ModeMomentsAt(problem, 0).Variances.Max());
    }

    [Fact]
    public void LinearTermShiftsTheCurvatureNoiseOfAMode()
    {
        // 1-D: Var = η (s² + a² m²) / (λ(2 − ηλ) − η a²), m = −b/λ
        const double eta = 0.1, lambda = 2.0, s2 = 0.5, a2 = 0.8, b = 0.6;
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.Dense(1, 1, lambda), Matrix<double>.Build.Dense(1, 1, s2), eta,
            linear: Vector<double>.Build.Dense(1, b), curvatureStd: Vector<double>.Build.Dense(1, Math.Sqrt(a2)));
        var mode = EigenmodeTheory.Decompose(problem).Modes[0];
        double m = -b / lambda;
        double expected = eta * (s2 + a2 * m * m) / (lambda * (2.0 - eta * lambda) - eta * a2);
        Assert.Equal(expected, mode.DiscreteVariance, 1e-14);
        Assert.Equal(expected, EigenmodeTheory.DiscreteModeVariance(eta, lambda, s2, a2, m), 1e-14);
        Assert.Equal(expected, mode.ExactDiscreteVariance, 1e-13);
        double langevin = eta * (s2 + a2 * m * m) / (2.0 * lambda - eta * a2);
        Assert.Equal(langevin, mode.LangevinVariance, 1e-14);
        Assert.Equal(langevin, mode.ExactLangevinVariance, 1e-13);
    }

    [Fact]
    public void FlatAndUnstableModesHaveNoStationaryVariance()
    {
        var problem = TheoryProblems.Create(
            Matrix<double>.Build.DenseOfDiagonalArray([0.0, 1.0]), Matrix<double>.Build.DenseIdentity(2), 0.5);
        var decomposition = EigenmodeTheory.Decompose(problem);
        var flat = decomposition.Modes.Single(m => m.IsFlat);
        Assert.Equal(double.PositiveInfinity, flat.DiscreteVariance);
        Assert.Equal(double.PositiveInfinity, flat.LangevinVariance);
        Assert.True(double.IsNaN(flat.ExactDiscreteVariance));
        Assert.False(decomposition.Stationary.Discrete.Stable);
        var confined = decomposition.Modes.Single(m => !m.IsFlat);
        Assert.Equal(0.5 / 1.5, confined.DiscreteVariance, 1e-15);

        Assert.Equal(double.PositiveInfinity, EigenmodeTheory.DiscreteModeVariance(0.5, 4.5, 1.0));
        Assert.Equal(double.PositiveInfinity, EigenmodeTheory.DiscreteToLangevinRatio(0.5, 4.5));
        Assert.Equal(double.PositiveInfinity, EigenmodeTheory.LangevinModeVariance(0.5, 1.0, 1.0, 4.0));
    }
}
