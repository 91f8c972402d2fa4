using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SgdDynamics.Ensembles;
using SgdDynamics.Observers;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Output;

/// <summary>
/// Writers of an ensemble run: <c>summary.json</c> (run description, final moments, throughput),
/// <c>timeseries.csv</c> (every record: step, time = step·η, counts, means, covariances — or variances above
/// d = 64), <c>timeseries.npz</c> (the same and more for NumPy: <see cref="TimeSeriesNpz"/>) and <c>scenario.json</c> (the resolved scenario, every default written out); with projections
/// (<see cref="ProjectionSpec"/>) <c>projections.csv</c> (every record: the projections' means, variances and their
/// standard errors) and, with their covariance, <c>projection_covariance.npy</c> (the final K × K covariance); with the
/// full covariance above d = 64 (<see cref="EnsembleAlgorithm.FullCovariance"/>) <c>covariance.npy</c> (the final d × d covariance).
/// </summary>
public static class EnsembleOutput
{
    /// <summary>Summary file name.</summary>
    public const string SummaryFile = "summary.json";

    /// <summary>Time-series file name.</summary>
    public const string TimeSeriesFile = "timeseries.csv";

    /// <summary>Per-eigenmode variance time-series file name.</summary>
    public const string ModesFile = "modes.csv";

    /// <summary>Resolved-scenario file name.</summary>
    public const string ScenarioFile = "scenario.json";

    /// <summary>Time series of the projections (runs with a <see cref="ProjectionSpec"/>).</summary>
    public const string ProjectionsFile = "projections.csv";

    /// <summary>The final K × K covariance of the projections, float64 .npy (with <see cref="ProjectionSpec.Covariance"/>).</summary>
    public const string ProjectionCovarianceFile = "projection_covariance.npy";

    /// <summary>The final d × d covariance of the state above d = 64, float64 .npy (with <see cref="EnsembleAlgorithm.FullCovariance"/>).</summary>
    public const string CovarianceFile = "covariance.npy";

    /// <summary>
    /// Writes summary.json, timeseries.csv, timeseries.npz, scenario.json, run.png (<see cref="RunPlot"/>), (quadratic landscapes only)
    /// modes.csv and, when recorded, projections.csv, projection_covariance.npy and covariance.npy into <paramref name="directory"/> (created if missing)
    /// and returns the summary. Without <paramref name="plot"/> run.png is not drawn (a sweep's cells, where the sweep's plot
    /// stands for them, unless asked).
    /// </summary>
    public static JsonObject Write(string directory, Scenario scenario, EnsembleResult result, bool plot = true)
    {
        Directory.CreateDirectory(directory);
        IReadOnlyList<ModeReport> modes = EnsembleObservations.Modes(result);
        // The plot renders (a cold ScottPlot start costs more than the render) while the other files are written; the PNG
        // is written last, on this thread, so that the files are written in the same order every time.
        Task<byte[]>? image = plot ? Task.Run(() => RunPlot.Render(scenario.Name ?? "ensemble", result, modes)) : null;
        JsonObject summary = Summary(scenario, result, modes);
        Json.WriteFile(Path.Combine(directory, SummaryFile), summary);
        AtomicFile.WriteAllText(Path.Combine(directory, TimeSeriesFile), TimeSeries(result));
        TimeSeriesNpz.Write(directory, result);
        if (result.Problem.IsQuadratic && result.Final.Moments.HasCovariance && result.Problem.Dimension <= Limits.MaxDimension)
        {
            AtomicFile.WriteAllText(Path.Combine(directory, ModesFile), ModeSeries(result, modes));
        }

        if (result.Final.Moments.HasCovariance && result.Problem.Dimension > Limits.MaxDimension)
        {
            Data.NpyFile.Write(Path.Combine(directory, CovarianceFile), result.Final.Moments.Covariance);
        }

        if (result.Final.Projected is { } projected)
        {
            AtomicFile.WriteAllText(Path.Combine(directory, ProjectionsFile), ProjectionSeries(result));
            if (projected.HasCovariance)
            {
                Data.NpyFile.Write(Path.Combine(directory, ProjectionCovarianceFile), projected.Covariance);
            }
        }

        ScenarioWriter.WriteFile(scenario, Path.Combine(directory, ScenarioFile));
        if (image is not null)
        {
            AtomicFile.WriteAllBytes(Path.Combine(directory, RunPlot.FileName), image.GetAwaiter().GetResult());
        }

        return summary;
    }

