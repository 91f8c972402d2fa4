using SgdDynamics.Output;
using System.Diagnostics;
using MathNet.Numerics;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Random;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (c) Full covariance in d = 10: H with eigenvalues evenly spread over 0.3..3 in a random orthonormal basis,
/// Σ = 0.25 I, η = 0.15, 1000 steps from x₀ = 0. The relative Frobenius error of the ensemble covariance against
/// the exact discrete recursion sits at the Monte-Carlo floor √(((tr C)² + ‖C‖²_F)/(n − 1)) / ‖C‖_F (the expected
/// error of a Gaussian sample covariance); against the Langevin covariance at t = kη,
/// <c>C_L(t) = Q [η Σ̃_ij (1 − e^{−(λ_i+λ_j) t}) / (λ_i + λ_j)] Qᵀ</c>, it is more than ten times larger.
/// </summary>
public sealed class FullCovarianceCase : IValidationCase
{
    private const int Dimension = 10;
    private const double Eta = 0.15, NoiseVariance = 0.25;
    private const int Steps = 1000;

    /// <summary>Largest accepted ratio of the discrete error to the floor: the squared error sums 55 entries, so
    /// its relative fluctuation is about 1/√(2·dof) with dof ≳ 20, and 1.7 is beyond 5 of those fluctuations.</summary>
    public const double FloorTolerance = 1.7;

