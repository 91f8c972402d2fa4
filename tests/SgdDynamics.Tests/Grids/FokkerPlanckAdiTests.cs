using SgdDynamics.Backends;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Scenarios;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Grids;

/// <summary>The ADI (modified Craig–Sneyd) Fokker–Planck scheme: order in time, exactness of its stationary law, threads, backends, positivity, scenarios.</summary>
public class FokkerPlanckAdiTests(ITestOutputHelper output)
{
    private const double Eta = 0.2;

    private static readonly double[,] Hessian = { { 1, 0.3 }, { 0.3, 0.5 } };

    /// <summary>A full Σ: D_xy ≠ 0, so the mixed-derivative flows (explicit in the scheme) are present.</summary>
    private static readonly double[,] FullNoise = { { 1, 0.5 }, { 0.5, 0.8 } };

    private static readonly double[] Mean0 = [1.5, -1];

    private static readonly double[,] Covariance0 = { { 0.1, 0 }, { 0, 0.1 } };

    private static GridLandscape Quadratic(double[,] hessian, double[,] noise) =>
        GridLandscape.From(ProblemBuilder.Quadratic(hessian, noise, Eta, new double[hessian.GetLength(0)]).Quadratic);

    private static UniformGrid Box(int cells) => new([-4, -4], [4, 4], [cells, cells]);

    /// <summary>Mean and covariance of the Langevin OU process dx = −Hx dt + √(ηΣ) dW at time t from (m₀, C₀), in H's eigenbasis.</summary>
    private static (double[] Mean, double[,] Covariance) Exact(double[,] h, double[,] noise, double t)
    {
        var decomposition = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(h).Evd();
        var v = decomposition.EigenVectors;
        double[] lambda = [.. decomposition.EigenValues.Select(e => e.Real)];
        var m = v.TransposeThisAndMultiply(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(Mean0));
        var c = v.TransposeThisAndMultiply(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(Covariance0)).Multiply(v);
        var s = v.TransposeThisAndMultiply(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(noise)).Multiply(v);
        for (int i = 0; i < 2; i++)
        {
            m[i] *= Math.Exp(-lambda[i] * t);
            for (int j = 0; j < 2; j++)
            {
                double rate = lambda[i] + lambda[j];
                c[i, j] = c[i, j] * Math.Exp(-rate * t) + Eta * s[i, j] * (1 - Math.Exp(-rate * t)) / rate;
            }
        }

        return ((v * m).ToArray(), (v * c * v.Transpose()).ToArray());
    }

    /// <summary>Largest difference between the means and covariances of two densities, or of a density and exact moments.</summary>
    private static double MomentError(GridDensity p, double[] mean, double[,] covariance)
    {
        double[] pm = p.Mean();
        double[,] pc = p.Covariance();
        double error = 0;
        for (int i = 0; i < mean.Length; i++)
        {
            error = Math.Max(error, Math.Abs(pm[i] - mean[i]));
            for (int j = 0; j < mean.Length; j++)
            {
                error = Math.Max(error, Math.Abs(pc[i, j] - covariance[i, j]));
            }
        }

        return error;
    }

    private static GridDensity Run(FokkerPlanckSolver solver, UniformGrid grid, int sgdSteps, int substeps)
    {
        var p = GridDensity.Gaussian(grid, Mean0, Covariance0);
        solver.Advance(p, Eta / substeps, sgdSteps * substeps);
        return p;
    }

    [Fact]
    public void AdiIsSecondOrderInTimeWithAMixedTerm()
    {
        // Temporal error isolated from the spatial one: each run against a 64-substep run on the same 64² grid. Halving
        // Δt must divide the error by ≈ 4 (start-up and Craig–Sneyd errors are both O(Δt²)); backward Euler's by ≈ 2.
        var grid = Box(64);
        using var solver = new FokkerPlanckSolver(grid, Quadratic(Hessian, FullNoise), Eta, FokkerPlanckVariant.Langevin);
        Assert.False(solver.IsMonotone);
        var reference = Run(solver, grid, 10, 64);
        var errors = new List<double>();
        foreach (int substeps in new[] { 2, 4, 8 })
        {
            errors.Add(MomentError(Run(solver, grid, 10, substeps), reference.Mean(), reference.Covariance()));
            output.WriteLine($"ADI substeps {substeps}: temporal error {errors[^1]:E3}");
        }

        Assert.InRange(errors[0] / errors[1], 3.5, 4.5);
        Assert.InRange(errors[1] / errors[2], 3.5, 4.5);

        solver.Scheme = FokkerPlanckScheme.BackwardEuler;
        var beReference = Run(solver, grid, 10, 64);
        double be4 = MomentError(Run(solver, grid, 10, 4), beReference.Mean(), beReference.Covariance());
        double be8 = MomentError(Run(solver, grid, 10, 8), beReference.Mean(), beReference.Covariance());
        output.WriteLine($"backward Euler substeps 4: {be4:E3}, 8: {be8:E3}");
        Assert.InRange(be4 / be8, 1.7, 2.3);
        Assert.True(errors[1] < be4 / 10, "ADI at 4 substeps is ten times closer than backward Euler");
    }

