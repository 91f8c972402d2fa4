using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Scenarios;

/// <summary>The solver section's <c>"stationary"</c> field: read, written back, and its contradictions.</summary>
public class StationaryScenarioTests
{
    private const string Head = """
        "landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
        "optimizer": {"type": "sgd", "learningRate": 0.5},
        "initial": {"point": [1]},
        """;

    [Theory]
    [InlineData("""{"type": "masterEquation", "boundary": "reflecting", "stationary": true, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}""", "", 100_000)]
    [InlineData("""{"type": "masterEquation", "stationary": true, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}""", "\"ensemble\": {\"steps\": 500},", 500)]
    [InlineData("""{"type": "fokkerPlanck", "variant": "langevin", "stationary": true, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}""", "", 1)]
    [InlineData("""{"type": "fokkerPlanck", "variant": "langevin", "stationary": true, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}""", "\"ensemble\": {},", 1)]
    public void StationaryScenariosRoundTrip(string solver, string ensemble, int steps)
    {
        var scenario = ScenarioLoader.Parse("{" + Head + ensemble + "\"solver\": " + solver + "}");
        var algorithm = Assert.IsAssignableFrom<GridAlgorithm>(scenario.Algorithm);
        Assert.True(algorithm.Stationary);
        Assert.Equal(steps, algorithm.Steps);

        string written = scenario.ToJson();
        Assert.Equal(scenario, ScenarioLoader.Parse(written));
        Assert.Equal(written, ScenarioLoader.Parse(written).ToJson());
    }

    [Fact]
    public void StationaryFalseIsTimeStepping()
    {
        var scenario = ScenarioLoader.Parse("{" + Head + """ "ensemble": {"steps": 7}, "solver": {"type": "masterEquation", "stationary": false, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}}""");
        Assert.False(((GridAlgorithm)scenario.Algorithm).Stationary);
        Assert.DoesNotContain("stationary", scenario.ToJson(), StringComparison.Ordinal);

        var missing = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(
            "{" + Head + """ "solver": {"type": "masterEquation", "stationary": false, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}}"""));
        Assert.Contains("$.ensemble", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StationaryMasterEquationRejectsEnsembleFields()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(
            "{" + Head + """ "ensemble": {"trajectories": 10}, "solver": {"type": "masterEquation", "stationary": true, "grid": {"lower": [-4], "upper": [4], "cells": [80]}}}"""));
        Assert.Contains("$.ensemble.trajectories", e.Message, StringComparison.Ordinal);
    }
}
