using SgdDynamics.Backends;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Tests.Grids;

/// <summary>
/// Periodic walls: the master equation and the Fokker–Planck solver on a ring (a torus in 2-D) lose no mass, agree bit
/// for bit between managed and ILGPU CPU, and give the exact drift and uniform stationary law of a constant tilt.
/// </summary>
public class PeriodicGridTests
{
    /// <summary>Constant tilt: the quadratic with H = 0, ḡ = b = (F₀, F₁), additive noise σ² (per axis).</summary>
    private static GridLandscape Tilt(double f0, double sigma2) => GridLandscape.Wrap(new QuadraticField(1, 0, 0, 0, f0, 0, sigma2, 0, 0, 0, 0));

    private static GridLandscape Tilt2(double f0, double f1, double sigma2) =>
        GridLandscape.Wrap(new QuadraticField(2, 0, 0, 0, f0, f1, sigma2, 0.2 * sigma2, sigma2, 0, 0));

    private static GridDensity Copy(GridDensity density)
    {
        var copy = new GridDensity(density.Grid) { LostMass = density.LostMass };
        Array.Copy(density.Mass, copy.Mass, copy.Mass.Length);
        return copy;
    }

    private static GridDensity Uniform(UniformGrid grid)
    {
        var density = new GridDensity(grid);
        Array.Fill(density.Mass, 1.0 / grid.Count);
        return density;
    }

    public static TheoryData<string> MasterCases() => new() { "tilt1", "quadratic1", "doublewell", "pushforward1", "bigjump1", "tilt2", "ring", "pushforward2" };

    /// <summary>Grid, landscape, η and start; the windows of every case cross the wrapping faces.</summary>
    private static (UniformGrid Grid, GridLandscape Landscape, double Eta, GridDensity Start) MasterCase(string name)
    {
        var line = new UniformGrid([-1.5], [2.0], [140]);
        var square = new UniformGrid([-1.0, -1.5], [1.5, 1.0], [36, 40]);
        return name switch
        {
            "tilt1" => (line, Tilt(0.8, 0.3), 0.3, GridDensity.PointMass(line, [1.9])),
            "quadratic1" => (line, GridLandscape.Wrap(new QuadraticField(1, 1.2, 0, 0, 0.3, 0, 0.8, 0, 0, 0.5, 0)), 0.3,
                GridDensity.Gaussian(line, [1.0], new[,] { { 0.3 } })),
            "doublewell" => (line, GridLandscape.DoubleWell(0.6), 0.4, GridDensity.Gaussian(line, [0.3], new[,] { { 0.3 } })),
            "pushforward1" => (line, GridLandscape.Wrap(new QuadraticField(1, 0.9, 0, 0, -0.6, 0, 0, 0, 0, 0, 0)), 0.7,
                GridDensity.Gaussian(line, [1.2], new[,] { { 0.1 } })),
            "bigjump1" => (line, Tilt(-3.0, 2.0), 0.9, GridDensity.PointMass(line, [-1.4])),
            "tilt2" => (square, Tilt2(0.7, -0.4, 0.2), 0.4, GridDensity.PointMass(square, [1.4, -1.4])),
            "ring" => (square, GridLandscape.RingValley(1.0, 0.4), 0.5, GridDensity.Gaussian(square, [1.0, 0.2], new[,] { { 0.4, 0.0 }, { 0.0, 0.4 } })),
            "pushforward2" => (square, GridLandscape.Wrap(new QuadraticField(2, 1.0, 0.4, 0.8, 0.3, -0.2, 0, 0, 0, 0, 0)), 0.6,
                GridDensity.Gaussian(square, [1.3, -1.0], new[,] { { 0.2, 0.0 }, { 0.0, 0.2 } })),
            _ => throw new ArgumentException(name),
        };
    }

    private static (GridDensity Density, double[] Displacement) RunMaster(string name, ComputeDevice device, int steps, int chunk)
    {
        var (grid, landscape, eta, start) = MasterCase(name);
        using var solver = new MasterEquationSolver(grid, landscape, eta, GridBoundary.Periodic, device: device);
        var density = Copy(start);
        var displacement = new double[grid.Dimension];
        for (int done = 0; done < steps; done += chunk)
        {
            solver.Advance(density, Math.Min(chunk, steps - done), displacement);
        }

        return (density, displacement);
    }

