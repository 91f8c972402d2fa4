using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Observers;

/// <summary>
/// One Hessian eigenmode of a run: its eigenvalue and vector, the regime its variance time series shows
/// (<see cref="RegimeClassifier"/>), the fitted value (stationary variance vᵀCv when confined, diffusion
/// coefficient D when diffusive) ± SE, the theory's prediction for it when one exists, and the variance series
/// vᵀCv per record the regime was read from.
/// </summary>
public sealed record ModeReport(
    int Mode,
    double Eigenvalue,
    double[] Eigenvector,
    Regime Regime,
    string Quantity,
    double Fitted,
    double StandardError,
    double? Predicted,
    string Reason,
    VarianceSeries Series);

/// <summary>
/// Tail index (Hill, k = ⌊√n⌋ of |x_i|) and quantiles of one coordinate's final states. An estimate that does not
/// exist for these states is null, and the matching reason says why (too few finite states, all of them equal, …).
/// </summary>
/// <param name="Coordinate">The coordinate i.</param>
/// <param name="Hill">The Hill estimate, or null (see <paramref name="HillUndefined"/>).</param>
/// <param name="Quantiles">The quantiles, or null (see <paramref name="QuantilesUndefined"/>).</param>
/// <param name="Count">Finite final states of the coordinate.</param>
/// <param name="Excluded">Non-finite (diverged) final states left out.</param>
/// <param name="HillUndefined">Why there is no Hill estimate; null when there is one.</param>
/// <param name="QuantilesUndefined">Why there are no quantiles; null when there are.</param>
public sealed record TailReport(
    int Coordinate,
    HillEstimate? Hill,
    QuantileEstimate? Quantiles,
    int Count,
    int Excluded,
    string? HillUndefined = null,
    string? QuantilesUndefined = null);

/// <summary>Observers applied to a finished ensemble run (the summary's <c>modes</c> and <c>final.tailIndex</c>).</summary>
public static class EnsembleObservations
{
    /// <summary>Probabilities of the reported quantiles.</summary>
    public static readonly double[] QuantileProbabilities = [0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999];

    /// <summary>
    /// Per-eigenmode regimes, with the theory's prediction for the fitted value: a confined mode's stationary
    /// variance vᵀCv from the exact discrete stationary covariance (<see cref="EigenmodeTheory"/>; the per-mode
    /// formula when the full model has no stationary law but the mode is decoupled), a flat mode's diffusion
    /// coefficient per unit time t = kη, <c>D = η vᵀΣv / 2</c> for SGD (<see cref="FlatModeDiffusion"/>, without
    /// curvature noise along v) and <c>η vᵀΣv / (2(1 − β)²)</c> for heavy ball, which accumulates each step's
    /// noise over 1/(1 − β) steps. Eigenmodes and their theory exist for quadratic landscapes and the optimizers only:
    /// for any other landscape, for the SDE models, and above d = <see cref="Limits.MaxDimension"/> (record moments along
    /// the Hessian's eigenvectors with a <see cref="ProjectionSpec"/> there), the list is empty.
    /// </summary>
    public static IReadOnlyList<ModeReport> Modes(EnsembleResult result)
    {
        Problem problem = result.Problem;
        if (!problem.IsQuadratic || !TheoryDynamics.Covers(problem.Dynamics) || !result.Final.Moments.HasCovariance || problem.Dimension > Limits.MaxDimension)
        {
            return [];
        }

        var projection = new EigenmodeProjection(problem.Quadratic.Hessian);
        EigenmodeDecomposition theory = EigenmodeTheory.Decompose(problem);
        double eta = problem.Dynamics.LearningRate, beta = TheoryDynamics.Momentum(problem.Dynamics);
        var modes = new List<ModeReport>();
        for (int m = 0; m < projection.Dimension; m++)
        {
            Eigenmode mode = theory.Modes[m];
            VarianceSeries series = projection.Series(result.Records, m);
            RegimeClassification regime = RegimeClassifier.Classify(series);
            double? predicted = regime.Regime switch
            {
                Regime.Confined when double.IsFinite(mode.ExactDiscreteVariance) => mode.ExactDiscreteVariance,
                Regime.Confined when mode.Decoupled && double.IsFinite(mode.DiscreteVariance) => mode.DiscreteVariance,
                Regime.Diffusive when mode.IsFlat && mode.CurvatureVariance == 0 => problem.Dynamics is SgdSpec
                    ? FlatModeDiffusion.FromProblem(problem, mode.Direction).Diffusion
                    : eta * mode.NoiseVariance / (2 * (1 - beta) * (1 - beta)),
                _ => null,
            };
            string quantity = regime.Regime switch
            {
                Regime.Confined => "stationaryVariance",
                Regime.Diffusive => "diffusionCoefficient",
                _ => "none",
            };
            modes.Add(new ModeReport(m, mode.Eigenvalue, projection.Eigenvector(m).ToArray(), regime.Regime, quantity, regime.Value, regime.StandardError, predicted, regime.Reason, series));
        }

        return modes;
    }

    /// <summary>Tail reports of every coordinate; the run must have kept its final states.</summary>
    public static IReadOnlyList<TailReport> Tails(EnsembleResult result)
    {
        float[] states = result.FinalStates ?? throw new InvalidOperationException("tail estimates need the final states: solve with keepFinalStates");
        int d = result.Problem.Dimension;
        var reports = new List<TailReport>();
        var column = new float[result.Range.Count];
        for (int i = 0; i < d; i++)
        {
            for (long t = 0; t < column.Length; t++)
            {
                column[t] = states[t * d + i];
            }

            reports.Add(Tail(i, column));
        }

        return reports;
    }

    /// <summary>The tail report of one coordinate's final states; estimates that do not exist are null with a reason.</summary>
    public static TailReport Tail(int coordinate, ReadOnlySpan<float> states)
    {
        int finite = 0;
        foreach (float x in states)
        {
            finite += float.IsFinite(x) ? 1 : 0;
        }

        int excluded = states.Length - finite;
        if (finite == 0)
        {
            string none = $"no finite final state ({excluded} diverged)";
            return new TailReport(coordinate, null, null, 0, excluded, none, none);
        }

        QuantileEstimate quantiles = EmpiricalQuantiles.Compute(states, QuantileProbabilities);
        if (finite < 2)
        {
            return new TailReport(coordinate, null, quantiles, finite, excluded, $"a Hill estimate needs at least 2 finite final states; there is {finite} ({excluded} diverged)");
        }

        try
        {
            return new TailReport(coordinate, HillEstimator.Estimate(states), quantiles, finite, excluded);
        }
        catch (ArgumentException e)
        {
            // The estimator's documented refusals for a valid sample: a threshold |x| of 0, or the top values all tied.
            return new TailReport(coordinate, null, quantiles, finite, excluded, e.Message);
        }
    }
}
