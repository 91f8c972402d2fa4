using System.Text.Json.Nodes;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends;
using SgdDynamics.Data;
using SgdDynamics.ModeExperiments;
using SgdDynamics.Observers;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.ModeExperiments;

/// <summary>
/// The Hessian-mode experiment: its section in scenarios, the regime prediction, the linearised mode covariance, the
/// pooled exponent fit, and one whole run on a small generated network with every report file and field.
/// </summary>
public class HessianModeExperimentTests
{
    private const string Scenario = """
        {"name": "tiny", "landscape": {"type": "mlp", "widths": [3, 4, 3], "activations": ["tanh"],
                       "data": {"generate": {"samples": 60, "inputs": 3, "classes": 3, "seed": 5}}, "batchSize": 4},
         "optimizer": {"type": "sgd", "learningRate": 0.1},
         "initial": {"network": {"seed": 1, "train": {"steps": 200, "learningRate": 0.5, "batchSize": 0}}},
         "ensemble": {"trajectories": 512, "steps": 100, "seed": 3}, "record": {"every": 5},
         "hessianModes": {"learningRates": [0.1, 0.2, 0.4], "trajectories": 768, "time": 20, "records": 16, "sampling": ["withReplacement", "withoutReplacement"], "seed": 9}}
        """;

