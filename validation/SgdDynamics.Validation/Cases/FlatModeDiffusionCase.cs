using SgdDynamics.Output;
using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (b) Diffusion along a flat direction that is not a coordinate axis: H = λ u uᵀ with u at 35°, so the null
/// vector v = (−sin 35°, cos 35°); Σ is a full 2 × 2 matrix. Along v the dynamics is a pure random walk:
/// vᵀC_k v = k η² vᵀΣv exactly, i.e. linear in t = kη with diffusion coefficient <c>D = η vᵀΣv / 2</c>, so D ∝ η.
/// Checked at four points in time for each of four learning rates, and through the log-log exponent of D(η).
/// </summary>
public sealed class FlatModeDiffusionCase : IValidationCase
{
    private static readonly double[] LearningRates = [0.05, 0.1, 0.2, 0.4];
    private const int Steps = 400;
    private const double AngleDegrees = 35;

    /// <inheritdoc/>
    public string Name => "flat-mode-diffusion";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        long n = context.Trajectories(1 << 17, 1 << 20);
        double angle = AngleDegrees * Math.PI / 180;
        var u = Vector<double>.Build.DenseOfArray([Math.Cos(angle), Math.Sin(angle)]);
        var v = Vector<double>.Build.DenseOfArray([-Math.Sin(angle), Math.Cos(angle)]);
        Matrix<double> h = u.OuterProduct(u);
        var sigma = new double[,] { { 1.0, 0.3 }, { 0.3, 0.5 } };
        double s2 = v * Matrix<double>.Build.DenseOfArray(sigma) * v;

        // Projections of a Gaussian law: SE(vᵀĈv) = √(2/(n − 1)) vᵀĈv (exact for the sample variance of normal data).
        const string basis = "SE √(2/(n − 1))·vᵀĈv of the sample variance of the (Gaussian) projection";
        var checks = new List<Check>();
        var estimates = new List<Estimate>();
        var series = new List<ReportPlots.Points>();
        var curves = new List<ReportPlots.Curve>();
        var residuals = new List<ReportPlots.Points>();
        for (int e = 0; e < LearningRates.Length; e++)
        {
            double eta = LearningRates[e];
            Problem problem = ProblemBuilder.Quadratic(h.ToArray(), sigma, eta, [0.0, 0.0]);
            var ensemble = new EnsembleAlgorithm(n, Steps, seed: (uint)(200 + e), new RecordSpec(Steps / 4));
            EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, context.Backend);
            var times = new List<double>();
            var variances = new List<double>();
            var errors = new List<double>();
            foreach (EnsembleRecord record in result.Records.Skip(1))
            {
                Matrix<double> c = Matrix<double>.Build.DenseOfArray(record.Moments.Covariance);
                double along = v * c * v;
                double se = along * Math.Sqrt(2.0 / (record.Moments.Count - 1));
                times.Add(record.Time);
                variances.Add(along);
                errors.Add(se);
                checks.Add(new($"η = {eta}: Var(vᵀx) at t = {record.Time:G4} vs 2 D t = k η² vᵀΣv", record.Step * eta * eta * s2, along, se, Expectation.Agree, Check.DefaultZ, basis));
            }

            double t = times[^1];
            var d = new Estimate(variances[^1] / (2 * t), errors[^1] / (2 * t));
            estimates.Add(d);
            double predicted = FlatModeDiffusion.FromProblem(problem, v).Diffusion;
            checks.Add(new($"η = {eta}: diffusion coefficient D vs η vᵀΣv / 2", predicted, d.Value, d.StandardError, Expectation.Agree, Check.DefaultZ, basis));
            ScottPlot.Color colour = ReportPlots.Colour(e);
            series.Add(new ReportPlots.Points($"η = {eta} ± SE", times.ToArray(), variances.ToArray(), errors.ToArray(), colour));
            curves.Add(new ReportPlots.Curve($"2Dt, D = ηv'Σv/2 = {eta * s2 / 2:G3}", [times[0], t], [eta * s2 * times[0], eta * s2 * t], colour));
            residuals.Add(ReportPlots.Residuals($"η = {eta}", times.ToArray(), variances.ToArray(), errors.ToArray(), times.Select(time => eta * s2 * time).ToArray(), colour));
        }

        var fit = WeightedLine.Fit(LearningRates.Select(x => Math.Log(x)).ToArray(), estimates.Select(x => Math.Log(x.Value)).ToArray(), estimates.Select(x => x.StandardError / x.Value).ToArray());
        checks.Add(new("log-log exponent of D(η) vs 1 (D ∝ η)", 1, fit.Slope, fit.SlopeError, Expectation.Agree, Check.DefaultZ,
            "weighted least squares on log D with SE(log D) = SE(D)/D"));

        string plot = $"{Name}.png";
        ReportPlots.SaveWithResiduals(
            Path.Combine(context.OutputDirectory, plot),
            $"flat direction at {AngleDegrees}° to the axes: variance vs t = kη, N = {n:N0}",
            "t = kη",
            "Var(v'x) along the flat direction",
            series,
            curves,
            "measured / 2Dt − 1",
            residuals,
            [],
            ReportPlots.Scale.Log,
            ReportPlots.Scale.Log);
        return new CaseReport(
            Name,
            $"Along a flat direction SGD diffuses: the variance grows linearly in t with D = η vᵀΣv/2 (fitted exponent of D(η): {fit.Slope:F3} ± {fit.SlopeError:F3}), even when the flat direction is not a coordinate axis.",
            checks,
            [plot],
            clock.Elapsed.TotalSeconds);
    }
}
