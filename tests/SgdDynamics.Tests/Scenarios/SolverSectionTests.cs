using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Scenarios;

public class SolverSectionTests
{
    private const string Grid1D = """
        {"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.5},
         "initial": {"point": [2]},
         "ensemble": {"steps": 40},
         "record": {"every": 10},
         "solver": {"type": "masterEquation", "grid": {"lower": [-5], "upper": [5], "cells": [200]}}}
        """;

    private const string Grid2D = """
        {"landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 2]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"mean": [0.5, 0], "covariance": [[0.1, 0], [0, 0.2]]},
         "ensemble": {"steps": 10},
         "solver": {"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-3, -2], "upper": [3, 2], "cells": [30, 20]}}}
        """;

    private static string With(string baseJson, string path, string? value) => ScenarioFixtures.WithField(path, value, baseJson);

    [Fact]
    public void ScenarioWithoutSolverIsAnEnsemble()
    {
        var algorithm = ScenarioLoader.Parse(ScenarioFixtures.Example).Algorithm;

        var ensemble = Assert.IsType<EnsembleAlgorithm>(algorithm);
        Assert.Equal("ensemble", ensemble.TypeName);
        Assert.Null(ensemble.Histogram);
    }

    [Fact]
    public void MasterEquationSectionParsesWithDefaults()
    {
        var algorithm = ScenarioLoader.Parse(Grid1D).Algorithm;

        var master = Assert.IsType<MasterEquationAlgorithm>(algorithm);
        Assert.Equal(new GridSpec([-5.0], [5.0], [200]), master.Grid);
        Assert.Equal(GridBoundary.Absorbing, master.Boundary);
        Assert.Equal(6.0, master.TruncationSigmas);
        Assert.Equal(40, master.Steps);
        Assert.Equal(new RecordSpec(10), master.Record);
        Assert.Equal([0, 10, 20, 30, 40], master.RecordSteps);
    }

    [Fact]
    public void MasterEquationTakesReflectingBoundaryAndTruncation()
    {
        var json = With(Grid1D, "solver", """{"type": "masterEquation", "boundary": "reflecting", "truncationSigmas": 8, "grid": {"lower": [-5], "upper": [5], "cells": [200]}}""");

        var solver = Assert.IsType<MasterEquationAlgorithm>(ScenarioLoader.Parse(json).Algorithm);

        Assert.Equal(GridBoundary.Reflecting, solver.Boundary);
        Assert.Equal(8.0, solver.TruncationSigmas);
    }

    [Fact]
    public void FokkerPlanckSectionParsesVariantAndReflectingWalls()
    {
        var scenario = ScenarioLoader.Parse(Grid2D);

        var fokkerPlanck = Assert.IsType<FokkerPlanckAlgorithm>(scenario.Algorithm);
        Assert.Equal(FokkerPlanckVariant.Langevin, fokkerPlanck.Variant);
        Assert.Equal(GridBoundary.Reflecting, fokkerPlanck.Boundary);
        Assert.Equal(600, fokkerPlanck.Grid.Count);
        Assert.Equal(FokkerPlanckAlgorithm.DefaultSubsteps, fokkerPlanck.Substeps);
        Assert.Equal(10, fokkerPlanck.Steps);
        Assert.Equal([0, 10], fokkerPlanck.RecordSteps);
        Assert.False(scenario.Problem.Initial.IsPoint);
    }

    [Fact]
    public void EnsembleSectionTakesAnOptionalGridAndHistogram()
    {
        var json = With(ScenarioFixtures.Example, "solver", """{"type": "ensemble", "histogram": true, "grid": {"lower": [-3, -3], "upper": [3, 3], "cells": [10, 12]}}""");

        var algorithm = ScenarioLoader.Parse(json).Algorithm;

        var ensemble = Assert.IsType<EnsembleAlgorithm>(algorithm);
        Assert.Equal(new GridSpec([-3.0, -3.0], [3.0, 3.0], [10, 12]), ensemble.Histogram);
        Assert.Equal(1_000_000, ensemble.Trajectories);
    }

    [Theory]
    [InlineData("[8192]", "[-5]", "[5]")]
    [InlineData("[16777216]", "[-5]", "[5]")]
    public void LargeOneDimensionalGridsAreAllowed(string cells, string lower, string upper)
    {
        var json = With(Grid1D, "solver.grid", $$"""{"lower": {{lower}}, "upper": {{upper}}, "cells": {{cells}}}""");

        Assert.True(Assert.IsType<MasterEquationAlgorithm>(ScenarioLoader.Parse(json).Algorithm).Grid.Count >= 8192);
    }

    [Fact]
    public void A1024By1024GridIsAllowed()
    {
        var json = With(Grid2D, "solver.grid", """{"lower": [-3, -2], "upper": [3, 2], "cells": [1024, 1024]}""");

        Assert.Equal(1L << 20, Assert.IsType<FokkerPlanckAlgorithm>(ScenarioLoader.Parse(json).Algorithm).Grid.Count);
    }

