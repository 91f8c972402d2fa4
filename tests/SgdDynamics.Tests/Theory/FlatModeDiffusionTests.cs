using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class FlatModeDiffusionTests
{
    [Fact]
    public void WithoutCurvatureNoiseTheVarianceGrowsLinearlyWithDEqualEtaSigmaSquaredOverTwo()
    {
        // flat axis 1 with a drift; curvature noise only on the confined axis 0
        var h = Matrix<double>.Build.DenseOfDiagonalArray([1.0, 0.0]);
        var sigma = Matrix<double>.Build.DenseOfArray(new[,] { { 0.7, 0.2 }, { 0.2, 0.4 } });
        const double eta = 0.3;
        var problem = TheoryProblems.Create(h, sigma, eta,
            linear: Vector<double>.Build.DenseOfArray([0.3, 0.5]),
            curvatureStd: Vector<double>.Build.DenseOfArray([0.4, 0.0]),
            mean: Vector<double>.Build.DenseOfArray([1.0, -0.2]),
            covariance: Matrix<double>.Build.DenseOfDiagonalArray([0.1, 0.05]));

        var flat = Assert.Single(FlatModeDiffusion.FlatModes(problem));
        Assert.Equal(FlatModeGrowth.Linear, flat.Growth);
        Assert.Equal(eta * 0.4 / 2.0, flat.Diffusion, 1e-15);
        Assert.Equal(eta * eta * 0.4, flat.VarianceIncrementPerStep, 1e-15);
        Assert.Equal(0.0, flat.CubicCoefficient);
        Assert.Equal(1.0, Math.Abs(flat.Direction![1]));
        Assert.Equal(-eta * 0.5 * flat.Direction[1], flat.DriftPerStep, 1e-15);

        foreach (var record in QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 300, every: 30)))
        {
            double variance = flat.VarianceAt(record.Step);
            Assert.Equal(record.Covariance[1, 1], variance, 1e-12);
            Assert.Equal(0.05 + 2.0 * flat.Diffusion * record.Step * eta, variance, 1e-12);
            Assert.Equal(record.Mean[1] * flat.Direction[1], flat.MeanAt(record.Step), 1e-12);
        }
    }

    [Fact]
    public void RotatedFlatDirectionDiffusesWithItsProjectedNoise()
    {
        var random = new Random(4);
        var h = TheoryProblems.RandomSymmetric(random, 0.0, 0.9, 1.6);
        var sigma = TheoryProblems.RandomCovariance(random, 3);
        var b = TheoryProblems.RandomVector(random, 3);
        const double eta = 0.25;
        var problem = TheoryProblems.Create(h, sigma, eta, linear: b,
            mean: TheoryProblems.RandomVector(random, 3));

        var flat = Assert.Single(FlatModeDiffusion.FlatModes(problem));
        var v = flat.Direction!;
        Assert.True((h * v).L2Norm() < 1e-12);
        Assert.Equal(v.DotProduct(sigma * v), flat.NoiseVariance, 1e-14);
        Assert.Equal(v.DotProduct(b), flat.LinearTerm, 1e-14);
        foreach (var record in QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 200, every: 25)))
        {
            Assert.Equal(v.DotProduct(record.Covariance * v), flat.VarianceAt(record.Step), 1e-11);
            Assert.Equal(v.DotProduct(record.Mean), flat.MeanAt(record.Step), 1e-11);
        }

        // a direction given by hand is normalised and checked
        var byHand = FlatModeDiffusion.FromProblem(problem, -3.0 * v, tolerance: 1e-10);
        Assert.Equal(flat.VarianceAt(77), byHand.VarianceAt(77), 1e-14);
        Assert.Equal(-flat.MeanAt(77), byHand.MeanAt(77), 1e-13);
    }

    [Theory]
    [InlineData(0.1, 0.8, 0.5, 0.2, 0.7)]
    [InlineData(0.3, 1.5, -0.4, 0.0, 0.0)]
    [InlineData(0.05, 2.0, 1.0, 1.0, -1.0)]
    public void DriftAndCurvatureNoiseFollowTheExactRecursion(double eta, double a, double b, double s2, double m0)
    {
        var h = Matrix<double>.Build.DenseOfDiagonalArray([1.2, 0.0]);
        var sigma = Matrix<double>.Build.DenseOfDiagonalArray([0.3, s2]);
        var problem = TheoryProblems.Create(h, sigma, eta,
            linear: Vector<double>.Build.DenseOfArray([0.1, b]),
            curvatureStd: Vector<double>.Build.DenseOfArray([0.5, a]),
            mean: Vector<double>.Build.DenseOfArray([0.3, m0]),
            covariance: Matrix<double>.Build.DenseOfDiagonalArray([0.2, 0.1]));
        var flat = FlatModeDiffusion.FromProblem(problem, Vector<double>.Build.DenseOfArray([0.0, 1.0]));
        Assert.Equal(a * a, flat.CurvatureVariance);
        Assert.Equal(FlatModeGrowth.CubicThenGeometric, flat.Growth);
        Assert.Equal(eta * eta * a * a * eta * eta * b * b / 3.0, flat.CubicCoefficient, 1e-18);

        // hand recursion: m' = m + c, Var' = (1 + η²a²) Var + η² (s² + a² m²)
        double c = -eta * b, mean = m0, variance = 0.1;
        var hand = new List<double> { variance };
        for (int k = 0; k < 400; k++)
        {
            variance = (1.0 + eta * eta * a * a) * variance + eta * eta * (s2 + a * a * mean * mean);
            mean += c;
            hand.Add(variance);
        }

        foreach (var record in QuadraticMomentTheory.Recursion(problem, TheoryProblems.Steps(steps: 400, every: 20)))
        {
            double exact = flat.VarianceAt(record.Step);
            Assert.True(Math.Abs(exact / record.Covariance[1, 1] - 1.0) < 1e-12, $"k = {record.Step}: {exact} vs {record.Covariance[1, 1]}");
            Assert.True(Math.Abs(exact / hand[record.Step] - 1.0) < 1e-12);
            Assert.Equal(record.Mean[1], flat.MeanAt(record.Step), 1e-12);
            double second = record.Covariance[1, 1] + record.Mean[1] * record.Mean[1];
            Assert.True(Math.Abs(flat.SecondMomentAt(record.Step) / second - 1.0) < 1e-12);
        }
    }

    [Fact]
    public void DriftWithCurvatureNoiseGrowsCubicallyBeforeTheGeometricRegime()
    {
        // η² a² = 10⁻⁶: the cubic law holds for 1 ≪ k ≪ 10⁶
        var flat = new FlatModeDiffusion(learningRate: 1e-3, noiseVariance: 0.0, linearTerm: 1.0, curvatureVariance: 1.0);
        Assert.Equal(1e-12 / 3.0, flat.CubicCoefficient, 1e-25);
        foreach (int k in new[] { 2_000, 5_000, 10_000 })
        {
            double exact = flat.VarianceAt(k);
            double polynomial = flat.PolynomialVarianceAt(k);
            double growth = k * 1e-6;
            Assert.True(Math.Abs(polynomial / exact - 1.0) < growth, $"k = {k}: {polynomial} vs {exact}");
            Assert.True(Math.Abs(exact / (flat.CubicCoefficient * Math.Pow(k, 3)) - 1.0) < growth + 2.0 / k);
        }

        // the cubic law, in time t = kη: Var ≈ η a² b² t³ / 3
        double t = 10.0;
        Assert.Equal(1e-3 * t * t * t / 3.0, flat.CubicCoefficient * Math.Pow(t / 1e-3, 3), 1e-15);
    }

    [Fact]
    public void CurvatureNoiseEventuallyGrowsTheVarianceGeometrically()
    {
        var flat = new FlatModeDiffusion(learningRate: 0.3, noiseVariance: 0.4, linearTerm: 0.2, curvatureVariance: 1.0,
            initialMean: 0.5, initialVariance: 0.1);
        Assert.Equal(1.09, flat.GrowthFactor, 1e-15);
        double amplitude = flat.GeometricAmplitude;
        double ratio = flat.VarianceAt(3000) / Math.Pow(flat.GrowthFactor, 3000);
        Assert.True(Math.Abs(ratio / amplitude - 1.0) < 1e-10, $"{ratio} vs {amplitude}");
        Assert.True(flat.VarianceAt(1000) < flat.VarianceAt(1001));

        var noDrift = new FlatModeDiffusion(0.3, 0.4, linearTerm: 0.0, curvatureVariance: 1.0, initialMean: 0.5);
        Assert.Equal(FlatModeGrowth.LinearThenGeometric, noDrift.Growth);
        Assert.Equal(0.3 * 0.3 * (0.4 + 0.25), noDrift.VarianceAt(1), 1e-15);
        Assert.Equal(double.PositiveInfinity, new FlatModeDiffusion(0.3, 0.4).GeometricAmplitude);
    }

    [Fact]
    public void DirectionsWhoseLawDoesNotCloseAreRejected()
    {
        // null vector (1, 1)/√2, curvature noise on coordinate 0
        var h = Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, -1.0 }, { -1.0, 1.0 } });
        var noisy = TheoryProblems.Create(h, Matrix<double>.Build.DenseIdentity(2), 0.1,
            curvatureStd: Vector<double>.Build.DenseOfArray([0.5, 0.0]));
        var diagonal = Vector<double>.Build.DenseOfArray([1.0, 1.0]);
        Assert.Throws<ArgumentException>(() => FlatModeDiffusion.FromProblem(noisy, diagonal));
        Assert.Throws<ArgumentException>(() => FlatModeDiffusion.FlatModes(noisy));

        var clean = TheoryProblems.Create(h, Matrix<double>.Build.DenseIdentity(2), 0.1);
        Assert.Equal(0.1 * 0.1, FlatModeDiffusion.FromProblem(clean, diagonal).VarianceAt(1), 1e-15);
        Assert.Throws<ArgumentException>(() => FlatModeDiffusion.FromProblem(clean, Vector<double>.Build.DenseOfArray([1.0, 0.0])));
        Assert.Throws<ArgumentException>(() => FlatModeDiffusion.FromProblem(clean, Vector<double>.Build.Dense(2)));

        var momentum = TheoryProblems.Create(h, Matrix<double>.Build.DenseIdentity(2), 0.1, beta: 0.5);
        Assert.Throws<ArgumentException>(() => FlatModeDiffusion.FromProblem(momentum, diagonal));
    }
}
