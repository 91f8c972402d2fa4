using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Kernels;

/// <summary>
/// <see cref="EnsembleModel"/>: float parameters in row-major order and the <see cref="MatrixShape"/> of each
/// matrix (the cheapest shape holding every entry that is nonzero as a float), which decides how many
/// normals are drawn and which entries the kernels read.
/// </summary>
public class EnsembleModelTests
{
    /// <summary>The ensemble every model here is made with: 1000 trajectories, 30 steps, seed 99, a record every 10 steps.</summary>
    private static readonly EnsembleAlgorithm Ensemble = new(trajectories: 1000, steps: 30, seed: 99, record: new RecordSpec(10));

    private static Problem Build(double[,] hessian, double[,] noise, double[,]? initial = null, double[]? curvature = null, double[]? linear = null, double momentum = 0) =>
        ProblemBuilder.Quadratic(
            hessian: hessian,
            noiseCovariance: noise,
            learningRate: 0.05,
            initialMean: new double[hessian.GetLength(0)],
            linearTerm: linear,
            curvatureNoiseStd: curvature,
            momentum: momentum,
            initialCovariance: initial);

    private static EnsembleModel Model(Problem problem) => EnsembleModel.From(problem, Ensemble);

    private static Problem WithNoiseFactor(Problem problem, double[,] factor) =>
        problem with { Landscape = problem.Quadratic with { NoiseFactor = Matrix<double>.Build.DenseOfArray(factor) } };

    private static Problem WithInitialFactor(Problem problem, double[,] factor) =>
        problem with { Initial = problem.Initial with { Factor = Matrix<double>.Build.DenseOfArray(factor) } };

    public static TheoryData<string, double[,], int> Covariances => new()
    {
        { "zero", new double[2, 2], MatrixShape.Zero },
        { "diagonal", ProblemBuilder.Diagonal(0.5, 2.0), MatrixShape.Diagonal },
        { "diagonal with a zero", ProblemBuilder.Diagonal(0.0, 2.0), MatrixShape.Diagonal },
        { "positive definite (Cholesky)", new[,] { { 1.0, 0.3 }, { 0.3, 0.5 } }, MatrixShape.LowerTriangular },
        { "zero row, definite block (embedded Cholesky)", new[,] { { 1.0, 0.0, 0.5 }, { 0.0, 0.0, 0.0 }, { 0.5, 0.0, 1.0 } }, MatrixShape.LowerTriangular },
        { "singular (symmetric square root)", new[,] { { 1.0, 1.0 }, { 1.0, 1.0 } }, MatrixShape.Dense },
    };

    [Theory]
    [MemberData(nameof(Covariances))]
    public void NoiseAndInitialFactorShapesFollowTheCovariance(string label, double[,] covariance, int shape)
    {
        int d = covariance.GetLength(0);
        Problem problem = Build(ProblemBuilder.Diagonal(Enumerable.Repeat(1.0, d).ToArray()), covariance, initial: covariance);
        var model = Model(problem);
        var quadratic = Quadratic(problem);
        Assert.True(shape == quadratic.NoiseShape, $"{label}: noise shape {quadratic.NoiseShape}, expected {shape}");
        Assert.True(shape == model.InitialShape, $"{label}: initial shape {model.InitialShape}, expected {shape}");
        Assert.Equal(shape == MatrixShape.Zero ? 0 : d, KernelProbe.Of(model).NormalsPerStep);
    }