    /// <inheritdoc/>
    public string Name => "full-covariance-10d";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        long n = context.Trajectories(1 << 19, 1 << 21);
        var eigenvalues = Vector<double>.Build.Dense(Dimension, i => 0.3 + i * (3.0 - 0.3) / (Dimension - 1));
        Matrix<double> q = Matrix<double>.Build.Random(Dimension, Dimension, new Normal(0, 1, new MersenneTwister(42))).QR().Q;
        Matrix<double> h = q * Matrix<double>.Build.DiagonalOfDiagonalVector(eigenvalues) * q.Transpose();
        h = (h + h.Transpose()) / 2;
        Matrix<double> sigma = Matrix<double>.Build.DenseIdentity(Dimension) * NoiseVariance;
        Problem problem = ProblemBuilder.Quadratic(h.ToArray(), sigma.ToArray(), Eta, new double[Dimension]);
        var ensemble = new EnsembleAlgorithm(n, Steps, seed: 10, new RecordSpec(5));

        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, context.Backend);
        var moments = result.Final.Moments;
        Matrix<double> measured = Matrix<double>.Build.DenseOfArray(moments.Covariance);
        IReadOnlyList<MomentRecord> exact = QuadraticMomentTheory.Recursion(problem, ensemble.RecordSteps);
        Matrix<double> discrete = exact[^1].Covariance;
        Matrix<double> langevin = LangevinCovariance(q, eigenvalues, sigma, Eta, Steps * Eta);

        double norm = discrete.FrobeniusNorm();
        double floor = Math.Sqrt((Math.Pow(discrete.Trace(), 2) + norm * norm) / (moments.Count - 1)) / norm;
        double discreteError = (measured - discrete).FrobeniusNorm() / norm;
        double langevinError = (measured - langevin).FrobeniusNorm() / norm;
        string basis = $"Monte-Carlo floor {floor:G3} = √(((tr C)² + ‖C‖²_F)/(n − 1))/‖C‖_F for a Gaussian sample covariance (the law is Gaussian here)";
        var checks = new List<Check>
        {
            new($"‖Ĉ − C_discrete‖_F/‖C‖_F (bound: {FloorTolerance} × floor)", FloorTolerance * floor, discreteError, floor, Expectation.AtMost, 0, basis),
            new("‖Ĉ − C_Langevin‖_F/‖C‖_F (bound: at least 10 × floor)", 10 * floor, langevinError, floor, Expectation.AtLeast, 0, basis),
        };

        // per-mode variances vᵀCv against the eigenvalue; SE √(2/(n−1)) vᵀCv for Gaussian projections
        double[] modeMeasured = Enumerable.Range(0, Dimension).Select(i => q.Column(i) * measured * q.Column(i)).ToArray();
        double[] modeDiscrete = Enumerable.Range(0, Dimension).Select(i => q.Column(i) * discrete * q.Column(i)).ToArray();
        double[] modeLangevin = Enumerable.Range(0, Dimension).Select(i => q.Column(i) * langevin * q.Column(i)).ToArray();
        string plot = $"{Name}.png";
        double[] lambdas = eigenvalues.ToArray();
        double[] modeErrors = modeMeasured.Select(v => v * Math.Sqrt(2.0 / (moments.Count - 1))).ToArray();
        ReportPlots.SaveWithResiduals(
            Path.Combine(context.OutputDirectory, plot),
            $"d = 10, η = {Eta}, {Steps} steps: variance along each Hessian eigenvector, N = {n:N0}",
            "eigenvalue λ",
            "variance along eigenvector v (v' C v)",
            [new ReportPlots.Points("ensemble ± SE", lambdas, modeMeasured, modeErrors, ReportPlots.Colour(2))],
            [new ReportPlots.Curve("discrete recursion", lambdas, modeDiscrete, ReportPlots.Colour(0)), new ReportPlots.Curve("Langevin", lambdas, modeLangevin, ReportPlots.Colour(1))],
            "measured / discrete − 1",
            [ReportPlots.Residuals("ensemble / discrete − 1 ± SE/discrete", lambdas, modeMeasured, modeErrors, modeDiscrete, ReportPlots.Colour(2))],
            [new ReportPlots.Curve("Langevin / discrete − 1", lambdas, modeLangevin.Select((l, i) => l / modeDiscrete[i] - 1).ToArray(), ReportPlots.Colour(1))],
            yScale: ReportPlots.Scale.Log);

        // variance along eigenvectors during the relaxation (first 100 steps): every third mode, ensemble and exact recursion
        string timePlot = $"{Name}-modes.png";
        int[] shown = [0, 3, 6, 9];
        var early = result.Records.Where(r => r.Step <= 100).ToArray();
        double[] times = early.Select(r => r.Time).ToArray();
        ReportPlots.Save(
            Path.Combine(context.OutputDirectory, timePlot),
            $"d = 10, η = {Eta}: variance per eigenmode (points: ensemble, lines: exact)",
            "t = kη",
            "variance along eigenvector v (v' C v)",
            shown.Select((i, k) => new ReportPlots.Points(
                $"λ = {eigenvalues[i]:F1} ± SE",
                times,
                early.Select(r => q.Column(i) * Matrix<double>.Build.DenseOfArray(r.Moments.Covariance) * q.Column(i)).ToArray(),
                early.Select(r => q.Column(i) * Matrix<double>.Build.DenseOfArray(r.Moments.Covariance) * q.Column(i) * Math.Sqrt(2.0 / (r.Moments.Count - 1))).ToArray(),
                ReportPlots.Colour(k))),
            shown.Select((i, k) => new ReportPlots.Curve("", times, exact.Take(early.Length).Select(r => q.Column(i) * r.Covariance * q.Column(i)).ToArray(), ReportPlots.Colour(k))));

        return new CaseReport(
            Name,
            $"The whole 10 × 10 covariance follows the discrete recursion to the sampling floor (error {discreteError:G3} vs floor {floor:G3}); the Langevin covariance misses by {langevinError / floor:F0} × the floor.",
            checks,
            [plot, timePlot],
            clock.Elapsed.TotalSeconds);
    }

    /// <summary>Covariance of the Langevin SDE dX = −HX dt + √η Σ^{1/2} dW at time t from X₀ = 0, in the eigenbasis Q of H.</summary>
    public static Matrix<double> LangevinCovariance(Matrix<double> q, Vector<double> eigenvalues, Matrix<double> sigma, double eta, double time)
    {
        Matrix<double> rotated = q.Transpose() * sigma * q;
        int d = eigenvalues.Count;
        var modes = Matrix<double>.Build.Dense(d, d, (i, j) =>
        {
            double rate = eigenvalues[i] + eigenvalues[j];
            return eta * rotated[i, j] * (rate == 0 ? time : -SpecialFunctions.Expm1(-rate * time) / rate);
        });
        return q * modes * q.Transpose();
    }
}
