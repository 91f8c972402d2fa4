using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Scenarios;

/// <summary>The <c>solver</c> section (grid solvers, ensemble histograms) and the checks of a grid problem.</summary>
public static partial class ScenarioLoader
{
    private const string EnsembleType = "ensemble";
    private const string MasterEquationType = "masterEquation";
    private const string FokkerPlanckType = "fokkerPlanck";

    /// <summary>The <c>solver</c> object as read; the algorithm is assembled once the <c>ensemble</c> and <c>record</c> sections are read.</summary>
    private static SolverSection ReadSolver(ObjectFields solver, int dimension)
    {
        var typeField = solver.Required("type");
        string type = typeField.AsString() switch
        {
            EnsembleType => EnsembleType,
            MasterEquationType => MasterEquationType,
            FokkerPlanckType => FokkerPlanckType,
            var other => throw typeField.Error($"unknown solver type {Quote(other)} (expected: {EnsembleType}, {MasterEquationType}, {FokkerPlanckType})"),
        };

        OnlyFor(solver, type, "histogram", EnsembleType);
        OnlyFor(solver, type, "variant", FokkerPlanckType);
        OnlyFor(solver, type, "truncationSigmas", MasterEquationType);
        OnlyFor(solver, type, "substeps", FokkerPlanckType);
        OnlyFor(solver, type, "scheme", FokkerPlanckType);
        if (type == EnsembleType && solver.Optional("boundary") is { } ensembleBoundary)
        {
            throw ensembleBoundary.Error("only for grid solvers (an ensemble histogram counts states outside the grid as lost mass)");
        }

        bool stationary = false;
        if (solver.Optional("stationary") is { } stationaryField)
        {
            if (type == EnsembleType)
            {
                throw stationaryField.Error($"only for the grid solvers ('{MasterEquationType}', '{FokkerPlanckType}'): an ensemble's law is sampled by time stepping");
            }

            stationary = stationaryField.AsBoolean();
            if (stationary && solver.Optional("substeps") is { } stationarySubsteps)
            {
                throw stationarySubsteps.Error("a stationary solve (\"stationary\": true) takes no time steps: drop \"substeps\"");
            }

            if (stationary && solver.Optional("scheme") is { } stationaryScheme)
            {
                throw stationaryScheme.Error("a stationary solve (\"stationary\": true) takes no time steps: drop \"scheme\"");
            }
        }

        solver.RejectUnknown("type", "grid", "histogram", "variant", "boundary", "truncationSigmas", "substeps", "scheme", "stationary");

        GridSpec? grid = null;
        if (solver.Optional("grid") is { } gridField)
        {
            grid = ReadGrid(gridField.AsObject(), dimension);
        }
        else if (type != EnsembleType)
        {
            throw solver.Missing("grid", "a grid solver needs {\"lower\": [...], \"upper\": [...], \"cells\": [...]}");
        }

        if (type == EnsembleType)
        {
            bool histogram = solver.Optional("histogram") is { } histogramField && histogramField.AsBoolean();
            if (histogram && grid is null)
            {
                throw solver.Missing("grid", "\"histogram\": true bins the final states on this grid");
            }

            if (!histogram && grid is not null)
            {
                throw solver.Required("grid").Error("an ensemble uses a grid only to bin its final states: add \"histogram\": true or drop the grid");
            }

            return SolverSection.Ensemble with { Grid = grid };
        }

        var variant = FokkerPlanckVariant.Discrete;
        if (type == FokkerPlanckType)
        {
            var variantField = solver.Required("variant");
            string variantName = variantField.AsString();
            FokkerPlanckVariant[] variants = Enum.GetValues<FokkerPlanckVariant>();
            int found = Array.FindIndex(variants, v => v.Name() == variantName);
            variant = found >= 0
                ? variants[found]
                : throw variantField.Error($"unknown Fokker–Planck variant {Quote(variantName)} (expected: {string.Join(", ", variants.Select(v => v.Name()))})");
        }

        var boundary = type == FokkerPlanckType ? GridBoundary.Reflecting : GridBoundary.Absorbing;
        if (solver.Optional("boundary") is { } boundaryField)
        {
            boundary = boundaryField.AsString() switch
            {
                "absorbing" when type == FokkerPlanckType =>
                    throw boundaryField.Error("the Fokker–Planck solver has zero-flux (reflecting) or periodic walls; use \"reflecting\", \"periodic\" or the masterEquation solver"),
                "absorbing" => GridBoundary.Absorbing,
                "reflecting" => GridBoundary.Reflecting,
                "periodic" => GridBoundary.Periodic,
                var other => throw boundaryField.Error($"unknown boundary {Quote(other)} (expected: absorbing, reflecting, periodic)"),
            };
        }

        double truncation = MasterEquationAlgorithm.DefaultTruncationSigmas;
        if (solver.Optional("truncationSigmas") is { } truncationField)
        {
            truncation = truncationField.AsNumber();
            if (!(truncation > 0 && truncation <= MasterEquationAlgorithm.MaxTruncationSigmas))
            {
                throw truncationField.Error(
                    $"must be > 0 and at most {MasterEquationAlgorithm.MaxTruncationSigmas} (got {truncationField.Raw}; beyond about 38.6 standard deviations exp(−z²/2) is below the smallest double, so a wider window adds nothing)");
            }
        }

        var scheme = FokkerPlanckScheme.Adi;
        if (solver.Optional("scheme") is { } schemeField)
        {
            string schemeName = schemeField.AsString();
            FokkerPlanckScheme[] schemes = Enum.GetValues<FokkerPlanckScheme>();
            int found = Array.FindIndex(schemes, s => s.Name() == schemeName);
            scheme = found >= 0
                ? schemes[found]
                : throw schemeField.Error($"unknown Fokker–Planck scheme {Quote(schemeName)} (expected: {string.Join(", ", schemes.Select(s => s.Name()))})");
        }

        int substeps = FokkerPlanckAlgorithm.DefaultSubstepsFor(scheme);
        if (solver.Optional("substeps") is { } substepsField)
        {
            double value = substepsField.AsNumber();
            if (!(value >= 1 && value <= 1_000_000 && value == Math.Floor(value)))
            {
                throw substepsField.Error($"must be an integer between 1 and 1000000 (got {substepsField.Raw})");
            }

            substeps = (int)value;
        }

        return new SolverSection(type, grid, variant, boundary, truncation, substeps) { Stationary = stationary, Scheme = scheme };
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

            if (cellCounts[k] > Limits.MaxGridCells)
            {
                throw new ScenarioException(path, $"must be at most {Limits.MaxGridCells} (got {NumberText.Format(cellCounts[k])})");
            }

            cells[k] = (int)cellCounts[k];
            if (!(upper[k] > lower[k]))
            {
                throw new ScenarioException($"{upperField.Path}[{k}]", $"must be > lower[{k}] = {NumberText.Format(lower[k])} (got {NumberText.Format(upper[k])})");
            }

            if (Grids.UniformGrid.SpacingProblem(lower[k], upper[k], cells[k]) is { } problem)
            {
                throw new ScenarioException(grid.Path, $"axis {k}: {problem}");
            }
        }

