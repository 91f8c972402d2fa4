using SgdDynamics.Data;
using SgdDynamics.Networks;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Scenarios;

namespace SgdDynamics.Tests.Landscapes;

/// <summary>
/// The <c>"charModel"</c> scenario type: corpus from a file or inline words, the fields checked with errors naming the
/// JSON path, the round trip through the writer, the network initial law, and ensemble trajectories against plain SGD in
/// double precision at the same minibatch indices.
/// </summary>
public class CharModelScenarioTests
{
    private const string Inline = """
        {"landscape": {"type": "charModel", "corpus": {"words": ["abc", "bca", "cab", "aab", "bbc", "ca"]},
                       "context": 2, "embedding": 3, "hidden": 4, "activation": "silu", "batchSize": 3},
         "optimizer": {"type": "sgd", "learningRate": 0.3},
         "initial": {"network": {"seed": 2, "train": {"steps": 10, "learningRate": 0.5, "batchSize": 4, "seed": 1}}},
         "ensemble": {"trajectories": 260, "steps": 25, "seed": 4}}
        """;

    private static string With(string path, string? value) => ScenarioFixtures.WithField(path, value, Inline);

    [Fact]
    public void ReadsInlineWordsAndTrainsTheInitialPoint()
    {
        Scenario s = ScenarioLoader.Parse(Inline);
        var spec = Assert.IsType<CharModelLandscapeSpec>(s.Problem.Landscape);
        Assert.Equal(4, spec.Architecture.AlphabetSize);
        Assert.Equal(spec.Architecture.ParameterCount, s.Problem.Dimension);
        Assert.Equal(6 + 17, spec.SampleCount);
        double[] start = CharModelInitialisation.PyTorchDefault(spec.Architecture, 2);
        Assert.Equal(MlpTrainer.Train(spec.Reference(), start, new MlpTrainingOptions(10, 0.5, 4, 1)).Parameters, s.Problem.Initial.Mean.ToArray());
        Assert.Equal(s, ScenarioLoader.Parse(s.ToJson()));
    }

    [Fact]
    public void ReadsTheShippedWordSampleAndPinsIt()
    {
        string file = Path.Combine(MnistData.RepositoryRoot(), CharCorpusFiles.SampleRelativePath);
        string json = With("landscape.corpus", $$"""{"file": "{{file}}"}""");
        Scenario s = ScenarioLoader.Parse(json);
        var spec = (CharModelLandscapeSpec)s.Problem.Landscape;
        Assert.Equal(2555, spec.Corpus.Words.Count);
        string written = s.ToJson();
        Assert.Contains(spec.Corpus.Sha256, written, StringComparison.Ordinal);
        Assert.Equal(s, ScenarioLoader.Parse(written));
        var changed = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(written.Replace(spec.Corpus.Sha256, new string('0', 64), StringComparison.Ordinal)));
        Assert.Equal("$.landscape.corpus.sha256", changed.JsonPath);
    }

    [Theory]
    [InlineData("landscape.corpus", "{\"words\": []}", "$.landscape.corpus.words", "give 1 to 4096 words")]
    [InlineData("landscape.corpus", "{\"words\": [\"a\\nb\"]}", "$.landscape.corpus.words[0]", "without line breaks")]
    [InlineData("landscape.corpus", "{\"words\": [\"ab\"], \"file\": \"x.txt\"}", "$.landscape.corpus", "not both")]
    [InlineData("landscape.corpus", "{\"file\": \"no-such-corpus.txt\"}", "$.landscape.corpus", "no-such-corpus.txt")]
    [InlineData("landscape.context", "0", "$.landscape.context", "")]
    [InlineData("landscape.hidden", "4000", "$.landscape", "parameters")]
    [InlineData("landscape.activation", "\"gelu\"", "$.landscape.activation", "unknown activation")]
    [InlineData("landscape.batchSize", "24", "$.landscape.batchSize", "")]
    public void RefusesBadFieldsNamingThem(string field, string value, string path, string detail)
    {
        string json = field == "landscape.batchSize" ? ScenarioFixtures.WithField("landscape.sampling", "\"withoutReplacement\"", With(field, value)) : With(field, value);
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));
        Assert.Equal(path, error.JsonPath);
        Assert.Contains(detail, error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void SdeModelsAreRefused()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(With("dynamics", "{\"type\": \"langevin\"}")));
        Assert.Equal("$.dynamics.type", error.JsonPath);
    }

    /// <summary>Final states of three trajectories against SGD in double at their indices (see <see cref="MlpScenarioTests.AssertTrajectoriesArePlainSgd"/>).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EnsembleTrajectoryIsPlainSgdAtItsIndices(bool without) =>
        MlpScenarioTests.AssertTrajectoriesArePlainSgd(
            ScenarioLoader.Parse(With("landscape.sampling", without ? "\"withoutReplacement\"" : "\"withReplacement\"")), [0, 100, 259]);
}
