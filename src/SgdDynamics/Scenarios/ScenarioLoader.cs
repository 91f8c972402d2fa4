using System.Globalization;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Scenarios;

/// <summary>
/// Loads a scenario JSON document into a validated <see cref="Scenario"/>. Parsing is strict:
/// unknown or duplicate fields, wrong JSON kinds, non-finite numbers and inconsistent dimensions
/// are errors, reported as a <see cref="ScenarioException"/> naming the JSON path of the value.
/// </summary>
/// <example>
/// <code>
/// {"landscape": {"type": "quadratic", "hessian": [[2,0.5],[0.5,1]], "linearTerm": [0.1,0],
///                "gradientNoiseCovariance": [[1,0.3],[0.3,0.5]], "curvatureNoiseStd": [0.3,0]},
///  "optimizer": {"type": "sgd", "learningRate": 0.1, "momentum": 0.0},
///  "initial": {"point": [1,-1]},
///  "ensemble": {"trajectories": 1000000, "steps": 500, "seed": 7, "divergenceThreshold": 1e12},
///  "record": {"every": 10, "tails": false, "covariance": false,
///             "directions": {"file": "eigenvectors.npy", "centre": "initial", "covariance": true}}}
/// </code>
/// </example>
public static partial class ScenarioLoader
{
    /// <summary>Relative tolerance of the symmetry check: |Aᵢⱼ − Aⱼᵢ| ≤ tol · max(1, |Aᵢⱼ|, |Aⱼᵢ|).</summary>
    public const double SymmetryTolerance = 1e-12;

    /// <summary>Relative tolerance of the PSD check: λ_min ≥ −tol · max(1, max |λ|).</summary>
    public const double EigenvalueTolerance = 1e-12;

    /// <summary>
    /// Reads and parses a scenario file; errors carry the file path. A scenario without <c>"name"</c> is named after its
    /// file (<see cref="NameOf"/>), so that titles, summaries and the run folder's scenario.json say which scenario ran.
    /// </summary>
    /// <exception cref="ScenarioException">The file is missing or unreadable, or the scenario is invalid.</exception>
    public static Scenario LoadFile(string path) => LoadFile(path, NameOf(path));

