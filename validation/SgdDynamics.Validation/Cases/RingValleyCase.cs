using SgdDynamics.Output;
using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (j) The ring valley <c>L = λ(|x|² − 1)²/4</c> in 2-D (λ = 1, σ = 1, η = 0.1), started at (1, 0). The radius is an
/// autonomous Markov chain (Rice kernel) whose stationary law π is computed on a radial grid without sampling; the
/// angle diffuses along the flat valley with the exact coefficient <c>D_θ = −ln Λ/η</c>, Λ the top eigenvalue of the
/// radial kernel tilted by the von Mises mean resultant (docs/theory-notes.md). Checks: the radial marginal is
/// stationary (E|x|² flat in time, equal to E_π[r²], radial histogram within sampling error of π), and
/// <c>E[x₁](t) ∝ e^{−D_θ t}</c> with the exact D_θ, while the leading-order ησ²/2 is rejected.
/// </summary>
public sealed class RingValleyCase : IValidationCase
{
    private const double Lambda = 1, Sigma = 1, Eta = 0.1;
    private const int Steps = 300, RecordEvery = 10, FitFrom = 100, Batches = 16;
    private const double MaxRadius = 3;
    private const int RadialCells = 600, HistogramBins = 60;

    /// <inheritdoc/>
    public string Name => "ring-valley";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        var (radii, weights, escape) = RingValleyDiffusion.StationaryRadialLaw(Lambda, Sigma, Eta, MaxRadius, RadialCells);
        double meanR2 = radii.Zip(weights, (r, w) => r * r * w).Sum();
        double exact = RingValleyDiffusion.AngularDiffusionExact(Lambda, Sigma, Eta, MaxRadius, RadialCells);
        double firstOrder = RingValleyDiffusion.AngularDiffusionFirstOrder(radii, weights, Lambda, Sigma, Eta);
        double leading = RingValleyDiffusion.LeadingOrder(Sigma, Eta);

        long n = context.Trajectories(1 << 18, 1 << 21);
        Problem problem = ProblemBuilder.RingValley(2, Lambda, Sigma, Eta, [1.0, 0.0]);
        var ensemble = new EnsembleAlgorithm(n, Steps, seed: 17, new RecordSpec(RecordEvery));
        long size = n / Batches / Kernels.Statistics.TileLayout.TileSize * Kernels.Statistics.TileLayout.TileSize;
        var decay = new double[Batches];
        var drift = new double[Batches];
        var finalR2 = new double[Batches];
        var histogram = new long[HistogramBins];
        long samples = 0;
        double[]? times = null, meanX = null;
        for (int b = 0; b < Batches; b++)
        {
            EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, context.Backend, new TrajectoryRange(b * size, size), keepFinalStates: true);
            var fit = result.Records.Where(r => r.Step >= FitFrom).ToArray();
            double[] t = fit.Select(r => r.Time).ToArray();
            var unit = Enumerable.Repeat(1.0, t.Length).ToArray();
            decay[b] = -WeightedLine.Fit(t, fit.Select(r => Math.Log(r.Moments.Mean[0])).ToArray(), unit).Slope;
            drift[b] = WeightedLine.Fit(t, fit.Select(r => SecondMoment(r.Moments)).ToArray(), unit).Slope;
            finalR2[b] = SecondMoment(result.Final.Moments);
            if (b == 0)
            {
                times = result.Records.Select(r => r.Time).ToArray();
                meanX = result.Records.Select(r => r.Moments.Mean[0]).ToArray();
            }

