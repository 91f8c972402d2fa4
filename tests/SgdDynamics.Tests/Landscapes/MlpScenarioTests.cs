using SgdDynamics.Backends;
using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Networks;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Landscapes;

/// <summary>
/// The <c>"mlp"</c> scenario type: every field checked with errors naming the JSON path, the round trip through the
/// writer, the network initial law (initialisation then host training), the refusal of SDE models, and an ensemble
/// trajectory against plain SGD in double precision at the same minibatch indices.
/// </summary>
public class MlpScenarioTests
{
    private const string Generated = """
        {"landscape": {"type": "mlp", "widths": [3, 4, 3], "activations": ["tanh"], "loss": "softmaxCrossEntropy",
                       "data": {"generate": {"samples": 40, "inputs": 3, "classes": 3, "seed": 5}}, "batchSize": 4},
         "optimizer": {"type": "sgd", "learningRate": 0.2},
         "initial": {"network": {"seed": 1}},
         "ensemble": {"trajectories": 300, "steps": 30, "seed": 9}, "record": {"every": 10}}
        """;

    private static string With(string path, string value) => SgdDynamics.Tests.Scenarios.ScenarioFixtures.WithField(path, value, Generated);

    private static ScenarioException Error(string json) => Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));

    [Fact]
    public void ReadsTheNetworkAndItsInitialPoint()
    {
        Scenario s = ScenarioLoader.Parse(Generated);
        var spec = Assert.IsType<MlpLandscapeSpec>(s.Problem.Landscape);
        Assert.Equal(3 * 4 + 4 + 4 * 3 + 3, s.Problem.Dimension);
        Assert.Equal([3, 4, 3], spec.Widths);
        Assert.Equal(40, spec.Data.Count);
        Assert.True(s.Problem.Initial.IsPoint);
        Assert.Equal(MlpInitialisation.PyTorchDefault(spec.Architecture, 1), s.Problem.Initial.Mean.ToArray());
    }

    [Fact]
    public void TrainedInitialPointIsTheHostTrainersResult()
    {
        Scenario s = ScenarioLoader.Parse(With("initial", """{"network": {"seed": 1, "train": {"steps": 25, "learningRate": 0.3, "batchSize": 5, "seed": 4, "sampling": "withoutReplacement"}}}"""));
        var spec = (MlpLandscapeSpec)s.Problem.Landscape;
        double[] start = MlpInitialisation.PyTorchDefault(spec.Architecture, 1);
        MlpTrainingResult trained = MlpTrainer.Train(spec.Reference(), start, new MlpTrainingOptions(25, 0.3, 5, 4, MlpSampling.EpochPermutation));
        Assert.Equal(trained.Parameters, s.Problem.Initial.Mean.ToArray());
        Assert.NotEqual(start, trained.Parameters);
    }

    [Fact]
    public void RoundTripsThroughTheWriter()
    {
        Scenario s = ScenarioLoader.Parse(Generated);
        Scenario again = ScenarioLoader.Parse(s.ToJson());
        Assert.Equal(s, again);
        Assert.Contains("\"point\"", s.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadsTheShippedMnistSubsetPooledAndPinsIt()
    {
        MnistFiles files = MnistData.SubsetPaths();
        string json = With("landscape", $$$"""
            {"type": "mlp", "widths": [36, 8, 10], "activations": ["silu"],
             "data": {"mnist": {"images": "{{{files.ImagesPath}}}", "labels": "{{{files.LabelsPath}}}", "count": 200, "pool": 6}}, "batchSize": 64}
            """);
        Scenario s = ScenarioLoader.Parse(json);
        var spec = (MlpLandscapeSpec)s.Problem.Landscape;
        Assert.Equal(386, s.Problem.Dimension);
        Assert.Equal(200, spec.Data.Count);
        float[] expected = MnistData.Load(files.ImagesPath, files.LabelsPath, 200).Features(6);
        Assert.Equal(expected, spec.Data.Inputs());
        string written = s.ToJson();
        Assert.Contains(spec.Data.Fingerprint(), written, StringComparison.Ordinal);
        Assert.Equal(s, ScenarioLoader.Parse(written));

        var changed = Error(written.Replace(spec.Data.Fingerprint(), new string('0', 64), StringComparison.Ordinal));
        Assert.Equal("$.landscape.data.sha256", changed.JsonPath);
    }

    [Theory]
    [InlineData("landscape.widths", "[3]", "$.landscape.widths", "give 2 to 5 widths")]
    [InlineData("landscape.widths", "[3, 4, 4, 4, 4, 3]", "$.landscape.widths", "give 2 to 5 widths")]
    [InlineData("landscape.widths", "[2, 4, 3]", "$.landscape.widths", "the data has 3 inputs per sample, the network 2")]
    [InlineData("landscape.widths", "[3, 4, 2]", "$.landscape.widths", "the data has 3 classes, the network 2 outputs")]
    [InlineData("landscape.widths", "[3, 4, 1]", "$.landscape.widths", "the data has 3 classes, the network 1 outputs")]
    [InlineData("landscape.widths", "[3, 4000, 3]", "$.landscape.widths", "28003 parameters")]
    [InlineData("landscape.activations", "[\"tanh\", \"relu\"]", "$.landscape.activations", "one activation per hidden layer: 1, not 2")]
    [InlineData("landscape.activations", "[\"gelu\"]", "$.landscape.activations[0]", "unknown activation 'gelu'")]
    [InlineData("landscape.loss", "\"hinge\"", "$.landscape.loss", "unknown loss 'hinge'")]
    [InlineData("landscape.batchSize", "0", "$.landscape.batchSize", "")]
    [InlineData("landscape.sampling", "\"sometimes\"", "$.landscape.sampling", "unknown sampling")]
    [InlineData("landscape.data", "{}", "$.landscape.data", "exactly one of")]
    [InlineData("landscape.data", "{\"mnist\": {\"images\": \"a.gz\"}}", "$.landscape.data.mnist", "both \"images\" and \"labels\"")]
    [InlineData("landscape.data", "{\"mnist\": {\"images\": \"no-such-images.gz\", \"labels\": \"no-such-labels.gz\"}}", "$.landscape.data.mnist", "no-such-images.gz")]
    [InlineData("initial", "{\"network\": {\"seed\": 1}, \"point\": [0]}", "$.initial", "give one of")]
    [InlineData("initial", "{\"network\": {\"seed\": 1, \"train\": {\"steps\": 5, \"learningRate\": 0.1, \"batchSize\": 41, \"sampling\": \"withoutReplacement\"}}}", "$.initial.network.train.batchSize", "at most the 40 samples")]
    [InlineData("initial", "{\"network\": {\"seed\": 1, \"train\": {\"steps\": 200, \"learningRate\": 1e308, \"batchSize\": 4}}}", "$.initial.network.train", "training diverged")]
    public void RefusesBadFieldsNamingThem(string field, string value, string path, string detail)
    {
        var error = Error(With(field, value));
        Assert.Equal(path, error.JsonPath);
        Assert.Contains(detail, error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutReplacementTheBatchIsAtMostTheData()
    {
        var error = Error(With("landscape", """{"type": "mlp", "widths": [3, 3], "data": {"generate": {"samples": 5, "inputs": 3, "classes": 3}}, "batchSize": 6, "sampling": "withoutReplacement"}"""));
        Assert.Equal("$.landscape.batchSize", error.JsonPath);
    }

    [Theory]
    [InlineData("langevin")]
    [InlineData("sme2")]
    [InlineData("smf")]
    public void SdeModelsAreRefusedWithTheReason(string model)
    {
        var error = Error(With("dynamics", $"{{\"type\": \"{model}\"}}"));
        Assert.Equal("$.dynamics.type", error.JsonPath);
        Assert.Contains("full-batch mean gradient", error.Detail, StringComparison.Ordinal);
        Assert.False(ModelRegistry.Runs(ModelRegistry.FindLandscape("mlp")!, ModelRegistry.FindModel(model)!));
    }

    /// <summary>
    /// One ensemble trajectory (float, the managed SIMD backend) against plain SGD in double precision on the host at the
    /// trajectory's own minibatch indices (<c>IndexSampler.Index</c>): 30 steps of a 3-4(tanh)-3 network. The float run
    /// differs by rounding only: relative error ≤ 1e-4 of ‖θ‖ (measured ≈ 1e-7).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EnsembleTrajectoryIsPlainSgdAtItsIndices(bool without) =>
        AssertTrajectoriesArePlainSgd(ScenarioLoader.Parse(With("landscape.sampling", without ? "\"withoutReplacement\"" : "\"withReplacement\"")), [0, 17, 299]);

    /// <summary>
    /// Runs <paramref name="s"/> (a network scenario, plain SGD) on the managed backend and checks the final states of
    /// <paramref name="trajectories"/> against SGD in double precision on the host reference at the same minibatch indices,
    /// to a relative 1e-4 of ‖θ‖ (float rounding).
    /// </summary>
    internal static void AssertTrajectoriesArePlainSgd(Scenario s, uint[] trajectories)
    {
        var network = (INetworkLandscape)s.Problem.Landscape;
        var algorithm = (EnsembleAlgorithm)s.Algorithm;
        double eta = s.Problem.Dynamics.LearningRate;
        using var backend = BackendFactory.Open("managed", 1);
        EnsembleResult result = EnsembleSolver.Solve(s.Problem, algorithm, backend, keepFinalStates: true);
        NetworkReference reference = network.Reference();
        int d = s.Problem.Dimension;
        foreach (uint trajectory in trajectories)
        {
            double[] theta = s.Problem.Initial.Mean.ToArray();
            var gradient = new double[d];
            var indices = new int[network.BatchSize];
            for (uint step = 0; step < algorithm.Steps; step++)
            {
                for (int j = 0; j < network.BatchSize; j++)
                {
                    indices[j] = (int)network.Sampler.Index(algorithm.Seed, trajectory, step, j);
                }

                reference.MinibatchGradient(theta, indices, gradient);
                for (int i = 0; i < d; i++)
                {
                    theta[i] -= eta * gradient[i];
                }
            }

            double norm = Math.Sqrt(theta.Sum(v => v * v)), error = 0;
            ReadOnlySpan<float> final = result.FinalState(trajectory);
            for (int i = 0; i < d; i++)
            {
                error = Math.Max(error, Math.Abs(final[i] - theta[i]));
            }

            Assert.True(error <= 1e-4 * norm, $"trajectory {trajectory}: max error {error:E2}, ‖θ‖ = {norm:G4}");
        }
    }
}