    [Fact]
    public void PointStartHasZeroInitialShape()
    {
        var model = Model(Build(ProblemBuilder.Diagonal(1.0, 2.0), ProblemBuilder.Diagonal(1.0, 1.0)));
        Assert.Equal(MatrixShape.Zero, model.InitialShape);
        Assert.All(model.InitialFactor, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ShapeIsDecidedOnFloatValues()
    {
        Problem problem = Build(ProblemBuilder.Diagonal(1.0, 2.0), ProblemBuilder.Diagonal(1.0, 1.0));

        // an upper-triangular factor is dense for the kernels (they would skip its upper entries otherwise)
        Assert.Equal(MatrixShape.Dense, Quadratic(WithNoiseFactor(problem, new[,] { { 1.0, 0.5 }, { 0.0, 1.0 } })).NoiseShape);
        Assert.Equal(MatrixShape.Dense, Model(WithInitialFactor(problem, new[,] { { 1.0, 0.5 }, { 0.0, 1.0 } })).InitialShape);

        // entries that round to 0 as floats do not count: 1e-50 above the diagonal, 1e-46 off the diagonal
        Assert.Equal(MatrixShape.LowerTriangular, Quadratic(WithNoiseFactor(problem, new[,] { { 1.0, 1e-50 }, { 0.5, 1.0 } })).NoiseShape);
        Assert.Equal(MatrixShape.Diagonal, Quadratic(WithNoiseFactor(problem, new[,] { { 1.0, 1e-46 }, { -1e-46, 1.0 } })).NoiseShape);
        Assert.Equal(MatrixShape.Zero, Quadratic(WithNoiseFactor(problem, new[,] { { 1e-50, 0.0 }, { 0.0, -1e-50 } })).NoiseShape);

        // but a float subnormal does
        Assert.Equal(MatrixShape.Dense, Quadratic(WithNoiseFactor(problem, new[,] { { 1.0, 1e-44 }, { 0.0, 1.0 } })).NoiseShape);

        // only-below-the-diagonal, with a zero diagonal entry, is still lower triangular
        Assert.Equal(MatrixShape.LowerTriangular, Quadratic(WithNoiseFactor(problem, new[,] { { 0.0, 0.0 }, { 0.5, 0.0 } })).NoiseShape);
    }

    [Fact]
    public void HessianShapeSelectsTheDiagonalPath()
    {
        Assert.True(Quadratic(Build(ProblemBuilder.Diagonal(1.0, 2.0), new double[2, 2])).DiagonalHessian);
        Assert.True(Quadratic(Build(new double[2, 2], new double[2, 2])).DiagonalHessian);
        Assert.False(Quadratic(Build(new[,] { { 1.0, 0.1 }, { 0.1, 2.0 } }, new double[2, 2])).DiagonalHessian);
        Assert.False(Quadratic(Build(new[,] { { 1.0, 0.0 }, { 0.1, 2.0 } }, new double[2, 2])).DiagonalHessian);
        Assert.True(Quadratic(Build(new[,] { { 1.0, 1e-50 }, { 1e-50, 2.0 } }, new double[2, 2])).DiagonalHessian);
    }

    [Fact]
    public void ParametersAreRowMajorFloats()
    {
        // a non-symmetric factor tells row-major from column-major
        Problem problem = WithNoiseFactor(
            Build(new[,] { { 2.0, 0.1, 0.2 }, { 0.1, 3.0, 0.3 }, { 0.2, 0.3, 4.0 } }, ProblemBuilder.Diagonal(1, 1, 1), linear: [0.1, 0.2, 0.3], curvature: [0, 0.5, 0]),
            new[,] { { 1.0, 0.0, 0.0 }, { 0.25, 2.0, 0.0 }, { 1.0 / 3.0, 0.125, 3.0 } });
        var model = Model(problem);
        var quadratic = Quadratic(problem);

        Assert.Equal(3, model.Dimension);
        Assert.Equal([2f, 0.1f, 0.2f, 0.1f, 3f, 0.3f, 0.2f, 0.3f, 4f], quadratic.Hessian);
        Assert.Equal([1f, 0f, 0f, 0.25f, 2f, 0f, (float)(1.0 / 3.0), 0.125f, 3f], quadratic.NoiseFactor);
        Assert.Equal(MatrixShape.LowerTriangular, quadratic.NoiseShape);
        Assert.Equal([0.1f, 0.2f, 0.3f], quadratic.LinearTerm);
        Assert.True(quadratic.HasLinearTerm);
        Assert.Equal([0f, 0.5f, 0f], quadratic.CurvatureStd);
        Assert.True(quadratic.HasCurvatureNoise);

        // curvature normals for every coordinate (a = 0 for some is still drawn), then the noise normals
        Assert.Equal(6, KernelProbe.Of(model).NormalsPerStep);
        Assert.Equal(TileLayoutCount(3), model.StatisticCount);
    }

    [Fact]
    public void DynamicsScheduleAndSeedAreCarriedOver()
    {
        Problem sgdProblem = Build(ProblemBuilder.Diagonal(1.0), ProblemBuilder.Diagonal(1.0));
        var sgd = Model(sgdProblem);
        KernelProbe sgdProbe = KernelProbe.Of(sgd);
        Assert.Equal(typeof(Sgd), sgdProbe.DynamicsType);
        Assert.Equal(0, sgdProbe.AuxiliaryVectors);
        Assert.Equal(0.05f, ((Sgd)sgdProbe.Dynamics).LearningRate);
        Assert.Equal(99u, sgd.Seed);
        Assert.Equal([0, 10, 20, 30], sgd.RecordSteps);
        Assert.Equal(1e12f, sgd.DivergenceBound);
        Assert.False(Quadratic(sgdProblem).HasLinearTerm);
        Assert.False(Quadratic(sgdProblem).HasCurvatureNoise);
        Assert.Equal(1, sgdProbe.NormalsPerStep);

        Problem heavyBallProblem = Build(ProblemBuilder.Diagonal(1.0), new double[1, 1], momentum: 0.9);
        KernelProbe heavyBall = KernelProbe.Of(Model(heavyBallProblem));
        Assert.Equal(typeof(HeavyBall), heavyBall.DynamicsType);
        Assert.Equal(1, heavyBall.AuxiliaryVectors);
        Assert.Equal(0.9f, ((HeavyBall)heavyBall.Dynamics).Momentum);
        Assert.Equal(0, heavyBall.NormalsPerStep);
    }

    private static QuadraticKernelParameters Quadratic(Problem problem) => new(problem.Quadratic);

    private static int TileLayoutCount(int d) => 3 * d + d * (d + 1) / 2;
}
