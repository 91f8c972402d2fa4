using SgdDynamics.Grids;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Grid problems that used to run (nearly) forever: refused at once, naming the field, or finished at once.</summary>
public sealed class HangTests : IDisposable
{
    private const int Seconds = 30;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "eta-1e30-on-8-cells", RobustnessScenarios.MasterEquation("1e30", "", "-2", "2", 8), "$.solver: " },
        { "truncation-1e308", RobustnessScenarios.MasterEquation("0.1", ",\"truncationSigmas\":1e308", "-2", "2", 8), "$.solver.truncationSigmas: " },
        { "subnormal-grid", RobustnessScenarios.MasterEquation("0.1", "", "0", "1e-320", 8, point: "0"), "$.solver.grid: " },
        { "unresolvable-grid", RobustnessScenarios.MasterEquation("0.1", "", "1e6", "1.0000000001e6", 1000, point: "1e6"), "$.solver.grid: " },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cli_RefusesAtOnce_Exit2_NamingTheField(string name, string json, string location)
    {
        string scenario = dir.Write(name + ".json", json);

        CliResult r = CliAssert.Within(Seconds, () => Sgdyn.Run(dir.Path, "run", scenario, "--backend", "managed", "--out", dir["out"]), name);

        CliAssert.OneError(r, 2, location);
    }

    [Fact]
    public void MasterEquationSolver_WindowBeyondTheLongRange_IsRefusedAtOnce()
    {
        // σ = 5: the kernel is resolved on the 0.5-wide cells at η = 0.1 already.
        var grid = new UniformGrid([-2], [2], [8]);
        GridLandscape landscape = GridLandscape.DoubleWell(25);
        foreach ((double eta, double truncation) in new[] { (1e30, 6.0), (0.1, 1e300), (1e300, 6.0), (1e150, 1e150) })
        {
            var e = CliAssert.Within(
                Seconds,
                () => Assert.ThrowsAny<ArgumentException>(() => new MasterEquationSolver(grid, landscape, eta, GridBoundary.Absorbing, truncation)),
                $"η = {eta}, T = {truncation}");
            Assert.Contains("window", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MasterEquationSolver_KernelFarOutsideAnAbsorbingBox_LosesTheMassAtOnce()
    {
        // μ = x − η(x³ − x) lands ~1e19 cells away; σ = 1e-12 keeps the window (± 6ησ) below 2^26 cells.
        var grid = new UniformGrid([-2], [2], [8]);
        GridLandscape landscape = GridLandscape.DoubleWell(1e-24);
        var density = GridDensity.PointMass(grid, [1.75]);
        var solver = CliAssert.Within(Seconds, () => new MasterEquationSolver(grid, landscape, 1e18, GridBoundary.Absorbing), "solver set-up");

        CliAssert.Within(Seconds, () => { solver.Step(density); return 0; }, "one step");

        Assert.Equal(1.0, density.LostMass, 12);
        solver.Dispose();
    }

    [Fact]
    public void Loader_RejectsGridsAndTruncationsThatCannotWork()
    {
        var spacing = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(RobustnessScenarios.MasterEquation("0.1", "", "0", "1e-320", 8, point: "0")));
        Assert.Contains("normal, finite", spacing.Message, StringComparison.Ordinal);
        var truncation = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(RobustnessScenarios.MasterEquation("0.1", ",\"truncationSigmas\":41", "-2", "2", 8)));
        Assert.Contains("at most 40", truncation.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new UniformGrid([0], [1e-320], [8]));
        Assert.NotNull(ScenarioLoader.Parse(RobustnessScenarios.MasterEquation("0.1", ",\"truncationSigmas\":40", "-2", "2", 8)));
    }
}
