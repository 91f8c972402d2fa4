using SgdDynamics.Problems;

namespace SgdDynamics.Ensembles;

/// <summary>
/// The two benchmark workloads W1 and W2 that <c>sgdyn bench</c> runs beside the reference programs of
/// <c>benchmarks/reference</c> (C++ and NumPy, with their README), as problems with their ensembles. Same
/// random stream as the references (Philox key (seed, trajectory), counter (step, sub), Box–Muller of
/// (r0, r1) then (r2, r3)), so the moments agree with theirs to float rounding.
/// </summary>
public static class ReferenceWorkloads
{
    /// <summary>Seed the reference programs use by default.</summary>
    public const uint ReferenceSeed = 12345;

    /// <summary>W1 ensemble size.</summary>
    public const long W1Trajectories = 1L << 22;

    /// <summary>W2 ensemble size.</summary>
    public const long W2Trajectories = 1L << 18;

    /// <summary>Steps of both workloads.</summary>
    public const int Steps = 500;

    /// <summary>
    /// W1: 1-D multiplicative-noise quadratic <c>x ← x − η((λ + a z1) x + s z2)</c>, λ = 1, a = 0.5, s = 1,
    /// η = 0.01, x₀ = 1.
    /// </summary>
    public static Problem W1() =>
        ProblemBuilder.Quadratic(
            hessian: new double[,] { { 1.0 } },
            noiseCovariance: new double[,] { { 1.0 } },
            learningRate: 0.01,
            initialMean: [1.0],
            curvatureNoiseStd: [0.5]);

    /// <summary>
    /// W2: 16-D diagonal quadratic <c>x ← x − η(H x + L z)</c>, H = diag(h_d), h_d = 10^(−3 + 3d/15) with
    /// h₀ = 0 (a flat direction), L = diag(√h_d + 0.1), η = 0.01, x₀ = (1, …, 1).
    /// </summary>
    public static Problem W2()
    {
        const int d = 16;
        var h = new double[d];
        var noise = new double[d];
        for (int i = 0; i < d; i++)
        {
            h[i] = i == 0 ? 0.0 : Math.Pow(10.0, -3.0 + 3.0 * i / (d - 1));
            double l = (float)(Math.Sqrt(h[i]) + 0.1);
            noise[i] = l * l;
            h[i] = (float)h[i];
        }

        return ProblemBuilder.Quadratic(
            hessian: ProblemBuilder.Diagonal(h),
            noiseCovariance: ProblemBuilder.Diagonal(noise),
            learningRate: 0.01,
            initialMean: Enumerable.Repeat(1.0, d).ToArray());
    }

    /// <summary>The workloads' ensemble: <paramref name="trajectories"/> trajectories (W1: <see cref="W1Trajectories"/>, W2: <see cref="W2Trajectories"/>), recording the start and the end.</summary>
    public static EnsembleAlgorithm Ensemble(long trajectories, int steps = Steps, uint seed = ReferenceSeed) => new(trajectories, steps, seed);
}
