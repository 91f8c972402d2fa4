using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Observers;
using SgdDynamics.Problems;
using SgdDynamics.Tests.Ensembles;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Observers;

/// <summary>
/// The per-mode predictions (<see cref="ModePredictions"/>), the verdict fields of <see cref="ModeReport"/> and the tail
/// index flags (<see cref="TailIndexFlags"/>).
/// </summary>
[Collection(EnsembleCollection.Name)]
public class ModeVerdictTests
{
    [Fact]
    public void ConfinedModesKeepTheirValuesBesideAFlatOne()
    {
        // H = diag(0, 1.5, 3), Σ = diag(2, 0.5, 1), η = 0.4, curvature noise a = 0.8 on the last (decoupled) coordinate.
        Problem problem = ProblemBuilder.Quadratic(ProblemBuilder.Diagonal(0, 1.5, 3), ProblemBuilder.Diagonal(2, 0.5, 1), 0.4, [0, 0, 0],
            curvatureNoiseStd: [0, 0, 0.8]);
        IReadOnlyList<ModePrediction> modes = ModePredictions.Of(problem);
        Assert.Null(QuadraticMomentTheory.Stationary(problem).Discrete.Covariance);

        Assert.Equal(ModeBehaviour.Diffusive, modes[0].Behaviour);
        Assert.Equal(0.4 * 2 / 2, modes[0].Discrete!.Value, 12);
        Assert.Equal(modes[0].Discrete, modes[0].Langevin);
        Assert.Null(modes[0].SecondMomentStable);

        Assert.Equal(ModeBehaviour.Confined, modes[1].Behaviour);
        Assert.True(modes[1].SecondMomentStable);
        Assert.Equal(0.4 * 0.5 / (1.5 * (2 - 0.4 * 1.5)), modes[1].Discrete!.Value, 12);
        Assert.Equal(0.4 * 0.5 / (2 * 1.5), modes[1].Langevin!.Value, 12);

        // With curvature noise: η s² / (λ(2 − ηλ) − η a²) and η s² / (2λ − η a²).
        Assert.Equal(ModeBehaviour.Confined, modes[2].Behaviour);
        Assert.Equal(0.4 * 1 / (3 * (2 - 0.4 * 3) - 0.4 * 0.64), modes[2].Discrete!.Value, 12);
        Assert.Equal(0.4 * 1 / (2 * 3 - 0.4 * 0.64), modes[2].Langevin!.Value, 12);
    }

    [Fact]
    public void HeavyBallFlatModeDiffusesWithTheAccumulatedNoise()
    {
        Problem problem = ProblemBuilder.Quadratic(ProblemBuilder.Diagonal(0, 1), ProblemBuilder.Diagonal(1.5, 1), 0.1, [0, 0], momentum: 0.5);
        ModePrediction flat = ModePredictions.Of(problem)[0];
        Assert.Equal(ModeBehaviour.Diffusive, flat.Behaviour);
        Assert.Equal(0.1 * 1.5 / (2 * 0.25), flat.Discrete!.Value, 12);
    }

    [Fact]
    public void FlatModeWithCurvatureNoiseAndExpandingModeAreUnstable()
    {
        // Mode 0 flat with a = 0.5: multiplier 1 + η²a² > 1. Mode 1: ηλ = 2.2 > 2.
        Problem problem = ProblemBuilder.Quadratic(ProblemBuilder.Diagonal(0, 2.2), ProblemBuilder.Diagonal(1, 1), 1.0, [0, 0], curvatureNoiseStd: [0.5, 0]);
        IReadOnlyList<ModePrediction> modes = ModePredictions.Of(problem);
        Assert.All(modes, m => Assert.Equal(ModeBehaviour.Unstable, m.Behaviour));
        Assert.All(modes, m => Assert.False(m.SecondMomentStable));
        Assert.All(modes, m => Assert.Null(m.Discrete));
        Assert.All(modes, m => Assert.Equal("none", m.Quantity));
    }

