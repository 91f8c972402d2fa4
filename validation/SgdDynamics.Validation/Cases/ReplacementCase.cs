using SgdDynamics.Output;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (m) Finite-sum least squares, minibatches with and without replacement. Data: n = 64 samples in d = 2,
/// a_i ~ N(0, I), y_i = wᵀa_i + 0.5 ε_i, w = (1, −0.5) (generated, seed 7); x₀ = 0; B ∈ {1, 4, 16}, η ∈ {0.1, 0.3}.
/// <para>
/// With replacement the exact moment recursion (<see cref="LeastSquaresMomentTheory"/>) holds at every step: the ensemble's
/// mean and variance of each coordinate are compared with it at every record (every step), and the largest |z| over all
/// of them must stay below the Bonferroni bound of a family-wise false-alarm rate of 10⁻³; the total variance tr C,
/// averaged over the last 64 steps, must agree with the exact stationary law.
/// </para>
/// <para>
/// Without replacement (a fresh permutation every epoch of n/B steps) there is no closed recursion. The case measures the
/// stationary total variance, averaged over the last 64 steps (whole epochs, so every position in the epoch counts
/// equally), and its ratio to the exact with-replacement value. The naive prediction rescales the one-step noise by the
/// finite-population factor (n − B)/(n − 1); it ignores that the minibatch noises of one epoch sum to zero at fixed x
/// (each sample is used once), which makes the noise anti-correlated within an epoch: when ηλ·n/B is small the iterate
/// nearly returns at the end of each epoch and the variance falls far below the naive value; when ηλ·n/B is large the
/// correlations are forgotten within an epoch and the ratio approaches (n − B)/(n − 1). The checks: sampling without
/// replacement gives the smaller variance, by more than 5 SE, and the naive ratio is rejected (|z| &gt; 5) in every
/// configuration here (the closest, B = 1 at η = 0.3 with ηλ̄·n/B = 18, is off by about 2 %).
/// </para>
/// SE: batch means over 8 independent shards of the ensemble for the time-averaged variances; the ensemble's own
/// standard errors (√(C_ii/N), √((m₄ − m₂²)/N), pooled over the shards) for the per-record z-scores.
/// </summary>
public sealed class ReplacementCase : IValidationCase
{
    private const int Samples = 64, Window = 64, Shards = 8;
    private const double FamilyAlpha = 1e-3;
    private static readonly int[] BatchSizes = [1, 4, 16];
    private static readonly double[] LearningRates = [0.1, 0.3];

    /// <inheritdoc/>
    public string Name => "replacement";

    /// <summary>The data set of the case.</summary>
    public static LeastSquaresData Data() => LeastSquaresData.Generate(new LeastSquaresGenerated(
        Samples, Matrix<double>.Build.DenseIdentity(2), Vector<double>.Build.DenseOfArray([1.0, -0.5]), 0.5, 7));

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        LeastSquaresData data = Data();
        long n = context.Trajectories(1 << 14, 1 << 19);
        long shardSize = n / Shards;
        var configurations = (from b in BatchSizes from eta in LearningRates select (Batch: b, Eta: eta)).ToArray();

        var rows = new List<Row>();
        foreach (var (batch, eta) in configurations)
        {
            var with = new LeastSquaresLandscapeSpec(data, batch, false);
            Problem withProblem = ProblemBuilder.Of(with, new SgdSpec(eta), [0.0, 0.0]);
            Problem withoutProblem = ProblemBuilder.Of(with with { WithoutReplacement = true }, new SgdSpec(eta), [0.0, 0.0]);
            StationaryMoments stationary = LeastSquaresTheoryAdapter.Stationary(withProblem);
            if (!stationary.Discrete.Stable)
            {
                throw new InvalidOperationException($"B = {batch}, η = {eta}: no stationary law ({stationary.Discrete.Reason})");
            }

            // relax until ρ(T)^k < 1e-6, in whole windows, then one window to average over
            int relax = (int)Math.Ceiling(Math.Log(1e-6) / Math.Log(stationary.SpectralRadius));
            int steps = (((relax + Window - 1) / Window) + 1) * Window;
            var ensemble = new EnsembleAlgorithm(n, steps, seed: (uint)(500 + rows.Count), new RecordSpec(1));
            var withShards = RunShards(withProblem, ensemble, context.Backend, shardSize);
            var withoutShards = RunShards(withoutProblem, ensemble with { Seed = ensemble.Seed + 100 }, context.Backend, shardSize);
            IReadOnlyList<MomentRecord> exact = LeastSquaresTheoryAdapter.Recursion(withProblem, ensemble.RecordSteps);
            rows.Add(new Row(batch, eta, steps, stationary.SpectralRadius, stationary.Discrete.Covariance!.Trace(), exact, withShards, withoutShards, data.Hessian));
        }

