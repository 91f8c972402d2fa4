using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Landscapes;

/// <summary>
/// The tilted periodic landscape <c>L(x) = −A cos(2πx/P) + F x</c>: its scenario form, the accuracy of its float gradient
/// (polynomial sine after range reduction) and double field, and trajectories against a double-precision recursion with
/// the same normals. Backend agreement (managed lanes, ilgpu-cpu, scalar reference) comes from the registry-wide
/// agreement problems.
/// </summary>
public class TiltedCosineLandscapeTests
{
    /// <summary>Unit roundoff of float.</summary>
    private const double FloatEpsilon = 1.0 / (1 << 24);

    private const string Scenario = """
        {"landscape": {"type": "tiltedCosine", "amplitude": 1, "period": 6.283185307179586, "tilt": 0.5, "noiseStd": 1},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"point": [0]},
         "ensemble": {"trajectories": 1000, "steps": 100, "seed": 5}}
        """;

    [Fact]
    public void ParsesToItsSpecAndRoundTrips()
    {
        Problem p = ScenarioLoader.Parse(Scenario).Problem;
        Assert.Equal(new TiltedCosineLandscapeSpec(1, 2 * Math.PI, 0.5, 1), p.Landscape);
        Assert.Equal("tiltedCosine", p.Landscape.TypeName);
        Assert.Equal(1, p.Dimension);
        string written = ScenarioLoader.Parse(Scenario).ToJson();
        Assert.Equal(p, ScenarioLoader.Parse(written).Problem);
    }

