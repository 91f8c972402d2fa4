using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (l) The rough-landscape experiment of Gess, Kassing and Konarovskyi: the fluctuating landscape with m = 4x³ − 0.6x + 0.15,
/// e = 0.1x² + 1, A_k = 0.5/k² (k = 1 … 20), P = 2, η = 0.1, x₀ ~ N(0, 0.18²), 50 steps. SGD (the ensemble) against the
/// exact law of its iterates (the master equation with the landscape's non-Gaussian one-step kernel) in mean and variance
/// at steps 10 and 50, and against the Fokker–Planck equations built from m and D = e² Σ A_k²/6 alone: the discrete one
/// (with the η² ḡḡᵀ term) departs from SGD at step 50 and is rejected; the Langevin one departs by about 0.5 % in the
/// variance, which 2²³ trajectories (SE 0.13 %) resolve only to about 4 SE, so it is reported, not checked.
/// </summary>
public sealed class FluctuatingLandscapeCase : IValidationCase
{
    private const double Eta = 0.1;
    private const int Steps = 50;

    /// <summary>The landscape of the rough-landscape experiment (examples/fluctuating-rough.json).</summary>
    internal static readonly FluctuatingLandscapeSpec RoughLandscape = new(
        Vector<double>.Build.DenseOfArray([0.15, -0.6, 0, 4]),
        Vector<double>.Build.DenseOfArray([1, 0, 0.1]),
        Vector<double>.Build.Dense(20, k => 0.5 / ((k + 1.0) * (k + 1.0))),
        2.0);

    /// <inheritdoc/>
    public string Name => "fluctuating-rough";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        FluctuatingLandscapeSpec landscape = RoughLandscape;
        Problem problem = ProblemBuilder.Of(landscape, new SgdSpec(Eta), [0.0], new[,] { { 0.18 * 0.18 } });
        var record = new RecordSpec(10);
        long n = context.Trajectories(1 << 20, 1 << 23);
        EnsembleResult ensemble = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(n, Steps, seed: 2024, record), context.Backend);

        // grids on [−1.5, 1.5] (the law stays within ±0.6 of −0.44), reflecting walls; two resolutions give the grid error
        GridResult Grid(GridAlgorithm algorithm) => GridRunner.Run(problem, algorithm);
        GridSpec Box(int cells) => new([-1.5], [1.5], [cells]);
        GridResult masterCoarse = Grid(new MasterEquationAlgorithm(Box(600), Steps, record, GridBoundary.Reflecting));
        GridResult masterFine = Grid(new MasterEquationAlgorithm(Box(1200), Steps, record, GridBoundary.Reflecting));
        GridResult discreteFokkerPlanck = Grid(new FokkerPlanckAlgorithm(Box(1200), Steps, FokkerPlanckVariant.Discrete, record));
        GridResult langevinFokkerPlanck = Grid(new FokkerPlanckAlgorithm(Box(1200), Steps, FokkerPlanckVariant.Langevin, record));

        var checks = new List<Check>();
        const string basis = "SE: the Monte-Carlo SE (√(Var/n) for the mean, √((m₄ − m₂²)/n) for the variance) and the grid error |fine − coarse| (600 and 1200 cells) added in quadrature";
        foreach (int r in new[] { 1, 5 })
        {
            var moments = ensemble.Records[r].Moments;
            int step = ensemble.Records[r].Step;
            GridRecord fine = masterFine.Records[r], coarse = masterCoarse.Records[r];
            double meanError = Math.Abs(fine.Mean[0] - coarse.Mean[0]), varianceError = Math.Abs(fine.Covariance[0, 0] - coarse.Covariance[0, 0]);
            checks.Add(new($"mean at step {step}: SGD vs the master equation of its non-Gaussian kernel", fine.Mean[0], moments.Mean[0],
                Math.Sqrt((moments.MeanStandardError[0] * moments.MeanStandardError[0]) + (meanError * meanError)), Expectation.Agree, Check.DefaultZ, basis));
            checks.Add(new($"variance at step {step}: SGD vs the master equation", fine.Covariance[0, 0], moments.Covariance[0, 0],
                Math.Sqrt((moments.VarianceStandardError[0] * moments.VarianceStandardError[0]) + (varianceError * varianceError)), Expectation.Agree, Check.DefaultZ, basis));
        }

        var final = ensemble.Final.Moments;
        const string fokkerPlanckBasis = "SE: the Monte-Carlo SE of the sample variance √((m₄ − m₂²)/n); the Fokker–Planck grid error (1200 cells) is below 1e-6";
        checks.Add(new("variance at step 50: SGD vs the discrete Fokker–Planck equation (D = η(Σ + ḡḡᵀ)/2)", discreteFokkerPlanck.Final.Covariance[0, 0],
            final.Covariance[0, 0], final.VarianceStandardError[0], Expectation.Reject, Check.DefaultZ, fokkerPlanckBasis));

        return new CaseReport(
            Name,
            $"On a landscape that fluctuates every step, SGD follows the master equation of its non-Gaussian kernel (variance at step 50: SGD {final.Covariance[0, 0]:G5}, " +
            $"master equation {masterFine.Final.Covariance[0, 0]:G5}); the discrete Fokker–Planck equation from ḡ and D alone misses it ({discreteFokkerPlanck.Final.Covariance[0, 0]:G5}), " +
            $"and the Langevin one gives {langevinFokkerPlanck.Final.Covariance[0, 0]:G5}, a gap of about 0.5 % that 2²³ trajectories do not resolve beyond 5 SE (not checked).",
            checks,
            [],
            clock.Elapsed.TotalSeconds);
    }
}