    [Fact]
    public void ModeReportsCarryPredictionsScoresAndNoFittedValueForAnInfiniteVariance()
    {
        // Mode 0 (λ = 1, a² = 3.2, η = 0.5): ηa² = 1.6 ≥ λ(2 − ηλ) = 1.5, infinite discrete variance; mode 1 (λ = 0.5) confined.
        Problem problem = ProblemBuilder.Quadratic(ProblemBuilder.Diagonal(1, 0.5), ProblemBuilder.Diagonal(1, 1), 0.5, [0, 0],
            curvatureNoiseStd: [Math.Sqrt(3.2), 0]);
        var ensemble = new EnsembleAlgorithm(2048, 120, seed: 9, record: new RecordSpec(4));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        IReadOnlyList<ModeReport> modes = EnsembleObservations.Modes(result);

        ModeReport confined = modes[0], unstable = modes[1];
        Assert.Equal(0.5, confined.Eigenvalue, 12);
        Assert.Equal(Regime.Confined, confined.Regime);
        Assert.Equal("confined", confined.Verdict);
        Assert.Equal(0.5 / (0.5 * 1.75), confined.Discrete!.Value, 12);
        Assert.Equal(0.5 / 1.0, confined.Langevin!.Value, 12);
        Assert.Equal((confined.Fitted - confined.Discrete!.Value) / confined.StandardError, confined.ZDiscrete!.Value, 12);
        Assert.Equal((confined.Fitted - confined.Langevin!.Value) / confined.StandardError, confined.ZLangevin!.Value, 12);
        Assert.Null(confined.ZUndefined);
        Assert.Null(confined.MeasuredVariance);
        // Fixed seed; the classifier's SE bounds the error whatever the correlation between records: within 5 SE.
        Assert.InRange(confined.ZDiscrete!.Value, -5, 5);

        Assert.Equal(1.0, unstable.Eigenvalue, 12);
        Assert.Equal(Regime.Unstable, unstable.Regime);
        Assert.Equal(EnsembleObservations.UnstableVerdict, unstable.Verdict);
        Assert.Equal(ModeBehaviour.Unstable, unstable.TheoryBehaviour);
        Assert.False(unstable.SecondMomentStable);
        Assert.True(double.IsNaN(unstable.Fitted));
        Assert.Null(unstable.Predicted);
        Assert.Null(unstable.Discrete);
        Assert.Null(unstable.ZDiscrete);
        Assert.Null(unstable.ZLangevin);
        Assert.NotNull(unstable.ZUndefined);
        Assert.Equal(unstable.Series.Variances[^1], unstable.MeasuredVariance);

        // All series at once are the series mode by mode.
        var projection = new EigenmodeProjection(problem.Quadratic.Hessian);
        VarianceSeries[] all = projection.AllSeries(result.Records);
        for (int m = 0; m < 2; m++)
        {
            VarianceSeries one = projection.Series(result.Records, m);
            Assert.Equal(one.Times, all[m].Times);
            Assert.Equal(one.Variances, all[m].Variances);
            Assert.Equal(one.StandardErrors, all[m].StandardErrors);
            Assert.Equal(one.Diverged, all[m].Diverged);
        }

        SecondMomentReport report = EnsembleObservations.SecondMoment(result);
        Assert.False(report.Stable);
        Assert.Equal(1.05, report.SpectralRadius!.Value, 9);
    }

    [Fact]
    public void GaussianReferenceMatchesTheHillLimitOfAGaussianTail()
    {
        // 1 / E[log(|X|/u) | |X| > u] at the (1 − k/n) quantile u of |X|, by an independent quadrature (trapezoid, 2·10⁵ points).
        Assert.Equal(9.00, TailIndexFlags.GaussianAlpha(10_000, 100), 2);
        Assert.Equal(7.53, TailIndexFlags.GaussianAlpha(2_000, 44), 2);
        Assert.Equal(13.36, TailIndexFlags.GaussianAlpha(1_000_000, 1000), 2);
    }

    [Fact]
    public void LightTailsAreFlaggedAndPowerLawsAreNot()
    {
        const int n = 10_000;
        // Deterministic samples at the quantiles (i + 1/2)/n: |x| Pareto with α = 2, and standard normal.
        float[] pareto = Enumerable.Range(0, n).Select(i => (float)Math.Pow((i + 0.5) / n, -0.5)).ToArray();
        float[] gaussian = Enumerable.Range(0, n).Select(i => (float)MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, (i + 0.5) / n)).ToArray();
        float[] bounded = Enumerable.Range(0, n).Select(i => 1f + (float)((i + 0.5) / n * 0.1)).ToArray();

        HillEstimate heavy = HillEstimator.Estimate<float>(pareto);
        Assert.InRange(heavy.Alpha, 1.8, 2.2);
        Assert.Null(TailIndexFlags.Check(heavy));

        HillEstimate normal = HillEstimator.Estimate<float>(gaussian);
        TailIndexFlag? normalFlag = TailIndexFlags.Check(normal);
        Assert.NotNull(normalFlag);
        Assert.Equal("lightTail", normalFlag.Flag);
        Assert.Contains("Gaussian sample", normalFlag.Note);

        HillEstimate light = HillEstimator.Estimate<float>(bounded);
        Assert.True(light.Alpha > TailIndexFlags.MeaningfulLimit);
        TailIndexFlag? lightFlag = TailIndexFlags.Check(light);
        Assert.NotNull(lightFlag);
        Assert.Contains("> 10", lightFlag.Note);
    }
}
