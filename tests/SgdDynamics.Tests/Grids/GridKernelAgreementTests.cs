using SgdDynamics.Backends;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Tests.Kernels;

namespace SgdDynamics.Tests.Grids;

/// <summary>
/// The grid kernels give the same densities on every backend: managed (1 and 2 threads bit-identical) against
/// ILGPU's CPU accelerator to 1e-10 in max abs cell mass, for every landscape struct and every boundary; and on
/// CUDA where a device is present.
/// </summary>
public class GridKernelAgreementTests
{
    public static TheoryData<string, string> MasterCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string landscape in new[] { "quadratic1", "doublewell", "pushforward1", "quadratic2", "ring", "pushforward2" })
        {
            data.Add(landscape, "absorbing");
            data.Add(landscape, "reflecting");
            data.Add(landscape, "periodic");
        }

        return data;
    }

    private static (UniformGrid Grid, GridLandscape Landscape, double Eta, GridDensity Start) MasterCase(string name) => name switch
    {
        "quadratic1" => (new UniformGrid([-2.0], [2.5], [300]),
            GridLandscape.Wrap(new QuadraticField(1, 1.2, 0, 0, 0.3, 0, 0.8, 0, 0, 0.5, 0)), 0.3, Gaussian1(new UniformGrid([-2.0], [2.5], [300]), 1.0, 0.2)),
        "doublewell" => (new UniformGrid([-2.0], [2.0], [256]), GridLandscape.DoubleWell(0.6), 0.4, Gaussian1(new UniformGrid([-2.0], [2.0], [256]), 0.3, 0.3)),
        "pushforward1" => (new UniformGrid([-2.0], [2.0], [200]),
            GridLandscape.Wrap(new QuadraticField(1, 0.9, 0, 0, -0.6, 0, 0, 0, 0, 0, 0)), 0.7, Gaussian1(new UniformGrid([-2.0], [2.0], [200]), 1.2, 0.1)),
        "quadratic2" => (new UniformGrid([-2.0, -2.5], [2.5, 2.0], [36, 40]),
            GridLandscape.Wrap(new QuadraticField(2, 1.0, 0.3, 0.7, 0.2, -0.1, 1.0, 0.4, 0.5, 0.3, 0.2)), 0.4,
            GridDensity.Gaussian(new UniformGrid([-2.0, -2.5], [2.5, 2.0], [36, 40]), [0.8, -0.5], new[,] { { 0.3, 0.1 }, { 0.1, 0.4 } })),
        "ring" => (new UniformGrid([-2.0, -2.0], [2.0, 2.0], [40, 40]), GridLandscape.RingValley(1.0, 0.4), 0.5,
            GridDensity.Gaussian(new UniformGrid([-2.0, -2.0], [2.0, 2.0], [40, 40]), [1.0, 0.2], new[,] { { 0.4, 0.0 }, { 0.0, 0.4 } })),
        "pushforward2" => (new UniformGrid([-2.0, -2.0], [2.0, 2.0], [32, 32]),
            GridLandscape.Wrap(new QuadraticField(2, 1.0, 0.4, 0.8, 0.3, -0.2, 0, 0, 0, 0, 0)), 0.6,
            GridDensity.Gaussian(new UniformGrid([-2.0, -2.0], [2.0, 2.0], [32, 32]), [1.3, -1.0], new[,] { { 0.2, 0.0 }, { 0.0, 0.2 } })),
        _ => throw new ArgumentException(name),
    };

    private static GridDensity Gaussian1(UniformGrid grid, double mean, double variance) => GridDensity.Gaussian(grid, [mean], new[,] { { variance } });

    private static GridDensity RunMaster(string name, GridBoundary boundary, ComputeDevice device, int steps)
    {
        var (grid, landscape, eta, start) = MasterCase(name);
        using var solver = new MasterEquationSolver(grid, landscape, eta, boundary, device: device);
        var density = new GridDensity(grid);
        Array.Copy(start.Mass, density.Mass, grid.Count);
        solver.Advance(density, steps);
        return density;
    }

    private static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Theory]
    [MemberData(nameof(MasterCases))]
    public void MasterEquationAgreesAcrossBackends(string landscape, string boundaryName)
    {
        var boundary = boundaryName switch
        {
            "reflecting" => GridBoundary.Reflecting,
            "periodic" => GridBoundary.Periodic,
            _ => GridBoundary.Absorbing,
        };
        using var one = ComputeDevice.Managed(1);
        using var two = ComputeDevice.Managed(2);
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        GridDensity a = RunMaster(landscape, boundary, one, 6);
        GridDensity b = RunMaster(landscape, boundary, two, 6);
        GridDensity c = RunMaster(landscape, boundary, cpu, 6);

        Assert.Equal(a.Mass, b.Mass);
        Assert.Equal(a.LostMass, b.LostMass);
        Assert.True(MaxDifference(a.Mass, c.Mass) <= 1e-10, $"{landscape}/{boundaryName}: managed vs ilgpu-cpu {MaxDifference(a.Mass, c.Mass):G3}");
        Assert.True(Math.Abs(a.LostMass - c.LostMass) <= 1e-12, $"lost {a.LostMass} vs {c.LostMass}");

        // same formula, same exponential, same summation order: on the CPU the two are in fact bit-identical
        Assert.Equal(a.Mass, c.Mass);
        Assert.True(Math.Abs(a.TotalMass + a.LostMass - 1) < 1e-12, $"conservation {a.TotalMass + a.LostMass}");
        Assert.All(a.Mass, m => Assert.True(m >= 0));
        if (boundary == GridBoundary.Absorbing && landscape is "quadratic1" or "doublewell" or "quadratic2")
        {
            Assert.True(a.LostMass > 0, "the case should lose mass through the box");
        }
    }

    public static TheoryData<string, string> FokkerPlanckCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string landscape in new[] { "quadratic1", "doublewell", "quadratic2", "ring" })
        {
            data.Add(landscape, "langevin");
            data.Add(landscape, "discrete");
        }

        return data;
    }

    private static (UniformGrid Grid, GridLandscape Landscape, double Eta, GridDensity Start) FokkerPlanckCase(string name) => name switch
    {
        "quadratic1" => MasterCase("quadratic1"),
        "doublewell" => MasterCase("doublewell"),
        "quadratic2" => MasterCase("quadratic2"),
        "ring" => MasterCase("ring"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(FokkerPlanckCases))]
    public void FokkerPlanckOperatorAgreesAcrossBackends(string landscape, string variantName)
    {
        var variant = variantName == "discrete" ? FokkerPlanckVariant.Discrete : FokkerPlanckVariant.Langevin;
        var (grid, field, eta, start) = FokkerPlanckCase(landscape);
        using var one = ComputeDevice.Managed(1);
        using var two = ComputeDevice.Managed(2);
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        using var a = new FokkerPlanckSolver(grid, field, eta, variant, one);
        using var b = new FokkerPlanckSolver(grid, field, eta, variant, two);
        using var c = new FokkerPlanckSolver(grid, field, eta, variant, cpu);

        // the operator: kernel on every backend, and against the assembled sparse generator (to rounding)
        var ra = new double[grid.Count];
        var rb = new double[grid.Count];
        var rc = new double[grid.Count];
        var reference = new double[grid.Count];
        a.ApplyOperator(start.Mass, ra);
        b.ApplyOperator(start.Mass, rb);
        c.ApplyOperator(start.Mass, rc);
        a.ApplyGenerator(start.Mass, reference);
        Assert.Equal(ra, rb);
        Assert.True(MaxDifference(ra, rc) <= 1e-10, $"operator managed vs ilgpu-cpu {MaxDifference(ra, rc):G3}");
        // the rate is a difference of face flows of size up to max|A_cc| max m: rounding is relative to that
        double scale = start.Mass.Max() / a.MaxExplicitStep;
        Assert.True(MaxDifference(ra, reference) <= 1e-13 * scale, $"operator vs assembled generator {MaxDifference(ra, reference):G3} (scale {scale:G3})");

        // explicit Euler within the stated bound: several steps on each backend
        double dt = 0.9 * a.MaxExplicitStep;
        var da = Copy(start);
        var db = Copy(start);
        var dc = Copy(start);
        a.AdvanceExplicit(da, dt, 7);
        b.AdvanceExplicit(db, dt, 7);
        c.AdvanceExplicit(dc, dt, 7);
        Assert.Equal(da.Mass, db.Mass);
        Assert.True(MaxDifference(da.Mass, dc.Mass) <= 1e-10, $"explicit managed vs ilgpu-cpu {MaxDifference(da.Mass, dc.Mass):G3}");
        Assert.True(Math.Abs(da.TotalMass - 1) < 1e-12, $"mass {da.TotalMass}");
        if (a.IsMonotone)
        {
            Assert.All(da.Mass, m => Assert.True(m >= 0));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => a.AdvanceExplicit(da, 1.01 * a.MaxExplicitStep, 1));
    }

    [Fact]
    public void EachGridKernelIsLoadedOncePerDevice()
    {
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        RunMaster("quadratic1", GridBoundary.Absorbing, cpu, 2);
        int loaded = cpu.LoadedKernels;
        Assert.Equal(4, loaded); // prepare<QuadraticField>, step, block sums, their accumulation
        RunMaster("quadratic1", GridBoundary.Absorbing, cpu, 3);
        RunMaster("pushforward1", GridBoundary.Periodic, cpu, 3);
        Assert.Equal(loaded, cpu.LoadedKernels);
        RunMaster("doublewell", GridBoundary.Reflecting, cpu, 1);
        Assert.Equal(loaded + 1, cpu.LoadedKernels); // prepare<DoubleWellLandscape>
    }

    [Fact]
    public void ImplicitStepsAndStationarySolvesNeverBuildTheDeviceOperator()
    {
        var (grid, field, eta, start) = FokkerPlanckCase("quadratic2");
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        using var solver = new FokkerPlanckSolver(grid, field, eta, FokkerPlanckVariant.Langevin, cpu);
        var density = Copy(start);
        solver.Advance(density, eta, 3);
        solver.Stationary(1e-8);
        Assert.False(solver.HasOperator);

        solver.AdvanceExplicit(density, 0.5 * solver.MaxExplicitStep, 1);
        Assert.True(solver.HasOperator);
    }

    private static GridDensity Copy(GridDensity density)
    {
        var copy = new GridDensity(density.Grid);
        Array.Copy(density.Mass, copy.Mass, copy.Mass.Length);
        return copy;
    }

    [Fact]
    public void KernelExpMatchesMathExp()
    {
        var random = new Random(5);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            double x = i < 100_000 ? -40 * random.NextDouble() : -708 * random.NextDouble();
            double exact = Math.Exp(x);
            worst = Math.Max(worst, Math.Abs(KernelMath.ExpNonPositive(x) - exact) / exact);
        }

        Assert.True(worst < 1e-15, $"max relative error {worst:G3}");
        Assert.Equal(1.0, KernelMath.ExpNonPositive(0.0));
        Assert.Equal(0.0, KernelMath.ExpNonPositive(-709.0));
        Assert.Equal(0.0, KernelMath.ExpNonPositive(double.NegativeInfinity));
    }

    [CudaFact]
    public void MasterEquationOnCudaAgreesWithManaged()
    {
        using var managed = ComputeDevice.Managed();
        using var cuda = ComputeDevice.Open("cuda");
        foreach (string landscape in new[] { "quadratic1", "doublewell", "quadratic2", "ring" })
        {
            foreach (var boundary in new[] { GridBoundary.Absorbing, GridBoundary.Reflecting, GridBoundary.Periodic })
            {
                GridDensity a = RunMaster(landscape, boundary, managed, 6);
                GridDensity c = RunMaster(landscape, boundary, cuda, 6);
                Assert.True(MaxDifference(a.Mass, c.Mass) <= 1e-10, $"{landscape}/{boundary}: managed vs cuda {MaxDifference(a.Mass, c.Mass):G3}");
                Assert.True(Math.Abs(a.LostMass - c.LostMass) <= 1e-10);
            }
        }

        foreach (string landscape in new[] { "quadratic1", "quadratic2", "ring" })
        {
            var (grid, field, eta, start) = FokkerPlanckCase(landscape);
            using var a = new FokkerPlanckSolver(grid, field, eta, FokkerPlanckVariant.Discrete, managed);
            using var c = new FokkerPlanckSolver(grid, field, eta, FokkerPlanckVariant.Discrete, cuda);
            var da = Copy(start);
            var dc = Copy(start);
            a.AdvanceExplicit(da, 0.9 * a.MaxExplicitStep, 7);
            c.AdvanceExplicit(dc, 0.9 * a.MaxExplicitStep, 7);
            Assert.True(MaxDifference(da.Mass, dc.Mass) <= 1e-10, $"{landscape}: explicit FP managed vs cuda {MaxDifference(da.Mass, dc.Mass):G3}");
        }
    }
}
