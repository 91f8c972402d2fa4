using System.Text;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using static SgdDynamics.Tests.Scenarios.ScenarioFixtures;

namespace SgdDynamics.Tests.Scenarios;

public class ScenarioLoaderTests
{
    private static Matrix<double> M(double[,] values) => Matrix<double>.Build.DenseOfArray(values);

    private static Vector<double> V(params double[] values) => Vector<double>.Build.DenseOfArray(values);

    [Fact]
    public void Example_ParsesToExpectedValues()
    {
        var scenario = ScenarioLoader.Parse(Example);
        var p = scenario.Problem;

        Assert.Null(scenario.Name);
        Assert.Null(scenario.Description);
        Assert.Equal(2, p.Dimension);
        Assert.Equal(M(new[,] { { 2, 0.5 }, { 0.5, 1 } }), p.Quadratic.Hessian);
        Assert.Equal(V(0.1, 0), p.Quadratic.LinearTerm);
        Assert.Equal(M(new[,] { { 1, 0.3 }, { 0.3, 0.5 } }), p.Quadratic.NoiseCovariance);
        Assert.Equal(V(0.3, 0), p.Quadratic.CurvatureNoiseStd);
        Assert.True(p.Quadratic.NoiseFactorIsLowerTriangular);
        Assert.Equal(0.0, p.Quadratic.NoiseFactor[0, 1]);
        AssertFactorizes(p.Quadratic.NoiseCovariance, p.Quadratic.NoiseFactor);

        Assert.Equal(new SgdSpec(0.1), p.Dynamics);

        Assert.True(p.Initial.IsPoint);
        Assert.Equal(V(1, -1), p.Initial.Mean);
        Assert.Equal(Matrix<double>.Build.Dense(2, 2), p.Initial.Covariance);
        Assert.Equal(Matrix<double>.Build.Dense(2, 2), p.Initial.Factor);
        Assert.True(p.Initial.FactorIsLowerTriangular);

        var ensemble = Assert.IsType<EnsembleAlgorithm>(scenario.Algorithm);
        Assert.Equal(new EnsembleAlgorithm(1_000_000, 500, 7, new RecordSpec(10), 1e12), ensemble);
        Assert.Equal(new RecordSpec(10), ensemble.Record);
        Assert.Null(ensemble.Histogram);
        Assert.Equal(51, ensemble.RecordSteps.Count);
        Assert.Equal(0, ensemble.RecordSteps[0]);
        Assert.Equal(500, ensemble.RecordSteps[^1]);
    }

    [Fact]
    public void GaussianInitial_ParsesMeanCovarianceAndFactor()
    {
        var json = WithField("initial", """{"mean": [0.5, -0.5], "covariance": [[0.04, 0.01], [0.01, 0.09]]}""");
        var initial = ScenarioLoader.Parse(json).Problem.Initial;

        Assert.False(initial.IsPoint);
        Assert.Equal(V(0.5, -0.5), initial.Mean);
        Assert.Equal(M(new[,] { { 0.04, 0.01 }, { 0.01, 0.09 } }), initial.Covariance);
        Assert.True(initial.FactorIsLowerTriangular);
        AssertFactorizes(initial.Covariance, initial.Factor);
    }

    [Fact]
    public void GaussianInitial_WithRankDeficientCovariance_UsesSquareRootFactor()
    {
        var json = WithField("initial", """{"mean": [0, 0], "covariance": [[1, 1], [1, 1]]}""");
        var initial = ScenarioLoader.Parse(json).Problem.Initial;

        Assert.False(initial.FactorIsLowerTriangular);
        AssertFactorizes(initial.Covariance, initial.Factor);
    }

    [Fact]
    public void OptionalFields_TakeDefaults()
    {
        var scenario = ScenarioLoader.Parse(Minimal);
        var p = scenario.Problem;
        var ensemble = Assert.IsType<EnsembleAlgorithm>(scenario.Algorithm);

        Assert.Equal(1, p.Dimension);
        Assert.Equal(V(0), p.Quadratic.LinearTerm);
        Assert.Equal(M(new double[,] { { 0 } }), p.Quadratic.NoiseCovariance);
        Assert.Equal(M(new double[,] { { 0 } }), p.Quadratic.NoiseFactor);
        Assert.True(p.Quadratic.NoiseFactorIsLowerTriangular);
        Assert.Equal(V(0), p.Quadratic.CurvatureNoiseStd);
        Assert.Equal(new SgdSpec(0.5), p.Dynamics);
        Assert.Equal(EnsembleAlgorithm.DefaultDivergenceThreshold, ensemble.DivergenceThreshold);
        Assert.Equal(new RecordSpec(100), ensemble.Record);
        Assert.Equal([0, 100], ensemble.RecordSteps);
    }