    /// <summary>The name a scenario file without <c>"name"</c> gets: its file name without the extension.</summary>
    public static string NameOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetFileNameWithoutExtension(path);
    }

    /// <summary>
    /// Reads and parses a scenario file; errors carry the file path. A scenario without <c>"name"</c> gets
    /// <paramref name="defaultName"/> (null: it stays unnamed — a run folder's scenario.json holds the name the run had).
    /// </summary>
    /// <exception cref="ScenarioException">The file is missing or unreadable, or the scenario is invalid.</exception>
    public static Scenario LoadFile(string path, string? defaultName)
    {
        string json = ReadFileText(path);
        try
        {
            return WithDefaultName(Parse(json, Path.GetDirectoryName(Path.GetFullPath(path))), defaultName);
        }
        catch (ScenarioException e)
        {
            throw e.InFile(path);
        }
    }

    /// <summary>The scenario, named <paramref name="defaultName"/> when it has no name of its own (and a default is given).</summary>
    public static Scenario WithDefaultName(Scenario scenario, string? defaultName) =>
        scenario.Name is null && !string.IsNullOrEmpty(defaultName) ? scenario with { Name = defaultName } : scenario;

    /// <summary>Reads a scenario file's text (at most <see cref="MaxFileBytes"/>, within <see cref="ReadTimeout"/>, UTF-8); errors carry the file path.</summary>
    /// <exception cref="ScenarioException">The file is missing, a directory, unreadable, too large or not UTF-8.</exception>
    public static string ReadFileText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ScenarioException(null, "no scenario file given (empty path)");
        }

        string json;
        try
        {
            json = ReadBounded(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ScenarioException(null, "scenario file does not exist", path, e);
        }
        catch (UnauthorizedAccessException e) when (Directory.Exists(path))
        {
            throw new ScenarioException(null, "is a directory, not a scenario file", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(null, $"cannot read scenario file ({e.Message})", path, e);
        }

        return json;
    }

    /// <summary>The longest scenario file read: 16 MiB.</summary>
    public const int MaxFileBytes = 16 << 20;

    /// <summary>How long reading a scenario file may take before it is given up: 10 s.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private static string ReadBounded(string path)
    {
        try
        {
            return BoundedFile.ReadAllText(path, MaxFileBytes, ReadTimeout);
        }
        catch (BoundedReadException e)
        {
            throw new ScenarioException(null, $"scenario file {e.Message}", path, e);
        }
    }

    /// <summary>Parses a scenario from JSON text.</summary>
    /// <exception cref="ScenarioException">The text is not valid JSON or not a valid scenario.</exception>
    public static Scenario Parse(string json) => Parse(json, null);

    /// <summary>Parses a scenario from JSON text whose relative file paths (data files) resolve against <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="ScenarioException">The text is not valid JSON or not a valid scenario.</exception>
    public static Scenario Parse(string json, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new ScenarioException("$", "scenario is empty (expected a JSON object)");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ScenarioException("$", $"not valid JSON ({DescribeSyntaxError(e)})", innerException: e);
        }

        using (document)
        {
            return ReadScenario(new JsonField(document.RootElement, "$", baseDirectory).AsObject());
        }
    }

    private static Scenario ReadScenario(ObjectFields root)
    {
        if (root.Optional(SweepSpec.SectionName) is { } sweep)
        {
            throw sweep.Error("a sweep runs with 'sgdyn run', which runs one scenario per cell; this command takes a single scenario (remove the section, or set values with --set)");
        }

        root.RejectUnknown("name", "description", "landscape", "optimizer", "dynamics", "initial", "ensemble", "record", "solver", "hessianModes");
        string? name = root.Optional("name")?.AsString();
        string? description = root.Optional("description")?.AsString();

        var landscape = ReadLandscape(root.Required("landscape").AsObject());
        var dynamics = ReadDynamics(root.Required("optimizer").AsObject());
        if (root.Optional("dynamics") is { } modelField)
        {
            dynamics = ReadModel(modelField.AsObject(), dynamics);
            if (!ModelRegistry.For(dynamics).IsOptimizer && ModelRegistry.For(landscape).SdeModelRefusal is { } sdeRefusal)
            {
                throw new ScenarioException("$.dynamics.type", sdeRefusal);
            }

            if (SdeSchemeCheck.Refusal(landscape, dynamics) is { } refusal)
            {
                throw new ScenarioException("$.dynamics.scheme", refusal);
            }
        }

        var initial = ReadInitial(root.Required("initial").AsObject(), landscape);
        var solver = root.Optional("solver") is { } solverField
            ? ReadSolver(solverField.AsObject(), landscape.Dimension)
            : SolverSection.Ensemble;
        Algorithm algorithm;
        if (solver.Type == EnsembleType)
        {
            var (trajectories, steps, seed, threshold) = ReadEnsemble(root.Required("ensemble").AsObject());
            var record = ReadRecord(root, steps);
            var moments = ReadRecordedMoments(root, landscape.Dimension, initial, ModelRegistry.For(landscape).DimensionReason);
            algorithm = new EnsembleAlgorithm(trajectories, steps, seed, record, threshold, solver.Grid)
            {
                FullCovariance = moments.FullCovariance,
                Projection = moments.Projection,
            };
        }
        else
        {
            int steps = solver.Stationary ? ReadStationarySteps(root, solver.Type) : ReadGridSteps(root.Required("ensemble").AsObject());
            var record = ReadRecord(root, steps);
            RejectEnsembleRecordFields(root);
            CheckGridProblem(solver.Grid!, dynamics, initial, record);
            algorithm = solver.Type switch
            {
                MasterEquationType when landscape is LeastSquaresLandscapeSpec { WithoutReplacement: true } =>
                throw new ScenarioException(
                    "$.landscape.sampling",
                    "the master equation is a Markov chain in x: it takes minibatches drawn with replacement (without replacement the minibatches of an epoch depend on each other); run an ensemble, or the Fokker–Planck equation with the without-replacement noise"),
            MasterEquationType => new MasterEquationAlgorithm(solver.Grid!, steps, record, solver.Boundary, solver.TruncationSigmas) { Stationary = solver.Stationary },
                FokkerPlanckType => new FokkerPlanckAlgorithm(solver.Grid!, steps, solver.Variant, record, solver.Boundary, solver.Substeps, solver.Scheme) { Stationary = solver.Stationary },
                _ => throw new InvalidOperationException($"solver type '{solver.Type}' has no algorithm"),
            };
        }

        ModeExperiments.HessianModesSpec? hessianModes = null;
        if (root.Optional("hessianModes") is { } hessianField)
        {
            if (landscape is not INetworkLandscape || algorithm is not EnsembleAlgorithm ensembleAlgorithm)
            {
                throw hessianField.Error("the Hessian-mode experiment takes a network landscape (mlp, charModel) solved by an ensemble");
            }

            hessianModes = ModeExperiments.HessianModesSpec.Read(hessianField.AsObject(), ensembleAlgorithm);
        }

        return new Scenario(name, description, new Problem(landscape, dynamics, initial), algorithm, hessianModes);
    }

    /// <summary>The <c>landscape</c> object, read by the registration its <c>type</c> names (default: quadratic).</summary>
    private static LandscapeSpec ReadLandscape(ObjectFields landscape)
    {
        LandscapeRegistration registration = ModelRegistry.Landscapes[0];
        if (landscape.Optional("type") is { } type)
        {
            string typeName = type.AsString();
            registration = ModelRegistry.FindLandscape(typeName)
                ?? throw type.Error($"unknown landscape type {Quote(typeName)} (expected: {string.Join(", ", ModelRegistry.Landscapes.Select(r => r.TypeName))})");
        }

        return registration.Read(landscape);
    }

    /// <summary>The <c>optimizer</c> object: type and learning rate, then the constants its registration reads.</summary>
    private static DynamicsSpec ReadDynamics(ObjectFields optimizer)
    {
        var type = optimizer.Required("type");
        string typeName = type.AsString();
        DynamicsRegistration registration = ModelRegistry.FindOptimizer(typeName)
            ?? throw type.Error($"unknown optimizer type {Quote(typeName)} (expected: {string.Join(", ", ModelRegistry.Dynamics.Where(r => r.IsOptimizer).Select(r => r.TypeName))}" +
                (ModelRegistry.FindModel(typeName) is null ? ")" : $"; '{typeName}' is an SDE model: give it as \"dynamics\": {{\"type\": \"{typeName}\"}} beside an sgd optimizer)"));
        optimizer.RejectUnknown(["type", "learningRate", .. registration.Fields]);

        var learningRateField = optimizer.Required("learningRate");
        double learningRate = learningRateField.AsNumber();
        if (!(learningRate > 0))
        {
            throw learningRateField.Error($"must be > 0 (got {learningRateField.Raw})");
        }

        return registration.Read(optimizer, learningRate);
    }

    /// <summary>
    /// The <c>dynamics</c> object: <c>"sgd"</c> (the default: the optimizer's own rule) or an SDE model of SGD, which takes
    /// the learning rate of an <c>sgd</c> optimizer.
    /// </summary>
    private static DynamicsSpec ReadModel(ObjectFields section, DynamicsSpec optimizer)
    {
        var type = section.Required("type");
        string typeName = type.AsString();
        if (typeName == "sgd")
        {
            section.RejectUnknown("type");
            return optimizer;
        }

        DynamicsRegistration registration = ModelRegistry.FindModel(typeName)
            ?? throw type.Error($"unknown dynamics type {Quote(typeName)} (expected: sgd, {string.Join(", ", ModelRegistry.Dynamics.Where(r => !r.IsOptimizer).Select(r => r.TypeName))})");
        if (optimizer is not SgdSpec)
        {
            throw new ScenarioException("$.optimizer.type", $"the SDE model '{typeName}' stands in for plain SGD: the optimizer must be 'sgd' (got '{optimizer.TypeName}')");
        }

        section.RejectUnknown(["type", .. registration.Fields]);
        return registration.Read(section, optimizer.LearningRate);
    }

    private static InitialLaw ReadInitial(ObjectFields initial, LandscapeSpec landscape)
    {
        LandscapeRegistration registration = ModelRegistry.For(landscape);
        int d = landscape.Dimension;
        string dimensionReason = registration.DimensionReason;
        initial.RejectUnknown(["point", "mean", "covariance", .. registration.InitialFields]);
        bool hasPoint = initial.Has("point");
        bool hasMean = initial.Has("mean");
        bool hasCovariance = initial.Has("covariance");
        if (registration.InitialFields.FirstOrDefault(initial.Has) is { } own)
        {
            return hasPoint || hasMean || hasCovariance || registration.InitialFields.Count(initial.Has) > 1
                ? throw initial.Error($"give one of 'point', 'mean' with 'covariance', or {string.Join(", ", registration.InitialFields.Select(f => $"'{f}'"))}")
                : registration.ReadInitial(initial, landscape);
        }

        if (hasPoint && (hasMean || hasCovariance))
        {
            throw initial.Error("give either 'point' or 'mean' with 'covariance', not both");
        }

        if (hasPoint)
        {
            var point = initial.Required("point").AsVector(d, dimensionReason);
            var zero = Matrix<double>.Build.Dense(d, d);
            return new InitialLaw(point, zero, zero.Clone(), true);
        }

        if (!hasMean && !hasCovariance)
        {
            throw initial.Error("expected either 'point' or 'mean' with 'covariance'");
        }

        const string gaussianHint = "a Gaussian initial law needs 'mean' and 'covariance'";
        var mean = hasMean
            ? initial.Required("mean").AsVector(d, dimensionReason)
            : throw initial.Missing("mean", gaussianHint);
        var covariance = hasCovariance
            ? ScenarioFields.Covariance(initial.Required("covariance"), d, "C", dimensionReason)
            : throw initial.Missing("covariance", gaussianHint);

        var (factor, lowerTriangular) = CovarianceFactor.Compute(covariance);
        return new InitialLaw(mean, covariance, factor, lowerTriangular);
    }

    private static (long Trajectories, int Steps, uint Seed, double DivergenceThreshold) ReadEnsemble(ObjectFields ensemble)
    {
        ensemble.RejectUnknown("trajectories", "steps", "seed", "divergenceThreshold");

        long trajectories = ensemble.Required("trajectories")
            .AsInteger(1, Limits.MaxTrajectories, "the trajectory index is a 32-bit Philox key word");
        int steps = (int)ensemble.Required("steps").AsInteger(1, int.MaxValue);
        uint seed = (uint)ensemble.Required("seed").AsInteger(0, uint.MaxValue, "the seed is a 32-bit Philox key word");

        double threshold = EnsembleAlgorithm.DefaultDivergenceThreshold;
        if (ensemble.Optional("divergenceThreshold") is { } thresholdField)
        {
            threshold = thresholdField.AsNumber();
            if (!(threshold > 0))
            {
                throw thresholdField.Error($"must be > 0 (got {thresholdField.Raw})");
            }

            if (threshold > Limits.MaxDivergenceThreshold)
            {
                throw thresholdField.Error(
                    $"must be <= {Limits.MaxDivergenceThreshold.ToString("0.###e0", CultureInfo.InvariantCulture)} so that sums of x^4 stay representable (got {thresholdField.Raw})");
            }
        }

        return (trajectories, steps, seed, threshold);
    }

    /// <summary>The optional <c>record</c> object (default: the start and the last step only).</summary>
    private static RecordSpec ReadRecord(ObjectFields root, int steps)
    {
        if (root.Optional("record") is not { } recordField)
        {
            return new RecordSpec(steps);
        }

        var record = recordField.AsObject();
        record.RejectUnknown("every", "tails", "covariance", "directions");
        int every = record.Optional("every") is { } everyField
            ? (int)everyField.AsInteger(1, int.MaxValue)
            : steps;
        bool tails = record.Optional("tails") is { } tailsField && tailsField.AsBoolean();
        return new RecordSpec(every, tails);
    }

    /// <summary>A JSON syntax error in one line, with 1-based line and position.</summary>
    internal static string DescribeSyntaxError(JsonException e)
    {
        // System.Text.Json appends " LineNumber: n | BytePositionInLine: m." to its messages; report 1-based positions instead.
        var reason = e.Message;
        int suffix = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0)
        {
            reason = reason[..suffix];
        }

        return e.LineNumber is { } line && e.BytePositionInLine is { } position
            ? $"line {line + 1}, position {position + 1}: {reason}"
            : reason;
    }

    private static string Quote(string text) => ScenarioFields.Quote(text);
}
