using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Validation;

/// <summary>A measured value with its Monte-Carlo standard error.</summary>
public readonly record struct Estimate(double Value, double StandardError);

/// <summary>Ensemble experiments the cases are built from: <c>Run(eta, backend) → (simulated, standard error)</c>.</summary>
public static class Experiments
{
    /// <summary>
    /// Stationary variance of a 1-D confined mode (curvature λ, additive noise σ², curvature noise a), started at
    /// 0 and run until the transient (1 − ηλ)^(2k) is below 1e-12. SE: √((m₄ − m₂²)/n) of the sample variance.
    /// </summary>
    public static Estimate StationaryVariance1D(double eta, double lambda, double sigma2, IEnsembleBackend backend, long trajectories, uint seed, double curvatureStd = 0)
    {
        double contraction = Math.Abs(1 - eta * lambda);
        int steps = contraction < 1e-12 ? 1 : Math.Max(1, (int)Math.Ceiling(Math.Log(1e-12) / (2 * Math.Log(contraction))));
        Problem problem = ProblemBuilder.Quadratic(
            new double[,] { { lambda } }, new double[,] { { sigma2 } }, eta, [0.0],
            curvatureNoiseStd: curvatureStd == 0 ? null : [curvatureStd]);
        var moments = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(trajectories, steps, seed), backend).Final.Moments;
        return new Estimate(moments.Covariance[0, 0], moments.VarianceStandardError[0]);
    }

    /// <summary>
    /// Batch means: runs <paramref name="problem"/> with <paramref name="ensemble"/> as <paramref name="batches"/> equal shards (tile-aligned), evaluates
    /// <paramref name="statistic"/> on each shard's final moments and returns their mean with SE = sd/√batches.
    /// </summary>
    public static Estimate BatchMeans(Problem problem, EnsembleAlgorithm ensemble, IEnsembleBackend backend, int batches, Func<Statistics.Moments, double> statistic)
    {
        long n = ensemble.Trajectories;
        long size = n / batches / Kernels.Statistics.TileLayout.TileSize * Kernels.Statistics.TileLayout.TileSize;
        if (size < Kernels.Statistics.TileLayout.TileSize)
        {
            throw new ArgumentException($"{n} trajectories are too few for {batches} batches", nameof(batches));
        }

        var values = new double[batches];
        for (int b = 0; b < batches; b++)
        {
            var range = new TrajectoryRange(b * size, size);
            values[b] = statistic(EnsembleSolver.Solve(problem, ensemble, backend, range).Final.Moments);
        }

        return MeanOfBatches(values);
    }

    /// <summary>The mean of independent batch estimates with SE = sd/√(number of batches).</summary>
    public static Estimate MeanOfBatches(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new Estimate(mean, sd / Math.Sqrt(values.Count));
    }
}
