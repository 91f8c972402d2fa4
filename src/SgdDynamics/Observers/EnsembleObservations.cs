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

/// <summary>Tail index (Hill, k = ⌊√n⌋ of |x_i|) and quantiles of one coordinate's final states.</summary>
public sealed record TailReport(int Coordinate, HillEstimate Hill, QuantileEstimate Quantiles);

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
    /// noise over 1/(1 − β) steps. Eigenmodes and their theory exist for quadratic landscapes only: for any other
    /// landscape the list is empty.
    /// </summary>
    public static IReadOnlyList<ModeReport> Modes(EnsembleResult result)
    {
        Problem problem = result.Problem;
        if (!problem.IsQuadratic)
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

            reports.Add(new TailReport(i, HillEstimator.Estimate(column), EmpiricalQuantiles.Compute(column, QuantileProbabilities)));
        }

        return reports;
    }
}
