using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Problems;

/// <summary>
/// Builds problems (quadratic, double-well, ring-valley, any registered pair) in code (benchmarks, the demo, tests), with the same factorisations the
/// scenario loader uses. Inputs are assumed valid; scenario files go through the loader's checks.
/// </summary>
public static class ProblemBuilder
{
    /// <summary>
    /// A quadratic problem. <paramref name="linearTerm"/>, <paramref name="curvatureNoiseStd"/> default to 0;
    /// <paramref name="initialCovariance"/> null is a point start at <paramref name="initialMean"/>;
    /// <paramref name="momentum"/> &gt; 0 selects heavy-ball momentum. How it is solved is a separate
    /// <see cref="Algorithm"/> (e.g. <see cref="EnsembleAlgorithm"/>).
    /// </summary>
    public static Problem Quadratic(
        double[,] hessian,
        double[,] noiseCovariance,
        double learningRate,
        double[] initialMean,
        double[]? linearTerm = null,
        double[]? curvatureNoiseStd = null,
        double momentum = 0,
        double[,]? initialCovariance = null)
    {
        var landscape = QuadraticLandscape(hessian, noiseCovariance, linearTerm, curvatureNoiseStd);
        return Assemble(landscape, learningRate, initialMean, initialCovariance, momentum);
    }

    /// <summary>
    /// The quadratic landscape H, Σ (factorised as the scenario loader does), b and a (both default to 0).
    /// </summary>
    public static QuadraticLandscapeSpec QuadraticLandscape(double[,] hessian, double[,] noiseCovariance, double[]? linearTerm = null, double[]? curvatureNoiseStd = null)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentNullException.ThrowIfNull(noiseCovariance);
        int d = hessian.GetLength(0);
        var build = Matrix<double>.Build;
        Matrix<double> sigma = build.DenseOfArray(noiseCovariance);
        (Matrix<double> factor, bool lower) = CovarianceFactor.Compute(sigma);
        return new QuadraticLandscapeSpec(
            build.DenseOfArray(hessian),
            Vector<double>.Build.DenseOfArray(linearTerm ?? new double[d]),
            sigma,
            factor,
            lower,
            Vector<double>.Build.DenseOfArray(curvatureNoiseStd ?? new double[d]));
    }

    /// <summary>
    /// A double-well problem, <c>L(x) = (x² − 1)²/4</c> with gradient <c>g = x³ − x + σ ξ</c> (σ =
    /// <paramref name="noiseStd"/>), started at <paramref name="x0"/> (or N(x0, <paramref name="initialVariance"/>)
    /// when the variance is positive). The other arguments are those of <see cref="Quadratic"/>.
    /// </summary>
    public static Problem DoubleWell(
        double noiseStd,
        double learningRate,
        double x0,
        double momentum = 0,
        double initialVariance = 0) =>
        Assemble(
            new DoubleWellLandscapeSpec(noiseStd), learningRate, [x0], initialVariance > 0 ? new[,] { { initialVariance } } : null, momentum);

    /// <summary>
    /// A ring-valley problem in <paramref name="dimension"/> ≥ 2 dimensions, <c>L(x) = λ(|x|² − 1)²/4</c> with
    /// gradient <c>g = λ(|x|² − 1) x + σ ξ</c> (λ = <paramref name="curvature"/>, σ = <paramref name="noiseStd"/>).
    /// <paramref name="initialMean"/> has <paramref name="dimension"/> entries; the other arguments are those of
    /// <see cref="Quadratic"/>.
    /// </summary>
    public static Problem RingValley(
        int dimension,
        double curvature,
        double noiseStd,
        double learningRate,
        double[] initialMean,
        double momentum = 0,
        double[,]? initialCovariance = null)
    {
        if (initialMean.Length != dimension)
        {
            throw new ArgumentException($"the initial mean has {initialMean.Length} entries, the landscape dimension is {dimension}", nameof(initialMean));
        }

        return Assemble(
            new RingValleyLandscapeSpec(dimension, curvature, noiseStd), learningRate, initialMean, initialCovariance, momentum);
    }

    /// <summary>
    /// A problem on any registered landscape with any registered update rule: <paramref name="initialCovariance"/> null is a
    /// point start at <paramref name="initialMean"/> (of the landscape's dimension); the other arguments are those of
    /// <see cref="Quadratic"/>.
    /// </summary>
    public static Problem Of(
        LandscapeSpec landscape,
        DynamicsSpec dynamics,
        double[] initialMean,
        double[,]? initialCovariance = null)
    {
        ArgumentNullException.ThrowIfNull(landscape);
        ArgumentNullException.ThrowIfNull(dynamics);
        ArgumentNullException.ThrowIfNull(initialMean);
        int d = landscape.Dimension;
        if (initialMean.Length != d)
        {
            throw new ArgumentException($"the initial mean has {initialMean.Length} entries, the landscape dimension is {d}", nameof(initialMean));
        }

        var build = Matrix<double>.Build;
        Matrix<double> c0 = initialCovariance is null ? build.Dense(d, d) : build.DenseOfArray(initialCovariance);
        (Matrix<double> f0, bool lower0) = CovarianceFactor.Compute(c0);
        var initial = new InitialLaw(Vector<double>.Build.DenseOfArray(initialMean), c0, f0, lower0);
        return new Problem(landscape, dynamics, initial);
    }

    private static Problem Assemble(
        LandscapeSpec landscape, double learningRate, double[] initialMean, double[,]? initialCovariance, double momentum) =>
        Of(landscape, momentum > 0 ? new HeavyBallSpec(learningRate, momentum) : new SgdSpec(learningRate), initialMean, initialCovariance);

    /// <summary>A diagonal matrix.</summary>
    public static double[,] Diagonal(params double[] values)
    {
        var m = new double[values.Length, values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            m[i, i] = values[i];
        }

        return m;
    }
}
