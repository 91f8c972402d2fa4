using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Kernels;

/// <summary>
/// Small problems that together exercise every branch of the shared kernel physics: curvature
/// and additive noise, dense H, lower-triangular and dense noise factors, a linear term, Gaussian starts of
/// every factor shape, heavy-ball momentum and diverging trajectories, and the non-quadratic landscapes
/// (double well, ring valley) with SGD and momentum. Each runs with its own ensemble (<see cref="Ensemble"/>):
/// N = 300 (one full tile and a partial one), 40 steps, a record every 7 steps (records 0, 7, 14, 21, 28, 35, 40).
/// </summary>
public static class AgreementProblems
{
    public const long Trajectories = 300;
    public const int Steps = 40;
    public const int RecordEvery = 7;

    /// <summary>Names of the problems, for theories.</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in All.Keys)
            {
                data.Add(name);
            }

            return data;
        }
    }

    /// <summary>Names of the problems without diverging trajectories, for theories.</summary>
    public static TheoryData<string> ConvergingNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in All.Keys.Where(n => !Diverges(n) && !Sensitive(n)))
            {
                data.Add(name);
            }

            return data;
        }
    }

    /// <summary>Names of the problems, in order.</summary>
    public static IReadOnlyList<string> NameList => All.Keys.ToArray();

    /// <summary>Problems that have diverging trajectories by design.</summary>
    public static bool Diverges(string name) => name.StartsWith("diverging", StringComparison.Ordinal);

    /// <summary>
    /// True for problems on a randomly fluctuating landscape: a step's gradient has modes of up to 20 cycles a period,
    /// whose phase 2πk·x/P turns a rounding difference in x into one of up to 2πk/P·A_k·e(x) in the gradient, step after
    /// step, so fused and unfused arithmetic agree only as loosely as on the diverging problems.
    /// </summary>
    public static bool Sensitive(string name) => name.Contains("-fluctuating-", StringComparison.Ordinal);

    /// <summary>The problems of <see cref="Sensitive"/>.</summary>
    public static TheoryData<string> SensitiveNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in All.Keys.Where(Sensitive))
            {
                data.Add(name);
            }

            return data;
        }
    }

    /// <summary>The problem called <paramref name="name"/>.</summary>
    public static Problem Get(string name) => All[name]().Problem;

    /// <summary>The ensemble that runs the problem called <paramref name="name"/> (its own seed and divergence threshold).</summary>
    public static EnsembleAlgorithm Ensemble(string name) => All[name]().Ensemble;

    private static readonly IReadOnlyDictionary<string, Func<Case>> All = Registered(new Dictionary<string, Func<Case>>
    {
        // 1-D, additive + curvature noise, point start (diagonal H, diagonal noise factor)
        ["additive-curvature-1d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: new double[,] { { 1.5 } },
                noiseCovariance: new double[,] { { 0.4 } },
                learningRate: 0.1,
                initialMean: [1.0],
                curvatureNoiseStd: [0.5]),
            Seeded(11)),

        // 3-D, dense non-diagonal H, full Σ (positive definite: Cholesky, lower-triangular factor), linear
        // term, curvature noise on two coordinates (6 normals per step: two Philox counters, the second one
        // using only its first Box–Muller pair)
        ["dense-3d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 2.0, 0.5, 0.2 }, { 0.5, 1.5, -0.3 }, { 0.2, -0.3, 1.0 } },
                noiseCovariance: new[,] { { 1.0, 0.3, 0.1 }, { 0.3, 0.8, 0.2 }, { 0.1, 0.2, 0.5 } },
                learningRate: 0.05,
                initialMean: [1.0, -1.0, 0.5],
                linearTerm: [0.1, -0.2, 0.3],
                curvatureNoiseStd: [0.2, 0.0, 0.3]),
            Seeded(12)),

        // 2-D, singular Σ = [[1, 1], [1, 1]]: CovarianceFactor returns the symmetric square root, a dense
        // (non-triangular) factor; the Gaussian start has the same dense factor
        ["dense-factor-2d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 1.0, 0.2 }, { 0.2, 0.5 } },
                noiseCovariance: new[,] { { 1.0, 1.0 }, { 1.0, 1.0 } },
                learningRate: 0.1,
                initialMean: [0.5, -0.5],
                initialCovariance: new[,] { { 0.5, 0.5 }, { 0.5, 0.5 } }),
            Seeded(13)),

        // 3-D Gaussian start with a lower-triangular (Cholesky) factor, diagonal H, additive noise only
        ["gaussian-start-3d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: ProblemBuilder.Diagonal(1.0, 0.5, 0.1),
                noiseCovariance: ProblemBuilder.Diagonal(0.3, 0.2, 0.1),
                learningRate: 0.2,
                initialMean: [1.0, 2.0, -1.0],
                initialCovariance: new[,] { { 1.0, 0.5, 0.2 }, { 0.5, 2.0, -0.3 }, { 0.2, -0.3, 0.7 } }),
            Seeded(14)),

        // heavy-ball momentum β = 0.9, dense H, lower-triangular Σ, diagonal Gaussian start
        ["momentum-2d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 1.0, 0.3 }, { 0.3, 0.2 } },
                noiseCovariance: new[,] { { 0.5, 0.1 }, { 0.1, 0.2 } },
                learningRate: 0.05,
                initialMean: [1.0, 1.0],
                curvatureNoiseStd: [0.3, 0.1],
                momentum: 0.9,
                initialCovariance: ProblemBuilder.Diagonal(0.2, 0.1)),
            Seeded(15)),

        // 5-D with curvature noise on every coordinate and a full Σ: 10 normals per step (two full Philox
        // counters and the first Box–Muller pair of a third); Gaussian start with a dense factor
        ["wide-5d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: ProblemBuilder.Diagonal(2.0, 1.0, 0.5, 0.25, 0.0),
                noiseCovariance: new[,]
                {
                    { 1.0, 0.2, 0.0, 0.1, 0.0 },
                    { 0.2, 1.0, 0.2, 0.0, 0.1 },
                    { 0.0, 0.2, 1.0, 0.2, 0.0 },
                    { 0.1, 0.0, 0.2, 1.0, 0.2 },
                    { 0.0, 0.1, 0.0, 0.2, 1.0 },
                },
                learningRate: 0.1,
                initialMean: [1.0, 0.5, 0.0, -0.5, -1.0],
                curvatureNoiseStd: [0.3, 0.3, 0.3, 0.3, 0.3],
                initialCovariance: new[,]
                {
                    { 1.0, 1.0, 0.0, 0.0, 0.0 },
                    { 1.0, 1.0, 0.0, 0.0, 0.0 },
                    { 0.0, 0.0, 1.0, 0.0, 0.0 },
                    { 0.0, 0.0, 0.0, 1.0, 0.5 },
                    { 0.0, 0.0, 0.0, 0.5, 1.0 },
                }),
            Seeded(18)),

        // no noise at all and a point start: no normals are drawn and every trajectory is the same
        ["noiseless-2d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: new[,] { { 1.0, 0.4 }, { 0.4, 0.8 } },
                noiseCovariance: new double[2, 2],
                learningRate: 0.3,
                initialMean: [1.0, -2.0],
                linearTerm: [0.5, 0.0]),
            Seeded(19)),

        // multiplicative noise with η = 1, a = 2.5: x ← −2.5 ζ x − η s ξ grows like |2.5 ζ|^k, so part of the
        // population (about 45 %) crosses the divergence bound 1e6 (and is set to NaN) within the run
        ["diverging-sgd-1d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: new double[,] { { 1.0 } },
                noiseCovariance: new double[,] { { 0.1 } },
                learningRate: 1.0,
                initialMean: [1.0],
                curvatureNoiseStd: [2.5]),
            Seeded(16, divergenceThreshold: 1e6)),

        // momentum with a large step and strong curvature noise: about half the population crosses the
        // default bound 1e12 (checked at records, with the velocity) and stays NaN afterwards
        ["diverging-momentum-2d"] = () => new(
            ProblemBuilder.Quadratic(
                hessian: ProblemBuilder.Diagonal(1.0, 0.5),
                noiseCovariance: ProblemBuilder.Diagonal(1.0, 1.0),
                learningRate: 1.0,
                initialMean: [1.0, -1.0],
                curvatureNoiseStd: [3.5, 0.875],
                momentum: 0.5),
            Seeded(17)),

        // double well from a Gaussian start straddling the barrier: trajectories settle in either well
        // (1 normal per step: the Two path of the normal stream)
        ["double-well-1d"] = () => new(
            ProblemBuilder.DoubleWell(
                noiseStd: 0.5,
                learningRate: 0.1,
                x0: 0.2,
                initialVariance: 0.5),
            Seeded(21)),

        // double well with heavy-ball momentum from a point start
        ["double-well-momentum-1d"] = () => new(
            ProblemBuilder.DoubleWell(
                noiseStd: 0.3,
                learningRate: 0.05,
                x0: -1.5,
                momentum: 0.8),
            Seeded(22)),

        // 3-D ring valley (3 normals per step: one Philox counter, three of its four normals), Gaussian start
        // with a lower-triangular factor
        ["ring-valley-3d"] = () => new(
            ProblemBuilder.RingValley(
                dimension: 3,
                curvature: 1.5,
                noiseStd: 0.3,
                learningRate: 0.05,
                initialMean: [0.5, -0.5, 1.0],
                initialCovariance: new[,] { { 0.2, 0.05, 0.0 }, { 0.05, 0.1, 0.02 }, { 0.0, 0.02, 0.3 } }),
            Seeded(23)),

        // 5-D ring valley with momentum (5 normals per step: a full Philox counter and the first pair of a second)
        ["ring-valley-momentum-5d"] = () => new(
            ProblemBuilder.RingValley(
                dimension: 5,
                curvature: 0.7,
                noiseStd: 0.2,
                learningRate: 0.1,
                initialMean: [1.0, 0.5, 0.0, -0.5, 0.2],
                momentum: 0.6),
            Seeded(24)),

        // noiseless ring valley from a point: no normals, every trajectory the same
        ["noiseless-ring-valley-2d"] = () => new(
            ProblemBuilder.RingValley(
                dimension: 2,
                curvature: 1.0,
                noiseStd: 0.0,
                learningRate: 0.2,
                initialMean: [1.5, 0.5]),
            Seeded(25)),

        // double well with η = 0.5 from N(0, 4): where |x| is beyond about √(2/η + 1) ≈ 2.2 the cubic step overshoots
        // and grows like |x|³ until it overflows to infinity and NaN (about a quarter of the population)
        ["diverging-double-well-1d"] = () => new(
            ProblemBuilder.DoubleWell(
                noiseStd: 0.1,
                learningRate: 0.5,
                x0: 0.0,
                initialVariance: 4.0),
            Seeded(26)),

        // the weak order 2.0 substeps of SME-2 and Langevin on the double well (one noise normal; support points and the
        // Hessian-vector product through the auxiliary vectors)
        ["weak-order2-sme2-double-well-1d"] = () => new(
            ProblemBuilder.Of(new DoubleWellLandscapeSpec(0.5), new Sme2Spec(0.1, 3, SdeScheme.WeakOrder2), [0.3], ProblemBuilder.Diagonal(0.25)),
            Seeded(28)),
        ["weak-order2-langevin-double-well-1d"] = () => new(
            ProblemBuilder.Of(new DoubleWellLandscapeSpec(0.3), new LangevinSpec(0.2, 2, SdeScheme.WeakOrder2), [-1.2]),
            Seeded(29)),

        // least squares without replacement: 7 samples in 3 features, minibatches of 3, so minibatches straddle
        // epochs (positions 6, 7, 8 lie in epochs 0, 1, 1) and each epoch's permutation walks cycles (2⁴ = 16 > 7)
        ["least-squares-permuted-3d"] = () => new(
            ProblemBuilder.Of(
                new LeastSquaresLandscapeSpec(
                    LeastSquaresData.FromArrays(
                        new double[,] { { 1.0, 0.2, -0.3 }, { 0.8, -0.4, 0.1 }, { 1.2, 0.5, 0.6 }, { 0.9, 1.1, -0.2 }, { 1.1, -0.9, 0.4 }, { 0.3, 0.7, 1.0 }, { -0.5, 0.2, 0.9 } },
                        [1.0, -0.5, 0.3, 1.4, -1.2, 0.6, -0.1]),
                    BatchSize: 3,
                    WithoutReplacement: true),
                new SgdSpec(0.3),
                [0.5, -0.5, 0.2],
                ProblemBuilder.Diagonal(0.1, 0.2, 0.3)),
            Seeded(27)),
    });

    /// <summary>
    /// Adds one problem per registered (landscape, update rule) pair, from the registrations' examples, so that every
    /// landscape and update rule in <see cref="ModelRegistry"/> is covered without being listed here: a Gaussian start
    /// N(0.3·1, 0.25 I) (dense enough to exercise the start's factor), the rule's example constants.
    /// </summary>
    private static Dictionary<string, Func<Case>> Registered(Dictionary<string, Func<Case>> problems)
    {
        uint seed = 100;
        foreach (LandscapeRegistration landscape in ModelRegistry.Landscapes)
        {
            foreach (DynamicsRegistration dynamics in ModelRegistry.Dynamics.Where(r => ModelRegistry.Runs(landscape, r)))
            {
                int d = landscape.Example.Dimension;
                uint s = seed++;
                double[,] covariance = new double[d, d];
                for (int i = 0; i < d; i++)
                {
                    covariance[i, i] = 0.25;
                }

                problems[$"registered-{landscape.TypeName}-{dynamics.TypeName}"] = () => new(
                    ProblemBuilder.Of(landscape.Example, dynamics.Example, Enumerable.Repeat(0.3, d).ToArray(), covariance),
                    Seeded(s));
            }
        }

        return problems;
    }

    /// <summary>
    /// The ensemble of every agreement problem: <see cref="Trajectories"/> trajectories, <see cref="Steps"/> steps, a
    /// record every <see cref="RecordEvery"/> steps, the problem's own <paramref name="seed"/>.
    /// </summary>
    private static EnsembleAlgorithm Seeded(uint seed, double divergenceThreshold = EnsembleAlgorithm.DefaultDivergenceThreshold) =>
        new(Trajectories, Steps, seed, new RecordSpec(RecordEvery), divergenceThreshold);

    /// <summary>A problem and the ensemble that runs it.</summary>
    private sealed record Case(Problem Problem, EnsembleAlgorithm Ensemble);
}
