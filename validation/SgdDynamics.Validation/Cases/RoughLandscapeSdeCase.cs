using SgdDynamics.Output;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// The rough-landscape experiment against the SDEs: the fluctuating landscape of <see cref="FluctuatingLandscapeCase"/>
/// (m = 4x³ − 0.6x + 0.15, e = 0.1x² + 1, A_k = 0.5/k², k = 1 … 20, P = 2), η = 0.1, 50 steps, x₀ ~ N(0, 0.18²): SGD against
/// the Langevin SDE (SME-1) and SME-2 (the drift-corrected Langevin equation) in mean and variance every 5 steps, each SDE
/// by Euler–Maruyama with 16 and 32 substeps per step (the 32-substep run is compared; the difference is reported as its
/// discretisation error). Every model runs on the same trajectories and seed, so the initial states are common; the SE of
/// a gap is nevertheless taken as √(SE_SGD² + SE_SDE²), as for independent ensembles (conservative when the two are
/// positively correlated). Which SDE is closer is reported, not asserted: the weak-order theory ranks them as η → 0, not at
/// a given η. The checks are on the SDE discretisation at step 50: |D| at most half the gap to SGD (or half its 5-SE
/// resolution where the gap is not resolved).
/// </summary>
public sealed class RoughLandscapeSdeCase : IValidationCase
{
    private const double Eta = 0.1;
    private const int Steps = 50, Every = 5, Substeps = 16;

    /// <inheritdoc/>
    public string Name => "rough-landscape-sde";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        long n = context.Trajectories(1 << 18, 1 << 22);
        Problem Build(DynamicsSpec dynamics) => ProblemBuilder.Of(FluctuatingLandscapeCase.RoughLandscape, dynamics, [0.0], new[,] { { 0.18 * 0.18 } });
        var ensemble = new EnsembleAlgorithm(n, Steps, seed: 2024, new RecordSpec(Every));
        IReadOnlyList<EnsembleRecord> Solve(DynamicsSpec dynamics) => EnsembleSolver.Solve(Build(dynamics), ensemble, context.Backend).Records;
        var sgd = Solve(new SgdSpec(Eta));
        var models = new (string Label, IReadOnlyList<EnsembleRecord> Fine, IReadOnlyList<EnsembleRecord> Coarse)[]
        {
            ("Langevin", Solve(new LangevinSpec(Eta, 2 * Substeps)), Solve(new LangevinSpec(Eta, Substeps))),
            ("SME-2", Solve(new Sme2Spec(Eta, 2 * Substeps)), Solve(new Sme2Spec(Eta, Substeps))),
        };

        static Estimate MeanGap(Moments a, Moments b) => new(a.Mean[0] - b.Mean[0], Math.Sqrt(Square(a.MeanStandardError[0]) + Square(b.MeanStandardError[0])));
        static Estimate VarianceGap(Moments a, Moments b) => new(a.Covariance[0, 0] - b.Covariance[0, 0], Math.Sqrt(Square(a.VarianceStandardError[0]) + Square(b.VarianceStandardError[0])));

        double[] time = sgd.Select(r => r.Time).ToArray();
        var plots = new List<string>();
        foreach (var (observable, gapOf) in new (string, Func<Moments, Moments, Estimate>)[] { ("mean", MeanGap), ("variance", VarianceGap) })
        {
            string plot = $"{Name}-{observable}.png";
            ReportPlots.Save(
                Path.Combine(context.OutputDirectory, plot),
                $"rough landscape, η = {Eta}: SGD − SDE in the {observable} over time, N = {n:N0} (± SE)",
                "t = kη",
                $"{observable} gap SGD − SDE",
                models.Select((model, k) => new ReportPlots.Points(
                    $"SGD − {model.Label} ({2 * Substeps} substeps)",
                    time.Select(t => t + ((k - 0.5) * 0.04)).ToArray(),
                    sgd.Select((r, i) => gapOf(r.Moments, model.Fine[i].Moments).Value).ToArray(),
                    sgd.Select((r, i) => gapOf(r.Moments, model.Fine[i].Moments).StandardError).ToArray())),
                [new ReportPlots.Curve("0", [0, time[^1]], [0, 0])]);
            plots.Add(plot);
        }

        var checks = new List<Check>();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"The rough-landscape experiment (η = {Eta}, {Steps} steps, x₀ ~ N(0, 0.18²), N = {n:N0}) against the SDEs, each run with {2 * Substeps} Euler–Maruyama substeps per step; D is the {Substeps}-substep run minus the {2 * Substeps}-substep run. Gaps at step {Steps} (SGD mean {sgd[^1].Moments.Mean[0]:F5}, variance {sgd[^1].Moments.Covariance[0, 0]:F5}):\n\n");
        text.AppendLine("| quantity | SDE | SGD − SDE ± SE | z | D ± SE |");
        text.AppendLine("|---|---|---|---|---|");
        var closer = new List<string>();
        foreach (var (observable, gapOf) in new (string, Func<Moments, Moments, Estimate>)[] { ("mean", MeanGap), ("variance", VarianceGap) })
        {
            var finals = new List<(string Label, Estimate Gap)>();
            foreach (var model in models)
            {
                Estimate gap = gapOf(sgd[^1].Moments, model.Fine[^1].Moments);
                Estimate d = gapOf(model.Coarse[^1].Moments, model.Fine[^1].Moments);
                finals.Add((model.Label, gap));
                text.AppendLine(CultureInfo.InvariantCulture, $"| {observable} at step {Steps} | {model.Label} | {gap.Value:G3} ± {gap.StandardError:G2} | {gap.Value / gap.StandardError:+0.0;-0.0} | {d.Value:G2} ± {d.StandardError:G2} |");
                checks.Add(new Check(
                    $"rough landscape, {observable} at step {Steps}: |D| of {model.Label} ({Substeps} vs {2 * Substeps} substeps) ≤ max(|SGD − {model.Label}|, 5 SE)/2",
                    Math.Max(Math.Abs(gap.Value), Check.DefaultZ * gap.StandardError) / 2, Math.Abs(d.Value), d.StandardError, Expectation.AtMost, 0,
                    "D = SDE(16 substeps) − SDE(32 substeps), the Euler–Maruyama bias of the 32-substep run to first order; bound: half the gap to SGD, or half its 5-SE resolution where the gap is not resolved"));
            }

            var (a, b) = (finals[0], finals[1]);
            double difference = Math.Abs(a.Gap.Value) - Math.Abs(b.Gap.Value);
            double se = Math.Sqrt(Square(a.Gap.StandardError) + Square(b.Gap.StandardError));
            closer.Add(Math.Abs(difference) < 2 * se
                ? $"in the {observable} the two are not distinguished (|gap| {Math.Abs(a.Gap.Value):G2} vs {Math.Abs(b.Gap.Value):G2}, SE ≈ {se:G2})"
                : $"in the {observable} {(difference > 0 ? b.Label : a.Label)} is closer (|gap| {Math.Abs(a.Gap.Value):G2} for {a.Label} vs {Math.Abs(b.Gap.Value):G2} for {b.Label}, SE ≈ {se:G2})");
        }

        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"At step {Steps}: {string.Join("; ", closer)}. Measured, not asserted: the weak-order theory ranks the SDEs as η → 0, not at η = {Eta}.");

        return new CaseReport(Name, text.ToString(), checks, plots, clock.Elapsed.TotalSeconds);
    }

    private static double Square(double x) => x * x;
}