        // Bonferroni: every mean and variance z-score at every record of every configuration
        int scores = rows.Sum(r => r.ScoreCount);
        double bound = Normal.InvCDF(0, 1, 1 - (FamilyAlpha / (2 * scores)));
        var checks = new List<Check>();
        foreach (Row row in rows)
        {
            checks.Add(new Check(
                $"with replacement, B = {row.Batch}, η = {row.Eta}: max |z| of mean and variance (2 coordinates) vs the exact recursion over all {row.Records} records",
                bound, row.MaxZ, 0, Expectation.AtMost, 0,
                $"Bonferroni bound Φ⁻¹(1 − α/(2m)) = {bound:F2} for a family-wise false-alarm rate α = {FamilyAlpha:G} over all m = {scores} z-scores of the case; SE of each: √(C_ii/N) and √((m₄ − m₂²)/N) pooled over the {Shards} shards, N = {n:N0}"));
        }

        const string batchBasis = "SE: batch means over 8 independent shards of the time average of tr C over the last 64 steps (whole epochs); the exact recursion's value at the window differs from the stationary one by less than 1e-6 relative";
        foreach (Row row in rows)
        {
            checks.Add(new Check(
                $"with replacement, B = {row.Batch}, η = {row.Eta}: stationary tr C vs the exact stationary law",
                row.ExactStationary, row.With.Value, row.With.StandardError, Expectation.Agree, Check.DefaultZ, batchBasis));
        }

        foreach (Row row in rows)
        {
            checks.Add(new Check(
                $"without replacement, B = {row.Batch}, η = {row.Eta}: tr C ratio to with replacement below 1 by more than 5 SE (naive (n − B)/(n − 1) = {row.Naive:F3})",
                1 - (Check.DefaultZ * row.Ratio.StandardError), row.Ratio.Value, row.Ratio.StandardError, Expectation.AtMost, 0,
                "one-sided test: the prediction column is 1 − 5 SE, so passing means (ratio − 1)/SE ≤ −5; ratio = time-averaged tr C without replacement (batch means over 8 shards) / exact stationary tr C with replacement"));
        }

        foreach (Row row in rows)
        {
            checks.Add(new Check(
                $"without replacement, B = {row.Batch}, η = {row.Eta} (ηλ̄·n/B = {row.EpochContraction:F2}): the naive ratio (n − B)/(n − 1) rejected",
                row.Naive, row.Ratio.Value, row.Ratio.StandardError, Expectation.Reject, Check.DefaultZ,
                "SE: batch means over 8 shards (as above); the naive prediction rescales the one-step noise only and ignores the correlations of the minibatches within an epoch"));
        }

