using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Grids;

public class GridRunnerTests
{
    /// <summary>1-D quadratic λ = 1, σ² = 1, η = 0.5 with the given solver section: the problem and its grid solver.</summary>
    private static (Problem Problem, GridAlgorithm Algorithm) Quadratic1D(string solver, int steps, int every, double start = 2.0125)
    {
        var scenario = ScenarioLoader.Parse($$"""
            {"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.5},
             "initial": {"point": [{{start.ToString(System.Globalization.CultureInfo.InvariantCulture)}}]},
             "ensemble": {"steps": {{steps}}},
             "record": {"every": {{every}}},
             "solver": {{solver}}}
            """);
        return (scenario.Problem, Assert.IsAssignableFrom<GridAlgorithm>(scenario.Algorithm));
    }

    [Fact]
    public void MasterEquationFollowsTheExactDiscreteRecursion()
    {
        // h = 0.025; 2.0125 is a cell centre. The centre-sampled kernel has mean μ(x) = (1 − ηλ)x and variance η²σ² up to
        // exp(−2π²s²/h²) (s/h = 20: nothing) and the ±6 sd truncation (relative 2·6φ(6) ≈ 7.3e-8), so m ← (1 − ηλ)m,
        // v ← (1 − ηλ)²v + η²σ² hold on the grid to a relative 1e-7.
        var (problem, algorithm) = Quadratic1D("""{"type": "masterEquation", "grid": {"lower": [-6], "upper": [6], "cells": [480]}}""", 30, 10);
        double eta = 0.5, a = 1 - eta;
        long progress = 0;

        var result = GridRunner.Run(problem, algorithm, progress: n => progress += n);

        Assert.Equal([0, 10, 20, 30], result.Records.Select(r => r.Step));
        Assert.Equal(480L * 30, progress);
        double m = 2.0125, v = 0;
        int k = 0;
        foreach (var record in result.Records)
        {
            for (; k < record.Step; k++)
            {
                m *= a;
                v = a * a * v + eta * eta;
            }

            Assert.Equal(k * eta, record.Time);
            Assert.Equal(m, record.Mean[0], 1e-9);
            Assert.Equal(v, record.Covariance[0, 0], 1e-9 + 1e-7 * v);
            Assert.Equal(1.0, record.Mass + record.LostMass, 12);
        }

        Assert.True(result.Final.LostMass < 1e-12);
        Assert.True(result.CellUpdatesPerSecond > 0);
    }

    [Fact]
    public void LangevinFokkerPlanckSettlesAtEtaSigma2Over2Lambda()
    {
        // Backward Euler (Δt = η/substeps, 4 by default) keeps the stationary law of the generator; on a quadratic the Langevin law is exact at
        // the cell centres, so the variance reaches ησ²/(2λ) = 0.25 to rounding and the box truncation (±6 sd).
        var (problem, algorithm) = Quadratic1D("""{"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-3], "upper": [3], "cells": [300]}}""", 120, 60);

        var result = GridRunner.Run(problem, algorithm);

        Assert.Equal(0.25, result.Final.Covariance[0, 0], 1e-6);
        Assert.Equal(0.0, result.Final.Mean[0], 1e-6);
        Assert.Equal(1.0, result.Final.Mass, 12);
        Assert.Equal(0.0, result.Final.LostMass);
    }

    [Fact]
    public void DiscreteFokkerPlanckSettlesAtTheDiscreteStationaryVariance()
    {
        // D = (η/2)(σ² + λ²x²): stationary variance ησ²/(λ(2 − ηλ)) = 1/3. Tails ∝ |x|^−6 and the box ±20 truncate ~2e-4 of
        // it, h = 0.05 adds O(h²): tolerance 1 % against the analytic value, 1e-8 against the solver's own stationary law.
        var (problem, algorithm) = Quadratic1D("""{"type": "fokkerPlanck", "variant": "discrete", "grid": {"lower": [-20], "upper": [20], "cells": [800]}}""", 200, 200);

        var result = GridRunner.Run(problem, algorithm);

        var stationary = new FokkerPlanckSolver(result.Grid, GridRunner.Landscape(problem), 0.5, FokkerPlanckVariant.Discrete).Stationary();
        Assert.Equal(stationary.Covariance()[0, 0], result.Final.Covariance[0, 0], 1e-8);
        Assert.Equal(1.0 / 3, result.Final.Covariance[0, 0], 1.0 / 300);
    }

    [Fact]
    public void RecordsAreReportedWithTheLiveDensityAndCancellationStopsTheRun()
    {
        var (problem, algorithm) = Quadratic1D("""{"type": "masterEquation", "boundary": "reflecting", "grid": {"lower": [-4], "upper": [4], "cells": [64]}}""", 20, 5);
        var seen = new List<(int, double)>();

        var result = GridRunner.Run(problem, algorithm, onRecord: (r, d) => seen.Add((r.Step, d.TotalMass)));

        Assert.Equal([0, 5, 10, 15, 20], seen.Select(s => s.Item1));
        Assert.All(seen, s => Assert.Equal(1.0, s.Item2, 12));
        Assert.Equal(result.FinalDensity.Mean()[0], result.Final.Mean[0]);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => GridRunner.Run(problem, algorithm, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void GaussianStartIsTheSampledGaussian()
    {
        var scenario = ScenarioLoader.Parse("""
            {"landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1},
             "initial": {"mean": [0.5, -0.25], "covariance": [[0.3, 0.1], [0.1, 0.2]]},
             "ensemble": {"steps": 1},
             "solver": {"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-4, -4], "upper": [4, 4], "cells": [160, 160]}}}
            """);
        var algorithm = Assert.IsType<FokkerPlanckAlgorithm>(scenario.Algorithm);

        var density = GridRunner.InitialDensity(scenario.Problem, algorithm.Grid.ToGrid());

        Assert.Equal(0.5, density.Mean()[0], 1e-8);
        Assert.Equal(-0.25, density.Mean()[1], 1e-8);
        Assert.Equal(0.1, density.Covariance()[0, 1], 1e-6);
        Assert.Equal(1.0, density.TotalMass, 12);
    }

    [Fact]
    public void EnsembleProblemsAreNotGridProblems()
    {
        var scenario = ScenarioLoader.Parse(SgdDynamics.Tests.Scenarios.ScenarioFixtures.Minimal);

        Assert.IsType<EnsembleAlgorithm>(scenario.Algorithm);
    }
}