    [Fact]
    public void EmptyRecordObject_RecordsOnlyStartAndEnd()
    {
        var algorithm = ScenarioLoader.Parse(WithField("record", "{}", Minimal)).Algorithm;

        Assert.Equal([0, 100], algorithm.RecordSteps);
    }

    [Fact]
    public void MomentumOptimizer_Parses()
    {
        var json = WithField("optimizer", """{"type": "momentum", "learningRate": 0.05, "momentum": 0.9}""");

        Assert.Equal(new HeavyBallSpec(0.05, 0.9), ScenarioLoader.Parse(json).Problem.Dynamics);
    }

    [Fact]
    public void SgdWithExplicitZeroMomentum_Parses()
    {
        var json = WithField("optimizer", """{"type": "sgd", "learningRate": 0.05, "momentum": -0.0}""");
        var optimizer = ScenarioLoader.Parse(json).Problem.Dynamics;

        Assert.Equal(new SgdSpec(0.05), optimizer);
    }

    [Fact]
    public void NameAndDescription_AreKept()
    {
        var json = WithField("description", "\"Ornstein–Uhlenbeck check\"", WithField("name", "\"ou-1d\""));
        var scenario = ScenarioLoader.Parse(json);

        Assert.Equal("ou-1d", scenario.Name);
        Assert.Equal("Ornstein–Uhlenbeck check", scenario.Description);
    }

    [Fact]
    public void IntegerFields_AcceptExponentNotationAndLimits()
    {
        var json = WithField("ensemble", """{"trajectories": 4.294967296e9, "steps": 2147483647, "seed": 4294967295}""");
        var ensemble = Assert.IsType<EnsembleAlgorithm>(ScenarioLoader.Parse(json).Algorithm);

        Assert.Equal(4294967296L, ensemble.Trajectories);
        Assert.Equal(int.MaxValue, ensemble.Steps);
        Assert.Equal(uint.MaxValue, ensemble.Seed);
        var million = Assert.IsType<EnsembleAlgorithm>(ScenarioLoader.Parse(WithField("ensemble.trajectories", "1e6")).Algorithm);
        Assert.Equal(1_000_000L, million.Trajectories);
    }

    [Fact]
    public void NearlySymmetricHessian_IsAcceptedAndSymmetrized()
    {
        var json = WithField("landscape.hessian", "[[2, 0.5], [0.5000000000000001, 1]]");
        var hessian = ScenarioLoader.Parse(json).Problem.Quadratic.Hessian;

        Assert.Equal(hessian, hessian.Transpose());
    }

    [Fact]
    public void IndefiniteHessian_IsAccepted()
    {
        var json = WithField("landscape.hessian", "[[1, 0], [0, -0.5]]");

        Assert.Equal(-0.5, ScenarioLoader.Parse(json).Problem.Quadratic.Hessian[1, 1]);
    }

    [Fact]
    public void NoiseCovarianceWithRoundingNegativeEigenvalue_IsAccepted()
    {
        var json = WithField("landscape.gradientNoiseCovariance", "[[1, 1], [1, 0.99999999999999]]");
        var landscape = ScenarioLoader.Parse(json).Problem.Quadratic;

        AssertFactorizes(landscape.NoiseCovariance, landscape.NoiseFactor);
    }

    [Fact]
    public void Dimension64_IsAccepted()
    {
        var p = ScenarioLoader.Parse(IdentityScenario(64)).Problem;

        Assert.Equal(64, p.Dimension);
        Assert.Equal(64, p.Initial.Mean.Count);
    }

    [Fact]
    public void Dimension65_IsRejected()
    {
        var error = AssertInvalid(IdentityScenario(65), "$.landscape.hessian");

        Assert.Contains("dimension must be between 1 and 64 (got 65 rows)", error.Message);
    }

