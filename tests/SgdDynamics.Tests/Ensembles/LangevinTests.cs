using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Landscapes;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The Langevin SDE model (<c>"dynamics": {"type": "langevin", "substeps": m}</c>): on the Ornstein–Uhlenbeck process
/// (1-D quadratic, additive noise) the ensemble's mean and variance at every record equal the Euler–Maruyama recursion
/// exactly in law (z-scores), and its stationary variance approaches the Langevin ησ²/(2λ) as m grows; on the fluctuating
/// landscape one substep from a point is the Gaussian of variance η² D(x); the scenario section reads, writes and refuses
/// what does not fit. (Backend and thread bit-identity and the PTX compilation of every landscape with it run in the
/// registry-driven agreement tests.)
/// </summary>
[Collection(EnsembleCollection.Name)]
public class LangevinTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(32)]
    public void OrnsteinUhlenbeckFollowsTheEulerMaruyamaRecursion(int substeps)
    {
        // λ = 1, σ² = 1, η = 0.1, x0 = 2: per substep δ = η/m, a = 1 − δλ, m_k = a m, v ← a² v + (η²/m) σ². Every record's
        // mean and variance against it, |z| < 5 with the engine's Monte-Carlo SEs (2^20 trajectories).
        const double eta = 0.1;
        Problem problem = ProblemBuilder.Of(
            ProblemBuilder.QuadraticLandscape(new double[,] { { 1 } }, new double[,] { { 1 } }), new LangevinSpec(eta, substeps), [2.0]);
        var ensemble = new EnsembleAlgorithm(1 << 20, steps: 120, seed: 5, new RecordSpec(40));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);

        double a = 1 - (eta / substeps), mean = 2, variance = 0;
        int done = 0;
        foreach (EnsembleRecord record in result.Records)
        {
            for (; done < record.Step * substeps; done++)
            {
                mean *= a;
                variance = (a * a * variance) + (eta * eta / substeps);
            }

            Moments m = record.Moments;
            if (record.Step == 0)
            {
                continue;
            }

            double zMean = (m.Mean[0] - mean) / m.MeanStandardError[0], zVariance = (m.Covariance[0, 0] - variance) / m.VarianceStandardError[0];
            Assert.True(Math.Abs(zMean) < 5 && Math.Abs(zVariance) < 5, $"m = {substeps}, step {record.Step}: mean {m.Mean[0]:R} vs {mean:R} (z = {zMean:F2}), variance {m.Covariance[0, 0]:R} vs {variance:R} (z = {zVariance:F2})");
        }

        // the stationary EM variance ησ²/(λ(2 − ηλ/m)) tends to the Langevin ησ²/(2λ) = 0.05 as m grows
        Assert.Equal(eta / (2 - (eta / substeps)), (eta * eta / substeps) / (1 - (a * a)), 12);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(-0.8)]
    public void OneSubstepOnTheFluctuatingLandscapeIsTheGaussianOfItsNoiseVariance(double x0)
    {
        // m = 1 from a point: x1 = x0 − η m(x0) + η ξ, ξ ~ N(0, D(x0)): mean and variance against x0 − η m(x0) and η² D(x0),
        // |z| < 5 (2^19 trajectories); and the fourth central moment against the Gaussian's 3 Var² (the landscape's own
        // noise, a sum of products of uniform and arcsine variables, is not Gaussian), |z| < 5 with SE √((m₈ − m₄²)/n),
        // m₈ = 105 Var⁴ for a Gaussian.
        const double eta = 0.1;
        var landscape = FluctuatingLandscapeTests.Rough;
        Problem problem = ProblemBuilder.Of(landscape, new LangevinSpec(eta, 1), [x0]);
        using var backend = new ManagedBackend();
        Moments m = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(1 << 19, steps: 1, seed: 6, new RecordSpec(1)), backend).Final.Moments;
        double mean = x0 - (eta * landscape.MeanGradientAt(x0)), variance = eta * eta * landscape.NoiseVarianceAt(x0);
        Assert.True(Math.Abs((m.Mean[0] - mean) / m.MeanStandardError[0]) < 5, $"mean {m.Mean[0]:R} vs {mean:R}");
        Assert.True(Math.Abs((m.Covariance[0, 0] - variance) / m.VarianceStandardError[0]) < 5, $"variance {m.Covariance[0, 0]:R} vs {variance:R}");
        double fourth = 3 * variance * variance, fourthError = Math.Sqrt((105 - 9) * Math.Pow(variance, 4) / (1 << 19));
        Assert.True(Math.Abs(m.FourthCentralMoment[0] - fourth) < 5 * fourthError, $"fourth central moment {m.FourthCentralMoment[0]:R} vs Gaussian {fourth:R} ± {fourthError:E2}");
    }

    [Fact]
    public void TheDynamicsSectionReadsWritesAndRefusesWhatDoesNotFit()
    {
        const string head = """{"landscape": {"type": "doubleWell", "noiseStd": 0.5}, "initial": {"point": [1]}, "ensemble": {"trajectories": 100, "steps": 10, "seed": 1}, """;
        Scenario scenario = ScenarioLoader.Parse(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "langevin", "substeps": 8, "scheme": "eulerMaruyama"}}""");
        Assert.Equal(new LangevinSpec(0.2, 8), scenario.Problem.Dynamics);
        Scenario again = ScenarioLoader.Parse(ScenarioWriter.ToJson(scenario));
        Assert.Equal(scenario.Problem.Dynamics, again.Problem.Dynamics);
        Assert.Equal(new SgdSpec(0.2), ScenarioLoader.Parse(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "sgd"}}""").Problem.Dynamics);
        Assert.Equal(new LangevinSpec(0.2, 1), ScenarioLoader.Parse(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "langevin"}}""").Problem.Dynamics);

        AssertRefused(head + """ "optimizer": {"type": "momentum", "learningRate": 0.2, "momentum": 0.5}, "dynamics": {"type": "langevin"}}""", "$.optimizer.type", "stands in for plain SGD");
        AssertRefused(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "langevin", "substeps": 0}}""", "$.dynamics.substeps", "must be at least 1");
        AssertRefused(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "langevin", "scheme": "milstein"}}""", "$.dynamics.scheme", "unknown scheme");
        AssertRefused(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "sme9"}}""", "$.dynamics.type", "unknown dynamics type");
        AssertRefused(head + """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "sgd", "substeps": 2}}""", "$.dynamics.substeps", "unknown field");
        AssertRefused(head + """ "optimizer": {"type": "langevin", "learningRate": 0.2}}""", "$.optimizer.type", "is an SDE model");
        AssertRefused(
            """{"landscape": {"type": "doubleWell", "noiseStd": 0.5}, "initial": {"point": [1]}, "ensemble": {"steps": 10},""" +
            """ "optimizer": {"type": "sgd", "learningRate": 0.2}, "dynamics": {"type": "langevin"}, "solver": {"type": "masterEquation", "grid": {"lower": [-2], "upper": [2], "cells": [40]}}}""",
            "$.dynamics.type",
            "needs the ensemble solver");
    }

    private static void AssertRefused(string json, string path, string message)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));
        Assert.True(error.Message.Contains(path, StringComparison.Ordinal) && error.Message.Contains(message, StringComparison.Ordinal), $"expected {path}: …{message}…, got: {error.Message}");
    }
}