    [Fact]
    public void AdiIsSecondOrderInTimeIn1D()
    {
        // dX = −X dt + √η dW from N(0.5, 0.5): temporal error against 256 substeps on the same 2048-cell line.
        var line = new UniformGrid([-6], [6], [2048]);
        using var solver = new FokkerPlanckSolver(
            line, GridLandscape.From(ProblemBuilder.Quadratic(new[,] { { 1.0 } }, new[,] { { 1.0 } }, Eta, [0.0]).Quadratic), Eta, FokkerPlanckVariant.Langevin);
        GridDensity Solve(int substeps)
        {
            var p = GridDensity.Gaussian(line, [0.5], new[,] { { 0.5 } });
            solver.Advance(p, Eta / substeps, 5 * substeps);
            return p;
        }

        var reference = Solve(256);
        double[] errors = [.. new[] { 2, 4, 8 }.Select(s => MomentError(Solve(s), reference.Mean(), reference.Covariance()))];
        output.WriteLine($"1-D temporal errors {string.Join(", ", errors.Select(e => e.ToString("E3")))}");
        Assert.InRange(errors[0] / errors[1], 3.5, 4.5);
        Assert.InRange(errors[1] / errors[2], 3.5, 4.5);
    }

    [Fact]
    public void DefaultSubstepsMatchTheExactGaussianAt256()
    {
        // The 2-D example quadratic with a full Σ, Langevin (an exact Gaussian), 256², T = 5 (25 SGD steps). The total
        // error is the grid's (≈ 5e-4 in the mean at h = 1/32, measured at 64 substeps) plus the scheme's; the scheme's,
        // against a 16-substep run on the same grid, must stay below 1e-4 at the default substeps.
        var grid = Box(256);
        using var solver = new FokkerPlanckSolver(grid, Quadratic(Hessian, FullNoise), Eta, FokkerPlanckVariant.Langevin);
        var (mean, covariance) = Exact(Hessian, FullNoise, 5.0);
        var p = Run(solver, grid, 25, FokkerPlanckAlgorithm.DefaultSubsteps);
        var fine = Run(solver, grid, 25, 16);
        double total = MomentError(p, mean, covariance), spatial = MomentError(fine, mean, covariance), temporal = MomentError(p, fine.Mean(), fine.Covariance());
        output.WriteLine($"256², {FokkerPlanckAlgorithm.DefaultSubsteps} substeps: error {total:E3}, of which temporal {temporal:E3}; 16 substeps {spatial:E3}");
        Assert.True(temporal <= 1e-4, $"temporal error {temporal:E3}");
        Assert.True(total <= 7e-4, $"total error {total:E3}");
        Assert.False(solver.HasGenerator);
    }

    [Fact]
    public void StationaryLawIsAFixedPointOfTheScheme()
    {
        // A m = 0 makes every Craig–Sneyd stage increment zero: the scheme has the generator's stationary law exactly
        // (up to the stationary solve's residual, 1e-12). Steps from time 1, past the start-up, whose split backward-Euler
        // half-substeps move a stationary law by O(Δt²) (6e-6 of the peak here) before the scheme relaxes it back.
        var grid = new UniformGrid([-2, -2], [2, 2], [40, 36]);
        using var solver = new FokkerPlanckSolver(grid, GridLandscape.RingValley(1, 1), 0.1, FokkerPlanckVariant.Discrete);
        var stationary = solver.Stationary(1e-12);
        var p = new GridDensity(grid);
        Array.Copy(stationary.Mass, p.Mass, grid.Count);
        solver.Advance(p, 1.0, 0.05, 40);
        double difference = p.Mass.Zip(stationary.Mass, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"max |Δm| after 40 steps: {difference:E2} (max mass {stationary.Mass.Max():E2})");
        Assert.True(difference < 1e-9 * stationary.Mass.Max());
    }

