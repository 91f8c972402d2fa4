using System.Diagnostics;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Bad input of every kind: exit 2, one <c>error: </c> line saying where, no stack trace, no help text.</summary>
public sealed class BadInputRobustnessTests : IDisposable
{
    private const string Surrogate = "\\ud800";

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData("run")]
    [InlineData("theory")]
    public void NonPsdCovarianceNearTheDoubleRange_Exit2_NamesTheField(string command)
    {
        string scenario = dir.Write("sigma.json", RobustnessScenarios.WithNoiseCovariance("[[1e308, 1e308], [1e308, -1e308]]"));

        CliResult r = command == "run"
            ? Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"])
            : Sgdyn.Run(dir.Path, "theory", scenario);

        CliAssert.OneError(r, 2, "$.landscape.gradientNoiseCovariance: ", "positive semidefinite");
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public void PsdCheck_ScalesEntriesNearTheDoubleRange()
    {
        Assert.NotNull(ScenarioLoader.Parse(RobustnessScenarios.WithNoiseCovariance("[[1e308, 1e308], [1e308, 1e308]]")));
        Assert.NotNull(ScenarioLoader.Parse(RobustnessScenarios.WithNoiseCovariance("[[1e308, 0], [0, 1e-308]]")));
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(RobustnessScenarios.WithNoiseCovariance("[[1e308, 1.5e308], [1.5e308, 1e308]]")));
        Assert.Contains("positive semidefinite", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A lone surrogate escape in each kind of string: the name, the description, a type, a field name.</summary>
    public static TheoryData<string, string, string> LoneSurrogates()
    {
        string b = CliScenarios.Tiny2D;
        return new TheoryData<string, string, string>
        {
            { "name", b.Replace("\"example2d\"", $"\"x{Surrogate}\"", StringComparison.Ordinal), "$.name: " },
            { "description", b.Replace("\"small 2-D example for the CLI tests\"", $"\"{Surrogate}\"", StringComparison.Ordinal), "$.description: " },
            { "landscape-type", b.Replace("\"quadratic\"", $"\"quadratic{Surrogate}\"", StringComparison.Ordinal), "$.landscape.type: " },
            { "optimizer-type", b.Replace("\"sgd\"", $"\"{Surrogate}sgd\"", StringComparison.Ordinal), "$.optimizer.type: " },
            { "field-name", b.Replace("\"seed\"", $"\"se{Surrogate}ed\"", StringComparison.Ordinal), "$.ensemble: " },
        };
    }

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public void LoneSurrogateEscape_Exit2_NamesThePath(string name, string json, string location)
    {
        Assert.Contains(Surrogate, json, StringComparison.Ordinal);
        string scenario = dir.Write(name + ".json", json);

        CliResult r = Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]);

        CliAssert.OneError(r, 2, location, "lone UTF-16 surrogate");
        Assert.False(Directory.Exists(dir["out"]));
    }

    public static TheoryData<string[], string> BadOptions() => new()
    {
        { ["--threads", "99999999999"], "--threads must be an integer from 0 to 4096" },
        { ["--threads", "-1"], "--threads must be an integer from 0 to 4096" },
        { ["--threads", "4097"], "--threads must be an integer from 0 to 4096" },
        { ["--threads", "two"], "--threads must be an integer from 0 to 4096" },
        { ["--backend", "bogus"], "'bogus'" },
        { ["--no-such-option"], "--no-such-option" },
        { ["--out", ""], "--out is empty" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOption_Exit2_OneLine(string[] options, string detail)
    {
        string scenario = dir.Write("ok.json", CliScenarios.Tiny2D);

        string[] output = options.Contains("--out") ? [] : ["--out", dir["out"]];

        CliResult r = Sgdyn.Run(dir.Path, ["run", scenario, .. output, .. options]);

        CliAssert.OneError(r, 2, detail);
        Assert.True(r.StdOut.Length == 0, r.ToString());
    }

    [Theory]
    [InlineData("run")]
    [InlineData("theory")]
    public void EmptyScenarioPath_Exit2(string command)
    {
        CliResult r = Sgdyn.Run(dir.Path, command, "");

        CliAssert.OneError(r, 2, "the scenario file path is empty");
    }

    [Fact]
    public void DemoWithAnUnparsableCount_Exit2()
    {
        CliResult r = Sgdyn.Run(dir.Path, "demo", "--trajectories", "99999999999999999999", "--out", dir["out"]);

        CliAssert.OneError(r, 2, "--trajectories");
    }

    [Fact]
    public void EndlessFile_Exit2_SaysTheSizeCap()
    {
        if (!File.Exists("/dev/zero"))
        {
            return;
        }

        CliResult r = CliAssert.Within(60, () => Sgdyn.Run(dir.Path, "run", "/dev/zero", "--out", dir["out"]), "sgdyn run /dev/zero");

        CliAssert.OneError(r, 2, "/dev/zero", "larger than 16 MiB");
    }

    [Fact]
    public void PipeWithoutWriter_Exit2_SaysTheTimeout()
    {
        string fifo = dir["pipe.json"];
        if (!TryMakeFifo(fifo))
        {
            return;
        }

        CliResult r = CliAssert.Within(60, () => Sgdyn.Run(dir.Path, "run", fifo, "--out", dir["out"]), "sgdyn run FIFO");

        CliAssert.OneError(r, 2, "pipe.json", "not read within 10 s");
    }

    private static bool TryMakeFifo(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false });
            if (process is null || !process.WaitForExit(10_000))
            {
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