        var plots = new List<string> { RatioPlot(context, rows, n), TracePlot(context, rows.First(r => r.Batch == 4 && r.Eta == LearningRates[0])) };
        return new CaseReport(Name, Summary(rows, n, bound), checks, plots, clock.Elapsed.TotalSeconds);
    }

    private static IReadOnlyList<EnsembleResult> RunShards(Problem problem, EnsembleAlgorithm ensemble, IEnsembleBackend backend, long shardSize)
    {
        var shards = new EnsembleResult[Shards];
        for (int s = 0; s < Shards; s++)
        {
            shards[s] = EnsembleSolver.Solve(problem, ensemble, backend, new TrajectoryRange(s * shardSize, shardSize));
            if (shards[s].Records.Any(r => r.Moments.Diverged > 0))
            {
                throw new InvalidOperationException($"trajectories diverged in {problem.Landscape.TypeName} at η = {problem.Dynamics.LearningRate}");
            }
        }

        return shards;
    }

    private static string Summary(IReadOnlyList<Row> rows, long n, double bound)
    {
        var text = new StringBuilder();
        Row smallest = rows.MinBy(r => r.Ratio.Value)!, largest = rows.MaxBy(r => r.Ratio.Value)!;
        text.Append(CultureInfo.InvariantCulture,
            $"With replacement the ensemble follows the exact moment recursion at every step (largest |z| {rows.Max(r => r.MaxZ):F2} against a Bonferroni bound of {bound:F2}) and the exact stationary law. ");
        text.Append(CultureInfo.InvariantCulture,
            $"Without replacement the stationary variance is smaller in every configuration, but not by the finite-population factor (n − B)/(n − 1): the ratio ranges from {smallest.Ratio.Value:F3} (B = {smallest.Batch}, η = {smallest.Eta}, ηλ̄·n/B = {smallest.EpochContraction:F2}) ");
        text.Append(CultureInfo.InvariantCulture,
            $"to {largest.Ratio.Value:F3} (B = {largest.Batch}, η = {largest.Eta}, ηλ̄·n/B = {largest.EpochContraction:F2}); the minibatch noises of an epoch sum to zero at fixed x, and the fewer contractions an epoch holds (ηλ̄·n/B, λ̄ = tr H/d), the more of the variance cancels. ");
        text.Append(CultureInfo.InvariantCulture, $"N = {n:N0} trajectories per run, n = {Samples}, d = 2; V = tr C averaged over the last {Window} steps; z(naive) = (ratio − (n − B)/(n − 1))/SE; end of epoch: tr C at the steps that close an epoch.");
        text.AppendLine();
        text.AppendLine();
        text.AppendLine("| B | η | steps | ρ(T) | ηλ̄·n/B | V with, exact | V with, ensemble ± SE | V without ± SE | ratio ± SE | (n − B)/(n − 1) | z (naive) | end-of-epoch ratio ± SE |");
        text.Append("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (Row r in rows)
        {
            text.AppendLine();
            text.Append(CultureInfo.InvariantCulture,
                $"| {r.Batch} | {r.Eta} | {r.Steps} | {r.SpectralRadius:F4} | {r.EpochContraction:F2} | {r.ExactStationary:G5} | {r.With.Value:G5} ± {r.With.StandardError:G2} | {r.Without.Value:G5} ± {r.Without.StandardError:G2} | ");
            text.Append(CultureInfo.InvariantCulture,
                $"{r.Ratio.Value:F4} ± {r.Ratio.StandardError:G2} | {r.Naive:F4} | {(r.Ratio.Value - r.Naive) / r.Ratio.StandardError:F1} | {r.EndOfEpochRatio.Value:F4} ± {r.EndOfEpochRatio.StandardError:G2} |");
        }

        return text.ToString();
    }

    private static string RatioPlot(ValidationContext context, IReadOnlyList<Row> rows, long n)
    {
        string plot = "replacement.png";
        double[] batches = BatchSizes.Select(b => (double)b).ToArray();
        ReportPlots.Save(
            Path.Combine(context.OutputDirectory, plot),
            $"least squares, n = {Samples}, d = 2: stationary tr C without / with replacement, N = {n:N0}",
            "batch size B",
            "variance ratio without / with replacement",
            LearningRates.Select(eta => new ReportPlots.Points(
                $"η = {eta} ± SE",
                batches,
                rows.Where(r => r.Eta == eta).Select(r => r.Ratio.Value).ToArray(),
                rows.Where(r => r.Eta == eta).Select(r => r.Ratio.StandardError).ToArray())),
            [
                new ReportPlots.Curve("naive (n − B)/(n − 1)", batches, BatchSizes.Select(b => (Samples - b) / (double)(Samples - 1)).ToArray()),
                new ReportPlots.Curve("1 (with replacement)", batches, BatchSizes.Select(_ => 1.0).ToArray()),
            ],
            xScale: ReportPlots.Scale.Log);
        return plot;
    }

    private static string TracePlot(ValidationContext context, Row row)
    {
        string plot = "replacement-epochs.png";
        int first = row.Steps - Window;
        int[] steps = Enumerable.Range(first, Window + 1).ToArray();
        double[] x = steps.Select(s => (double)s).ToArray();
        ReportPlots.Save(
            Path.Combine(context.OutputDirectory, plot),
            $"B = {row.Batch}, η = {row.Eta}: tr C over the last {Window} steps (epochs of {Samples / row.Batch} steps)",
            "step",
            "tr C",
            [
                new ReportPlots.Points("with replacement ± SE", x, steps.Select(s => row.WithTrace(s).Value).ToArray(), steps.Select(s => row.WithTrace(s).StandardError).ToArray()),
                new ReportPlots.Points("without replacement ± SE", x, steps.Select(s => row.WithoutTrace(s).Value).ToArray(), steps.Select(s => row.WithoutTrace(s).StandardError).ToArray()),
            ],
            [
                new ReportPlots.Curve("exact recursion (with)", x, steps.Select(s => row.Exact[s].Covariance.Trace()).ToArray()),
                new ReportPlots.Curve("naive: (n − B)/(n − 1) × exact", x, steps.Select(s => row.Naive * row.Exact[s].Covariance.Trace()).ToArray()),
            ]);
        return plot;
    }

    /// <summary>One configuration: the exact law with replacement and the sharded ensembles with and without.</summary>
    private sealed class Row
    {
        public Row(int batch, double eta, int steps, double spectralRadius, double exactStationary, IReadOnlyList<MomentRecord> exact,
            IReadOnlyList<EnsembleResult> with, IReadOnlyList<EnsembleResult> without, Matrix<double> hessian)
        {
            Batch = batch;
            Eta = eta;
            Steps = steps;
            SpectralRadius = spectralRadius;
            ExactStationary = exactStationary;
            Exact = exact;
            withShards = with;
            withoutShards = without;
            Naive = (Samples - batch) / (double)(Samples - 1);
            EpochContraction = eta * hessian.Trace() / hessian.RowCount * Samples / batch;
            Records = exact.Count;

            // pooled z-scores at every record: shard means and unbiased variances averaged, SEs combined in quadrature
            double max = 0;
            int count = 0;
            for (int r = 0; r < exact.Count; r++)
            {
                for (int i = 0; i < 2; i++)
                {
                    double mean = with.Average(s => s.Records[r].Moments.Mean[i]);
                    double meanError = Math.Sqrt(with.Sum(s => Math.Pow(s.Records[r].Moments.MeanStandardError[i], 2))) / with.Count;
                    double variance = with.Average(s => s.Records[r].Moments.Covariance[i, i]);
                    double varianceError = Math.Sqrt(with.Sum(s => Math.Pow(s.Records[r].Moments.VarianceStandardError[i], 2))) / with.Count;
                    if (meanError > 0)
                    {
                        max = Math.Max(max, Math.Abs(mean - exact[r].Mean[i]) / meanError);
                        count++;
                    }

                    if (varianceError > 0)
                    {
                        max = Math.Max(max, Math.Abs(variance - exact[r].Covariance[i, i]) / varianceError);
                        count++;
                    }
                }
            }

            MaxZ = max;
            ScoreCount = count;
            With = WindowAverage(with, _ => true);
            Without = WindowAverage(without, _ => true);
            Ratio = new Estimate(Without.Value / exactStationary, Without.StandardError / exactStationary);
            int epoch = Samples / batch;
            Estimate endOfEpoch = WindowAverage(without, step => step % epoch == 0);
            EndOfEpochRatio = new Estimate(endOfEpoch.Value / exactStationary, endOfEpoch.StandardError / exactStationary);
        }

        private readonly IReadOnlyList<EnsembleResult> withShards;
        private readonly IReadOnlyList<EnsembleResult> withoutShards;

        public int Batch { get; }

        public double Eta { get; }

        public int Steps { get; }

        public double SpectralRadius { get; }

        public double ExactStationary { get; }

        public IReadOnlyList<MomentRecord> Exact { get; }

        public double Naive { get; }

        public double EpochContraction { get; }

        public int Records { get; }

        public double MaxZ { get; }

        public int ScoreCount { get; }

        public Estimate With { get; }

        public Estimate Without { get; }

        public Estimate Ratio { get; }

        public Estimate EndOfEpochRatio { get; }

        public Estimate WithTrace(int step) => Experiments.MeanOfBatches(withShards.Select(s => Trace(s.Records[step].Moments)).ToArray());

        public Estimate WithoutTrace(int step) => Experiments.MeanOfBatches(withoutShards.Select(s => Trace(s.Records[step].Moments)).ToArray());

        /// <summary>tr C averaged over the records of the last window that <paramref name="keep"/> selects, per shard; batch means.</summary>
        private Estimate WindowAverage(IReadOnlyList<EnsembleResult> shards, Func<int, bool> keep) =>
            Experiments.MeanOfBatches(shards.Select(s => s.Records.Where(r => r.Step > Steps - Window && keep(r.Step)).Average(r => Trace(r.Moments))).ToArray());

        private static double Trace(Statistics.Moments moments) => moments.Covariance[0, 0] + moments.Covariance[1, 1];
    }
}