        long count = cells.Aggregate(1L, (a, b) => a * b);
        if (count > Limits.MaxGridCells)
        {
            throw cellsField.Error(
                $"{count} cells in all; at most 2^24 = {Limits.MaxGridCells} (each cell holds doubles in several solver arrays, up to ~200 bytes a cell in 2-D; this keeps a run within a few GiB)");
        }

        return new GridSpec([.. lower], [.. upper], cells);
    }

    /// <summary>The "ensemble" section of a grid run: only the number of steps.</summary>
    private static int ReadGridSteps(ObjectFields ensemble)
    {
        foreach (var field in new[] { "trajectories", "seed", "divergenceThreshold" })
        {
            if (ensemble.Optional(field) is { } given)
            {
                throw given.Error("only for solver type 'ensemble' (a grid solver evolves the density itself; give only \"steps\")");
            }
        }

        ensemble.RejectUnknown("steps");
        return (int)ensemble.Required("steps").AsInteger(1, int.MaxValue);
    }

    /// <summary>
    /// The <c>ensemble</c> section of a stationary solve (optional): the master equation's <c>steps</c> caps its power
    /// iteration (default <see cref="StationarySolve.DefaultMaxSteps"/>); a Fokker–Planck stationary law is solved
    /// directly and takes no <c>steps</c>. A <c>record.every</c> is refused: the run records the start and the law.
    /// </summary>
    private static int ReadStationarySteps(ObjectFields root, string type)
    {
        if (root.Optional("record") is { } recordField && recordField.AsObject().Optional("every") is { } every)
        {
            throw every.Error("a stationary solve (\"stationary\": true) records the initial density and the stationary law only: drop \"every\"");
        }

        if (root.Optional("ensemble") is not { } ensembleField)
        {
            return type == MasterEquationType ? StationarySolve.DefaultMaxSteps : 1;
        }

        var ensemble = ensembleField.AsObject();
        if (type == FokkerPlanckType && ensemble.Optional("steps") is { } steps)
        {
            throw steps.Error("a Fokker–Planck stationary law (\"stationary\": true) is solved directly, with no time steps: drop \"steps\" (the master equation takes it as the cap on its steps of P)");
        }

        return type == MasterEquationType && ensemble.Optional("steps") is not null ? ReadGridSteps(ensemble) : Rejected(ensemble, type);

        static int Rejected(ObjectFields ensemble, string type)
        {
            foreach (var field in new[] { "trajectories", "seed", "divergenceThreshold" })
            {
                if (ensemble.Optional(field) is { } given)
                {
                    throw given.Error("only for solver type 'ensemble' (a grid solver evolves the density itself)");
                }
            }

            ensemble.RejectUnknown("steps");
            return type == MasterEquationType ? StationarySolve.DefaultMaxSteps : 1;
        }
    }

    /// <summary>What grid solvers cannot do: update rules without a grid form, tail records, starts outside the box, singular Gaussian starts.</summary>
    private static void CheckGridProblem(GridSpec grid, DynamicsSpec dynamics, InitialLaw initial, RecordSpec record)
    {
        DynamicsRegistration rule = ModelRegistry.For(dynamics);
        if (!rule.IsOptimizer)
        {
            throw new ScenarioException("$.dynamics.type", $"grid solvers evolve plain SGD; the {rule.TypeName} SDE needs the ensemble solver (its law on a grid is the Fokker–Planck equation, variant 'langevin')");
        }

        if (!rule.HasGridForm)
        {
            throw new ScenarioException("$.optimizer.type", $"grid solvers evolve plain SGD (type 'sgd'); {rule.TypeName} needs the ensemble solver");
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
            double[] eigenvalues = ScenarioFields.SymmetricEigenvalues(initial.Covariance).Eigenvalues;
            if (!(eigenvalues.Min() > EigenvalueTolerance * eigenvalues.Max(Math.Abs)))
            {
                throw new ScenarioException("$.initial.covariance", "a grid solver needs a positive definite initial covariance (or a point start)");
            }
        }
    }

    private static void OnlyFor(ObjectFields solver, string type, string field, string owner)
    {
        if (type != owner && solver.Optional(field) is { } given)
        {
            throw given.Error($"only for solver type '{owner}'");
        }
    }

    /// <summary>The fields of a <c>solver</c> object; those a solver type does not take keep their defaults.</summary>
    private sealed record SolverSection(
        string Type,
        GridSpec? Grid,
        FokkerPlanckVariant Variant,
        GridBoundary Boundary,
        double TruncationSigmas,
        int Substeps)
    {
        /// <summary>Solve for the stationary law instead of time stepping (grid solvers only).</summary>
        public bool Stationary { get; init; }

        /// <summary>The Fokker–Planck time-stepping scheme.</summary>
        public FokkerPlanckScheme Scheme { get; init; } = FokkerPlanckScheme.Adi;

        /// <summary>The default solver: an ensemble without histogram.</summary>
        public static SolverSection Ensemble { get; } = new(
            EnsembleType, null, FokkerPlanckVariant.Discrete, GridBoundary.Absorbing, MasterEquationAlgorithm.DefaultTruncationSigmas, FokkerPlanckAlgorithm.DefaultSubsteps);
    }
}