    [Theory]
    // Unknown types.
    [InlineData("landscape.type", "\"cubic\"", "$.landscape.type", "unknown landscape type 'cubic' (expected: quadratic, doubleWell, ringValley")]
    [InlineData("optimizer.type", "\"adam\"", "$.optimizer.type", "unknown optimizer type 'adam' (expected: sgd, momentum)")]
    [InlineData("landscape.type", "3", "$.landscape.type", "expected a string, got number 3")]
    // Unknown fields, top level and nested.
    [InlineData("foo", "1", "$.foo", "unknown field")]
    [InlineData("landscape.foo", "1", "$.landscape.foo", "unknown field")]
    [InlineData("optimizer.beta", "0.9", "$.optimizer.beta", "unknown field")]
    [InlineData("initial.foo", "[0, 0]", "$.initial.foo", "unknown field")]
    [InlineData("ensemble.foo", "1", "$.ensemble.foo", "unknown field")]
    [InlineData("record.foo", "1", "$.record.foo", "unknown field")]
    [InlineData("we ird", "1", "$[\"we ird\"]", "unknown field")]
    // Wrong dimensions of every vector and matrix field.
    [InlineData("landscape.linearTerm", "[0.1, 0, 0]", "$.landscape.linearTerm", "expected 2 entries (the dimension of the hessian), got 3")]
    [InlineData("landscape.curvatureNoiseStd", "[0.3]", "$.landscape.curvatureNoiseStd", "expected 2 entries (the dimension of the hessian), got 1")]
    [InlineData("landscape.gradientNoiseCovariance", "[[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "$.landscape.gradientNoiseCovariance", "expected 2 rows (the dimension of the hessian), got 3")]
    [InlineData("landscape.gradientNoiseCovariance", "[[1, 0, 0], [0, 1, 0]]", "$.landscape.gradientNoiseCovariance[0]", "expected 2 entries (the dimension of the hessian), got 3")]
    [InlineData("initial.point", "[1]", "$.initial.point", "expected 2 entries (the dimension of the hessian), got 1")]
    [InlineData("initial", """{"mean": [0, 0, 0], "covariance": [[1, 0], [0, 1]]}""", "$.initial.mean", "expected 2 entries")]
    [InlineData("initial", """{"mean": [0, 0], "covariance": [[1]]}""", "$.initial.covariance", "expected 2 rows")]
    [InlineData("initial", """{"mean": [0, 0], "covariance": [[1, 0], [0]]}""", "$.initial.covariance[1]", "expected 2 entries")]
    [InlineData("landscape.hessian", "[[2, 0.5, 0], [0.5, 1, 0]]", "$.landscape.hessian[0]", "expected 2 entries (the hessian is square with 2 rows), got 3")]
    // Ragged and malformed matrices.
    [InlineData("landscape.hessian", "[[2, 0.5], [0.5]]", "$.landscape.hessian[1]", "expected 2 entries (the hessian is square with 2 rows), got 1")]
    [InlineData("landscape.gradientNoiseCovariance", "[[1, 0.3], [0.3]]", "$.landscape.gradientNoiseCovariance[1]", "expected 2 entries")]
    [InlineData("landscape.hessian", "[1, 2]", "$.landscape.hessian[0]", "expected an array, got number 1")]
    [InlineData("landscape.hessian", "[[2, \"x\"], [0.5, 1]]", "$.landscape.hessian[0][1]", "expected a number, got string \"x\"")]
    [InlineData("landscape.hessian", "[[2, null], [0.5, 1]]", "$.landscape.hessian[0][1]", "expected a number, got null")]
    [InlineData("landscape.hessian", "{}", "$.landscape.hessian", "expected an array, got an object")]
    [InlineData("landscape.linearTerm", "[0.1, 1e999]", "$.landscape.linearTerm[1]", "must be a finite number (got 1e999)")]
    // Dimension out of range.
    [InlineData("landscape.hessian", "[]", "$.landscape.hessian", "dimension must be between 1 and 64 (got 0 rows)")]
    [InlineData("landscape.hessian", "[[]]", "$.landscape.hessian[0]", "expected 1 entry (the hessian is square with 1 row), got 0")]
    // Symmetry and positive semidefiniteness.
    [InlineData("landscape.hessian", "[[2, 0.5], [0.4, 1]]", "$.landscape.hessian", "matrix is not symmetric (H[0][1] = 0.5, H[1][0] = 0.4)")]
    [InlineData("landscape.gradientNoiseCovariance", "[[1, 0.3], [0.2, 0.5]]", "$.landscape.gradientNoiseCovariance", "matrix is not symmetric (Sigma[0][1] = 0.3, Sigma[1][0] = 0.2)")]
    [InlineData("landscape.gradientNoiseCovariance", "[[-0.3, 0], [0, 1]]", "$.landscape.gradientNoiseCovariance", "not positive semidefinite (smallest eigenvalue -0.3)")]
    [InlineData("landscape.gradientNoiseCovariance", "[[1, 2], [2, 1]]", "$.landscape.gradientNoiseCovariance", "not positive semidefinite (smallest eigenvalue -1)")]
    [InlineData("initial", """{"mean": [0, 0], "covariance": [[1, 0], [0, -1]]}""", "$.initial.covariance", "not positive semidefinite (smallest eigenvalue -1)")]
    [InlineData("initial", """{"mean": [0, 0], "covariance": [[1, 0.1], [0, 1]]}""", "$.initial.covariance", "matrix is not symmetric (C[0][1] = 0.1, C[1][0] = 0)")]
    [InlineData("landscape.curvatureNoiseStd", "[0.3, -0.1]", "$.landscape.curvatureNoiseStd[1]", "must be >= 0 (got -0.1)")]
    // Learning rate.
    [InlineData("optimizer.learningRate", "-0.1", "$.optimizer.learningRate", "must be > 0 (got -0.1)")]
    [InlineData("optimizer.learningRate", "0", "$.optimizer.learningRate", "must be > 0 (got 0)")]
    [InlineData("optimizer.learningRate", "\"0.1\"", "$.optimizer.learningRate", "expected a number, got string \"0.1\"")]
    [InlineData("optimizer.learningRate", "true", "$.optimizer.learningRate", "expected a number, got true")]
    [InlineData("optimizer.learningRate", "[0.1]", "$.optimizer.learningRate", "expected a number, got an array")]
    [InlineData("optimizer.learningRate", "1e400", "$.optimizer.learningRate", "must be a finite number (got 1e400)")]
    // Momentum.
    [InlineData("optimizer", """{"type": "momentum", "learningRate": 0.1, "momentum": 1}""", "$.optimizer.momentum", "must be in [0, 1) (got 1)")]
    [InlineData("optimizer", """{"type": "momentum", "learningRate": 0.1, "momentum": 1.5}""", "$.optimizer.momentum", "must be in [0, 1) (got 1.5)")]
    [InlineData("optimizer", """{"type": "momentum", "learningRate": 0.1, "momentum": -0.1}""", "$.optimizer.momentum", "must be in [0, 1) (got -0.1)")]
    [InlineData("optimizer.momentum", "0.9", "$.optimizer.momentum", "must be 0 for optimizer type 'sgd' (got 0.9)")]
    // Ensemble.
    [InlineData("ensemble.trajectories", "0", "$.ensemble.trajectories", "must be at least 1 (got 0)")]
    [InlineData("ensemble.trajectories", "-5", "$.ensemble.trajectories", "must be at least 1 (got -5)")]
    [InlineData("ensemble.trajectories", "4294967297", "$.ensemble.trajectories", "must be at most 4294967296")]
    [InlineData("ensemble.trajectories", "1e30", "$.ensemble.trajectories", "must be at most 4294967296")]
    [InlineData("ensemble.trajectories", "1.5", "$.ensemble.trajectories", "must be an integer (got 1.5)")]
    [InlineData("ensemble.trajectories", "\"1000\"", "$.ensemble.trajectories", "expected an integer, got string \"1000\"")]
    [InlineData("ensemble.steps", "0", "$.ensemble.steps", "must be at least 1 (got 0)")]
    [InlineData("ensemble.steps", "-1", "$.ensemble.steps", "must be at least 1 (got -1)")]
    [InlineData("ensemble.steps", "2147483648", "$.ensemble.steps", "must be at most 2147483647 (got 2147483648)")]
    [InlineData("ensemble.seed", "-1", "$.ensemble.seed", "must be at least 0 (got -1)")]
    [InlineData("ensemble.seed", "4294967296", "$.ensemble.seed", "must be at most 4294967295")]
    [InlineData("ensemble.seed", "7.5", "$.ensemble.seed", "must be an integer (got 7.5)")]
    [InlineData("ensemble.seed", "\"7\"", "$.ensemble.seed", "expected an integer, got string \"7\"")]
    [InlineData("ensemble.divergenceThreshold", "0", "$.ensemble.divergenceThreshold", "must be > 0 (got 0)")]
    [InlineData("ensemble.divergenceThreshold", "-1e12", "$.ensemble.divergenceThreshold", "must be > 0 (got -1e12)")]
    [InlineData("ensemble.divergenceThreshold", "1e16", "$.ensemble.divergenceThreshold", "must be <= 1e15 so that sums of x^4 stay representable (got 1e16)")]
    // Recording.
    [InlineData("record.every", "0", "$.record.every", "must be at least 1 (got 0)")]
    [InlineData("record.every", "-3", "$.record.every", "must be at least 1 (got -3)")]
    [InlineData("record.every", "2.5", "$.record.every", "must be an integer (got 2.5)")]
    [InlineData("record", "10", "$.record", "expected an object, got number 10")]
    // Missing required fields.
    [InlineData("landscape", null, "$.landscape", "required field is missing")]
    [InlineData("landscape.hessian", null, "$.landscape.hessian", "required field is missing")]
    [InlineData("optimizer", null, "$.optimizer", "required field is missing")]
    [InlineData("optimizer.type", null, "$.optimizer.type", "required field is missing")]
    [InlineData("optimizer.learningRate", null, "$.optimizer.learningRate", "required field is missing")]
    [InlineData("initial", null, "$.initial", "required field is missing")]
    [InlineData("ensemble", null, "$.ensemble", "required field is missing")]
    [InlineData("ensemble.trajectories", null, "$.ensemble.trajectories", "required field is missing")]
    [InlineData("ensemble.steps", null, "$.ensemble.steps", "required field is missing")]
    [InlineData("ensemble.seed", null, "$.ensemble.seed", "required field is missing")]
    // Initial law forms.
    [InlineData("initial.point", null, "$.initial", "expected either 'point' or 'mean' with 'covariance'")]
    [InlineData("initial.mean", "[0, 0]", "$.initial", "give either 'point' or 'mean' with 'covariance', not both")]
    [InlineData("initial", """{"mean": [0, 0]}""", "$.initial.covariance", "required field is missing (a Gaussian initial law needs 'mean' and 'covariance')")]
    [InlineData("initial", """{"covariance": [[1, 0], [0, 1]]}""", "$.initial.mean", "required field is missing")]
    // Wrong kinds for objects and strings.
    [InlineData("landscape", "[]", "$.landscape", "expected an object, got an array")]
    [InlineData("name", "5", "$.name", "expected a string, got number 5")]
    [InlineData("description", "null", "$.description", "expected a string, got null")]
    public void InvalidScenario_NamesTheOffendingField(string field, string? valueJson, string expectedPath, string expectedDetail)
    {
        var error = AssertInvalid(WithField(field, valueJson), expectedPath);

        Assert.Contains(expectedDetail, error.Detail);
    }

    [Theory]
    [InlineData("{\"landscape\": }")]
    [InlineData("hello")]
    [InlineData("{\"landscape\": {\"type\": \"quadratic\"}")]
    [InlineData("{\"a\": 1} {\"b\": 2}")]
    public void NotJson_IsReportedAtTheRootWithItsPosition(string text)
    {
        var error = AssertInvalid(text, "$");

        Assert.StartsWith("$: not valid JSON (line 1, position ", error.Message);
        Assert.DoesNotContain("LineNumber", error.Message);
    }

    [Fact]
    public void NotJson_ReportsOneBasedLineAndPosition()
    {
        var error = AssertInvalid("{\n  \"landscape\": {\n    x\n  }\n}", "$");

        Assert.StartsWith("$: not valid JSON (line 3, position 5: ", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    public void EmptyText_IsRejected(string text)
    {
        var error = AssertInvalid(text, "$");

        Assert.Contains("empty", error.Message);
    }

    [Theory]
    [InlineData("[]", "expected an object, got an array")]
    [InlineData("42", "expected an object, got number 42")]
    [InlineData("null", "expected an object, got null")]
    public void NonObjectDocument_IsRejected(string text, string expectedDetail)
    {
        Assert.Equal("$: " + expectedDetail, AssertInvalid(text, "$").Message);
    }

    [Fact]
    public void DuplicateField_IsRejected()
    {
        var json = Example.Replace("\"steps\": 500,", "\"steps\": 500, \"steps\": 600,", StringComparison.Ordinal);

        Assert.Contains("duplicate field", AssertInvalid(json, "$.ensemble.steps").Message);
    }

    [Fact]
    public void UnknownFieldInsideUnknownLandscapeType_ReportsTheType()
    {
        var json = WithField("landscape.type", "\"cubic\"", WithField("landscape.foo", "1"));

        AssertInvalid(json, "$.landscape.type");
    }

    [Fact]
    public void LoadFile_ReadsTheScenario()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, Example, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

            Assert.Equal(ScenarioLoader.Parse(Example) with { Name = Path.GetFileNameWithoutExtension(path) }, ScenarioLoader.LoadFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_WithoutAName_IsNamedAfterTheFile_AGivenNameIsKept()
    {
        string folder = Directory.CreateTempSubdirectory("names").FullName;
        try
        {
            string unnamed = Path.Combine(folder, "ou-walk.v2.json");
            File.WriteAllText(unnamed, Example);
            string named = Path.Combine(folder, "other.json");
            File.WriteAllText(named, WithField("name", "\"given\""));

            Assert.Equal("ou-walk.v2", ScenarioLoader.LoadFile(unnamed).Name);
            Assert.Equal("ou-walk.v2", ScenarioLoader.NameOf(unnamed));
            Assert.Equal("given", ScenarioLoader.LoadFile(named).Name);

            // Without a default (a run folder's scenario.json) an unnamed scenario stays unnamed.
            Assert.Null(ScenarioLoader.LoadFile(unnamed, defaultName: null).Name);
            Assert.Equal("given", ScenarioLoader.LoadFile(named, defaultName: null).Name);

            // The name travels with the scenario written from it: the file written loads back equal, under any file name.
            Scenario loaded = ScenarioLoader.LoadFile(unnamed);
            string written = Path.Combine(folder, "scenario.json");
            ScenarioWriter.WriteFile(loaded, written);
            Assert.Equal(loaded, ScenarioLoader.LoadFile(written));
            Assert.Equal(loaded, ScenarioLoader.LoadFile(written, defaultName: null));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void LoadFile_InvalidContent_NamesFileAndJsonPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, WithField("optimizer.learningRate", "-0.1"));

            var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(path));

            Assert.Equal(path, error.FilePath);
            Assert.Equal("$.optimizer.learningRate", error.JsonPath);
            Assert.Equal($"{path}: $.optimizer.learningRate: must be > 0 (got -0.1)", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_EmptyFile_IsRejected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"scenario-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, "");

            var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(path));

            Assert.Equal("$", error.JsonPath);
            Assert.Contains(path, error.Message);
            Assert.Contains("empty", error.Message);
            AssertSingleLine(error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadFile_MissingFile_NamesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", "scenario.json");

        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(path));

        Assert.Null(error.JsonPath);
        Assert.Equal(path, error.FilePath);
        Assert.Equal($"{path}: scenario file does not exist", error.Message);
    }

    [Fact]
    public void LoadFile_Directory_IsRejectedWithTheFileName()
    {
        var path = Path.GetTempPath();

        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(path));

        Assert.Equal($"{path}: is a directory, not a scenario file", error.Message);
    }

    internal static ScenarioException AssertInvalid(string json, string expectedPath)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json));
        Assert.Equal(expectedPath, error.JsonPath);
        Assert.StartsWith(expectedPath + ": ", error.Message);
        AssertSingleLine(error.Message);
        return error;
    }

    private static void AssertSingleLine(string message)
    {
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
    }

    private static void AssertFactorizes(Matrix<double> covariance, Matrix<double> factor) =>
        Assert.True((factor * factor.Transpose() - covariance).InfinityNorm() <= 1e-12, "L Lᵀ differs from the covariance");

    private static string IdentityScenario(int d)
    {
        var rows = Enumerable.Range(0, d).Select(i => "[" + string.Join(",", Enumerable.Range(0, d).Select(j => i == j ? "1" : "0")) + "]");
        var zeros = "[" + string.Join(",", Enumerable.Repeat("0", d)) + "]";
        return $$$"""
            {"landscape": {"type": "quadratic", "hessian": [{{{string.Join(",", rows)}}}]},
             "optimizer": {"type": "sgd", "learningRate": 0.1},
             "initial": {"point": {{{zeros}}}},
             "ensemble": {"trajectories": 1, "steps": 1, "seed": 1}}
            """;
    }
}
