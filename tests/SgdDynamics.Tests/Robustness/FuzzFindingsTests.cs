using System.Text;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Cases the scenario fuzz test (<see cref="ScenarioFuzzTests"/>) found, kept as named regressions.</summary>
public sealed class FuzzFindingsTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>
    /// Scaled down by 4^-k, the small entries of [[1, 0.3], [0.3, 1e308]] become subnormal, where MathNet's QL iteration ran
    /// past its arrays; they are far below the decomposition's backward error and are taken as 0.
    /// </summary>
    [Fact]
    public void EigenvaluesOfAMatrixSpanningTheDoubleRangeAreComputed()
    {
        var matrix = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 0.3 }, { 0.3, 1e308 } });
        (double[] values, _) = SymmetricEigen.Decompose(matrix);
        Array.Sort(values);
        // a backward-stable decomposition knows each eigenvalue to within ε‖A‖ = 2.2e-16 × 1e308: the small one (≈ 1) is 0 to that accuracy
        Assert.InRange(values[0], -2.3e292, 2.3e292);
        Assert.InRange(values[1], 1e308 - 2.3e292, 1e308 + 2.3e292);

        var tiny = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(new[,] { { 1e-310, 0.0 }, { 0.0, 2e-310 } });
        (double[] small, _) = SymmetricEigen.Decompose(tiny);
        Array.Sort(small);
        Assert.Equal([1e-310, 2e-310], small);
    }

    [Fact]
    public void ANoiseCovarianceSpanningTheDoubleRangeLoads()
    {
        Assert.NotNull(ScenarioLoader.Parse(RobustnessScenarios.WithNoiseCovariance("[[1, 0.3], [0.3, 1e308]]")));
    }

    /// <summary>A Hessian entry of 1e308 beside ordinary ones: the trajectories overflow, exit 3 with the outputs written.</summary>
    [Fact]
    public void AHessianSpanningTheDoubleRangeDivergesWithExitThree()
    {
        string scenario = dir.Write("h.json", CliScenarios.With(RobustnessScenarios.WithNoiseCovariance("[[1, 0.3], [0.3, 0.5]]"), "landscape.hessian", "[[2, 0.5], [0.5, 1e308]]"));
        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);
        CliAssert.OneError(r, 3, "diverged");
        Assert.True(File.Exists(Path.Combine(dir["out"], "summary.json")), r.ToString());
    }

    /// <summary>Bytes that are not UTF-8 are refused with their position, not replaced by U+FFFD.</summary>
    [Fact]
    public void AScenarioFileThatIsNotUtf8IsRefusedNamingTheByte()
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"name\": \"x?\"}");
        int at = Array.IndexOf(json, (byte)'?');
        json[at] = 0xFF;
        string path = Path.Combine(dir.Path, "latin.json");
        File.WriteAllBytes(path, json);
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.LoadFile(path));
        Assert.Contains($"is not UTF-8 text (invalid bytes FF at byte {at})", e.Message, StringComparison.Ordinal);
    }
}
