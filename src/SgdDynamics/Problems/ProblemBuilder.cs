using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Problems;

/// <summary>
/// Builds quadratic problems in code (benchmarks, the demo, tests), with the same factorisations the
/// scenario loader uses. Inputs are assumed valid; scenario files go through the loader's checks.
/// </summary>
public static class ProblemBuilder
{
    /// <summary>
    /// A quadratic problem. <paramref name="linearTerm"/>, <paramref name="curvatureNoiseStd"/> default to 0;
    /// <paramref name="initialCovariance"/> null is a point start at <paramref name="initialMean"/>;
    /// <paramref name="momentum"/> &gt; 0 selects heavy-ball momentum; <paramref name="recordEvery"/> 0 records
    /// only the start and the end; <paramref name="recordTails"/> keeps final states for tail estimates.
    /// </summary>
    public static Problem Quadratic(
        double[,] hessian,
        double[,] noiseCovariance,
        double learningRate,
        double[] initialMean,
        long trajectories,
        int steps,
        uint seed,
        int recordEvery = 0,
        double[]? linearTerm = null,
        double[]? curvatureNoiseStd = null,
        double momentum = 0,
        double[,]? initialCovariance = null,
        double divergenceThreshold = EnsembleSpec.DefaultDivergenceThreshold,
        bool recordTails = false)
    {
        int d = hessian.GetLength(0);
        var build = Matrix<double>.Build;
        Matrix<double> sigma = build.DenseOfArray(noiseCovariance);
        (Matrix<double> factor, bool lower) = CovarianceFactor.Compute(sigma);
        Matrix<double> c0 = initialCovariance is null ? build.Dense(d, d) : build.DenseOfArray(initialCovariance);
        (Matrix<double> f0, bool lower0) = CovarianceFactor.Compute(c0);
        var landscape = new QuadraticLandscapeSpec(
            build.DenseOfArray(hessian),
            Vector<double>.Build.DenseOfArray(linearTerm ?? new double[d]),
            sigma,
            factor,
            lower,
            Vector<double>.Build.DenseOfArray(curvatureNoiseStd ?? new double[d]));
        var optimizer = new OptimizerSpec(momentum > 0 ? OptimizerKind.Momentum : OptimizerKind.Sgd, learningRate, momentum);
        var initial = new InitialLaw(Vector<double>.Build.DenseOfArray(initialMean), c0, f0, lower0);
        var ensemble = new EnsembleSpec(trajectories, steps, seed, divergenceThreshold);
        return new Problem(landscape, optimizer, initial, ensemble, new RecordSpec(recordEvery > 0 ? recordEvery : steps, recordTails));
    }

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