    [Theory]
    [MemberData(nameof(MasterCases))]
    public void MasterEquationOnARingLosesNothingAndAgreesAcrossBackends(string name)
    {
        using var one = ComputeDevice.Managed(1);
        using var two = ComputeDevice.Managed(2);
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        var (a, da) = RunMaster(name, one, 12, 1);
        var (b, db) = RunMaster(name, two, 12, 5);
        var (c, dc) = RunMaster(name, cpu, 12, 12);

        Assert.Equal(0.0, a.LostMass);
        Assert.Equal(1.0, a.TotalMass, 1e-12);
        Assert.All(a.Mass, m => Assert.True(m >= 0 && double.IsFinite(m)));
        Assert.Equal(a.Mass, b.Mass);
        Assert.Equal(a.Mass, c.Mass);
        Assert.Equal(0.0, c.LostMass);
        Assert.Equal(da, db);
        Assert.Equal(da, dc);
    }

    [Fact]
    public void MasterEquationDisplacementSumsTheDriftOfEveryStep()
    {
        var (grid, landscape, eta, start) = MasterCase("quadratic1");
        using var solver = new MasterEquationSolver(grid, landscape, eta, GridBoundary.Periodic);
        var density = Copy(start);
        var displacement = new double[1];
        double expected = 0;
        for (int k = 0; k < 10; k++)
        {
            expected += eta * solver.Drift(density)[0];
            solver.Advance(density, 1, displacement);
        }

        Assert.Equal(expected, displacement[0], 1e-14);
    }

    [Fact]
    public void ConstantTiltOnARingDriftsAtMinusFWithAUniformStationaryLaw()
    {
        // ḡ = F everywhere: the expected displacement per step is −ηF whatever the density, and translation invariance
        // makes the uniform law stationary; from a point mass the ring relaxes as exp(−2π²η²σ²k/L²) (L = 1: e^-0.2 a step).
        const double F = 0.37, Sigma2 = 1, Eta = 0.1;
        var grid = new UniformGrid([0.0], [1.0], [100]);
        using var solver = new MasterEquationSolver(grid, Tilt(F, Sigma2), Eta, GridBoundary.Periodic);
        var density = GridDensity.PointMass(grid, [0.305]);
        var displacement = new double[1];
        Assert.Equal(-F, solver.Drift(density)[0], 1e-15);
        solver.Advance(density, 300, displacement);

        Assert.Equal(-F, solver.Drift(density)[0], 1e-12);
        Assert.Equal(-Eta * F * 300, displacement[0], 1e-11);
        Assert.Equal(0.0, density.LostMass);
        Assert.True(density.Mass.Max(m => Math.Abs(grid.Count * m - 1)) < 1e-10, $"max |n m − 1| = {density.Mass.Max(m => Math.Abs(grid.Count * m - 1)):E2}");

        var uniform = Uniform(grid);
        solver.Advance(uniform, 50);
        Assert.True(uniform.Mass.Max(m => Math.Abs(grid.Count * m - 1)) < 1e-12);
    }

    [Fact]
    public void ConstantTiltOnATorusDriftsAtMinusF()
    {
        var grid = new UniformGrid([0.0, 0.0], [1.0, 2.0], [24, 40]);
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        foreach (var device in new[] { ComputeDevice.Managed(), cpu })
        {
            using var solver = new MasterEquationSolver(grid, Tilt2(0.5, -0.3, 0.05), 0.2, GridBoundary.Periodic, device: device);
            var density = GridDensity.PointMass(grid, [0.9, 0.1]);
            var displacement = new double[2];
            solver.Advance(density, 20, displacement);
            Assert.Equal(-0.2 * 0.5 * 20, displacement[0], 1e-12);
            Assert.Equal(0.2 * 0.3 * 20, displacement[1], 1e-12);
            Assert.Equal(1.0, density.TotalMass, 1e-12);
            Assert.Equal(0.0, density.LostMass);
        }
    }

