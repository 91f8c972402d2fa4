using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Kernels;

namespace SgdDynamics.Tests.Landscapes;

/// <summary>
/// Finite-sum least squares: the kernel's gradient is the minibatch mean of the per-sample gradients at the step's
/// indices (against double precision); its Gaussian noise for the SDE models has exactly the covariance Σ(x) (by linearity
/// in the normals: the noise of unit normal k is column k of a factor of Σ); the scenario section reads files, generated
/// and inline data, and names every error.
/// </summary>
public class LeastSquaresLandscapeTests
{
    private static readonly LeastSquaresLandscapeSpec Five = (LeastSquaresLandscapeSpec)new LeastSquaresLandscapeRegistration().Example;

    [Theory]
    [InlineData(false, 0u)]
    [InlineData(false, 17u)]
    [InlineData(true, 3u)]
    [InlineData(true, 1234u)]
    public void KernelGradientIsTheMinibatchMeanAtTheStepsIndices(bool without, uint step)
    {
        var spec = Five with { BatchSize = 2, WithoutReplacement = without };
        var landscape = spec.Kernel(new ArrayStore());
        Assert.Equal(2, landscape.Sampler.IndicesPerStep);
        var source = new PhiloxNormals<FloatLane>(seed: 4, trajectory: 77);
        float[] x = [0.7f, -1.3f];
        float[] g = [float.NaN, float.NaN, float.NaN, float.NaN];
        Assert.Equal(2, landscape.ScratchCoordinates);
        landscape.Gradient<FloatLane, FloatArrayView, PhiloxNormals<FloatLane>>(new FloatArrayView(x), new FloatArrayView(g), source, step);
        var expected = new double[2];
        for (int j = 0; j < 2; j++)
        {
            int i = (int)spec.Sampler.Index(4, 77, step, j);
            double r = spec.Data.Features[i, 0] * x[0] + spec.Data.Features[i, 1] * x[1] - spec.Data.Targets[i];
            expected[0] += spec.Data.Features[i, 0] * r / 2;
            expected[1] += spec.Data.Features[i, 1] * r / 2;
        }

        for (int f = 0; f < 2; f++)
        {
            Assert.True(Math.Abs(g[f] - expected[f]) <= 1e-6 * (1 + Math.Abs(expected[f])), $"g[{f}] = {g[f]:R}, expected {expected[f]:R}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GaussianNoiseHasExactlyTheMinibatchCovariance(bool without)
    {
        // ξ = Σ_k z_k w_k is linear in the normals: with z = e_k it is w_k, and Σ_k w_k w_kᵀ must be Σ(x)
        var spec = Five with { BatchSize = 2, WithoutReplacement = without };
        var landscape = spec.Kernel(new ArrayStore());
        int n = spec.Data.Samples;
        Assert.Equal(n, landscape.NoiseNormals);
        float[] x = [0.4f, 0.9f];
        var sum = Matrix<double>.Build.Dense(2, 2);
        for (int k = 0; k < n; k++)
        {
            float[] w = [0f, 0f];
            landscape.AddGaussianNoise<FloatLane, FloatArrayView, UnitNormal>(new FloatArrayView(x), new FloatArrayView(w), new UnitNormal(k), 0);
            sum += Vector<double>.Build.DenseOfArray([w[0], w[1]]).OuterProduct(Vector<double>.Build.DenseOfArray([w[0], w[1]]));
        }

        Matrix<double> sigma = spec.NoiseCovariance(Vector<double>.Build.DenseOfArray([x[0], x[1]]));
        double scale = sigma.Enumerate().Max(Math.Abs);
        Assert.True((sum - sigma).Enumerate().Max(Math.Abs) <= 1e-5 * scale, $"Σ_k w_k w_kᵀ = {sum}, Σ(x) = {sigma}");
        Assert.Equal(without ? 3.0 / 4 : 1.0, spec.NoiseFactor);
    }

    [Fact]
    public void MeanGradientIsHxMinusC()
    {
        var landscape = Five.Kernel(new ArrayStore());
        float[] x = [0.4f, -0.9f];
        float[] g = [0f, 0f];
        landscape.MeanGradient<FloatLane, FloatArrayView>(new FloatArrayView(x), new FloatArrayView(g));
        Vector<double> expected = Five.Data.Hessian * Vector<double>.Build.DenseOfArray([0.4, -0.9]) - Five.Data.MeanTarget;
        Assert.Equal(expected[0], g[0], 5);
        Assert.Equal(expected[1], g[1], 5);
    }

    [Fact]
    public void ScenarioReadsCsvFilesRelativeToTheScenario()
    {
        string folder = Directory.CreateTempSubdirectory("lsq").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "train.csv"), "a1,a2,y\n1,0.5,2\n-1,2,0.25\n\n0.5,0.5,1\n");
            string scenario = Path.Combine(folder, "s.json");
            File.WriteAllText(scenario, Scenario("\"data\": {\"file\": \"train.csv\"}, \"batchSize\": 2, \"sampling\": \"withoutReplacement\""));
            var spec = (LeastSquaresLandscapeSpec)ScenarioLoader.LoadFile(scenario).Problem.Landscape;
            Assert.Equal(3, spec.Data.Samples);
            Assert.Equal(2, spec.Data.Dimension);
            Assert.Equal(0.25, spec.Data.Targets[1]);
            Assert.True(spec.WithoutReplacement);
            Assert.Equal(new LeastSquaresFile(Path.Combine(folder, "train.csv")), spec.Data.Source);

            // the written scenario names the file by its absolute path and reads back the same landscape
            string written = ScenarioWriter.ToJson(ScenarioLoader.LoadFile(scenario));
            var again = ScenarioLoader.Parse(written);
            Assert.Equal(spec, again.Problem.Landscape);

            // the written scenario pins the samples by their hash: a changed file is refused, naming the field
            Assert.Contains(spec.Data.Fingerprint(), written, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, "train.csv"), "a1,a2,y\n1,0.5,2\n-1,2,0.5\n0.5,0.5,1\n");
            var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(written));
            Assert.Contains("$.landscape.data.sha256", e.Message, StringComparison.Ordinal);
            Assert.Contains("the data file has changed", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("1,2,3\n4,x,6\n", "line 2, column 2: not a number ('x')")]
    [InlineData("1,2,3\n4,5\n", "line 2 has 2 columns, the first line 3")]
    [InlineData("a,b\n", "no samples")]
    [InlineData("1\n2\n", "at least 2 columns")]
    [InlineData("1,1e39\n", "line 1, column 2: 1e39 is not a finite float")]
    public void MalformedCsvFilesAreNamedWithLineAndColumn(string content, string message)
    {
        string folder = Directory.CreateTempSubdirectory("lsq").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "bad.csv"), content);
            string scenario = Path.Combine(folder, "s.json");
            File.WriteAllText(scenario, Scenario("\"data\": {\"file\": \"bad.csv\"}, \"batchSize\": 1", dimension: 1));
            var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(scenario));
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
            Assert.Contains("bad.csv", e.Message, StringComparison.Ordinal);
            Assert.Contains("$.landscape.data", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void DataFilesThatAreNotUtf8TextOrAreEndlessAreRefused()
    {
        string folder = Directory.CreateTempSubdirectory("lsq").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "bad.csv"), [(byte)'1', (byte)',', 0xC3, 0x28, (byte)'\n']);
            string scenario = Path.Combine(folder, "s.json");
            File.WriteAllText(scenario, Scenario("\"data\": {\"file\": \"bad.csv\"}, \"batchSize\": 1", dimension: 1));
            var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(scenario));
            Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);

            File.WriteAllText(scenario, Scenario("\"data\": {\"file\": \"/dev/zero\"}, \"batchSize\": 1", dimension: 1));
            e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(scenario));
            Assert.Contains("/dev/zero", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"data\": {\"file\": \"/nonexistent/train.csv\"}, \"batchSize\": 1", "data file does not exist")]
    [InlineData("\"data\": {}, \"batchSize\": 1", "give exactly one of")]
    [InlineData("\"data\": {\"rows\": [[1, 2], [3, 4]]}, \"batchSize\": 3, \"sampling\": \"withoutReplacement\"", "at most the 2 samples")]
    [InlineData("\"data\": {\"rows\": [[1, 2], [3, 4]]}, \"batchSize\": 1, \"sampling\": \"shuffled\"", "unknown sampling 'shuffled'")]
    [InlineData("\"data\": {\"rows\": [[1, 2], [3]]}, \"batchSize\": 1", "$.landscape.data.rows[1]")]
    [InlineData("\"data\": {\"rows\": [[1, 2]]}, \"batchSize\": 0", "$.landscape.batchSize")]
    [InlineData("\"data\": {\"generate\": {\"samples\": 4, \"featureCovariance\": [[1, 2], [2, 1]], \"teacher\": [1, 0]}}, \"batchSize\": 1", "not positive semidefinite")]
    public void BadSectionsNameTheField(string fields, string message)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(Scenario(fields, dimension: fields.Contains("teacher") ? 2 : 1)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedDataIsReproducibleAndFollowsTheTeacher()
    {
        string fields = "\"data\": {\"generate\": {\"samples\": 4000, \"featureCovariance\": [[1, 0], [0, 0.25]], \"teacher\": [2, -1], \"labelNoiseStd\": 0.1, \"seed\": 3}}, \"batchSize\": 8";
        var a = (LeastSquaresLandscapeSpec)ScenarioLoader.Parse(Scenario(fields, dimension: 2)).Problem.Landscape;
        var b = (LeastSquaresLandscapeSpec)ScenarioLoader.Parse(Scenario(fields, dimension: 2)).Problem.Landscape;
        Assert.Equal(a.Data.Fingerprint(), b.Data.Fingerprint());

        // the written scenario keeps the generator's section, and reads back the same samples
        Scenario written = ScenarioLoader.Parse(ScenarioWriter.ToJson(ScenarioLoader.Parse(Scenario(fields, dimension: 2))));
        var c = (LeastSquaresLandscapeSpec)written.Problem.Landscape;
        Assert.IsType<LeastSquaresGenerated>(c.Data.Source);
        Assert.Equal(a.Data.Fingerprint(), c.Data.Fingerprint());
        Assert.Equal(8, c.BatchSize);

        // H ≈ F within a few standard errors (Var of a_1² is 2, of a_2² 2/16 over 4000 samples), and the least-squares
        // solution H⁻¹c ≈ the teacher within a few label-noise standard errors (0.1/√4000/√λ)
        Assert.True(Math.Abs(a.Data.Hessian[0, 0] - 1) < 5 * Math.Sqrt(2.0 / 4000));
        Assert.True(Math.Abs(a.Data.Hessian[1, 1] - 0.25) < 5 * Math.Sqrt(2.0 / 16 / 4000));
        Vector<double> w = a.Data.Hessian.Solve(a.Data.MeanTarget);
        Assert.True(Math.Abs(w[0] - 2) < 5 * 0.1 / Math.Sqrt(4000));
        Assert.True(Math.Abs(w[1] + 1) < 5 * 0.1 / Math.Sqrt(4000 * 0.25));
    }

    private static string Scenario(string landscapeFields, int dimension = 2) =>
        "{\"landscape\": {\"type\": \"leastSquares\", " + landscapeFields + "},"
        + " \"optimizer\": {\"type\": \"sgd\", \"learningRate\": 0.1},"
        + " \"initial\": {\"point\": [" + string.Join(", ", Enumerable.Repeat("0", dimension)) + "]},"
        + " \"ensemble\": {\"trajectories\": 64, \"steps\": 10, \"seed\": 1}}";
}