    [Theory]
    [InlineData(GridBoundary.Reflecting)]
    [InlineData(GridBoundary.Periodic)]
    public void ThreadCountsGiveBitIdenticalDensities(GridBoundary boundary)
    {
        // 37 × 30 cells: lanes and row blocks with remainders; the discrete variant has a mixed term.
        var grid = new UniformGrid([-2, -2], [2, 2], [37, 30]);
        double[] Solve(ComputeDevice device)
        {
            using var solver = new FokkerPlanckSolver(grid, GridLandscape.RingValley(1, 1), 0.1, FokkerPlanckVariant.Discrete, device, boundary);
            var p = GridDensity.PointMass(grid, [0.3, -1.2]);
            solver.Advance(p, 0.05, 12);
            return p.Mass;
        }

        AssertSameOnOneTwoAndThreeThreads(Solve);
    }

    [Theory]
    [InlineData(FokkerPlanckVariant.Langevin, 4099)]
    [InlineData(FokkerPlanckVariant.Discrete, 4099)]
    [InlineData(FokkerPlanckVariant.Discrete, 2048)]
    [InlineData(FokkerPlanckVariant.Langevin, 7)]
    public void OneDimensionalLineGivesBitIdenticalDensitiesOnOneTwoAndThreeThreads(FokkerPlanckVariant variant, int cells)
    {
        // The single 1-D line with zero-flux walls is solved by a twisted factorisation (two halves meeting at cell n/2)
        // whose order is fixed by n alone: the same operations whatever the thread count. Odd and even lengths (a
        // remainder for the four-cell combination) and a short line; start-up substeps (time 0) and Craig–Sneyd
        // substeps both. The Fokker–Planck solver has no absorbing walls (refused).
        var line = new UniformGrid([-3.0], [3.0], [cells]);
        double[] Solve(ComputeDevice device)
        {
            using var solver = new FokkerPlanckSolver(line, GridLandscape.DoubleWell(1), 0.1, variant, device, GridBoundary.Reflecting);
            var p = GridDensity.PointMass(line, [-1.1]);
            solver.Advance(p, 0.05, 12);
            return p.Mass;
        }

        AssertSameOnOneTwoAndThreeThreads(Solve);
        using var one = ComputeDevice.Managed(1);
        Assert.Throws<ArgumentException>(() => new FokkerPlanckSolver(line, GridLandscape.DoubleWell(1), 0.1, variant, one, GridBoundary.Absorbing));
    }

    /// <summary>The densities <paramref name="solve"/> gives on 1, 2 and 3 managed threads are the same bits, and of mass one.</summary>
    private static void AssertSameOnOneTwoAndThreeThreads(Func<ComputeDevice, double[]> solve)
    {
        using var one = ComputeDevice.Managed(1);
        using var two = ComputeDevice.Managed(2);
        using var three = ComputeDevice.Managed(3);
        double[] a = solve(one), b = solve(two), c = solve(three);
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal(1.0, a.Sum(), 1e-12);
    }

