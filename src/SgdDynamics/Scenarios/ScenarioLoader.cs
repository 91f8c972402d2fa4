using System.Globalization;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using SgdDynamics.Grids;
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
///  "record": {"every": 10, "tails": false}}
/// </code>
/// </example>
public static class ScenarioLoader
{
    /// <summary>Largest supported dimension d.</summary>
    public const int MaxDimension = 64;

    /// <summary>Largest ensemble size: the trajectory index is one 32-bit Philox key word.</summary>
    public const long MaxTrajectories = 1L << 32;

    /// <summary>Largest divergence threshold, so that sums of x⁴ over an ensemble stay representable.</summary>
    public const double MaxDivergenceThreshold = 1e15;

    /// <summary>Relative tolerance of the symmetry check: |Aᵢⱼ − Aⱼᵢ| ≤ tol · max(1, |Aᵢⱼ|, |Aⱼᵢ|).</summary>
    public const double SymmetryTolerance = 1e-12;

    /// <summary>Relative tolerance of the PSD check: λ_min ≥ −tol · max(1, max |λ|).</summary>
    public const double EigenvalueTolerance = 1e-12;

    private const string DimensionReason = "the dimension of the hessian";

    /// <summary>Reads and parses a scenario file; errors carry the file path.</summary>
    /// <exception cref="ScenarioException">The file is missing or unreadable, or the scenario is invalid.</exception>
    public static Scenario LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ScenarioException(null, "no scenario file given (empty path)");
        }

        string json;
        try
        {
            json = File.ReadAllText(path);
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

        try
        {
            return Parse(json);
        }
        catch (ScenarioException e)
        {
            throw e.InFile(path);
        }
    }

    /// <summary>Parses a scenario from JSON text.</summary>
    /// <exception cref="ScenarioException">The text is not valid JSON or not a valid scenario.</exception>
    public static Scenario Parse(string json)
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
            return ReadScenario(new JsonField(document.RootElement, "$").AsObject());
        }
    }

    private static Scenario ReadScenario(ObjectFields root)
    {
        root.RejectUnknown("name", "description", "landscape", "optimizer", "initial", "ensemble", "record", "solver");
        string? name = root.Optional("name")?.AsString();
        string? description = root.Optional("description")?.AsString();

        var landscape = ReadLandscape(root.Required("landscape").AsObject());
        var optimizer = ReadOptimizer(root.Required("optimizer").AsObject());
        var initial = ReadInitial(root.Required("initial").AsObject(), landscape.Dimension, DimensionReasonOf(landscape));
        var solver = root.Optional("solver") is { } solverField
            ? ReadSolver(solverField.AsObject(), landscape.Dimension)
            : SolverSpec.Ensemble;
        var ensemble = solver.IsGrid
            ? ReadGridSteps(root.Required("ensemble").AsObject())
            : ReadEnsemble(root.Required("ensemble").AsObject());
        var record = root.Optional("record") is { } recordField
            ? ReadRecord(recordField.AsObject(), ensemble.Steps)
            : new RecordSpec(ensemble.Steps);
        if (solver.IsGrid)
        {
            CheckGridProblem(solver, optimizer, initial, record);
        }

        return new Scenario(name, description, new Problem(landscape, optimizer, initial, ensemble, record) { Solver = solver });
    }

    /// <summary>Where the dimension of the initial law comes from, for messages.</summary>
    private static string DimensionReasonOf(LandscapeSpec landscape) => landscape switch
    {
        DoubleWellLandscapeSpec => "the doubleWell landscape is 1-dimensional",
        RingValleyLandscapeSpec => "the dimension of the ringValley landscape",
        _ => DimensionReason,
    };

    private static LandscapeSpec ReadLandscape(ObjectFields landscape)
    {
        // "type" defaults to "quadratic" when absent.
        string typeName = "quadratic";
        if (landscape.Optional("type") is { } type)
        {
            typeName = type.AsString();
            if (typeName is not ("quadratic" or "doubleWell" or "ringValley"))
            {
                throw type.Error($"unknown landscape type {Quote(typeName)} (expected: quadratic, doubleWell, ringValley)");
            }
        }

        return typeName switch
        {
            "doubleWell" => ReadDoubleWell(landscape),
            "ringValley" => ReadRingValley(landscape),
            _ => ReadQuadratic(landscape),
        };
    }

    private static DoubleWellLandscapeSpec ReadDoubleWell(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "noiseStd");
        return new DoubleWellLandscapeSpec(ReadNoiseStd(landscape));
    }

    private static RingValleyLandscapeSpec ReadRingValley(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "dimension", "curvature", "noiseStd");
        int d = 2;
        if (landscape.Optional("dimension") is { } dimensionField)
        {
            long dimension = dimensionField.AsInteger(int.MinValue, MaxDimension);
            if (dimension < 2)
            {
                throw dimensionField.Error($"must be at least 2 (got {dimensionField.Raw}); a ring valley needs 2 or more dimensions (doubleWell is the 1-D landscape)");
            }

            d = (int)dimension;
        }

        var curvatureField = landscape.Required("curvature");
        double curvature = curvatureField.AsNumber();
        if (!(curvature > 0))
        {
            throw curvatureField.Error($"must be > 0 (got {curvatureField.Raw})");
        }

        return new RingValleyLandscapeSpec(d, curvature, ReadNoiseStd(landscape));
    }

    /// <summary>The required gradient-noise standard deviation σ ≥ 0 of a non-quadratic landscape.</summary>
    private static double ReadNoiseStd(ObjectFields landscape)
    {
        var field = landscape.Required("noiseStd");
        double std = field.AsNumber();
        if (std < 0)
        {
            throw field.Error($"must be >= 0 (got {field.Raw})");
        }

        // Store +0 for a written -0 so that equal landscapes compare equal.
        return std + 0.0;
    }

    private static QuadraticLandscapeSpec ReadQuadratic(ObjectFields landscape)
    {
        landscape.RejectUnknown("type", "hessian", "linearTerm", "gradientNoiseCovariance", "curvatureNoiseStd");

        var hessianField = landscape.Required("hessian");
        var hessian = hessianField.AsSquareMatrixDefiningSize(MaxDimension, "hessian");
        hessian = Symmetrized(hessian, hessianField, "H");
        int d = hessian.RowCount;

        var linearTerm = landscape.Optional("linearTerm")?.AsVector(d, DimensionReason)
            ?? Vector<double>.Build.Dense(d);

        var noiseCovariance = landscape.Optional("gradientNoiseCovariance") is { } sigmaField
            ? Covariance(sigmaField, d, "Sigma")
            : Matrix<double>.Build.Dense(d, d);

        var curvatureNoiseStd = Vector<double>.Build.Dense(d);
        if (landscape.Optional("curvatureNoiseStd") is { } stdField)
        {
            curvatureNoiseStd = stdField.AsVector(d, DimensionReason);
            RequireNonNegative(stdField, curvatureNoiseStd);
        }

        var (factor, lowerTriangular) = CovarianceFactor.Compute(noiseCovariance);
        return new QuadraticLandscapeSpec(hessian, linearTerm, noiseCovariance, factor, lowerTriangular, curvatureNoiseStd);
    }

    private static OptimizerSpec ReadOptimizer(ObjectFields optimizer)
    {
        var type = optimizer.Required("type");
        var kind = type.AsString() switch
        {
            "sgd" => OptimizerKind.Sgd,
            "momentum" => OptimizerKind.Momentum,
            var other => throw type.Error($"unknown optimizer type {Quote(other)} (expected: sgd, momentum)"),
        };

        optimizer.RejectUnknown("type", "learningRate", "momentum");

        var learningRateField = optimizer.Required("learningRate");
        double learningRate = learningRateField.AsNumber();
        if (!(learningRate > 0))
        {
            throw learningRateField.Error($"must be > 0 (got {learningRateField.Raw})");
        }

        double momentum = 0.0;
        if (optimizer.Optional("momentum") is { } momentumField)
        {
            momentum = momentumField.AsNumber();
            if (kind == OptimizerKind.Sgd && momentum != 0.0)
            {
                throw momentumField.Error(
                    $"must be 0 for optimizer type 'sgd' (got {momentumField.Raw}); use type 'momentum' for heavy-ball momentum");
            }

            if (momentum is < 0.0 or >= 1.0)
            {
                throw momentumField.Error($"must be in [0, 1) (got {momentumField.Raw})");
            }
        }

        // Store +0 for a written -0 so that equal optimizers compare equal.
        return new OptimizerSpec(kind, learningRate, momentum + 0.0);
    }

    private static InitialLaw ReadInitial(ObjectFields initial, int d, string dimensionReason)
    {
        initial.RejectUnknown("point", "mean", "covariance");
        bool hasPoint = initial.Has("point");
        bool hasMean = initial.Has("mean");
        bool hasCovariance = initial.Has("covariance");

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
            ? Covariance(initial.Required("covariance"), d, "C", dimensionReason)
            : throw initial.Missing("covariance", gaussianHint);

        var (factor, lowerTriangular) = CovarianceFactor.Compute(covariance);
        return new InitialLaw(mean, covariance, factor, lowerTriangular);
    }

    private static EnsembleSpec ReadEnsemble(ObjectFields ensemble)
    {
        ensemble.RejectUnknown("trajectories", "steps", "seed", "divergenceThreshold");

        long trajectories = ensemble.Required("trajectories")
            .AsInteger(1, MaxTrajectories, "the trajectory index is a 32-bit Philox key word");
        int steps = (int)ensemble.Required("steps").AsInteger(1, int.MaxValue);
        uint seed = (uint)ensemble.Required("seed").AsInteger(0, uint.MaxValue, "the seed is a 32-bit Philox key word");

        double threshold = EnsembleSpec.DefaultDivergenceThreshold;
        if (ensemble.Optional("divergenceThreshold") is { } thresholdField)
        {
            threshold = thresholdField.AsNumber();
            if (!(threshold > 0))
            {
                throw thresholdField.Error($"must be > 0 (got {thresholdField.Raw})");
            }

            if (threshold > MaxDivergenceThreshold)
            {
                throw thresholdField.Error(
                    $"must be <= {MaxDivergenceThreshold.ToString("0.###e0", CultureInfo.InvariantCulture)} so that sums of x^4 stay representable (got {thresholdField.Raw})");
            }
        }

        return new EnsembleSpec(trajectories, steps, seed, threshold);
    }

    private static RecordSpec ReadRecord(ObjectFields record, int steps)
    {
        record.RejectUnknown("every", "tails");
        int every = record.Optional("every") is { } everyField
            ? (int)everyField.AsInteger(1, int.MaxValue)
            : steps;
        bool tails = record.Optional("tails") is { } tailsField && tailsField.AsBoolean();
        return new RecordSpec(every, tails);
    }

    /// <summary>Reads a d × d covariance and checks that it is symmetric positive semidefinite; returns it symmetrized.</summary>
    private static Matrix<double> Covariance(JsonField field, int d, string symbol, string dimensionReason = DimensionReason)
    {
        var matrix = Symmetrized(field.AsSquareMatrix(d, dimensionReason), field, symbol);
        var eigenvalues = matrix.Evd(Symmetricity.Symmetric).EigenValues.Select(l => l.Real).ToArray();
        double smallest = eigenvalues.Min();
        double scale = Math.Max(1.0, eigenvalues.Max(Math.Abs));
        if (smallest < -EigenvalueTolerance * scale)
        {
            throw field.Error($"not positive semidefinite (smallest eigenvalue {NumberText.Format(smallest, 6)})");
        }

        return matrix;
    }

    /// <summary>Checks symmetry within <see cref="SymmetryTolerance"/> and returns (A + Aᵀ) / 2 (equal to A when A is exactly symmetric).</summary>
    private static Matrix<double> Symmetrized(Matrix<double> matrix, JsonField field, string symbol)
    {
        int d = matrix.RowCount;
        for (int i = 0; i < d; i++)
        {
            for (int j = i + 1; j < d; j++)
            {
                double upper = matrix[i, j];
                double lower = matrix[j, i];
                double scale = Math.Max(1.0, Math.Max(Math.Abs(upper), Math.Abs(lower)));
                if (Math.Abs(upper - lower) > SymmetryTolerance * scale)
                {
                    throw field.Error(
                        $"matrix is not symmetric ({symbol}[{i}][{j}] = {NumberText.Format(upper)}, {symbol}[{j}][{i}] = {NumberText.Format(lower)})");
                }
            }
        }

        return Matrix<double>.Build.Dense(d, d, (i, j) => 0.5 * matrix[i, j] + 0.5 * matrix[j, i]);
    }

    private static void RequireNonNegative(JsonField field, Vector<double> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] < 0)
            {
                throw new ScenarioException($"{field.Path}[{i}]", $"must be >= 0 (got {NumberText.Format(values[i])})");
            }
        }
    }

    // ---- solver section (grid solvers, ensemble histograms) ----

    private static SolverSpec ReadSolver(ObjectFields solver, int dimension)
    {
        var typeField = solver.Required("type");
        var kind = typeField.AsString() switch
        {
            "ensemble" => SolverKind.Ensemble,
            "masterEquation" => SolverKind.MasterEquation,
            "fokkerPlanck" => SolverKind.FokkerPlanck,
            var other => throw typeField.Error($"unknown solver type {Quote(other)} (expected: ensemble, masterEquation, fokkerPlanck)"),
        };

        OnlyFor(solver, kind, "histogram", SolverKind.Ensemble, "'ensemble'");
        OnlyFor(solver, kind, "variant", SolverKind.FokkerPlanck, "'fokkerPlanck'");
        OnlyFor(solver, kind, "truncationSigmas", SolverKind.MasterEquation, "'masterEquation'");
        OnlyFor(solver, kind, "substeps", SolverKind.FokkerPlanck, "'fokkerPlanck'");
        if (kind == SolverKind.Ensemble && solver.Optional("boundary") is { } ensembleBoundary)
        {
            throw ensembleBoundary.Error("only for grid solvers (an ensemble histogram counts states outside the grid as lost mass)");
        }

        solver.RejectUnknown("type", "grid", "histogram", "variant", "boundary", "truncationSigmas", "substeps");

        GridSpec? grid = null;
        if (solver.Optional("grid") is { } gridField)
        {
            grid = ReadGrid(gridField.AsObject(), dimension);
        }
        else if (kind != SolverKind.Ensemble)
        {
            throw solver.Missing("grid", "a grid solver needs {\"lower\": [...], \"upper\": [...], \"cells\": [...]}");
        }

        bool histogram = solver.Optional("histogram") is { } histogramField && histogramField.AsBoolean();
        if (histogram && grid is null)
        {
            throw solver.Missing("grid", "\"histogram\": true bins the final states on this grid");
        }

        FokkerPlanckVariant? variant = null;
        if (kind == SolverKind.FokkerPlanck)
        {
            var variantField = solver.Required("variant");
            variant = variantField.AsString() switch
            {
                "langevin" => FokkerPlanckVariant.Langevin,
                "discrete" => FokkerPlanckVariant.Discrete,
                var other => throw variantField.Error($"unknown Fokker–Planck variant {Quote(other)} (expected: langevin, discrete)"),
            };
        }

        var boundary = kind == SolverKind.FokkerPlanck ? GridBoundary.Reflecting : GridBoundary.Absorbing;
        if (solver.Optional("boundary") is { } boundaryField)
        {
            boundary = boundaryField.AsString() switch
            {
                "absorbing" when kind == SolverKind.FokkerPlanck =>
                    throw boundaryField.Error("the Fokker–Planck solver has zero-flux (reflecting) or periodic walls; use \"reflecting\", \"periodic\" or the masterEquation solver"),
                "absorbing" => GridBoundary.Absorbing,
                "reflecting" => GridBoundary.Reflecting,
                "periodic" => GridBoundary.Periodic,
                var other => throw boundaryField.Error($"unknown boundary {Quote(other)} (expected: absorbing, reflecting, periodic)"),
            };
        }

        double truncation = SolverSpec.DefaultTruncationSigmas;
        if (solver.Optional("truncationSigmas") is { } truncationField)
        {
            truncation = truncationField.AsNumber();
            if (!(truncation > 0))
            {
                throw truncationField.Error($"must be > 0 (got {truncationField.Raw})");
            }
        }

        int substeps = SolverSpec.DefaultSubsteps;
        if (solver.Optional("substeps") is { } substepsField)
        {
            double value = substepsField.AsNumber();
            if (!(value >= 1 && value <= 1_000_000 && value == Math.Floor(value)))
            {
                throw substepsField.Error($"must be an integer between 1 and 1000000 (got {substepsField.Raw})");
            }

            substeps = (int)value;
        }

        return new SolverSpec(kind, grid, variant, boundary, truncation, histogram, substeps);
    }

    private static GridSpec ReadGrid(ObjectFields grid, int dimension)
    {
        grid.RejectUnknown("lower", "upper", "cells");
        if (dimension is not (1 or 2))
        {
            throw grid.Error($"grids have 1 or 2 dimensions, the landscape has {dimension}");
        }

        const string reason = "the dimension of the landscape";
        var lowerField = grid.Required("lower");
        var upperField = grid.Required("upper");
        var cellsField = grid.Required("cells");
        var lower = lowerField.AsVector(dimension, reason);
        var upper = upperField.AsVector(dimension, reason);
        var cellCounts = cellsField.AsVector(dimension, reason);
        var cells = new int[dimension];
        for (int k = 0; k < dimension; k++)
        {
            string path = $"{cellsField.Path}[{k}]";
            if (cellCounts[k] != Math.Floor(cellCounts[k]))
            {
                throw new ScenarioException(path, $"must be an integer (got {NumberText.Format(cellCounts[k])})");
            }

            if (cellCounts[k] < 2)
            {
                throw new ScenarioException(path, $"must be at least 2 (got {NumberText.Format(cellCounts[k])})");
            }

            if (cellCounts[k] > SolverSpec.MaxCells)
            {
                throw new ScenarioException(path, $"must be at most {SolverSpec.MaxCells} (got {NumberText.Format(cellCounts[k])})");
            }

            cells[k] = (int)cellCounts[k];
            if (!(upper[k] > lower[k]))
            {
                throw new ScenarioException($"{upperField.Path}[{k}]", $"must be > lower[{k}] = {NumberText.Format(lower[k])} (got {NumberText.Format(upper[k])})");
            }
        }

        long count = cells.Aggregate(1L, (a, b) => a * b);
        if (count > SolverSpec.MaxCells)
        {
            throw cellsField.Error(
                $"{count} cells in all; at most 2^24 = {SolverSpec.MaxCells} (each cell holds doubles in several solver arrays, up to ~200 bytes a cell in 2-D; this keeps a run within a few GiB)");
        }

        return new GridSpec([.. lower], [.. upper], cells);
    }

    /// <summary>The "ensemble" section of a grid run: only the number of steps.</summary>
    private static EnsembleSpec ReadGridSteps(ObjectFields ensemble)
    {
        foreach (var field in new[] { "trajectories", "seed", "divergenceThreshold" })
        {
            if (ensemble.Optional(field) is { } given)
            {
                throw given.Error("only for solver type 'ensemble' (a grid solver evolves the density itself; give only \"steps\")");
            }
        }

        ensemble.RejectUnknown("steps");
        int steps = (int)ensemble.Required("steps").AsInteger(1, int.MaxValue);
        return new EnsembleSpec(0, steps, 0, EnsembleSpec.DefaultDivergenceThreshold);
    }

    /// <summary>What grid solvers cannot do: momentum, tail records, starts outside the box, singular Gaussian starts.</summary>
    private static void CheckGridProblem(SolverSpec solver, OptimizerSpec optimizer, InitialLaw initial, RecordSpec record)
    {
        var grid = solver.Grid!;
        if (optimizer.Kind != OptimizerKind.Sgd)
        {
            throw new ScenarioException("$.optimizer.type", "grid solvers evolve plain SGD (type 'sgd'); heavy-ball momentum needs the ensemble solver");
        }

        if (record.Tails)
        {
            throw new ScenarioException("$.record.tails", "tail estimates need trajectories (solver type 'ensemble')");
        }

        string where = initial.IsPoint ? "$.initial.point" : "$.initial.mean";
        for (int k = 0; k < grid.Dimension; k++)
        {
            double x = initial.Mean[k];
            if (!(x >= grid.Lower[k] && x < grid.Upper[k]))
            {
                throw new ScenarioException($"{where}[{k}]", $"{NumberText.Format(x)} is outside the grid [{NumberText.Format(grid.Lower[k])}, {NumberText.Format(grid.Upper[k])})");
            }
        }

        if (!initial.IsPoint)
        {
            double[] eigenvalues = initial.Covariance.Evd(Symmetricity.Symmetric).EigenValues.Select(l => l.Real).ToArray();
            if (!(eigenvalues.Min() > EigenvalueTolerance * eigenvalues.Max(Math.Abs)))
            {
                throw new ScenarioException("$.initial.covariance", "a grid solver needs a positive definite initial covariance (or a point start)");
            }
        }
    }

    private static void OnlyFor(ObjectFields solver, SolverKind kind, string field, SolverKind owner, string ownerName)
    {
        if (kind != owner && solver.Optional(field) is { } given)
        {
            throw given.Error($"only for solver type {ownerName}");
        }
    }

    private static string DescribeSyntaxError(JsonException e)
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

    private static string Quote(string text) =>
        "'" + (text.Length <= 40 ? text : text[..37] + "...").ReplaceLineEndings(" ") + "'";
}
