using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Ensembles;
using SgdDynamics.Tests.Kernels;

namespace SgdDynamics.Tests.Landscapes;

/// <summary>
/// The randomly fluctuating 1-D landscape: the kernel computes <c>m(x) + e(x)·Σ A_k u_k cos(2πk x/P + π v_k)</c> with
/// u_k, v_k the step's uniforms 2(k−1) and 2(k−1)+1 (against a double-precision evaluation of the same uniforms); one SGD
/// step from a point has the mean x − η m(x) and the variance η² e(x)² Σ A_k²/6 (Monte-Carlo z-scores); the scenario
/// section is read with its errors; the Fokker–Planck equations take its mean gradient and noise variance.
/// </summary>
[Collection(EnsembleCollection.Name)]
public class FluctuatingLandscapeTests
{
    /// <summary>The landscape of the rough-landscape experiment (examples/fluctuating-rough.json).</summary>
    internal static readonly FluctuatingLandscapeSpec Rough = new(
        Vector<double>.Build.DenseOfArray([0.15, -0.6, 0, 4]),
        Vector<double>.Build.DenseOfArray([1, 0, 0.1]),
        Vector<double>.Build.Dense(20, k => 0.5 / ((k + 1.0) * (k + 1.0))),
        2.0);

    [Theory]
    [InlineData(0.0f, 0u)]
    [InlineData(0.37f, 5u)]
    [InlineData(-1.3f, 77u)]
    [InlineData(2.9f, 123456u)]
    public void KernelGradientIsTheMeanGradientPlusTheEnvelopedModesOfTheStepsUniforms(float x, uint step)
    {
        var landscape = Rough.Kernel(new ArrayStore());
        Assert.Equal(40, landscape.UniformsPerStep);
        Assert.Equal(0, landscape.NormalsPerStep);
        var source = new PhiloxNormals<FloatLane>(seed: 9, trajectory: 31);
        float[] state = [x];
        float[] gradient = [float.NaN];
        landscape.Gradient<FloatLane, ArrayView, PhiloxNormals<FloatLane>>(new ArrayView(state), new ArrayView(gradient), source, step);

        // the same in double from the same uniforms: (u_k, v_k, u_{k+1}, v_{k+1}) from counter (k − 1)/2
        double sum = 0;
        double scale = 0;
        for (int k = 1; k <= 20; k += 2)
        {
            source.Uniforms(step, (uint)(k / 2), out var u0, out var v0, out var u1, out var v1);
            foreach ((int mode, float u, float v) in new[] { (k, u0.Value, v0.Value), (k + 1, u1.Value, v1.Value) })
            {
                double amplitude = Rough.Amplitudes[mode - 1];
                sum += amplitude * u * Math.Cos(2 * Math.PI * mode * x / Rough.Period + Math.PI * v);
                scale += Math.Abs(amplitude);
            }
        }

        double expected = Rough.MeanGradientAt(x) + Rough.EnvelopeAt(x) * sum;
        // float arithmetic: the phase k·x/P (≤ 60 turns here) carries 2⁻²⁴ relative rounding, i.e. up to 2π·60·6e-8 rad,
        // and the polynomials a few ulps; 1e-5 of the largest term bounds both
        double tolerance = 1e-5 * (Math.Abs(Rough.MeanGradientAt(x)) + 4 * Math.Abs(x * x * x) + Math.Abs(Rough.EnvelopeAt(x)) * scale + 1);
        Assert.True(Math.Abs(gradient[0] - expected) <= tolerance, $"x = {x}, step {step}: kernel {gradient[0]:R}, double {expected:R}, tolerance {tolerance:E1}");
    }

