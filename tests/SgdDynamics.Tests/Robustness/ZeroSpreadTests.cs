using System.Text.Json.Nodes;
using SgdDynamics.Observers;
using SgdDynamics.Statistics;
using SgdDynamics.Tests.Cli;
using static SgdDynamics.Tests.Cli.Outputs;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Valid input with no spread at all: statistics of exactly zero, scores undefined and said so, exit 0.</summary>
public sealed class ZeroSpreadTests : IDisposable
{
    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void NoiseFreeDescent_Exit0_ZeroStandardErrors_RegimeUndefinedWithReason()
    {
        string scenario = dir.Write("gd.json", RobustnessScenarios.NoiseFreeDescent);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"], "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject summary = ReadJson(dir[Path.Combine("out", "summary.json")]);
        JsonObject final = summary["final"]!.AsObject();
        Assert.Equal(2, final["count"]!.GetValue<long>());
        Assert.Equal(0.0, Matrix(final["covariance"])[0][0]);
        Assert.Equal(0.0, Vector(final["meanStandardError"])[0]);
        Assert.Equal(0.0, Vector(final["varianceStandardError"])[0]);
        Assert.Equal(0.0, Vector(final["thirdCentralMoment"])[0]);
        Assert.Equal(0.0, Vector(final["fourthCentralMoment"])[0]);

        JsonObject mode = Assert.Single(Assert.IsType<JsonArray>(summary["modes"]))!.AsObject();
        Assert.Equal("undetermined", mode["regime"]!.GetValue<string>());
        Assert.Null(mode["fitted"]);
        Assert.Null(mode["standardError"]);
        Assert.Contains("undefined", mode["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("exactly 0", mode["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        (_, string[][] rows) = ReadCsv(dir[Path.Combine("out", "modes.csv")]);
        Assert.All(rows, row => Assert.Equal(0.0, Number(row[3])));
    }

    [Fact]
    public void NoiseFreeDescentWithTails_Exit0_HillUndefinedWithReason_QuantilesWritten()
    {
        string scenario = dir.Write("gdt.json", RobustnessScenarios.NoiseFreeDescentWithTails);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        JsonObject final = ReadJson(dir[Path.Combine("out", "summary.json")])["final"]!.AsObject();
        JsonObject tail = Assert.Single(Assert.IsType<JsonArray>(final["tailIndex"]))!.AsObject();
        Assert.Null(tail["alpha"]);
        Assert.Null(tail["standardError"]);
        Assert.Equal(2, tail["n"]!.GetValue<int>());
        Assert.Contains("equal", tail["undefined"]!.GetValue<string>(), StringComparison.Ordinal);
        double[] quantiles = Vector(Assert.Single(Assert.IsType<JsonArray>(final["quantiles"]!["values"])));
        Assert.All(quantiles, q => Assert.True(q > 0 && double.IsFinite(q)));
    }

    [Fact]
    public void IdenticalStates_MomentsAreExactlyZero_EvenWhenTheSumsAreQuantised()
    {
        // States are floats, so x² and small multiples of it are exact in double, as in the engine's tile sums. At
        // x = 2.5e-37, x² lies a few thousand units of 2^-256 above zero and x⁴ below one unit; the spread is still 0.
        foreach (float state in new[] { 2.4774582422313e-37f, 1e-20f, 0.3f, 12345.678f })
        {
            double x = state;
            var accumulator = new MomentAccumulator(2);
            double y = -2 * x;
            for (int tile = 0; tile < 3; tile++)
            {
                const int n = 5;
                accumulator.DepositTile(n, 0, [n * x, n * y], [n * x * x, n * x * y, n * y * y], [n * x * x * x, n * y * y * y], [n * x * x * x * x, n * y * y * y * y]);
            }

            Moments m = accumulator.ToMoments();
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(0.0, m.MeanStandardError[i]);
                Assert.Equal(0.0, m.VarianceStandardError[i]);
                Assert.Equal(0.0, m.ThirdCentralMoment[i]);
                Assert.Equal(0.0, m.FourthCentralMoment[i]);
                for (int j = 0; j < 2; j++)
                {
                    Assert.Equal(0.0, m.Covariance[i, j]);
                }
            }
        }
    }

    [Fact]
    public void Classifier_ZeroErrorsEverywhere_IsUndeterminedWithUndefinedScores()
    {
        double[] times = Enumerable.Range(0, 12).Select(k => (double)k).ToArray();
        var series = new VarianceSeries(times, new double[12], new double[12], new long[12]);

        RegimeClassification c = RegimeClassifier.Classify(series);

        Assert.Equal(Regime.Undetermined, c.Regime);
        Assert.True(double.IsNaN(c.Value));
        Assert.True(double.IsNaN(c.StandardError));
        Assert.Contains("undefined", c.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Classifier_OverflowedTimes_IsUndeterminedOrUnstable_NeverThrows()
    {
        double[] times = [0, 1e308, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity];
        var finite = new VarianceSeries(times, [1, 1, 1, 1, 1], [0.1, 0.1, 0.1, 0.1, 0.1]);
        var diverged = new VarianceSeries(times, [1, double.NaN, double.NaN, double.NaN, double.NaN], [0.1, double.NaN, double.NaN, double.NaN, double.NaN], [0, 5, 5, 5, 5]);

        RegimeClassification a = RegimeClassifier.Classify(finite);
        RegimeClassification b = RegimeClassifier.Classify(diverged);

        Assert.Equal(Regime.Undetermined, a.Regime);
        Assert.Contains("not finite", a.Reason, StringComparison.Ordinal);
        Assert.Equal(Regime.Unstable, b.Regime);
        Assert.Throws<ArgumentException>(() => RegimeClassifier.Classify(new VarianceSeries([0, double.PositiveInfinity, 2], [1, 1, 1], [1, 1, 1])));
    }
}
