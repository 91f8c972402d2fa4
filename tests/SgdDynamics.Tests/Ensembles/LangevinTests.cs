using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Landscapes;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The SDE models Langevin and SME-2 (<c>"dynamics": {"type": "langevin" | "sme2", "substeps": m}</c>): on the Ornstein–Uhlenbeck process
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
    [InlineData("langevin", 1)]
    [InlineData("langevin", 4)]
    [InlineData("langevin", 32)]
    [InlineData("sme2", 1)]
    [InlineData("sme2", 8)]
    public void OrnsteinUhlenbeckFollowsTheEulerMaruyamaRecursion(string model, int substeps)
    {
        // λ = 1, σ² = 1, η = 0.1, x0 = 2: per substep δ = η/m, a = 1 − δλ (Langevin) or 1 − δλ(1 + ηλ/2) (SME-2: the drift
        // ḡ + (η/2)Hḡ, its central difference exact for the affine ḡ), m_k = a m, v ← a² v + (η²/m) σ². Every record's
        // mean and variance against it, |z| < 5 with the engine's Monte-Carlo SEs (2^20 trajectories).
        const double eta = 0.1;
        DynamicsSpec dynamics = model == "langevin" ? new LangevinSpec(eta, substeps) : new Sme2Spec(eta, substeps);
        Problem problem = ProblemBuilder.Of(ProblemBuilder.QuadraticLandscape(new double[,] { { 1 } }, new double[,] { { 1 } }), dynamics, [2.0]);
        var ensemble = new EnsembleAlgorithm(1 << 20, steps: 120, seed: 5, new RecordSpec(40));
        using var backend = new ManagedBackend();
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);

        double a = 1 - (eta / substeps * (model == "langevin" ? 1 : 1 + (eta / 2))), mean = 2, variance = 0;
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

        if (model == "langevin")
        {
            // the stationary EM variance ησ²/(λ(2 − ηλ/m)) tends to the Langevin ησ²/(2λ) = 0.05 as m grows
            Assert.Equal(eta / (2 - (eta / substeps)), (eta * eta / substeps) / (1 - (a * a)), 12);
        }
    }

    [Fact]
    public void Sme2DriftAddsHalfEtaTimesTheHessianAlongTheGradient()
    {
        // Noise-free double well (σ = 0), one SME-2 step (m = 1) of η = 0.1 from 1.5: x1 = x0 − η(ḡ + (η/2) H ḡ), ḡ = x³ − x,
        // H = 3x² − 1. The central difference (h = 2⁻¹⁰) errs by h²ḡ³ ≈ 6e-6 in Hḡ (the third derivative of ḡ is 6) and
        // its float rounding by about 2⁻²⁴·|ḡ|/(2h) ≈ 6e-5; times η²/2 both are below 1e-6, so 1e-5 bounds the float step.
        const double eta = 0.1, x0 = 1.5;
        Problem problem = ProblemBuilder.Of(new DoubleWellLandscapeSpec(0), new Sme2Spec(eta, 1), [x0]);
        using var backend = new ManagedBackend();
        Moments m = EnsembleSolver.Solve(problem, new EnsembleAlgorithm(256, steps: 1, seed: 1, new RecordSpec(1)), backend).Final.Moments;
        double g = (x0 * x0 * x0) - x0, h = (3 * x0 * x0) - 1;
        double expected = x0 - (eta * (g + (eta / 2 * h * g)));
        Assert.Equal(0.0, m.Covariance[0, 0]);
        Assert.True(Math.Abs(m.Mean[0] - expected) < 1e-5, $"SME-2 step {m.Mean[0]:R}, expected {expected:R} (Langevin would give {x0 - (eta * g):R})");
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