    [Theory]
    [InlineData(-0.8)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.25)]
    public void OneStepFromAPointHasTheMeanGradientAndTheStatedNoiseVariance(double x0)
    {
        // 2^19 trajectories, one SGD step of η = 0.1 from x0: x1 = x0 − η g, so E x1 = x0 − η m(x0) and
        // Var x1 = η² D(x0) with D = e² Σ A_k²/6. Both checked to |z| < 5 with the engine's Monte-Carlo standard errors
        // (mean: √(Var/n); variance: √((m₄ − m₂²)/n)); the float rounding of x1 (~1e-7) is far below them (~4e-5).
        const double eta = 0.1;
        Problem problem = ProblemBuilder.Of(Rough, new SgdSpec(eta), [x0]);
        var ensemble = new EnsembleAlgorithm(1 << 19, steps: 1, seed: 17, new RecordSpec(1));
        using var backend = new ManagedBackend();
        Moments final = EnsembleSolver.Solve(problem, ensemble, backend).Final.Moments;

        double mean = x0 - eta * Rough.MeanGradientAt(x0);
        double variance = eta * eta * Rough.NoiseVarianceAt(x0);
        double zMean = (final.Mean[0] - mean) / final.MeanStandardError[0];
        double zVariance = (final.Covariance[0, 0] - variance) / final.VarianceStandardError[0];
        Assert.True(Math.Abs(zMean) < 5, $"x0 = {x0}: mean {final.Mean[0]:R}, expected {mean:R}, z = {zMean:F2}");
        Assert.True(Math.Abs(zVariance) < 5, $"x0 = {x0}: variance {final.Covariance[0, 0]:R}, expected {variance:R}, z = {zVariance:F2}");
    }

    [Fact]
    public void ScenarioSectionIsReadWithItsDefaultsAndItsErrorsNameTheField()
    {
        Scenario scenario = ScenarioLoader.Parse(Scenario("""[0.15, -0.6, 0, 4]""", """[1, 0, 0.1]""", """[0.5, 0.125]""", "2"));
        var spec = Assert.IsType<FluctuatingLandscapeSpec>(scenario.Problem.Landscape);
        Assert.Equal([0.15, -0.6, 0, 4], spec.MeanGradient.ToArray());
        Assert.Equal(2.0, spec.Period);
        Assert.Equal(1.25 * 1.25 * (0.25 + 0.015625) / 6, spec.NoiseVarianceAt(Math.Sqrt(2.5)), 12);

        AssertRefused(Scenario("[]", "[1]", "[0.5]", "2"), "$.landscape.meanGradient", "expected 1 to 16 entries, got 0");
        AssertRefused(Scenario("[0]", "[1]", "[]", "2"), "$.landscape.amplitudes", "expected 1 to 256 entries");
        AssertRefused(Scenario("[0]", "[1]", "[0.5]", "0"), "$.landscape.period", "must be > 0");
        AssertRefused(Scenario("[0]", "[1e39]", "[0.5]", "2"), "$.landscape.envelope[0]", "float range");
        AssertRefused(Scenario("[0]", "[1]", "[0.5]", "1e-300"), "$.landscape.period", "1/period must be a normal float");
    }

    [Fact]
    public void FokkerPlanckTakesTheMeanGradientAndTheNoiseVarianceOfTheFluctuatingLandscape()
    {
        // m(x) = x and e(x) = 1 make ḡ and D those of the quadratic L = x²/2 with Σ = Σ A²/6: the discrete Fokker–Planck
        // equation, which needs only ḡ and D, must give the same densities, bit for bit (the same doubles go in).
        double variance = (0.5 * 0.5 + 0.125 * 0.125) / 6;
        string solver = """{"type": "fokkerPlanck", "variant": "discrete", "grid": {"lower": [-3], "upper": [3], "cells": [240]}}""";
        string rest = """
            "optimizer": {"type": "sgd", "learningRate": 0.2},
            "initial": {"mean": [1], "covariance": [[0.05]]},
            "ensemble": {"steps": 30},
            "record": {"every": 10},
            """;
        Scenario fluctuating = ScenarioLoader.Parse(
            $$"""{"landscape": {"type": "fluctuating", "meanGradient": [0, 1], "envelope": [1], "amplitudes": [0.5, 0.125], "period": 2}, {{rest}} "solver": {{solver}}}""");
        Scenario quadratic = ScenarioLoader.Parse(
            $$"""{"landscape": {"type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[{{variance.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}]]}, {{rest}} "solver": {{solver}}}""");
        Assert.Equal(variance, ((FluctuatingLandscapeSpec)fluctuating.Problem.Landscape).NoiseVarianceAt(0.7));

        var a = SgdDynamics.Grids.GridRunner.Run(fluctuating.Problem, (GridAlgorithm)fluctuating.Algorithm);
        var b = SgdDynamics.Grids.GridRunner.Run(quadratic.Problem, (GridAlgorithm)quadratic.Algorithm);
        Assert.Null(a.Failure);
        Assert.Equal(4, a.Records.Count);
        Bitwise.AssertSame(b.FinalDensity.Mass, a.FinalDensity.Mass, "Fokker–Planck density, fluctuating against quadratic");

        // the Gaussian master-equation solver refuses it (GridRunner hands it to the shaped-kernel solver instead)
        var refused = Assert.Throws<ArgumentException>(() => new SgdDynamics.Grids.MasterEquationSolver(
            ((GridAlgorithm)fluctuating.Algorithm).Grid.ToGrid(), SgdDynamics.Grids.GridLandscape.From(fluctuating.Problem.Landscape), 0.2));
        Assert.Contains("the landscape's noise is not", refused.Message);
    }

    private static string Scenario(string mean, string envelope, string amplitudes, string period) => $$$"""
        {"landscape": {"type": "fluctuating", "meanGradient": {{{mean}}}, "envelope": {{{envelope}}}, "amplitudes": {{{amplitudes}}}, "period": {{{period}}}},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"point": [0.5]},
         "ensemble": {"trajectories": 1000, "steps": 10, "seed": 1},
         "record": {"every": 5}}
        """;

    private static void AssertRefused(string json, string path, string message)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));
        Assert.True(error.Message.Contains(path, StringComparison.Ordinal) && error.Message.Contains(message, StringComparison.Ordinal), $"expected {path}: …{message}…, got: {error.Message}");
    }

    private readonly struct ArrayView(float[] data) : IStateView<FloatLane>
    {
        public FloatLane Get(int i) => FloatLane.Splat(data[i]);

        public void Set(int i, FloatLane value) => data[i] = FloatLane.ToFloat(value);
    }
}
