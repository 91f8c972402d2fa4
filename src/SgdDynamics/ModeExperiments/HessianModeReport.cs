using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SgdDynamics.Data;
using SgdDynamics.Networks;
using SgdDynamics.Observers;
using SgdDynamics.Output;
using SgdDynamics.Problems;

namespace SgdDynamics.ModeExperiments;

/// <summary>
/// Writes a <see cref="HessianModeResult"/> into a run folder: <c>report.md</c>, <c>report.json</c>, the plots
/// (<c>spectrum.png</c>, <c>variance_vs_time.png</c>, <c>diffusion_vs_eta.png</c>, <c>stationary_vs_prediction.png</c>)
/// and, for NumPy, <c>reference.npy</c> (θ*, float64, the flat parameter layout), <c>hessian_eigenvalues.npy</c> (P,
/// ascending) and <c>hessian_eigenvectors.npy</c> (P × P, column m the eigenvector of eigenvalue m).
/// </summary>
public static class HessianModeReport
{
    /// <summary>The files <see cref="Write"/> writes, in order.</summary>
    public static IReadOnlyList<string> Files { get; } =
    [
        "reference.npy", "hessian_eigenvalues.npy", "hessian_eigenvectors.npy", "spectrum.png", "variance_vs_time.png", "diffusion_vs_eta.png",
        "stationary_vs_prediction.png", "report.json", "report.md",
    ];

