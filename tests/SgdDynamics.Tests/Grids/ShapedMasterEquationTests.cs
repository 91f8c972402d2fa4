using MathNet.Numerics.Distributions;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Ensembles;

namespace SgdDynamics.Tests.Grids;

/// <summary>
/// The master equation of the fluctuating landscape (<see cref="ShapedMasterEquationSolver"/>, its exact non-Gaussian
/// one-step kernel): one step from a cell centre against an ensemble from the same point (chi-square goodness of fit over
/// the grid cells), mass conservation under every wall, the periodic displacement, and the scenario path.
/// </summary>
[Collection(EnsembleCollection.Name)]
public class ShapedMasterEquationTests
{
    private static FluctuatingLandscapeSpec Rough => Landscapes.FluctuatingLandscapeTests.Rough;

    [Theory]
    [InlineData(0.4)]
    [InlineData(-0.9)]
    public void OneStepFromACellCentreMatchesAnEnsembleFromThatPoint(double near)
    {
        // 1000 cells on [−2, 2]; x0 the centre of the cell holding `near`; one step of η = 0.1 spreads over ±0.084, about
        // 40 cells. The master equation's cell masses against 2^20 ensemble trajectories binned on the same cells:
        // chi-square over the cells with an expected count of at least 20 (the rest pooled into one bin), below its 0.999
        // quantile. The kernel's lattice law is displaced from S's by at most η|e| K h_S/2 ≈ 2e-4 in x (rigorous; its
        // rounding errors average out, so far less in practice), a twentieth of a cell.
        var grid = new UniformGrid([-2.0], [2.0], [1000]);
        int c0 = (int)Math.Floor((near + 2) / grid.Spacing[0]);
        double x0 = grid.Centre(0, c0);
        const double eta = 0.1;
        var solver = new ShapedMasterEquationSolver(grid, GridLandscape.From(Rough).Shape!, eta, GridBoundary.Absorbing);
        var density = new GridDensity(grid);
        density.Mass[c0] = 1;
        solver.Advance(density, 1);
        Assert.Equal(1.0, density.Mass.Sum() + density.LostMass, 13);

        const int n = 1 << 20;
        using var backend = new ManagedBackend();
        EnsembleResult ensemble = EnsembleSolver.Solve(
            ProblemBuilder.Of(Rough, new SgdSpec(eta), [x0]), new EnsembleAlgorithm(n, steps: 1, seed: 21, new RecordSpec(1)), backend, keepFinalStates: true);
        var counts = new long[grid.Count];
        for (long t = 0; t < n; t++)
        {
            int cell = (int)Math.Floor((ensemble.FinalState(t)[0] + 2) / grid.Spacing[0]);
            Assert.InRange(cell, 0, grid.Count - 1);
            counts[cell]++;
        }

        double chi = 0, pooledExpected = 0, pooledCount = 0;
        int bins = 0;
        for (int j = 0; j < grid.Count; j++)
        {
            double expected = n * density.Mass[j];
            if (expected >= 20)
            {
                chi += (counts[j] - expected) * (counts[j] - expected) / expected;
                bins++;
            }
            else
            {
                pooledExpected += expected;
                pooledCount += counts[j];
            }
        }

        if (pooledExpected >= 20)
        {
            chi += (pooledCount - pooledExpected) * (pooledCount - pooledExpected) / pooledExpected;
            bins++;
        }

        Assert.True(bins > 20, $"only {bins} bins");
        double critical = ChiSquared.InvCDF(bins - 1, 0.999);
        Assert.True(chi < critical, $"x0 = {x0}: chi-square {chi:F1} over {bins} bins, critical {critical:F1}");
    }

    [Theory]
    [InlineData(GridBoundary.Absorbing)]
    [InlineData(GridBoundary.Reflecting)]
    [InlineData(GridBoundary.Periodic)]
    public void MassIsConservedOrCountedAsLostAndThePeriodicDisplacementIsTheMeanStep(GridBoundary walls)
    {
        // on [−0.5, 0.5] a step of η = 0.3 reaches ±0.25 around x − η m(x): mass leaves an absorbing box
        var grid = new UniformGrid([-0.5], [0.5], [80]);
        var solver = new ShapedMasterEquationSolver(grid, GridLandscape.From(Rough).Shape!, 0.3, walls);
        var density = new GridDensity(grid);
        Array.Fill(density.Mass, 1.0 / grid.Count);
        double expectedShift = -0.3 * Enumerable.Range(0, grid.Count).Sum(c => density.Mass[c] * Rough.MeanGradientAt(grid.Centre(0, c)));
        double[] displacement = [0.0];
        solver.Advance(density, 1, displacement);
        Assert.Equal(expectedShift, displacement[0], 12);
        solver.Advance(density, 49, displacement);
        double total = density.Mass.Sum();
        if (walls == GridBoundary.Absorbing)
        {
            Assert.True(density.LostMass > 0.01, $"lost {density.LostMass}");
            Assert.Equal(1.0, total + density.LostMass, 12);
        }
        else
        {
            Assert.Equal(0.0, density.LostMass);
            Assert.Equal(1.0, total, 12);
        }

        Assert.All(density.Mass, m => Assert.True(m >= 0));
    }

    [Fact]
    public void TheMasterEquationScenarioRunsTheShapedKernel()
    {
        Scenario scenario = ScenarioLoader.Parse("""
            {"landscape": {"type": "fluctuating", "meanGradient": [0, 1], "envelope": [1], "amplitudes": [0.5, 0.125], "period": 2},
             "optimizer": {"type": "sgd", "learningRate": 0.2},
             "initial": {"point": [1]},
             "ensemble": {"steps": 40},
             "record": {"every": 10},
             "solver": {"type": "masterEquation", "boundary": "reflecting", "grid": {"lower": [-3], "upper": [3], "cells": [300]}}}
            """);
        GridResult result = GridRunner.Run(scenario.Problem, (GridAlgorithm)scenario.Algorithm);
        Assert.Null(result.Failure);
        Assert.Contains("non-Gaussian", result.Device);
        Assert.Equal(1.0, result.Final.Mass, 12);

        // ḡ = x, D = (0.25 + 0.015625)/6 constant: the mean and variance follow the linear recursion
        // m ← 0.8 m, v ← 0.64 v + η² D, up to the cell discretisation (the point start sits at a cell centre; each step
        // sends mass from cell centres, so the variance carries about h²/12 per cell of spread, h = 0.02)
        double mean = 1, variance = 0, d = (0.25 + 0.015625) / 6;
        for (int k = 0; k < 40; k++)
        {
            mean *= 0.8;
            variance = (0.64 * variance) + (0.04 * d);
        }

        Assert.Equal(mean, result.Final.Mean[0], 3);
        Assert.True(Math.Abs(result.Final.Covariance[0, 0] - variance) < 2e-4, $"variance {result.Final.Covariance[0, 0]:R}, recursion {variance:R}");
    }
}