    [Theory]
    [InlineData(FokkerPlanckVariant.Langevin)]
    [InlineData(FokkerPlanckVariant.Discrete)]
    public void FokkerPlanckRingWithConstantDriftIsUniformWithFluxEqualToTheDrift(FokkerPlanckVariant variant)
    {
        // Every face has the same rates, so the uniform law is the null vector and each face carries the flow
        // J = (forward − backward)/n = −F/L: the velocity J·L is −F, the drift, for either diffusion.
        const double F = 0.8, Length = 2.0;
        var grid = new UniformGrid([-1.0], [1.0], [200]);
        using var solver = new FokkerPlanckSolver(grid, Tilt(F, 0.5), 0.1, variant, boundary: GridBoundary.Periodic);

        GridDensity stationary = solver.Stationary();

        Assert.True(stationary.Mass.Max(m => Math.Abs(grid.Count * m - 1)) < 1e-12);
        Assert.True(solver.StationarityResidual(stationary) < 1e-13);
        Assert.Equal(-F, solver.Drift(stationary)[0], 1e-12);
        var rate = new double[grid.Count];
        solver.ApplyGenerator(stationary.Mass, rate);
        double scale = stationary.Mass.Max() / solver.MaxExplicitStep;
        Assert.All(rate, r => Assert.True(Math.Abs(r) < 1e-13 * scale, $"(A m)_c = {r:E2} against {scale:E2}"));

        // A m = 0 on a ring: the same flow J through every face, and the velocity is J·L
        Assert.Equal(-F / Length, solver.Drift(stationary)[0] / Length, 1e-12);
    }

    [Fact]
    public void FokkerPlanckRingWithATiltedLandscapeCarriesAConstantFlow()
    {
        // A quadratic on a ring is a tilted, non-periodic drift: Σ z ≠ 0, so the stationary law is not detailed balance.
        // The closed form must be the generator's null vector, positive, and the limit of backward Euler.
        var grid = new UniformGrid([-1.0], [1.5], [160]);
        var landscape = GridLandscape.Wrap(new QuadraticField(1, 1.5, 0, 0, 0.4, 0, 0.6, 0, 0, 0.4, 0));
        using var solver = new FokkerPlanckSolver(grid, landscape, 0.2, FokkerPlanckVariant.Discrete, boundary: GridBoundary.Periodic);

        GridDensity stationary = solver.Stationary();

        Assert.True(solver.StationarityResidual(stationary) < 1e-12, $"residual {solver.StationarityResidual(stationary):E2}");
        Assert.All(stationary.Mass, m => Assert.True(m > 0));
        Assert.Equal(1.0, stationary.TotalMass, 1e-14);
        Assert.True(Math.Abs(solver.Drift(stationary)[0]) > 1e-4, $"velocity {solver.Drift(stationary)[0]}");

        var density = GridDensity.PointMass(grid, [0.0]);
        solver.Advance(density, 50.0, 400);
        Assert.True(density.Mass.Zip(stationary.Mass, (a, b) => Math.Abs(a - b)).Sum() < 1e-10);
        Assert.Equal(0.0, density.LostMass);
    }

    [Fact]
    public void FokkerPlanckCyclicBackwardEulerSolvesItsSystem()
    {
        // (I − Δt A) m₁ = m₀ to rounding, mass conserved, masses non-negative; also on a ring of two cells.
        foreach (int cells in new[] { 2, 3, 97 })
        {
            var grid = new UniformGrid([0.0], [1.0], [cells]);
            var landscape = GridLandscape.Wrap(new QuadraticField(1, 2.0, 0, 0, 1.0, 0, 0.5, 0, 0, 0, 0));
            using var solver = new FokkerPlanckSolver(grid, landscape, 0.3, FokkerPlanckVariant.Langevin, boundary: GridBoundary.Periodic, scheme: FokkerPlanckScheme.BackwardEuler);
            var start = GridDensity.PointMass(grid, [0.1]);
            var next = Copy(start);
            solver.Advance(next, 0, 0.7);
            var rate = new double[cells];
            solver.ApplyGenerator(next.Mass, rate);
            // rounding relative to the size of the terms, Δt max|A_cc| times the masses
            double tolerance = 1e-15 * (1 + 0.7 / solver.MaxExplicitStep);
            for (int c = 0; c < cells; c++)
            {
                Assert.Equal(start.Mass[c], next.Mass[c] - 0.7 * rate[c], tolerance);
            }

            Assert.Equal(1.0, next.TotalMass, 1e-15);
            Assert.All(next.Mass, m => Assert.True(m >= 0));
        }
    }

