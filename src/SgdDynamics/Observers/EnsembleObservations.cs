using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Observers;

/// <summary>
/// One Hessian eigenmode of a run: its eigenvalue and vector, the regime its variance time series shows
/// (<see cref="RegimeClassifier"/>), the fitted value (stationary variance vᵀCv when confined, diffusion
/// coefficient D when diffusive) ± SE, the theory's prediction for it when one exists, and the variance series
/// vᵀCv per record the regime was read from. When the theory says the mode's second moment grows geometrically
/// (<see cref="ModeBehaviour.Unstable"/>) the regime is <see cref="Observers.Regime.Unstable"/> whatever the finite run
/// showed, <see cref="Fitted"/> and <see cref="StandardError"/> are NaN (an infinite variance has no fitted value) and the
/// last record's variance is kept in <see cref="MeasuredVariance"/>.
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
    VarianceSeries Series)
{
    /// <summary>
    /// The verdict in words: <c>confined</c>, <c>diffusive</c>, <c>unstable</c>, <c>undetermined</c>, or
    /// <c>unstable: infinite variance</c> when the theory's second-moment map of the mode expands.
    /// </summary>
    public string Verdict { get; init; } = Regime.ToString().ToLowerInvariant();

    /// <summary>What the theory says the mode's variance does (<see cref="ModePrediction.Behaviour"/>); null when it was not evaluated.</summary>
    public ModeBehaviour? TheoryBehaviour { get; init; }

    /// <summary>
    /// The mode's own second-moment stability (<see cref="ModePrediction.SecondMomentStable"/>): per mode
    /// <c>η a² &lt; λ(2 − ηλ)</c> where decoupled, the full map's spectral radius where not; null for a flat diffusive mode.
    /// </summary>
    public bool? SecondMomentStable { get; init; }

    /// <summary>
    /// The theory's discrete prediction of the mode's quantity (<see cref="ModePrediction.Discrete"/>): the exact discrete
    /// stationary variance <c>η s² / (λ(2 − ηλ))</c> (with curvature noise and coupling: <c>vᵀCv</c> of the discrete Lyapunov
    /// equation) for a confined mode, <c>D = η s² / 2</c> for a flat one; null when it does not exist.
    /// </summary>
    public double? Discrete { get; init; }

    /// <summary>
    /// The theory's Langevin (first-order SME) prediction (<see cref="ModePrediction.Langevin"/>): <c>η s² / (2λ)</c> (with
    /// curvature noise <c>η s² / (2λ − η a²)</c>, coupled: <c>vᵀC_L v</c>) for a confined mode, D for a flat one; null when it
    /// does not exist.
    /// </summary>
    public double? Langevin { get; init; }

    /// <summary><c>(Fitted − Discrete) / StandardError</c>; null when undefined (see <see cref="ZUndefined"/>).</summary>
    public double? ZDiscrete { get; init; }

    /// <summary><c>(Fitted − Langevin) / StandardError</c>; null when undefined (see <see cref="ZUndefined"/>).</summary>
    public double? ZLangevin { get; init; }

    /// <summary>Why a z-score is missing (no fitted value, no standard error, a fitted quantity the theory does not predict, …); null when both exist.</summary>
    public string? ZUndefined { get; init; }

    /// <summary>What the theory says of the mode (<see cref="ModePrediction.Reason"/>): which formula gave the predictions, or why one is missing.</summary>
    public string? TheoryNote { get; init; }

    /// <summary>
    /// For a mode whose theory is unstable (infinite stationary variance): the variance vᵀCv measured at the last record, a
    /// finite-time value of a quantity that grows without bound; null otherwise.
    /// </summary>
    public double? MeasuredVariance { get; init; }

    /// <summary>Standard error of <see cref="MeasuredVariance"/>; null with it.</summary>
    public double? MeasuredVarianceStandardError { get; init; }
}