    public static TheoryData<string, string, string> Errors => new()
    {
        { With(Grid1D, "solver.type", "\"grid\""), "$.solver.type", "unknown solver type" },
        { With(Grid1D, "solver.grid", null), "$.solver.grid", "required field is missing" },
        { With(Grid1D, "solver.grid.lower", "[-5, 0]"), "$.solver.grid.lower", "expected 1 entry" },
        { With(Grid1D, "solver.grid.upper", "[-6]"), "$.solver.grid.upper[0]", "must be > lower[0]" },
        { With(Grid1D, "solver.grid.cells", "[1]"), "$.solver.grid.cells[0]", "at least 2" },
        { With(Grid1D, "solver.grid.cells", "[2.5]"), "$.solver.grid.cells[0]", "integer" },
        { With(Grid1D, "solver.grid.cells", "[16777217]"), "$.solver.grid.cells[0]", "at most 16777216" },
        { With(Grid2D, "solver.grid.cells", "[8192, 4096]"), "$.solver.grid.cells", "2^24" },
        { With(Grid1D, "solver.variant", "\"discrete\""), "$.solver.variant", "only for solver type 'fokkerPlanck'" },
        { With(Grid2D, "solver.variant", null), "$.solver.variant", "required field is missing" },
        { With(Grid2D, "solver.variant", "\"ito\""), "$.solver.variant", "unknown Fokker–Planck variant" },
        { With(Grid2D, "solver.boundary", "\"absorbing\""), "$.solver.boundary", "zero-flux" },
        { With(Grid1D, "solver.boundary", "\"open\""), "$.solver.boundary", "unknown boundary" },
        { With(Grid2D, "solver.truncationSigmas", "6"), "$.solver.truncationSigmas", "only for solver type 'masterEquation'" },
        { With(Grid1D, "solver.truncationSigmas", "0"), "$.solver.truncationSigmas", "must be > 0" },
        { With(Grid1D, "solver.substeps", "2"), "$.solver.substeps", "only for solver type 'fokkerPlanck'" },
        { With(Grid2D, "solver.substeps", "0"), "$.solver.substeps", "integer between 1 and 1000000" },
        { With(Grid2D, "solver.substeps", "2.5"), "$.solver.substeps", "integer between 1 and 1000000" },
        { With(Grid1D, "solver.histogram", "true"), "$.solver.histogram", "only for solver type 'ensemble'" },
        { With(Grid1D, "solver.extra", "1"), "$.solver.extra", "unknown field" },
        { With(Grid1D, "initial.point", "[5]"), "$.initial.point[0]", "outside the grid" },
        { With(Grid2D, "initial.mean", "[0.5, 2.5]"), "$.initial.mean[1]", "outside the grid" },
        { With(Grid2D, "initial.covariance", "[[1, 1], [1, 1]]"), "$.initial.covariance", "positive definite" },
        { With(Grid1D, "optimizer", """{"type": "momentum", "learningRate": 0.1, "momentum": 0.5}"""), "$.optimizer.type", "plain SGD" },
        { With(Grid1D, "record.tails", "true"), "$.record.tails", "need trajectories" },
        { With(Grid1D, "ensemble.trajectories", "100"), "$.ensemble.trajectories", "only for solver type 'ensemble'" },
        { With(Grid1D, "ensemble.seed", "1"), "$.ensemble.seed", "only for solver type 'ensemble'" },
        { With(Grid1D, "ensemble.steps", null), "$.ensemble.steps", "required field is missing" },
        { With(ScenarioFixtures.Example, "solver", """{"type": "ensemble", "histogram": true}"""), "$.solver.grid", "required field is missing" },
        {
            With(ScenarioFixtures.Example, "solver", """{"type": "ensemble", "grid": {"lower": [-3, -3], "upper": [3, 3], "cells": [10, 12]}}"""),
            "$.solver.grid", "an ensemble uses a grid only to bin its final states"
        },
        { With(ScenarioFixtures.Example, "solver", """{"type": "ensemble", "boundary": "absorbing"}"""), "$.solver.boundary", "only for grid solvers" },
        {
            """
            {"landscape": {"type": "quadratic", "hessian": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1}, "initial": {"point": [0, 0, 0]}, "ensemble": {"steps": 5},
             "solver": {"type": "masterEquation", "grid": {"lower": [0], "upper": [1], "cells": [2]}}}
            """,
            "$.solver.grid", "1 or 2 dimensions"
        },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void InvalidSolverSectionsNameTheJsonPath(string json, string path, string fragment)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));

        Assert.Equal(path, error.JsonPath);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> RoundTrips => new()
    {
        Grid1D,
        Grid2D,
        With(Grid1D, "solver", """{"type": "masterEquation", "boundary": "reflecting", "truncationSigmas": 7.5, "grid": {"lower": [-5.25], "upper": [5], "cells": [201]}}"""),
        With(Grid2D, "solver.variant", "\"discrete\""),
        With(Grid2D, "solver.substeps", "16"),
        With(ScenarioFixtures.Example, "solver", """{"type": "ensemble", "histogram": true, "grid": {"lower": [-3, -3], "upper": [3, 3], "cells": [10, 12]}}"""),
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void WriterRoundTripsTheSolverSection(string json)
    {
        var scenario = ScenarioLoader.Parse(json);

        string written = scenario.ToJson();

        Assert.Equal(scenario, ScenarioLoader.Parse(written));
        Assert.Equal(written, ScenarioLoader.Parse(written).ToJson());
        Assert.Contains("\"solver\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void GridRunsWriteOnlyTheStepsOfTheEnsembleSection()
    {
        var written = System.Text.Json.Nodes.JsonNode.Parse(ScenarioLoader.Parse(Grid1D).ToJson())!;

        Assert.Equal("""{"steps":40}""", written["ensemble"]!.ToJsonString());
        Assert.Equal("absorbing", written["solver"]!["boundary"]!.GetValue<string>());
        Assert.Equal(6.0, written["solver"]!["truncationSigmas"]!.GetValue<double>());
    }
}