    [Theory]
    [InlineData(FokkerPlanckVariant.Langevin)]
    [InlineData(FokkerPlanckVariant.Discrete)]
    public void FokkerPlanckTorusWithConstantDriftIsUniformAndTheOperatorAgreesAcrossBackends(FokkerPlanckVariant variant)
    {
        var grid = new UniformGrid([0.0, -1.0], [1.0, 1.0], [20, 30]);
        using var one = ComputeDevice.Managed(1);
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        using var a = new FokkerPlanckSolver(grid, Tilt2(0.5, -0.3, 0.2), 0.2, variant, one, GridBoundary.Periodic);
        using var c = new FokkerPlanckSolver(grid, Tilt2(0.5, -0.3, 0.2), 0.2, variant, cpu, GridBoundary.Periodic);

        GridDensity stationary = a.Stationary(1e-12);
        Assert.True(stationary.Mass.Max(m => Math.Abs(grid.Count * m - 1)) < 1e-9);
        double[] velocity = a.Drift(stationary);
        Assert.Equal(-0.5, velocity[0], 1e-9);
        Assert.Equal(0.3, velocity[1], 1e-9);

        var start = GridDensity.Gaussian(grid, [0.9, 0.8], new[,] { { 0.02, 0.0 }, { 0.0, 0.03 } });
        var ra = new double[grid.Count];
        var rc = new double[grid.Count];
        var reference = new double[grid.Count];
        a.ApplyOperator(start.Mass, ra);
        c.ApplyOperator(start.Mass, rc);
        a.ApplyGenerator(start.Mass, reference);
        Assert.Equal(ra, rc);
        double scale = start.Mass.Max() / a.MaxExplicitStep;
        Assert.True(ra.Zip(reference, (x, y) => Math.Abs(x - y)).Max() <= 1e-13 * scale);

        var da = Copy(start);
        var dc = Copy(start);
        a.AdvanceExplicit(da, 0.9 * a.MaxExplicitStep, 9);
        c.AdvanceExplicit(dc, 0.9 * a.MaxExplicitStep, 9);
        Assert.Equal(da.Mass, dc.Mass);
        Assert.Equal(1.0, da.TotalMass, 1e-12);

        var implicitStep = Copy(start);
        a.Advance(implicitStep, 0.2, 30);
        Assert.Equal(1.0, implicitStep.TotalMass, 1e-12);
        Assert.Equal(0.0, implicitStep.LostMass);
    }

    [Fact]
    public void GridRunsOnARingRecordTheDisplacement()
    {
        string Scenario(string solver) => $$"""
            {"landscape": {"type": "quadratic", "hessian": [[0]], "linearTerm": [0.5], "gradientNoiseCovariance": [[0.4]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1},
             "initial": {"point": [0.2]},
             "ensemble": {"steps": 120},
             "record": {"every": 40},
             "solver": {{solver}}}
            """;
        var master = ScenarioLoader.Parse(Scenario("""{"type": "masterEquation", "boundary": "periodic", "grid": {"lower": [-1], "upper": [1], "cells": [100]}}"""));
        var fokker = ScenarioLoader.Parse(Scenario("""{"type": "fokkerPlanck", "variant": "langevin", "boundary": "periodic", "grid": {"lower": [-1], "upper": [1], "cells": [100]}}"""));
        var masterEquation = Assert.IsType<MasterEquationAlgorithm>(master.Algorithm);
        var fokkerPlanck = Assert.IsType<FokkerPlanckAlgorithm>(fokker.Algorithm);
        Assert.Equal(GridBoundary.Periodic, masterEquation.Boundary);
        Assert.Contains("\"boundary\": \"periodic\"", ScenarioWriter.ToJson(fokker), StringComparison.Ordinal);

        GridResult me = GridRunner.Run(master.Problem, masterEquation);
        GridResult fp = GridRunner.Run(fokker.Problem, fokkerPlanck);

        foreach (GridRecord record in me.Records.Concat(fp.Records))
        {
            Assert.Equal(-0.5 * record.Time, record.Displacement![0], 1e-10);
            Assert.Equal(0.0, record.LostMass);
            Assert.Equal(1.0, record.Mass, 1e-12);
        }

        Assert.Contains("displacement_0", GridOutput.TimeSeries(me), StringComparison.Ordinal);
        Assert.Equal(-6.0, GridOutput.Record(me.Final)["displacement"]![0]!.GetValue<double>(), 1e-10);

        var reflecting = ScenarioLoader.Parse(Scenario("""{"type": "masterEquation", "boundary": "reflecting", "grid": {"lower": [-1], "upper": [1], "cells": [100]}}"""));
        GridResult plain = GridRunner.Run(reflecting.Problem, Assert.IsType<MasterEquationAlgorithm>(reflecting.Algorithm));
        Assert.Null(plain.Final.Displacement);
        Assert.DoesNotContain("displacement", GridOutput.TimeSeries(plain), StringComparison.Ordinal);
    }
}