    [Fact]
    public void SectionIsReadWrittenAndChecked()
    {
        Scenario s = ScenarioLoader.Parse(Scenario);
        HessianModesSpec spec = s.HessianModes!;
        Assert.Equal([0.1, 0.2, 0.4], spec.LearningRates);
        Assert.Equal(20, spec.Time);
        Assert.Equal((200, 12), spec.Schedule(0.1));
        Assert.Equal((50, 3), spec.Schedule(0.4));
        Assert.Equal(s, ScenarioLoader.Parse(s.ToJson()));

        static ScenarioException Error(string path, string value) =>
            Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(Tests.Scenarios.ScenarioFixtures.WithField(path, value, Scenario)));
        Assert.Equal("$.hessianModes.learningRates[1]", Error("hessianModes.learningRates", "[0.2, 0.1]").JsonPath);
        Assert.Equal("$.hessianModes.time", Error("hessianModes.time", "0.5").JsonPath);
        Assert.Equal("$.hessianModes.sampling[1]", Error("hessianModes.sampling", "[\"withReplacement\", \"withReplacement\"]").JsonPath);
        Assert.Equal("$.hessianModes.time", Error("hessianModes.steps", "100").JsonPath);
        string quadratic = """{"landscape": {"hessian": [[1]]}, "optimizer": {"type": "sgd", "learningRate": 0.1}, "initial": {"point": [0]}, "ensemble": {"trajectories": 10, "steps": 10, "seed": 1}, "hessianModes": {}}""";
        Assert.Equal("$.hessianModes", Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(quadratic)).JsonPath);
    }

    [Fact]
    public void RefusesScenariosItCannotRunNamingThePath()
    {
        Assert.Null(HessianModeExperiment.Refusal(ScenarioLoader.Parse(Scenario)));
        string quadratic = """{"landscape": {"hessian": [[1]]}, "optimizer": {"type": "sgd", "learningRate": 0.1}, "initial": {"point": [0]}, "ensemble": {"trajectories": 10, "steps": 10, "seed": 1}}""";
        Assert.Equal("$.landscape.type", HessianModeExperiment.Refusal(ScenarioLoader.Parse(quadratic))?.JsonPath);
        string momentum = Tests.Scenarios.ScenarioFixtures.WithField("optimizer", """{"type": "momentum", "learningRate": 0.1, "momentum": 0.5}""", Scenario);
        Assert.Equal("$.optimizer.type", HessianModeExperiment.Refusal(ScenarioLoader.Parse(momentum))?.JsonPath);
        Scenario s = ScenarioLoader.Parse(momentum);
        using var backend = BackendFactory.Open("managed", 1);
        Assert.Throws<ArgumentException>(() => HessianModeExperiment.Run(s, s.HessianModes!, backend));
    }

    [Theory]
    [InlineData(0.5, 0.1, 100, Regime.Confined)]
    [InlineData(0.01, 0.1, 100, Regime.Diffusive)]
    [InlineData(0.0, 0.1, 100, Regime.Diffusive)]
    [InlineData(25.0, 0.1, 100, Regime.Unstable)]
    [InlineData(-0.5, 0.1, 100, Regime.Unstable)]
    [InlineData(-0.001, 0.1, 100, Regime.Diffusive)]
    public void PredictsTheRegimeFromLambdaEtaAndTheRunLength(double lambda, double eta, int steps, Regime expected) =>
        Assert.Equal(expected, HessianModeExperiment.PredictRegime(lambda, eta, steps));

    [Fact]
    public void LinearModeCovarianceIsTheRecursionsValue()
    {
        var sigma = Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, 0.3 }, { 0.3, 1.0 } });
        double[] lambda = [1.5, 0.0];
        const double eta = 0.2;
        var c = Matrix<double>.Build.Dense(2, 2);
        var k = Matrix<double>.Build.DenseOfDiagonalArray([1 - (eta * lambda[0]), 1 - (eta * lambda[1])]);
        for (int step = 0; step < 37; step++)
        {
            c = (k * c * k) + (eta * eta * sigma);
        }

        Matrix<double> formula = HessianModeExperiment.LinearModeCovariance(sigma, lambda, eta, 37);
        Assert.True((formula - c).FrobeniusNorm() <= 1e-14 * c.FrobeniusNorm(), $"{formula} vs {c}");
    }

    [Fact]
    public void PooledExponentRecoversAKnownSlope()
    {
        // D = a_m η^b with b = 1.3 exactly and 2 % errors: the fit returns b with a tiny error; a mode that is not diffusive at every η is left out
        double[] etas = [0.05, 0.1, 0.2, 0.4];
        var modes = new List<ModeResult>();
        for (int m = 0; m < 3; m++)
        {
            double a = 1e-4 * (m + 1);
            var fits = etas.Select(eta => Fit(eta, m == 2 && eta > 0.3 ? Regime.Confined : Regime.Diffusive, a * Math.Pow(eta, 1.3))).ToArray();
            modes.Add(new ModeResult(m, 0, 1, fits));
        }

        DiffusionExponent x = HessianModeExperiment.Exponent(modes, withoutReplacement: false);
        Assert.Equal(2, x.Modes);
        Assert.Equal(8, x.Points);
        Assert.Equal(1.3, x.Exponent, 10);
        Assert.True(x.Lower < 1.3 && x.Upper > 1.3);
        Assert.True(double.IsNaN(HessianModeExperiment.Exponent(modes, withoutReplacement: true).Exponent));
    }

    private static ModeFit Fit(double eta, Regime regime, double value)
    {
        var diagnostics = new RegimeDiagnostics(10, 5, 5, 0, 0, 0, 0, [], 0, 1, 0, 1, null, null, 5);
        return new ModeFit(eta, false, regime, new RegimeClassification(regime, value, 0.02 * value, "test", diagnostics), double.NaN, double.NaN, value);
    }

    [Fact]
    public void RunsOnASmallNetworkAndWritesEveryFile()
    {
        Scenario s = ScenarioLoader.Parse(Scenario);
        using var backend = BackendFactory.Open("managed", 2);
        HessianModeResult result = HessianModeExperiment.Run(s, s.HessianModes!, backend);
        int p = s.Problem.Dimension;
        Assert.Equal(p, result.Modes.Count);
        Assert.True(result.Eigenvalues.Zip(result.Eigenvalues.Skip(1)).All(q => q.First <= q.Second), "eigenvalues ascending");
        Assert.True(result.MethodDifference < 1e-6);
        Assert.Equal(6, result.Ensembles.Count);
        Assert.All(result.Modes, m => Assert.Equal(6, m.Fits.Count));
        Assert.All(result.Ensembles, e => Assert.True(e.OffDiagonalMass >= 0 && e.NoiseFloor > 0));
        var hessian = result.Hessian.Matrix;
        for (int m = 0; m < p; m++)
        {
            // H v = λ v for every reported pair
            var v = result.Eigenvectors.Column(m);
            Assert.True((hessian * v - (result.Eigenvalues[m] * v)).L2Norm() <= 1e-9 * Math.Max(1, Math.Abs(result.Eigenvalues[^1])));
        }

        string folder = Directory.CreateTempSubdirectory("hessian-modes-").FullName;
        try
        {
            HessianModeReport.Write(result, folder);
            foreach (string file in HessianModeReport.Files)
            {
                Assert.True(File.Exists(Path.Combine(folder, file)), file);
            }

            Assert.Equal(result.Reference, NpyFile.ReadVector(Path.Combine(folder, "reference.npy")));
            Assert.Equal(result.Eigenvalues, NpyFile.ReadVector(Path.Combine(folder, "hessian_eigenvalues.npy")));
            double[,] vectors = NpyFile.ReadMatrix(Path.Combine(folder, "hessian_eigenvectors.npy"));
            Assert.Equal(result.Eigenvectors[3, 5], vectors[3, 5]);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")))!.AsObject();
            Assert.Equal(result.FullBatchLoss, json["fullBatchLoss"]!.GetValue<double>());
            Assert.Equal(result.GradientNorm, json["gradientNorm"]!.GetValue<double>());
            Assert.Equal(60, json["data"]!["count"]!.GetValue<int>());
            var modes = json["modes"]!.AsArray();
            Assert.Equal(p, modes.Count);
            var fit = modes[0]!["fits"]!.AsArray()[0]!.AsObject();
            foreach (string field in new[] { "learningRate", "regime", "value", "standardError", "discrete", "langevin", "diffusion" })
            {
                Assert.True(fit.ContainsKey(field), field);
            }

            // λ ≤ 0 has no Langevin law: null, never a number
            int flat = result.Modes.First(m => m.Eigenvalue <= 0).Index;
            Assert.Null(modes[flat]!["fits"]!.AsArray()[0]!["langevin"]);
            Assert.Contains("# Hessian-mode experiment: tiny", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
