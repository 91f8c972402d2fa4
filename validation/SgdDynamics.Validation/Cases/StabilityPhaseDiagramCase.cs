using SgdDynamics.Output;
using System.Diagnostics;
using SgdDynamics.Ensembles;
using SgdDynamics.Observers;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (d) Stability phase diagram of the second moment over (η, a²) for a 1-D mode (λ = 1, σ² = 1): discrete SGD is
/// stable iff <c>η a² &lt; λ(2 − ηλ)</c>, Langevin iff <c>η a² &lt; 2λ</c>. Each cell is simulated and classified from
/// the ensemble alone: the second moment diverges when trajectories blow up (most of the ensemble beyond the
/// threshold) or when the tail index of the stationary law is resolved below 2 (Hill, α̂ + 5 SE &lt; 2: infinite
/// variance); it is finite when α̂ − 5 SE &gt; 2; otherwise the cell is unresolved (near the boundary, where
/// α ≈ 2). Every resolved cell must agree with the discrete prediction, and the band where Langevin predicts
/// stability but discrete SGD diverges must be confirmed by at least one resolved cell.
/// </summary>
public sealed class StabilityPhaseDiagramCase : IValidationCase
{
    private static readonly double[] LearningRates = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2];
    private static readonly double[] CurvatureVariances = [0.25, 1.0, 2.0, 3.0, 4.5, 6.0, 8.0];
    private const double Lambda = 1.0;
    private const int Steps = 1000;

    /// <summary>How a cell came out.</summary>
    public enum Outcome
    {
        /// <summary>Finite second moment: tail index resolved above 2.</summary>
        Stable,

        /// <summary>Infinite second moment: tail index resolved below 2, or trajectories blow up.</summary>
        Divergent,

        /// <summary>Neither resolved (tail index within 5 SE of 2).</summary>
        Unresolved,
    }

    /// <inheritdoc/>
    public string Name => "stability-phase-diagram";

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        long n = context.Trajectories(1 << 16, 1 << 19);
        int agree = 0, disagree = 0, unresolved = 0, confirmedBand = 0, bandCells = 0;
        var stable = new List<(double, double)>();
        var divergent = new List<(double, double)>();
        var open = new List<(double, double)>();
        int seed = 400;
        foreach (double eta in LearningRates)
        {
            foreach (double a2 in CurvatureVariances)
            {
                StabilityRegion region = SecondMomentStability.Classify1D(eta, Lambda, a2);
                Outcome outcome = Simulate(eta, a2, n, (uint)seed++, context);
                bool discreteStable = region == StabilityRegion.BothStable;
                if (outcome == Outcome.Unresolved)
                {
                    unresolved++;
                }
                else if ((outcome == Outcome.Stable) == discreteStable)
                {
                    agree++;
                }
                else
                {
                    disagree++;
                }

                if (region == StabilityRegion.DiscreteUnstableLangevinStable)
                {
                    bandCells++;
                    confirmedBand += outcome == Outcome.Divergent ? 1 : 0;
                }

                (outcome == Outcome.Stable ? stable : outcome == Outcome.Divergent ? divergent : open).Add((eta, a2));
            }
        }

        const string basis = "cell verdicts from the ensemble: blow-up count, or Hill tail index (k = ⌊√n⌋) resolved beyond 5 SE of 2";
        var checks = new List<Check>
        {
            new("resolved cells disagreeing with the discrete stability condition", 0, disagree, 0, Expectation.AtMost, 0, basis),
            new("cells of the band 'Langevin stable, discrete SGD divergent' confirmed divergent", 1, confirmedBand, 0, Expectation.AtLeast, 0, basis),
            new("resolved cells (of all)", 0.75 * LearningRates.Length * CurvatureVariances.Length, agree + disagree, 0, Expectation.AtLeast, 0, "at least three quarters of the cells are resolved"),
        };

        string plot = $"{Name}.png";
        double[] grid = Enumerable.Range(1, 60).Select(i => 0.1 + i * (1.3 - 0.1) / 60).ToArray();
        ReportPlots.Save(
            Path.Combine(context.OutputDirectory, plot),
            $"second-moment stability, λ = 1: simulated cells (N = {n:N0}) and the two boundaries",
            "learning rate η",
            "curvature-noise variance a²",
            [
                new ReportPlots.Points("simulated: finite variance", stable.Select(c => c.Item1).ToArray(), stable.Select(c => c.Item2).ToArray(), new double[stable.Count]),
                new ReportPlots.Points("simulated: divergent", divergent.Select(c => c.Item1).ToArray(), divergent.Select(c => c.Item2).ToArray(), new double[divergent.Count]),
                new ReportPlots.Points("unresolved", open.Select(c => c.Item1).ToArray(), open.Select(c => c.Item2).ToArray(), new double[open.Count]),
            ],
            [
                new ReportPlots.Curve("discrete boundary ηa² = λ(2 − ηλ)", grid, grid.Select(e => Math.Min(SecondMomentStability.DiscreteBoundary(e, Lambda), 9)).ToArray()),
                new ReportPlots.Curve("Langevin boundary ηa² = 2λ", grid, grid.Select(e => Math.Min(SecondMomentStability.LangevinBoundary(e, Lambda), 9)).ToArray()),
            ]);

        return new CaseReport(
            Name,
            $"Between the two boundaries Langevin predicts a stationary variance that discrete SGD does not have: {confirmedBand} of {bandCells} cells in that band are confirmed divergent by simulation; {agree} resolved cells agree with the discrete condition, {disagree} disagree, {unresolved} lie too close to α = 2 to resolve.",
            checks,
            [plot],
            clock.Elapsed.TotalSeconds);
    }

    private static Outcome Simulate(double eta, double a2, long n, uint seed, ValidationContext context)
    {
        Problem problem = ProblemBuilder.Quadratic(new double[,] { { Lambda } }, new double[,] { { 1.0 } }, eta, [0.0], curvatureNoiseStd: [Math.Sqrt(a2)]);
        var ensemble = new EnsembleAlgorithm(n, Steps, seed, divergenceThreshold: 1e15);
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, context.Backend, keepFinalStates: true);
        if (result.Final.Moments.Diverged > n / 2)
        {
            return Outcome.Divergent;
        }

        HillEstimate hill = HillEstimator.Estimate(result.FinalStates);
        return hill.Alpha + Check.DefaultZ * hill.StandardError < 2 ? Outcome.Divergent
            : hill.Alpha - Check.DefaultZ * hill.StandardError > 2 ? Outcome.Stable
            : Outcome.Unresolved;
    }
}