    [Theory]
    [InlineData(GridBoundary.Reflecting, 2)]
    [InlineData(GridBoundary.Periodic, 2)]
    [InlineData(GridBoundary.Reflecting, 1)]
    [InlineData(GridBoundary.Periodic, 1)]
    public void IlgpuCpuAgreesWithManaged(GridBoundary boundary, int dimension)
    {
        // Same arithmetic per cell and per line in another order of summation nowhere: the two agree to 1e-13 of the
        // largest mass (rounding; the ILGPU CPU accelerator may contract multiply-adds).
        UniformGrid grid = dimension == 2 ? new([-2, -2], [2, 2], [21, 18]) : new([-2.5], [2.5], [101]);
        GridLandscape landscape = dimension == 2 ? GridLandscape.RingValley(1, 1) : GridLandscape.DoubleWell(1);
        double[] Solve(ComputeDevice device)
        {
            using var solver = new FokkerPlanckSolver(grid, landscape, 0.1, FokkerPlanckVariant.Discrete, device, boundary);
            GridDensity p = dimension == 2 ? GridDensity.PointMass(grid, [0.3, -1.2]) : GridDensity.PointMass(grid, [-1.1]);
            solver.Advance(p, 0.05, 6);
            return p.Mass;
        }

        using var managed = ComputeDevice.Managed(2);
        using var cpu = ComputeDevice.Open("ilgpu-cpu");
        double[] a = Solve(managed), b = Solve(cpu);
        double scale = a.Max(Math.Abs);
        double difference = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"max |managed − ilgpu-cpu| = {difference:E2} of {scale:E2}");
        Assert.True(difference <= 1e-13 * scale, $"difference {difference:E2}");
    }

    [Fact]
    public void StartupKeepsPositivityWithDiagonalDiffusionAndCraigSneydUndershootsAreSmall()
    {
        // Diagonal D (Langevin, diagonal Σ): no mixed flows, every line solve an M-matrix, so the backward-Euler
        // start-up substep maps the point mass to non-negative masses exactly. The Craig–Sneyd substeps after it are not
        // positive by construction (explicit predictor); on this start they undershoot by less than 1e-6 of the peak.
        var grid = Box(96);
        using var solver = new FokkerPlanckSolver(grid, Quadratic(ProblemBuilder.Diagonal(1, 0.5), ProblemBuilder.Diagonal(1, 1)), Eta, FokkerPlanckVariant.Langevin);
        Assert.True(solver.IsMonotone);
        var p = GridDensity.PointMass(grid, [1.5, -1]);
        solver.Advance(p, 0, Eta / 2, 1);
        Assert.True(p.Mass.Min() >= 0, $"start-up min {p.Mass.Min():E2}");
        double worst = 0;
        for (int k = 1; k < 40; k++)
        {
            solver.Advance(p, k * Eta / 2, Eta / 2, 1);
            worst = Math.Min(worst, p.Mass.Min() / p.Mass.Max());
        }

        output.WriteLine($"most negative mass / peak over 20 SGD steps: {worst:E2}");
        Assert.True(worst > -1e-6, $"undershoot {worst:E2}");
        Assert.Equal(1.0, p.TotalMass, 1e-12);
    }

    [Fact]
    public void ScenarioSchemeFieldIsReadWrittenAndRefusedElsewhere()
    {
        const string json = """
            {"landscape": {"type": "quadratic", "hessian": [[1, 0], [0, 2]], "gradientNoiseCovariance": [[1, 0], [0, 1]]},
             "optimizer": {"type": "sgd", "learningRate": 0.1},
             "initial": {"mean": [0.5, 0], "covariance": [[0.1, 0], [0, 0.2]]},
             "ensemble": {"steps": 10},
             "solver": {"type": "fokkerPlanck", "variant": "langevin", "grid": {"lower": [-3, -2], "upper": [3, 2], "cells": [30, 20]}}}
            """;
        var adi = Assert.IsType<FokkerPlanckAlgorithm>(ScenarioLoader.Parse(json).Algorithm);
        Assert.Equal(FokkerPlanckScheme.Adi, adi.Scheme);
        Assert.Equal(FokkerPlanckAlgorithm.DefaultSubsteps, adi.Substeps);

        string be = json.Replace("\"variant\": \"langevin\",", "\"variant\": \"langevin\", \"scheme\": \"backwardEuler\",", StringComparison.Ordinal);
        var scenario = ScenarioLoader.Parse(be);
        var backward = Assert.IsType<FokkerPlanckAlgorithm>(scenario.Algorithm);
        Assert.Equal(FokkerPlanckScheme.BackwardEuler, backward.Scheme);
        Assert.Equal(FokkerPlanckAlgorithm.DefaultBackwardEulerSubsteps, backward.Substeps);
        string written = ScenarioWriter.ToJson(scenario);
        Assert.Contains("\"scheme\": \"backwardEuler\"", written, StringComparison.Ordinal);
        Assert.Equal(FokkerPlanckScheme.BackwardEuler, Assert.IsType<FokkerPlanckAlgorithm>(ScenarioLoader.Parse(written).Algorithm).Scheme);

        var unknown = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(json.Replace("\"variant\": \"langevin\",", "\"variant\": \"langevin\", \"scheme\": \"cn\",", StringComparison.Ordinal)));
        Assert.Contains("$.solver.scheme", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("adi, backwardEuler", unknown.Message, StringComparison.Ordinal);

        string master = json.Replace("\"type\": \"fokkerPlanck\", \"variant\": \"langevin\",", "\"type\": \"masterEquation\", \"scheme\": \"adi\",", StringComparison.Ordinal);
        var refused = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(master));
        Assert.Contains("only for solver type 'fokkerPlanck'", refused.Message, StringComparison.Ordinal);
    }
}
