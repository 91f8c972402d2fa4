using SgdDynamics.Backends;
using SgdDynamics.Benchmarking;
using SgdDynamics.Grids;

namespace SgdDynamics.Tests.Benchmarking;

/// <summary>The benchmarks' grid solver cases: each advances its workload's density as its solver does, keeping the mass.</summary>
public sealed class GridSolverCasesTests
{
    [Theory]
    [InlineData("me", 1)]
    [InlineData("me", 2)]
    [InlineData("fp-be", 1)]
    [InlineData("fp-be", 2)]
    [InlineData("fp-explicit", 1)]
    [InlineData("fp-explicit", 2)]
    [InlineData("fp-adi", 1)]
    [InlineData("fp-adi", 2)]
    public void EveryCase_AdvancesItsWorkload_KeepingTheMass(string name, int dimension)
    {
        GridSolverCase solver = GridSolverCases.Find(name);
        GridWorkload workload = GridWorkload.For(solver.Family, dimension, dimension == 1 ? 256 : 24);
        using ComputeDevice device = ComputeDevice.Managed(1);
        using IGridStepper stepper = solver.Open(workload, device, 0);
        GridDensity density = workload.Start();
        double[] before = density.Mean();
        stepper.Step(density, 2 * stepper.Substeps);
        Assert.Equal(1.0, density.TotalMass + density.LostMass, 1e-12);
        Assert.NotEqual(before[0], density.Mean()[0]);
        Assert.True(solver.MinBytesPerCellUpdate(dimension) >= 16);
    }

    [Fact]
    public void Stepper_EqualsTheSolverItWraps()
    {
        GridWorkload workload = GridWorkload.FokkerPlanck(2, 24);
        using IGridStepper stepper = GridSolverCases.BackwardEuler.Open(workload, ComputeDevice.Managed(1), 4);
        GridDensity viaCase = workload.Start();
        stepper.Step(viaCase, 8);
        var solver = new FokkerPlanckSolver(
            workload.Grid, workload.Landscape, workload.LearningRate, FokkerPlanckVariant.Langevin, scheme: FokkerPlanckScheme.BackwardEuler);
        GridDensity direct = workload.Start();
        solver.Advance(direct, workload.LearningRate / 4, 8);
        Assert.Equal(direct.Mass, viaCase.Mass);
    }

    [Fact]
    public void ExplicitScheme_RefusesFewerSubstepsThanStabilityNeeds_AndTheMasterEquationSubsteps()
    {
        GridWorkload workload = GridWorkload.FokkerPlanck(2, 64);
        using (IGridStepper least = GridSolverCases.Explicit.Open(workload, ComputeDevice.Managed(1), 0))
        {
            Assert.True(least.Substeps > 1);
        }

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GridSolverCases.Explicit.Open(workload, ComputeDevice.Managed(1), 1));
        Assert.Contains("fp-explicit needs at least", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => GridSolverCases.Master.Open(GridWorkload.Master(1, 64), ComputeDevice.Managed(1), 2));
        Assert.Throws<ArgumentException>(() => GridSolverCases.Find("fp-crank"));
    }
}