    /// <summary>Writes every file of <see cref="Files"/> into <paramref name="folder"/> (atomically each).</summary>
    public static void Write(HessianModeResult result, string folder)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(folder);
        NpyFile.Write(Path.Combine(folder, "reference.npy"), result.Reference);
        NpyFile.Write(Path.Combine(folder, "hessian_eigenvalues.npy"), result.Eigenvalues);
        NpyFile.Write(Path.Combine(folder, "hessian_eigenvectors.npy"), result.Eigenvectors.ToArray());
        SpectrumPlot(result, Path.Combine(folder, "spectrum.png"));
        VarianceTimePlot(result, Path.Combine(folder, "variance_vs_time.png"));
        DiffusionPlot(result, Path.Combine(folder, "diffusion_vs_eta.png"));
        StationaryPlot(result, Path.Combine(folder, "stationary_vs_prediction.png"));
        AtomicFile.WriteAllText(Path.Combine(folder, "report.json"), Json(result).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown(result));
    }

    private static string Name(Regime regime) => regime switch
    {
        Regime.Confined => "confined",
        Regime.Diffusive => "diffusive",
        Regime.Unstable => "unstable",
        Regime.Undetermined => "undetermined",
        _ => throw new ArgumentOutOfRangeException(nameof(regime), regime, "unknown regime"),
    };

    /// <summary>A finite number, or JSON null for one that does not exist.</summary>
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    /// <summary>
    /// The mode's regime over the learning rates of the first sampling: the measured regime at most learning rates (ties
    /// to the smaller η).
    /// </summary>
    public static Regime ModeRegime(ModeResult mode, bool withoutReplacement)
    {
        ArgumentNullException.ThrowIfNull(mode);
        return mode.Fits.Where(f => f.WithoutReplacement == withoutReplacement)
            .GroupBy(f => f.Regime)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Min(f => f.LearningRate))
            .First().Key;
    }

    private static JsonObject Json(HessianModeResult r)
    {
        var root = new JsonObject
        {
            ["experiment"] = "hessian-modes",
            ["scenario"] = r.Scenario.Name,
            ["network"] = r.Description,
            ["parameters"] = r.Reference.Length,
            ["fullBatchLoss"] = Number(r.FullBatchLoss),
            ["gradientNorm"] = Number(r.GradientNorm),
            ["data"] = ((INetworkLandscape)r.Scenario.Problem.Landscape).DataJson(),
            ["batchSize"] = ((INetworkLandscape)r.Scenario.Problem.Landscape).BatchSize,
            ["trajectories"] = r.Spec.Trajectories,
            ["time"] = r.Spec.Time is { } time ? time : null,
            ["schedule"] = new JsonArray([.. r.Spec.LearningRates.Select(e => (JsonNode?)new JsonObject { ["learningRate"] = e, ["steps"] = r.Spec.Schedule(e).Steps, ["recordEvery"] = r.Spec.Schedule(e).RecordEvery })]),
            ["seed"] = r.Spec.Seed,
            ["learningRates"] = new JsonArray([.. r.Spec.LearningRates.Select(e => (JsonNode?)JsonValue.Create(e))]),
            ["samplings"] = new JsonArray([.. r.Spec.Samplings.Select(w => (JsonNode?)JsonValue.Create(NetworkSampling.Name(w)))]),
            ["hessian"] = new JsonObject
            {
                ["method"] = "exact Hessian-vector products (R-operator), symmetrised",
                ["relativeAsymmetry"] = Number(r.Hessian.RelativeAsymmetry),
                ["centralDifferenceRelativeDifference"] = Number(r.MethodDifference),
                ["seconds"] = r.HessianSeconds,
            },
            ["backend"] = r.Backend,
            ["seconds"] = r.Seconds,
        };
        root["diffusionExponents"] = new JsonArray([.. r.Exponents.Select(e => (JsonNode?)new JsonObject
        {
            ["sampling"] = NetworkSampling.Name(e.WithoutReplacement),
            ["exponent"] = Number(e.Exponent),
            ["standardError"] = Number(e.StandardError),
            ["ci95"] = new JsonArray(Number(e.Lower), Number(e.Upper)),
            ["modes"] = e.Modes,
            ["points"] = e.Points,
            ["reducedChiSquared"] = Number(e.ReducedChiSquared),
        })]);
        root["ensembles"] = new JsonArray([.. r.Ensembles.Select(e => (JsonNode?)new JsonObject
        {
            ["learningRate"] = e.LearningRate,
            ["sampling"] = NetworkSampling.Name(e.WithoutReplacement),
            ["diverged"] = e.Diverged,
            ["offDiagonalMass"] = Number(e.OffDiagonalMass),
            ["offDiagonalNoiseFloor"] = Number(e.NoiseFloor),
            ["predictedOffDiagonalMass"] = Number(e.PredictedOffDiagonalMass),
            ["relativeDifferenceToLinearPrediction"] = Number(e.PredictionDifference),
            ["seconds"] = e.Seconds,
            ["networkStepsPerSecond"] = e.TrajectorySteps / e.Seconds,
            ["regimes"] = RegimeCounts(r, e.LearningRate, e.WithoutReplacement),
        })]);
        root["replacement"] = new JsonArray([.. r.Replacement.Select(c => (JsonNode?)new JsonObject
        {
            ["learningRate"] = c.LearningRate,
            ["regime"] = Name(c.Regime),
            ["modes"] = c.Modes,
            ["ratio"] = Number(c.Ratio),
            ["standardError"] = Number(c.StandardError),
            ["oneStepFactor"] = c.OneStepFactor,
            ["zAgainstOneStepFactor"] = Number(c.Z),
        })]);
        root["modes"] = new JsonArray([.. r.Modes.Select(m => (JsonNode?)new JsonObject
        {
            ["index"] = m.Index,
            ["eigenvalue"] = m.Eigenvalue,
            ["noiseVariance"] = m.NoiseVariance,
            ["regime"] = Name(ModeRegime(m, r.Spec.Samplings[0])),
            ["fits"] = new JsonArray([.. m.Fits.Select(f => (JsonNode?)new JsonObject
            {
                ["learningRate"] = f.LearningRate,
                ["sampling"] = NetworkSampling.Name(f.WithoutReplacement),
                ["regime"] = Name(f.Regime),
                ["predictedRegime"] = Name(f.Predicted),
                ["value"] = Number(f.Value),
                ["standardError"] = Number(f.StandardError),
                ["discrete"] = Number(f.Discrete),
                ["langevin"] = Number(f.Langevin),
                ["diffusion"] = Number(f.Diffusion),
                ["zDiscrete"] = Number(f.ZDiscrete),
                ["zLangevin"] = Number(f.ZLangevin),
                ["zDiffusion"] = Number(f.ZDiffusion),
                ["reason"] = f.Classification.Reason,
            })]),
        })]);
        return root;
    }

    private static JsonObject RegimeCounts(HessianModeResult r, double eta, bool without)
    {
        var counts = new JsonObject();
        foreach (Regime regime in Enum.GetValues<Regime>())
        {
            counts[Name(regime)] = r.Modes.Count(m => m.Fits.Any(f => f.LearningRate == eta && f.WithoutReplacement == without && f.Regime == regime));
        }

        counts["agreeWithPrediction"] = r.Modes.Count(m => m.Fits.Any(f => f.LearningRate == eta && f.WithoutReplacement == without && f.Regime == f.Predicted));
        return counts;
    }

    private static string F(double value, string format = "G4") =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "—";

    private static string Markdown(HessianModeResult r)
    {
        var md = new StringBuilder();
        var network = (INetworkLandscape)r.Scenario.Problem.Landscape;
        int p = r.Reference.Length;
        md.AppendLine(CultureInfo.InvariantCulture, $"# Hessian-mode experiment: {r.Scenario.Name ?? "network"}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{r.Description}; minibatches of {network.BatchSize} from n = {network.SampleCount} samples.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Reference point θ* (the scenario's initial point, `reference.npy`): full-batch loss {F(r.FullBatchLoss, "G6")}, ‖∇L(θ*)‖ = {F(r.GradientNorm)}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Hessian ({p} × {p}, double precision) from exact Hessian-vector products, symmetrised (relative asymmetry {F(r.Hessian.RelativeAsymmetry, "E2")}); against central differences of the analytic gradient (h = {F(NetworkReference.DefaultStep, "G2")}) it differs by {F(r.MethodDifference, "E2")} (relative Frobenius norm). Eigenvalues from {F(r.Eigenvalues[0])} to {F(r.Eigenvalues[^1])}: {r.Eigenvalues.Count(l => l < 0)} negative, {r.Eigenvalues.Count(l => Math.Abs(l) < 1e-4)} with |λ| < 1e-4 (`hessian_eigenvalues.npy`, `hessian_eigenvectors.npy`, `spectrum.png`). {F(r.HessianSeconds, "F1")} s.");
        string schedule = r.Spec.Time is { } time
            ? $"SGD from θ* to the same time t = kη = {F(time)} at every η ({string.Join(", ", r.Spec.LearningRates.Select(e => $"{r.Spec.Schedule(e).Steps:N0} steps at η = {F(e)}"))}), {r.Spec.Records} records each"
            : $"{r.Spec.Steps:N0} SGD steps from θ* at every η, recorded every {r.Spec.RecordEvery}";
        md.AppendLine(CultureInfo.InvariantCulture, $"- Ensembles: {r.Spec.Trajectories:N0} networks per setting, {schedule}; seed {r.Spec.Seed}; {r.Backend}. Total {F(r.Seconds, "F0")} s.");
        md.AppendLine();
        md.AppendLine("Predictions per mode m (eigenvalue λ, noise variance s² = vᵀΣv of a minibatch mean gradient at θ*, times (n − B)/(n − 1) without replacement): discrete stationary variance ηs²/(λ(2 − ηλ)), Langevin ηs²/(2λ), flat-mode diffusion D = ηs²/2 per unit time t = kη. The predicted regime is confined when the first half of the run spans ≥ 3 relaxation times, unstable when ηλ ≥ 2 (or λ < 0 grows visibly), otherwise diffusive on the run's time scale. Measured regimes come from the classifier on each mode's variance series (last half of the records, threshold 5 conservative standard errors); z = (fit − prediction)/SE. The mode covariance C at the last record (from the final states) is compared with the linearised dynamics, which decouple in the eigenbasis, C_ab = η²Σ_ab(1 − (q_a q_b)^k)/(1 − q_a q_b) with q = 1 − ηλ: the modes correlate only through the noise's cross-covariance Σ_ab = v_aᵀΣv_b; the noise floor is the off-diagonal mass that sampling alone gives independent modes.");
        md.AppendLine();
        md.AppendLine("## Regimes and predictions per setting");
        md.AppendLine();
        md.AppendLine("| sampling | η | confined | diffusive | unstable | undetermined | agree with prediction | confined: median \\|z\\| discrete | confined: median \\|z\\| Langevin | diffusive: median \\|z\\| vs ηs²/2 | off-diagonal mass: measured (noise floor; linear prediction) | ‖C − C_lin‖/‖C_lin‖ | diverged | s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (ModeEnsemble e in r.Ensembles)
        {
            var fits = r.Modes.Select(m => m.Fits.First(f => f.LearningRate == e.LearningRate && f.WithoutReplacement == e.WithoutReplacement)).ToArray();
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {NetworkSampling.Name(e.WithoutReplacement)} | {F(e.LearningRate)} | {fits.Count(f => f.Regime == Regime.Confined)} | {fits.Count(f => f.Regime == Regime.Diffusive)} | {fits.Count(f => f.Regime == Regime.Unstable)} | {fits.Count(f => f.Regime == Regime.Undetermined)} | {fits.Count(f => f.Regime == f.Predicted)} / {fits.Length} | {Median(fits.Select(f => Math.Abs(f.ZDiscrete)))} | {Median(fits.Select(f => Math.Abs(f.ZLangevin)))} | {Median(fits.Select(f => Math.Abs(f.ZDiffusion)))} | {F(e.OffDiagonalMass, "F3")} ({F(e.NoiseFloor, "F3")}; {F(e.PredictedOffDiagonalMass, "F3")}) | {F(e.PredictionDifference, "F3")} | {e.Diverged} | {F(e.Seconds, "F0")} |");
        }

        md.AppendLine();
        md.AppendLine("## Diffusion coefficient against the learning rate");
        md.AppendLine();
        string stable = "η = " + string.Join(", ", r.Spec.LearningRates.Where(e => e * r.Eigenvalues[^1] < 2).Select(e => F(e)));
        foreach (DiffusionExponent x in r.Exponents)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"- {NetworkSampling.Name(x.WithoutReplacement)}: D ∝ η^b with b = {F(x.Exponent, "F3")} ± {F(x.StandardError, "F3")} (95% CI [{F(x.Lower, "F3")}, {F(x.Upper, "F3")}]) over the {x.Modes} modes diffusive at every η with ηλ_max < 2 ({stable}; {x.Points} points, χ²/ν = {F(x.ReducedChiSquared, "F2")}); the flat-mode theory says b = 1 (`diffusion_vs_eta.png`).");
        }

        if (r.Replacement.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Without against with replacement");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Ratios of fitted values, without over with replacement, over the modes in the same regime under both. One step's noise covariance differs by the factor (n − B)/(n − 1), which predicts the ratio of stationary variances that relax within an epoch ({network.SampleCount / (double)network.BatchSize:F1} steps). Over whole epochs the minibatch gradients of an epoch sum to the full gradient at a fixed point: the noise of an epoch is anti-correlated, and the long-time diffusion without replacement is far smaller than the one-step factor (for diffusive modes the ratio is a measurement, not a test).");
            md.AppendLine();
            md.AppendLine("| η | regime | modes | ratio of fitted values | one-step factor (n − B)/(n − 1) | z against it |");
            md.AppendLine("|---|---|---|---|---|---|");
            foreach (ReplacementComparison c in r.Replacement)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {F(c.LearningRate)} | {Name(c.Regime)} | {c.Modes} | {F(c.Ratio, "F4")} ± {F(c.StandardError, "F4")} | {F(c.OneStepFactor, "F4")} | {F(c.Z, "F2")} |");
            }
        }

        md.AppendLine();
        md.AppendLine("## The stiffest modes");
        md.AppendLine();
        md.AppendLine("Fitted stationary variance (± SE) against the discrete and Langevin predictions, first sampling (`stationary_vs_prediction.png`, `variance_vs_time.png`).");
        md.AppendLine();
        md.AppendLine("| mode | λ | s² | η | regime | fit ± SE | discrete | z | Langevin | z |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (ModeResult m in r.Modes.OrderByDescending(m => m.Eigenvalue).Take(5))
        {
            foreach (ModeFit f in m.Fits.Where(f => f.WithoutReplacement == r.Spec.Samplings[0]))
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {m.Index} | {F(m.Eigenvalue)} | {F(m.NoiseVariance)} | {F(f.LearningRate)} | {Name(f.Regime)} | {F(f.Value)} ± {F(f.StandardError, "G2")} | {F(f.Discrete)} | {F(f.ZDiscrete, "F1")} | {F(f.Langevin)} | {F(f.ZLangevin, "F1")} |");
            }
        }

        md.AppendLine();
        md.AppendLine("Every mode's fits, with the classifier's reasons, are in `report.json` (`modes`); a number that does not exist (a prediction outside its range, a fit in another regime) is null there and — here.");
        return md.ToString();
    }

    private static string Median(IEnumerable<double> values)
    {
        double[] finite = [.. values.Where(double.IsFinite).Order()];
        return finite.Length == 0 ? "—" : F(finite.Length % 2 == 1 ? finite[finite.Length / 2] : 0.5 * (finite[(finite.Length / 2) - 1] + finite[finite.Length / 2]), "F2") + $" ({finite.Length})";
    }

    private static void SpectrumPlot(HessianModeResult r, string path)
    {
        var positive = r.Eigenvalues.Select((l, i) => (l, i)).Where(q => q.l > 0).ToArray();
        var negative = r.Eigenvalues.Select((l, i) => (l, i)).Where(q => q.l < 0).ToArray();
        var points = new List<ReportPlots.Points>
        {
            new("λ > 0", [.. positive.Select(q => (double)q.i)], [.. positive.Select(q => q.l)], new double[positive.Length]),
        };
        if (negative.Length > 0)
        {
            points.Add(new("λ < 0 (|λ|)", [.. negative.Select(q => (double)q.i)], [.. negative.Select(q => -q.l)], new double[negative.Length]));
        }

        ReportPlots.Save(path, "Hessian spectrum at the reference point", "mode (ascending λ)", "|λ|", points, [], yScale: ReportPlots.Scale.Log);
    }

    private static (ModeEnsemble Ensemble, int[] Modes) Showcase(HessianModeResult r)
    {
        bool first = r.Spec.Samplings[0];
        var runs = r.Ensembles.Where(e => e.WithoutReplacement == first).ToArray();
        ModeEnsemble ensemble = runs[runs.Length / 2];
        var fits = r.Modes.Select(m => (Mode: m, Fit: m.Fits.First(f => f.LearningRate == ensemble.LearningRate && f.WithoutReplacement == first))).ToArray();
        int[] confined = [.. fits.Where(q => q.Fit.Regime == Regime.Confined).OrderByDescending(q => q.Mode.Eigenvalue).Take(3).Select(q => q.Mode.Index)];
        int[] diffusive = [.. fits.Where(q => q.Fit.Regime == Regime.Diffusive).OrderBy(q => Math.Abs(q.Mode.Eigenvalue)).Take(3).Select(q => q.Mode.Index)];
        int[] unstable = [.. fits.Where(q => q.Fit.Regime == Regime.Unstable).Take(1).Select(q => q.Mode.Index)];
        return (ensemble, [.. confined, .. diffusive, .. unstable]);
    }

    private static void VarianceTimePlot(HessianModeResult r, string path)
    {
        var (ensemble, modes) = Showcase(r);
        var points = new List<ReportPlots.Points>();
        var curves = new List<ReportPlots.Curve>();
        int[] usable = [.. Enumerable.Range(0, ensemble.Steps.Length).Where(j => ensemble.Steps[j] > 0)];
        double[] t = [.. usable.Select(j => ensemble.Steps[j] * ensemble.LearningRate)];
        foreach (int m in modes)
        {
            ScottPlot.Color colour = ReportPlots.Colour(points.Count);
            ModeFit fit = r.Modes[m].Fits.First(f => f.LearningRate == ensemble.LearningRate && f.WithoutReplacement == ensemble.WithoutReplacement);
            double[] v = [.. usable.Select(j => ensemble.Variances[j][m])];
            double[] e = [.. usable.Select(j => ensemble.StandardErrors[j][m])];
            var keep = Enumerable.Range(0, v.Length).Where(j => v[j] > 0 && double.IsFinite(v[j])).ToArray();
            points.Add(new ReportPlots.Points(
                $"mode {m} (λ = {F(r.Modes[m].Eigenvalue, "G3")}, {Name(fit.Regime)}) ± SE",
                [.. keep.Select(j => t[j])],
                [.. keep.Select(j => v[j])],
                [.. keep.Select(j => e[j])],
                colour));
            if (fit.Regime == Regime.Confined && fit.Discrete > 0)
            {
                curves.Add(new ReportPlots.Curve(string.Empty, [t[0], t[^1]], [fit.Discrete, fit.Discrete], colour));
            }
            else if (fit.Regime == Regime.Diffusive && fit.Diffusion > 0)
            {
                curves.Add(new ReportPlots.Curve(string.Empty, t, [.. t.Select(time => 2 * fit.Diffusion * time)], colour));
            }
        }

        ReportPlots.Save(
            path,
            $"Eigenmode variances, η = {F(ensemble.LearningRate)}; lines: discrete stationary variance, 2Dt (D = ηs²/2)",
            "t = kη",
            "variance along the eigenmode",
            points,
            curves,
            ReportPlots.Scale.Log,
            ReportPlots.Scale.Log);
    }

    private static void DiffusionPlot(HessianModeResult r, string path)
    {
        bool first = r.Spec.Samplings[0];
        double top = r.Eigenvalues[^1];
        bool Used(ModeFit f) => f.WithoutReplacement == first && f.LearningRate * top < 2;
        var modes = r.Modes.Where(m => m.Fits.Where(Used).All(f => f.Regime == Regime.Diffusive && f.Value > 0))
            .OrderBy(m => Math.Abs(m.Eigenvalue)).Take(8).ToArray();
        var points = new List<ReportPlots.Points>();
        var curves = new List<ReportPlots.Curve>();
        foreach (ModeResult m in modes)
        {
            var fits = m.Fits.Where(Used).ToArray();
            ScottPlot.Color colour = ReportPlots.Colour(points.Count);
            points.Add(new ReportPlots.Points(
                $"mode {m.Index} (λ = {F(m.Eigenvalue, "G2")}) ± SE",
                [.. fits.Select(f => f.LearningRate)],
                [.. fits.Select(f => f.Value)],
                [.. fits.Select(f => f.StandardError)],
                colour));
            curves.Add(new ReportPlots.Curve(string.Empty, [.. fits.Select(f => f.LearningRate)], [.. fits.Select(f => f.Diffusion)], colour));
        }

        DiffusionExponent? x = r.Exponents.FirstOrDefault(e => e.WithoutReplacement == first);
        ReportPlots.Save(
            path,
            $"Diffusion coefficient of the flattest modes (lines: ηs²/2); fitted exponent {F(x?.Exponent ?? double.NaN, "F3")} ± {F(x?.StandardError ?? double.NaN, "F3")}",
            "learning rate η",
            "diffusion coefficient D",
            points,
            curves,
            ReportPlots.Scale.Log,
            ReportPlots.Scale.Log);
    }

    private static void StationaryPlot(HessianModeResult r, string path)
    {
        bool first = r.Spec.Samplings[0];
        var fits = r.Modes.SelectMany(m => m.Fits).Where(f => f.WithoutReplacement == first && f.Regime == Regime.Confined && f.Value > 0 && f.Discrete > 0 && f.Langevin > 0).ToArray();
        var points = new List<ReportPlots.Points>
        {
            new("fit ± SE vs discrete ηs²/(λ(2 − ηλ))", [.. fits.Select(f => f.Discrete)], [.. fits.Select(f => f.Value)], [.. fits.Select(f => f.StandardError)]),
            new("fit vs Langevin ηs²/(2λ)", [.. fits.Select(f => f.Langevin)], [.. fits.Select(f => f.Value)], new double[fits.Length]),
        };
        double lo = fits.Length == 0 ? 0.1 : fits.Min(f => Math.Min(f.Discrete, f.Langevin));
        double hi = fits.Length == 0 ? 1 : fits.Max(f => Math.Max(f.Discrete, f.Langevin));
        ReportPlots.Save(
            path, "Stationary variance of the confined modes against the predictions", "prediction", "fitted stationary variance", points, [new ReportPlots.Curve("equality", [lo, hi], [lo, hi])],
            ReportPlots.Scale.Log, ReportPlots.Scale.Log);
    }
}