    [Theory]
    [InlineData("""{"type": "tiltedCosine", "amplitude": 1, "period": 0, "tilt": 0.5, "noiseStd": 1}""", "$.landscape.period", "must be > 0 (got 0)")]
    [InlineData("""{"type": "tiltedCosine", "amplitude": -1, "period": 1, "tilt": 0.5, "noiseStd": 1}""", "$.landscape.amplitude", "must be >= 0 (got -1)")]
    [InlineData("""{"type": "tiltedCosine", "amplitude": 1, "period": 1, "noiseStd": 1}""", "$.landscape.tilt", "required field is missing")]
    [InlineData("""{"type": "tiltedCosine", "amplitude": 1, "period": 1, "tilt": 0, "noiseStd": -1}""", "$.landscape.noiseStd", "must be >= 0 (got -1)")]
    [InlineData("""{"type": "tiltedCosine", "amplitude": 1, "period": 1, "tilt": 0, "noiseStd": 1, "hessian": [[1]]}""", "$.landscape.hessian", "unknown field")]
    public void BadFieldsAreNamed(string landscape, string path, string detail)
    {
        string json = Scenario.Replace(
            """{"type": "tiltedCosine", "amplitude": 1, "period": 6.283185307179586, "tilt": 0.5, "noiseStd": 1}""", landscape, StringComparison.Ordinal);
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));
        Assert.Equal(path, error.JsonPath);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InitialLawMustBeOneDimensional()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(Scenario.Replace("\"point\": [0]", "\"point\": [0, 1]", StringComparison.Ordinal)));
        Assert.Contains("the tiltedCosine landscape is 1-dimensional", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DoubleSineAndCosineAreAccurateToAFewUlps()
    {
        // against SinPi/CosPi (exact argument 2u): the reduction is exact up to the rounding of 4f − q, and the series
        // remainders are below 1e-19, so the error is a few ulps of 1
        for (double u = -100; u <= 100; u += 0.0137)
        {
            TiltedCosineLandscape.SinCosTwoPi(u, out double sin, out double cos);
            Assert.True(Math.Abs(sin - double.SinPi(2 * u)) <= 4e-16, $"sin 2π·{u}: {sin:R} vs {double.SinPi(2 * u):R}");
            Assert.True(Math.Abs(cos - double.CosPi(2 * u)) <= 4e-16, $"cos 2π·{u}: {cos:R} vs {double.CosPi(2 * u):R}");
        }
    }

    [Fact]
    public void FieldIsTheGradientAndLossIsItsPrimitive()
    {
        var landscape = new TiltedCosineLandscape(0.7, 1.5, -0.3, 0.4);
        for (double x = -4; x <= 4; x += 0.173)
        {
            landscape.Field(x, 0, out double g0, out double g1, out double s00, out double s01, out double s11);
            double exact = 2 * Math.PI * 0.7 / 1.5 * Math.Sin(2 * Math.PI * x / 1.5) - 0.3;
            Assert.Equal(exact, g0, 1e-14);
            Assert.Equal((0.0, 0.0, 0.0), (g1, s01, s11));
            Assert.Equal(0.4 * 0.4, s00, 1e-16);

            // fourth-order central difference of the loss: truncation h^4/30 |L^(5)| <= h^4/30 A (2pi/P)^5 = 3.0e-11 at h = 1e-3;
            // rounding of L (|L| <= 2) and of the arguments x +- h, x +- 2h contributes about 18 eps 2/(12h) + 2.2 ulp(4)/h = 2e-12
            const double h = 1e-3;
            double difference = (-landscape.Loss(x + 2 * h, 0) + 8 * landscape.Loss(x + h, 0) - 8 * landscape.Loss(x - h, 0) + landscape.Loss(x - 2 * h, 0)) / (12 * h);
            Assert.Equal(exact, difference, 5e-11);
        }
    }

    [Fact]
    public void FloatGradientIsWithinItsRoundingBound()
    {
        // u = x·fl(1/P) carries a relative error ≤ 2ε, which the reduction keeps as an absolute error 2ε|u| in the
        // fraction; y = 2πf adds 2ε|y|; the sine series adds ≤ 2.3e-8 + a few ε; the fused multiply-add rounds once.
        // So |Δg| ≤ (2πA/P)(2π·2ε|u| + 2ε|y| + 4e-8 + 4ε) + ε|g| + ε(2πA/P).
        const double a = 1.3, p = 2.0, f = 0.25;
        var landscape = new TiltedCosineLandscape(a, p, f, 0);
        double slope = 2 * Math.PI * a / p;
        float[] x = new float[1], g = new float[1];
        for (float value = -60f; value <= 60f; value += 0.0371f)
        {
            x[0] = value;
            landscape.Gradient<FloatLane, ArrayView, ZeroNormals>(new ArrayView(x), new ArrayView(g), default, 0);
            double u = value / p;
            double exact = slope * Math.Sin(2 * Math.PI * u) + f;
            double bound = slope * (2 * Math.PI * 2 * FloatEpsilon * Math.Abs(u) + 2 * FloatEpsilon * Math.PI + 4e-8 + 4 * FloatEpsilon)
                + FloatEpsilon * (Math.Abs(exact) + slope);
            Assert.True(Math.Abs(g[0] - exact) <= bound, $"x = {value:R}: {g[0]:R} vs {exact:R}, bound {bound:E2}");
        }
    }

    [Fact]
    public void TrajectoriesFollowTheDoublePrecisionRecursionWithTheSameNormals()
    {
        // x ← x − η((2πA/P) sin(2πx/P) + F + σz) in double with the engine's normals; the float run differs by the
        // propagated rounding: b ← b·(|1 − ηL''(x)| + ηL'''_max·b) + η|Δg| + 2ε(|x'| + η|g|), L'' = (2π/P)²A cos(2πx/P).
        const double a = 1.0, p = 2 * Math.PI, f = 0.5, sigma = 1.0, eta = 0.05;
        const int steps = 60;
        var spec = new TiltedCosineLandscapeSpec(a, p, f, sigma);
        Problem problem = ProblemBuilder.Of(spec, new SgdSpec(eta), [0.25]);
        var ensemble = new EnsembleAlgorithm(trajectories: 64, steps: steps, seed: 41, record: new RecordSpec(20));
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        double slope = 2 * Math.PI * a / p, k = 2 * Math.PI / p;
        foreach (uint t in new uint[] { 0, 9, 31, 32, 63 })
        {
            double x = (float)0.25, bound = 0;
            for (uint step = 0; step < steps; step++)
            {
                new PhiloxNormals<FloatLane>(41, t).Two(step, 0, Philox4x32.DynamicsStream, out var z0, out _);
                double z = FloatLane.ToFloat(z0);
                double g = slope * Math.Sin(k * x) + f + (double)(float)sigma * z;
                double next = x - (double)(float)eta * g;
                double gradientError = slope * (2 * Math.PI * 2 * FloatEpsilon * Math.Abs(x / p) + 2 * FloatEpsilon * Math.PI + 4e-8 + 4 * FloatEpsilon)
                    + FloatEpsilon * (Math.Abs(g) + slope + Math.Abs(sigma * z));
                bound = bound * (Math.Abs(1 - eta * slope * k * Math.Cos(k * x)) + eta * slope * k * k * bound)
                    + eta * gradientError + 2 * FloatEpsilon * (Math.Abs(next) + eta * Math.Abs(g));
                x = next;
            }

            float engine = result.FinalState(t)[0];
            Assert.True(Math.Abs(engine - x) <= bound, $"trajectory {t}: float {engine:R} vs double {x:R}, bound {bound:E2}");
            Assert.True(bound < 1e-4, $"trajectory {t}: the rounding bound {bound:E2} is not small");
        }
    }

    [Fact]
    public void GridFormIsTheKernelStruct()
    {
        var spec = new TiltedCosineLandscapeSpec(0.5, 1.0, 0.2, 0.3);
        GridLandscape grid = GridLandscape.From(spec);
        Assert.Equal(1, grid.Dimension);
        Span<double> g = stackalloc double[1];
        Span<double> s = stackalloc double[1];
        grid.MeanGradient([0.3], g);
        grid.NoiseCovariance([0.3], s);
        spec.Kernel.Field(0.3, 0, out double g0, out _, out double s00, out _, out _);
        Assert.Equal(g0, g[0]);
        Assert.Equal(s00, s[0]);
    }

    private readonly struct ArrayView(float[] data) : IStateView<FloatLane>
    {
        public FloatLane Get(int i) => FloatLane.Splat(data[i]);

        public void Set(int i, FloatLane value) => data[i] = FloatLane.ToFloat(value);
    }

    private readonly struct ZeroNormals : INormalSource<FloatLane>
    {
        public void Two(uint step, uint sub, uint stream, out FloatLane z0, out FloatLane z1) => throw new InvalidOperationException("σ = 0 draws no normals");

        public void Four(uint step, uint sub, uint stream, out FloatLane z0, out FloatLane z1, out FloatLane z2, out FloatLane z3) =>
            throw new InvalidOperationException("σ = 0 draws no normals");

        public void Uniforms(uint step, uint sub, out FloatLane u0, out FloatLane u1, out FloatLane u2, out FloatLane u3) =>
            throw new InvalidOperationException("the washboard draws no uniforms");

        public FloatLane Index(IndexSampler sampler, uint step, int j) => throw new InvalidOperationException("the washboard draws no indices");
    }
}