/// <summary>
/// Whether the run's second-moment map contracts (<see cref="QuadraticMomentTheory.Stationary"/>, as <c>sgdyn theory</c>
/// decides it): <see cref="Stable"/> is true when its spectral radius ρ &lt; 1, false otherwise, null where the theory does
/// not apply (<see cref="Note"/> says why).
/// </summary>
/// <param name="Stable">ρ &lt; 1; null where the theory does not apply.</param>
/// <param name="SpectralRadius">ρ of the discrete second-moment map; null where the theory does not apply.</param>
/// <param name="Note">What it means: infinite variance (ρ &gt; 1), flat diffusive directions (ρ = 1), or why there is no answer.</param>
public sealed record SecondMomentReport(bool? Stable, double? SpectralRadius, string Note);

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
    /// the Hessian's eigenvectors with a <see cref="ProjectionSpec"/> there), the list is empty. Each report also carries
    /// the theory's discrete and Langevin values of the mode (<see cref="ModePredictions"/>: whatever the regime, so a
    /// confined mode keeps them beside a flat one) and the z-scores of the fitted value against them; a mode whose second
    /// moment grows geometrically is reported unstable with no fitted value (<see cref="ModeReport"/>).
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
        IReadOnlyList<ModePrediction> predictions = ModePredictions.Of(problem, theory);
        double eta = problem.Dynamics.LearningRate, beta = TheoryDynamics.Momentum(problem.Dynamics);
        VarianceSeries[] allSeries = projection.AllSeries(result.Records);
        var modes = new List<ModeReport>();
        for (int m = 0; m < projection.Dimension; m++)
        {
            Eigenmode mode = theory.Modes[m];
            ModePrediction prediction = predictions[m];
            VarianceSeries series = allSeries[m];
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
            double[] eigenvector = projection.Eigenvector(m).ToArray();
            if (prediction.Behaviour == ModeBehaviour.Unstable)
            {
                // An infinite stationary variance: whatever the finite run looked like, no fitted value is a stationary variance.
                string shown = regime.Regime.ToString().ToLowerInvariant();
                modes.Add(new ModeReport(m, mode.Eigenvalue, eigenvector, Regime.Unstable, "none", double.NaN, double.NaN, null,
                    $"{prediction.Reason}; the run's variance series read as {shown} ({regime.Reason})", series)
                {
                    Verdict = UnstableVerdict,
                    TheoryBehaviour = prediction.Behaviour,
                    SecondMomentStable = false,
                    Discrete = null,
                    Langevin = prediction.Langevin,
                    ZUndefined = "the discrete stationary variance is infinite: there is no fitted value to compare",
                    TheoryNote = prediction.Reason,
                    MeasuredVariance = series.Variances[^1],
                    MeasuredVarianceStandardError = series.StandardErrors[^1],
                });
                continue;
            }

            (double? zDiscrete, double? zLangevin, string? zUndefined) = Scores(regime, quantity, prediction);
            modes.Add(new ModeReport(m, mode.Eigenvalue, eigenvector, regime.Regime, quantity, regime.Value, regime.StandardError, predicted, regime.Reason, series)
            {
                TheoryBehaviour = prediction.Behaviour,
                SecondMomentStable = prediction.SecondMomentStable,
                Discrete = prediction.Discrete,
                Langevin = prediction.Langevin,
                ZDiscrete = zDiscrete,
                ZLangevin = zLangevin,
                ZUndefined = zUndefined,
                TheoryNote = prediction.Reason,
            });
        }

        return modes;
    }

    /// <summary>The verdict of a mode whose theory has an infinite stationary variance.</summary>
    public const string UnstableVerdict = "unstable: infinite variance";

    /// <summary>
    /// The run's second-moment stability from <see cref="QuadraticMomentTheory.Stationary"/> (as <c>sgdyn theory</c>): stable
    /// iff the spectral radius ρ of the discrete second-moment map is below 1. ρ &gt; 1 means an infinite stationary variance;
    /// ρ = 1 (within <see cref="ModePredictions.MarginalTolerance"/>) comes from flat directions without curvature noise, whose
    /// variance grows linearly while the confined modes keep their stationary values. Where the theory does not apply (not a
    /// quadratic landscape, an SDE model, d above <see cref="Limits.MaxDimension"/>, no recorded covariance) the answer is
    /// null with the reason.
    /// </summary>
    public static SecondMomentReport SecondMoment(EnsembleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Problem problem = result.Problem;
        if (problem.Landscape is LeastSquaresLandscapeSpec)
        {
            return new SecondMomentReport(null, null, "not evaluated for a leastSquares landscape in a run; sgdyn theory gives its second-moment stability");
        }

        if (!problem.IsQuadratic)
        {
            return new SecondMomentReport(null, null, $"the moment theory covers quadratic and leastSquares landscapes; this run's landscape is '{problem.Landscape.TypeName}'");
        }

        if (!TheoryDynamics.Covers(problem.Dynamics))
        {
            return new SecondMomentReport(null, null, $"the moment theory covers sgd and momentum, not the SDE model '{problem.Dynamics.TypeName}'");
        }

        if (problem.Dimension > Limits.MaxDimension)
        {
            return new SecondMomentReport(null, null, $"not evaluated above d = {Limits.MaxDimension} (d = {problem.Dimension}); sgdyn theory computes it");
        }

        StationaryMoments stationary = QuadraticMomentTheory.Stationary(problem);
        double radius = stationary.SpectralRadius;
        string rho = radius.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        if (radius < 1.0)
        {
            return new SecondMomentReport(true, radius, $"spectral radius {rho} < 1: every mode has a finite stationary variance");
        }

        if (radius <= 1.0 + ModePredictions.MarginalTolerance)
        {
            return new SecondMomentReport(false, radius,
                $"spectral radius {rho}: flat direction(s) without curvature noise, whose variance grows linearly (diffusive, no stationary law); the confined modes have finite stationary variances");
        }

        return new SecondMomentReport(false, radius,
            $"spectral radius {rho} > 1: the second moment grows geometrically, the stationary variance is infinite" +
            (stationary.Discrete.Reason is { } reason ? $" ({reason})" : ""));
    }

    /// <summary>
    /// z-scores of a fitted value against the discrete and Langevin predictions, <c>(fitted − prediction) / SE</c>, when the
    /// run fitted the quantity the theory predicts and its standard error is positive and finite.
    /// </summary>
    private static (double? Discrete, double? Langevin, string? Undefined) Scores(RegimeClassification regime, string quantity, ModePrediction prediction)
    {
        if (quantity == "none")
        {
            return (null, null, $"no fitted value: the run's regime is {regime.Regime.ToString().ToLowerInvariant()}");
        }

        if (quantity != prediction.Quantity)
        {
            return (null, null, $"the run fitted a {quantity}, the theory predicts a {prediction.Quantity} (its mode is {prediction.BehaviourName})");
        }

        if (!double.IsFinite(regime.Value) || !(regime.StandardError > 0) || !double.IsFinite(regime.StandardError))
        {
            return (null, null, "the fitted value has no positive finite standard error");
        }

        double? Z(double? predicted) => predicted is { } p ? (regime.Value - p) / regime.StandardError : null;
        double? discrete = Z(prediction.Discrete), langevin = Z(prediction.Langevin);
        string? undefined = (discrete, langevin) switch
        {
            (null, null) => "the theory has no value for this mode: " + prediction.Reason,
            (null, _) => "no discrete prediction: " + prediction.Reason,
            (_, null) => "no Langevin prediction: " + prediction.Reason,
            _ => null,
        };
        return (discrete, langevin, undefined);
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