            for (long i = result.Range.First; i < result.Range.End; i++)
            {
                ReadOnlySpan<float> x = result.FinalState(i);
                double r = Math.Sqrt((double)x[0] * x[0] + (double)x[1] * x[1]);
                samples++;
                int bin = (int)(r / MaxRadius * HistogramBins);
                if (bin < HistogramBins)
                {
                    histogram[bin]++;
                }
            }
        }

        Estimate d = Experiments.MeanOfBatches(decay), slopeR2 = Experiments.MeanOfBatches(drift), r2 = Experiments.MeanOfBatches(finalR2);
        string basis = $"batch means over {Batches} shards of {size:N0} trajectories, SE = sd/√{Batches} (|z| ≤ 5: Student-t(15) false-alarm rate ≈ 2e-4)";
        string fitWindow = $"least-squares slope over records at steps {FitFrom}…{Steps} (t = {FitFrom * Eta}…{Steps * Eta}; the radial transient decays as 0.8^k)";

        // Radial histogram against π coarse-grained to the same bins, within multinomial sampling noise.
        var binned = new double[HistogramBins];
        for (int c = 0; c < RadialCells; c++)
        {
            binned[Math.Min(HistogramBins - 1, (int)(radii[c] / MaxRadius * HistogramBins))] += weights[c];
        }

        double tv = 0.5 * binned.Select((p, k) => Math.Abs(histogram[k] / (double)samples - p)).Sum() + 0.5 * (samples - histogram.Sum()) / (double)samples;
        var (tvBound, expectedNoise) = GridConvergence.HistogramNoiseBound(binned, samples);

        var checks = new List<Check>
        {
            new("slope of E|x|² in t (radial marginal stationary)", 0, slopeR2.Value, slopeR2.StandardError, Expectation.Agree, Check.DefaultZ, $"{basis}; {fitWindow}"),
            new("E|x|² at the last step vs E_π[r²] of the exact radial chain", meanR2, r2.Value, r2.StandardError, Expectation.Agree, Check.DefaultZ, basis),
            new("TV(final radial histogram, π) within sampling noise", tvBound, tv, 0, Expectation.AtMost, 0,
                $"bound: expected multinomial TV {expectedNoise:G3} + 5/√(2n) (Efron–Stein), n = {samples:N0}, {HistogramBins} bins on (0, {MaxRadius}]; π's escape beyond {MaxRadius}: {escape:G2} per step"),
            new("D_θ from E[x₁](t) ∝ e^{−D_θ t} vs exact −ln Λ/η", exact, d.Value, d.StandardError, Expectation.Agree, Check.DefaultZ, $"{basis}; {fitWindow}"),
            new("D_θ vs leading order ησ²/2", leading, d.Value, d.StandardError, Expectation.Reject, Check.DefaultZ, $"{basis}; the leading order ignores the radial spread (E_π[1/ρ²] ≠ 1)"),
        };

        string plot = $"{Name}.png";
        ReportPlots.Save(
            Path.Combine(context.OutputDirectory, plot),
            $"ring valley λ = {Lambda}, σ = {Sigma}, η = {Eta}: mean resultant E[x₁](t) (one shard of {size:N0})",
            "t = kη",
            "mean resultant E[x₁]",
            [new ReportPlots.Points("ensemble", times!, meanX!, new double[times!.Length], ReportPlots.Colour(2))],
            [
                new ReportPlots.Curve($"exact D_θ = {exact:G4}", times!, times!.Select(t => meanX![times!.Length - 1] * Math.Exp(exact * (times![^1] - t))).ToArray()),
                new ReportPlots.Curve($"ησ²/2 = {leading:G4}", times!, times!.Select(t => meanX![times!.Length - 1] * Math.Exp(leading * (times![^1] - t))).ToArray()),
            ],
            yScale: ReportPlots.Scale.Log);

        return new CaseReport(
            Name,
            $"Along the flat valley the angle diffuses with D_θ = {d.Value:G4} ± {d.StandardError:G2}: the exact tilted-kernel value {exact:G4} holds, the first-order {firstOrder:G4} is {100 * (firstOrder / exact - 1):F1}% high and ησ²/2 = {leading:G3} is rejected; the radial marginal is stationary at E|x|² = {r2.Value:G5} (exact chain {meanR2:G5}).",
            checks,
            [plot],
            clock.Elapsed.TotalSeconds);
    }

    private static double SecondMoment(Statistics.Moments m) =>
        m.Covariance[0, 0] + m.Covariance[1, 1] + m.Mean[0] * m.Mean[0] + m.Mean[1] * m.Mean[1];
}