    /// <summary>
    /// Writes the summary.json of an ensemble run stopped before its end (no statistics: those of a partial ensemble are
    /// not a result) and scenario.json: <c>complete: false</c>, <c>stopped</c> (why), the trajectory-steps done and their
    /// fraction of the run. Returns the summary.
    /// </summary>
    public static JsonObject WriteStopped(string directory, Scenario scenario, string stopped, long trajectoryStepsDone, long trajectoryStepsTotal)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var ensemble = (EnsembleAlgorithm)scenario.Algorithm;
        Directory.CreateDirectory(directory);
        var summary = new JsonObject
        {
            ["scenario"] = scenario.Name,
            ["dimension"] = scenario.Problem.Dimension,
            ["trajectories"] = ensemble.Trajectories,
            ["steps"] = ensemble.Steps,
            ["complete"] = false,
            ["stopped"] = stopped,
            ["trajectoryStepsDone"] = trajectoryStepsDone,
            ["trajectoryStepsTotal"] = trajectoryStepsTotal,
            ["fractionDone"] = Json.Number(trajectoryStepsTotal > 0 ? (double)trajectoryStepsDone / trajectoryStepsTotal : 0),
            ["note"] = "the run was stopped before its end: the statistics of a partial ensemble are not a result, none are written",
        };
        Json.WriteFile(Path.Combine(directory, SummaryFile), summary);
        ScenarioWriter.WriteFile(scenario, Path.Combine(directory, ScenarioFile));
        return summary;
    }

    /// <summary>
    /// The summary object: the run, the final moments, per-eigenmode regimes (<c>modes</c>) and, when the
    /// scenario records tails, tail indices and quantiles of the final states (<c>final.tailIndex</c>,
    /// <c>final.quantiles</c>). <c>modes</c> (Hessian eigenmodes with the theory's predictions) is written for
    /// quadratic landscapes only; <c>landscape</c> names the landscape type.
    /// </summary>
    public static JsonObject Summary(Scenario scenario, EnsembleResult result) => Summary(scenario, result, EnsembleObservations.Modes(result));

    /// <summary>The summary object with the eigenmode reports already computed (<see cref="EnsembleObservations.Modes"/>).</summary>
    public static JsonObject Summary(Scenario scenario, EnsembleResult result, IReadOnlyList<ModeReport> modeReports)
    {
        Problem p = result.Problem;
        EnsembleAlgorithm algorithm = result.Algorithm;
        EnsembleRecord final = result.Final;
        JsonObject finalRecord = Record(final);
        if (result.FinalStates is not null && algorithm.Record.Tails)
        {
            var tails = EnsembleObservations.Tails(result);
            finalRecord["tailIndex"] = new JsonArray(tails.Select(TailIndex).ToArray());
            finalRecord["quantiles"] = new JsonObject
            {
                ["probabilities"] = Json.Vector(EnsembleObservations.QuantileProbabilities),
                ["values"] = new JsonArray(tails.Select(t => t.Quantiles is { } q
                    ? Json.Vector(q.Values)
                    : Json.Vector(EnsembleObservations.QuantileProbabilities.Select(_ => double.NaN))).ToArray()),
            };
            if (tails.Any(t => t.Quantiles is null))
            {
                finalRecord["quantiles"]!["undefined"] = new JsonArray(tails.Select(t => (JsonNode?)t.QuantilesUndefined).ToArray());
            }
        }

        var modes = new JsonArray(modeReports.Select(Mode).ToArray());
        SecondMomentReport secondMoment = EnsembleObservations.SecondMoment(result);

        var summary = new JsonObject
        {
            ["scenario"] = scenario.Name,
            ["solver"] = algorithm.TypeName,
            ["landscape"] = p.Landscape.TypeName,
            ["backend"] = result.Backend,
            ["device"] = result.Device,
            ["dimension"] = p.Dimension,
            ["trajectories"] = result.Range.Count,
            ["firstTrajectory"] = result.Range.First,
            ["steps"] = algorithm.Steps,
            ["seed"] = algorithm.Seed,
            ["optimizer"] = DynamicsJson.Of(p.Dynamics),
            ["recordEvery"] = algorithm.Record.Every,
            ["records"] = result.Records.Count,
            ["divergenceThreshold"] = Json.Number(algorithm.DivergenceThreshold),
            ["firstDivergedStep"] = result.FirstDivergedStep,
            ["final"] = finalRecord,
            ["projections"] = algorithm.Projection is { } projection ? Projections(projection, final.Projected!) : null,
            ["modes"] = modes,
            ["secondMomentStable"] = secondMoment.Stable,
            ["secondMomentSpectralRadius"] = secondMoment.SpectralRadius is { } rho ? Json.Number(rho) : null,
            ["secondMomentNote"] = secondMoment.Note,
            ["seconds"] = Json.Number(result.Seconds),
            ["trajectoryStepsPerSecond"] = Json.Number(result.TrajectoryStepsPerSecond),
            ["peakMemoryBytes"] = Json.PeakMemoryBytes(),
        };
        if (!p.IsQuadratic)
        {
            summary.Remove("modes");
        }

        if (secondMoment.Stable is null)
        {
            summary.Remove("secondMomentSpectralRadius");
        }

        if (algorithm.Projection is null)
        {
            summary.Remove("projections");
        }

        return summary;
    }

    /// <summary>
    /// summary.json's <c>projections</c>: the directions (K, d, the .npy file and the SHA-256 of its directions or null,
    /// the centre, whether the covariance is recorded) and their final moments (means, variances, standard errors, third
    /// and fourth central moments; the covariance as the name of <see cref="ProjectionCovarianceFile"/>, or "not recorded").
    /// </summary>
    private static JsonObject Projections(ProjectionSpec spec, Statistics.Moments final) => new()
    {
        ["directions"] = spec.Count,
        ["dimension"] = spec.Dimension,
        ["file"] = spec.DirectionsFile,
        ["sha256"] = spec.DirectionsFile is null ? null : spec.Fingerprint(),
        ["centre"] = spec.CentreIsInitialMean ? "initial" : Json.Vector(spec.Centre),
        ["covarianceRecorded"] = spec.Covariance,
        ["timeSeries"] = ProjectionsFile,
        ["final"] = new JsonObject
        {
            ["count"] = final.Count,
            ["diverged"] = final.Diverged,
            ["mean"] = Json.Vector(final.Mean),
            ["variance"] = Json.Vector(final.Variance),
            ["covariance"] = final.HasCovariance ? ProjectionCovarianceFile : "not recorded (record.directions.covariance is false)",
            ["meanStandardError"] = Json.Vector(final.MeanStandardError),
            ["varianceStandardError"] = Json.Vector(final.VarianceStandardError),
            ["thirdCentralMoment"] = Json.Vector(final.ThirdCentralMoment),
            ["fourthCentralMoment"] = Json.Vector(final.FourthCentralMoment),
        },
    };

    /// <summary>
    /// One entry of summary.json's <c>modes</c>: the run's regime and fitted value (<c>fitted</c>, <c>standardError</c>;
    /// null for a mode whose theory has an infinite variance, whose last measured variance is then <c>measuredVariance</c>),
    /// the theory's <c>discrete</c> and <c>langevin</c> predictions with the z-scores <c>zDiscrete</c>, <c>zLangevin</c>
    /// (null where undefined, <c>zUndefined</c> says why), <c>verdict</c>, the mode's <c>secondMomentStable</c>, and
    /// <c>predicted</c> (the discrete prediction of the quantity the regime fitted, kept for compatibility).
    /// </summary>
    public static JsonObject Mode(ModeReport m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var entry = new JsonObject
        {
            ["mode"] = m.Mode,
            ["eigenvalue"] = Json.Number(m.Eigenvalue),
            ["eigenvector"] = Json.Vector(m.Eigenvector),
            ["regime"] = m.Regime.ToString().ToLowerInvariant(),
            ["verdict"] = m.Verdict,
            ["quantity"] = m.Quantity,
            ["fitted"] = Json.Number(m.Fitted),
            ["standardError"] = Json.Number(m.StandardError),
            ["predicted"] = m.Predicted is { } predicted ? Json.Number(predicted) : null,
            ["discrete"] = Optional(m.Discrete),
            ["langevin"] = Optional(m.Langevin),
            ["zDiscrete"] = Optional(m.ZDiscrete),
            ["zLangevin"] = Optional(m.ZLangevin),
            ["secondMomentStable"] = m.SecondMomentStable,
            ["reason"] = m.Reason,
        };
        if (m.ZUndefined is not null)
        {
            entry["zUndefined"] = m.ZUndefined;
        }

        if (m.TheoryNote is not null)
        {
            entry["theoryNote"] = m.TheoryNote;
        }

        if (m.MeasuredVariance is { } measured)
        {
            entry["measuredVariance"] = Json.Number(measured);
            entry["measuredVarianceStandardError"] = Optional(m.MeasuredVarianceStandardError);
            entry["measuredVarianceNote"] = "the variance at the last record: a finite-time value of a variance that grows without bound, not a stationary variance";
        }

        return entry;
    }

    private static JsonNode? Optional(double? value) => value is { } v ? Json.Number(v) : null;

    private static JsonNode TailIndex(TailReport t)
    {
        var entry = new JsonObject
        {
            ["coordinate"] = t.Coordinate,
            ["alpha"] = Json.Number(t.Hill?.Alpha ?? double.NaN),
            ["standardError"] = Json.Number(t.Hill?.StandardError ?? double.NaN),
            ["k"] = t.Hill?.K,
            ["n"] = t.Count,
            ["threshold"] = Json.Number(t.Hill?.Threshold ?? double.NaN),
            ["rule"] = "Hill estimator of |x_i|, k = floor(sqrt(n)), SE = alpha/sqrt(k)",
        };
        if (t.HillUndefined is not null)
        {
            entry["undefined"] = t.HillUndefined;
        }

        if (t.Hill is { } hill)
        {
            entry["gaussianAlpha"] = Json.Number(TailIndexFlags.GaussianAlpha(hill.N, hill.K));
            if (TailIndexFlags.Check(hill) is { } flag)
            {
                entry["flag"] = flag.Flag;
                entry["note"] = flag.Note;
            }
        }

        return entry;
    }

    /// <summary>
    /// One record as JSON: step, time, count, diverged, mean, covariance and their standard errors. Without a recorded
    /// covariance (coordinates only, d &gt; <see cref="Limits.MaxDimension"/>) "covariance" says so and "variance" holds
    /// the per-coordinate variances; with the full covariance above d = 64 "covariance" names <see cref="CovarianceFile"/>
    /// (the final record's) and "variance" holds the variances.
    /// </summary>
    public static JsonObject Record(EnsembleRecord record)
    {
        JsonObject json = RecordHead(record);
        if (record.Moments.HasCovariance && record.Moments.Dimension > Limits.MaxDimension)
        {
            json["covariance"] = CovarianceFile;
            json["variance"] = Json.Vector(record.Moments.Variance);
        }
        else if (record.Moments.HasCovariance)
        {
            json["covariance"] = Json.Matrix(record.Moments.Covariance);
        }
        else
        {
            json["covariance"] = CovarianceNotRecorded(record.Moments.Dimension);
            json["variance"] = Json.Vector(record.Moments.Variance);
        }

        return RecordTail(json, record);
    }

    /// <summary>What summary.json says in place of a covariance that was not recorded.</summary>
    public static string CovarianceNotRecorded(int dimension) =>
        string.Create(CultureInfo.InvariantCulture, $"not recorded (d = {dimension} > {Limits.MaxDimension})");

    private static JsonObject RecordHead(EnsembleRecord record) => new()
    {
        ["step"] = record.Step,
        ["time"] = Json.Number(record.Time),
        ["count"] = record.Moments.Count,
        ["diverged"] = record.Moments.Diverged,
        ["mean"] = Json.Vector(record.Moments.Mean),
    };

    private static JsonObject RecordTail(JsonObject json, EnsembleRecord record)
    {
        json["meanStandardError"] = Json.Vector(record.Moments.MeanStandardError);
        json["varianceStandardError"] = Json.Vector(record.Moments.VarianceStandardError);
        json["thirdCentralMoment"] = Json.Vector(record.Moments.ThirdCentralMoment);
        json["fourthCentralMoment"] = Json.Vector(record.Moments.FourthCentralMoment);
        return json;
    }

    /// <summary>
    /// The time series as CSV (invariant culture, round-trip precision; empty field for NaN): means and the covariance's
    /// upper triangle, or, above d = <see cref="Limits.MaxDimension"/> (with or without a recorded covariance, which
    /// goes to <see cref="CovarianceFile"/>), means and variances.
    /// </summary>
    public static string TimeSeries(EnsembleResult result)
    {
        int d = result.Problem.Dimension;
        bool pairs = result.Final.Moments.HasCovariance && d <= Limits.MaxDimension;
        var csv = new StringBuilder();
        csv.Append("step,time,count,diverged");
        if (pairs)
        {
            MomentColumns.AppendHeader(csv, d);
        }
        else
        {
            MomentColumns.AppendVarianceHeader(csv, d);
        }

        csv.Append('\n');
        foreach (EnsembleRecord r in result.Records)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Step},{Format(r.Time)},{r.Moments.Count},{r.Moments.Diverged}");
            if (pairs)
            {
                MomentColumns.AppendValues(csv, r.Moments.Mean, r.Moments.Covariance);
            }
            else
            {
                MomentColumns.AppendVarianceValues(csv, r.Moments.Mean, r.Moments.Variance);
            }

            csv.Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>
    /// The time series of the projections as CSV (invariant culture, round-trip precision; empty field for NaN): step,
    /// time, count, diverged, then <c>mean_k</c>, <c>var_k</c>, <c>mean_se_k</c> (√(var_k/n)) and <c>var_se_k</c>
    /// (√((m₄ − m₂²)/n)) for the K directions, each group in the order of the directions.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run recorded no projections.</exception>
    public static string ProjectionSeries(EnsembleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int k = result.Algorithm.Projection?.Count ?? throw new InvalidOperationException("the run recorded no projections");
        var csv = new StringBuilder("step,time,count,diverged");
        foreach (string column in new[] { "mean", "var", "mean_se", "var_se" })
        {
            for (int a = 0; a < k; a++)
            {
                csv.Append(CultureInfo.InvariantCulture, $",{column}_{a}");
            }
        }

        csv.Append('\n');
        foreach (EnsembleRecord r in result.Records)
        {
            Statistics.Moments y = r.Projected!;
            csv.Append(CultureInfo.InvariantCulture, $"{r.Step},{Format(r.Time)},{y.Count},{y.Diverged}");
            foreach (double[] values in new[] { y.Mean, y.Variance, y.MeanStandardError, y.VarianceStandardError })
            {
                foreach (double v in values)
                {
                    csv.Append(',').Append(Format(v));
                }
            }

            csv.Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>
    /// The variance along each Hessian eigenvector v_m (eigenvalues ascending), vᵀCv, at every record, with its
    /// Gaussian-approximation standard error √(2/(n − 1))·vᵀCv: columns step, time, var_mode_m, se_mode_m, modes in the
    /// order of summary.json's <c>modes</c> (eigenvalues ascending). Quadratic landscapes only
    /// (<see cref="InvalidOperationException"/> otherwise).
    /// </summary>
    public static string ModeSeries(EnsembleResult result) => ModeSeries(result, EnsembleObservations.Modes(result));

    /// <summary>modes.csv from eigenmode reports already computed (their variance series).</summary>
    public static string ModeSeries(EnsembleResult result, IReadOnlyList<ModeReport> modes)
    {
        _ = result.Problem.Quadratic;
        int d = modes.Count;
        var series = modes.Select(m => m.Series).ToArray();
        var csv = new StringBuilder("step,time");
        for (int m = 0; m < d; m++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",var_mode_{m}");
        }

        for (int m = 0; m < d; m++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",se_mode_{m}");
        }

        csv.Append('\n');
        for (int r = 0; r < result.Records.Count; r++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{result.Records[r].Step},{Format(result.Records[r].Time)}");
            foreach (VarianceSeries s in series)
            {
                csv.Append(',').Append(Format(s.Variances[r]));
            }

            foreach (VarianceSeries s in series)
            {
                csv.Append(',').Append(Format(s.StandardErrors[r]));
            }

            csv.Append('\n');
        }

        return csv.ToString();
    }

    private static string Format(double value) => MomentColumns.Format(value);
}
