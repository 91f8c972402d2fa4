using SgdDynamics.Grids;
using SgdDynamics.Problems;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Grids;

public class StationarySolveTests(ITestOutputHelper output)
{
    private static GridLandscape Quadratic1D(double lambda, double sigma2) =>
        GridLandscape.From(ProblemBuilder.Quadratic(new[,] { { lambda } }, new[,] { { sigma2 } }, 0.1, [0.0]).Quadratic);

    private static GridLandscape QuadraticDiagonal2D(double l0, double l1, double s0, double s1) =>
        GridLandscape.From(ProblemBuilder.Quadratic(ProblemBuilder.Diagonal(l0, l1), ProblemBuilder.Diagonal(s0, s1), 0.1, [0.0, 0.0]).Quadratic);

    [Fact]
    public void MasterEquationQuadraticHasTheDiscreteVarianceAndSecondEigenvalueOneMinusEtaLambda()
    {
        double lambda = 1, sigma2 = 1, eta = 0.1;
        double variance = eta * sigma2 / (lambda * (2 - eta * lambda));
        double half = 10 * Math.Sqrt(variance);
        var grid = new UniformGrid([-half], [half], [460]);
        using var solver = new MasterEquationSolver(grid, Quadratic1D(lambda, sigma2), eta, GridBoundary.Reflecting);
        var (density, report) = StationarySolve.MasterEquation(GridDensity.PointMass(grid, [0.3]), (p, k) => solver.Advance(p, k), eta, 1e-13, 10_000);
        double measured = density.Covariance()[0, 0];
        SpectralGapEstimate gap = report.Gap!;
        output.WriteLine($"variance {measured:R} vs {variance:R}; λ₂ {gap.Real:R} ± {gap.RitzResidual:G3} vs {1 - eta * lambda}; steps {report.Iterations}, ratio {report.ContractionRatio}");
        Assert.True(report.Converged);
        Assert.True(report.Residual <= 1e-13);
        Assert.True(gap.Converged);
        Assert.Equal(variance, measured, variance * 1e-6);
        Assert.Equal(1 - eta * lambda, gap.Real, 1e-7);
        Assert.Equal(0, gap.Imaginary, 1e-9);
        Assert.Equal(-1 / Math.Log(1 - eta * lambda), gap.RelaxationSteps!.Value, 1e-4);
        Assert.Equal(eta * gap.RelaxationSteps!.Value, gap.RelaxationTime!.Value, 1e-12);

        // the Krylov-accelerated law against plain time stepping (power iteration) to a tighter change per step: the L1
        // distance is at most (change per step)/(1 − λ₂) for each, ≤ 1e-12 here
        MasterEquationStationary stepped = solver.Stationary(GridDensity.PointMass(grid, [-0.4]), 1e-14, 100_000);
        double distance = density.Mass.Zip(stepped.Density.Mass, (a, b) => Math.Abs(a - b)).Sum();
        output.WriteLine($"{report.Iterations} steps of P against {stepped.Steps} power steps; L1 distance {distance:G3}");
        Assert.True(stepped.Converged);
        Assert.True(distance < 1e-11, $"L1 distance {distance}");
    }

    [Fact]
    public void LangevinQuadraticHasVarianceEtaSigma2Over2LambdaAndGapLambdaToSecondOrder()
    {
        double lambda = 1.5, sigma2 = 1, eta = 0.2;
        double variance = eta * sigma2 / (2 * lambda);
        double half = 10 * Math.Sqrt(variance);
        var errors = new List<double>();
        foreach (int cells in new[] { 40, 80, 160 })
        {
            using var solver = new FokkerPlanckSolver(new UniformGrid([-half], [half], [cells]), Quadratic1D(lambda, sigma2), eta, FokkerPlanckVariant.Langevin);
            var (density, report) = StationarySolve.FokkerPlanck(solver, 1e-12);
            SpectralGapEstimate gap = report.Gap!;
            double measured = density.Covariance()[0, 0];
            errors.Add(Math.Abs(-gap.Real - lambda));
            output.WriteLine($"{cells} cells: variance {measured:R} vs {variance:R}; λ₂ {gap.Real:R} (Ritz residual {gap.RitzResidual:G3}) vs −{lambda}; residual {report.Residual:G3}");
            Assert.True(report.Converged);
            Assert.Equal(0, report.Iterations);
            Assert.True(gap.Converged);
            Assert.Equal(variance, measured, variance * 1e-10);
            Assert.Equal(0, gap.Imaginary, 1e-9);
            Assert.Equal(1 / -gap.Real, gap.RelaxationTime!.Value, 1e-12);
        }

        // Second order in h: the discrete OU generator's gap is λ(1 − c h²/v + O(h⁴)), c ≈ 1/6 measured (40/80/160 cells:
        // errors 0.061, 0.0155, 0.0039); the bound λ h²/(4v) leaves a 1.5× margin, and halving h must divide the error by ~4.
        double h = 2 * half / 160;
        Assert.True(errors[2] < lambda * h * h / (4 * variance), $"gap error {errors[2]}");
        Assert.InRange(errors[0] / errors[1], 3.5, 4.5);
        Assert.InRange(errors[1] / errors[2], 3.5, 4.5);
    }

    [Fact]
    public void FokkerPlanck2DStationaryLawIsTheLongTimeSteppedDensity()
    {
        double eta = 0.2;
        var grid = new UniformGrid([-3.0, -3.0], [3.0, 3.0], [32, 32]);
        using var solver = new FokkerPlanckSolver(grid, QuadraticDiagonal2D(1, 2, 1, 0.5), eta, FokkerPlanckVariant.Discrete);
        var (density, report) = StationarySolve.FokkerPlanck(solver, 1e-11);
        SpectralGapEstimate gap = report.Gap!;
        var stepped = GridDensity.Gaussian(grid, [1.0, -0.5], new[,] { { 0.2, 0 }, { 0, 0.2 } });
        double dt = 0.5;
        int steps = 120;
        solver.Advance(stepped, dt, steps);
        double distance = density.Mass.Zip(stepped.Mass, (a, b) => Math.Abs(a - b)).Sum();
        output.WriteLine($"residual {report.Residual:G3}, {report.Iterations} iterations; λ₂ {gap.Real:R} ± {gap.RitzResidual:G3}; L1 to stepped {distance:G3}");
        Assert.True(report.Converged);
        Assert.True(gap.Converged);
        Assert.True(report.Residual <= 1e-11);
        Assert.True(distance < 1e-9, $"L1 distance {distance}");
    }

    [Fact]
    public void MasterEquation2DGapIsTheSlowerAxis()
    {
        double eta = 0.3;
        // resolved kernel (s = ησ = 0.3 against h = 0.21) and a box of ±6 stationary sd: the chain is the product of two
        // AR(1) chains up to the truncation and the walls (~1e-7), so λ₂ = 1 − ηλ_min = 0.7 (the slower axis)
        var grid = new UniformGrid([-2.5, -2.5], [2.5, 2.5], [24, 24]);
        using var solver = new MasterEquationSolver(grid, QuadraticDiagonal2D(1, 3, 1, 1), eta, GridBoundary.Reflecting);
        var (density, report) = StationarySolve.MasterEquation(GridDensity.PointMass(grid, [0.5, 0.5]), (p, k) => solver.Advance(p, k), eta, 1e-12, 10_000);
        var stepped = GridDensity.PointMass(grid, [-0.7, 0.2]);
        solver.Advance(stepped, 120);
        double distance = density.Mass.Zip(stepped.Mass, (a, b) => Math.Abs(a - b)).Sum();
        SpectralGapEstimate gap = report.Gap!;
        output.WriteLine($"λ₂ {gap.Real:R} ± {gap.RitzResidual:G3}, {gap.Applications} applications; L1 to stepped {distance:G3}");
        Assert.True(report.Converged);
        Assert.True(gap.Converged);
        Assert.Equal(0.7, gap.Real, 1e-4);
        Assert.True(distance < 1e-10, $"L1 distance {distance}");
    }

    [Fact]
    public void LangevinSeparable2DGapIsTheSlowerAxisCurvature()
    {
        // D diagonal and the drift separable: the generator is the Kronecker sum of the two 1-D generators, so λ₂ is the
        // 1-D axis-0 gap λ(1 − c h²/v), c ≈ 1/6 (test above): here h²/v = 0.156, bound λ h²/(4v).
        double eta = 0.2;
        var grid = new UniformGrid([-2.5, -2.5], [2.5, 2.5], [40, 40]);
        using var solver = new FokkerPlanckSolver(grid, QuadraticDiagonal2D(1, 2, 1, 0.5), eta, FokkerPlanckVariant.Langevin);
        var (_, report) = StationarySolve.FokkerPlanck(solver, 1e-10);
        SpectralGapEstimate gap = report.Gap!;
        double h = 5.0 / 40, v = eta / 2;
        output.WriteLine($"λ₂ {gap.Real:R} ± {gap.RitzResidual:G3}, {gap.Applications} solves");
        Assert.True(gap.Converged);
        Assert.InRange(-gap.Real, 1 - h * h / (4 * v), 1);
        Assert.Equal(1 / -gap.Real / eta, gap.RelaxationSteps!.Value, 1e-9);
    }

    [Fact]
    public void RingWithConstantDriftHasTheCirculantComplexGap()
    {
        // Constant drift F on a ring: the generator is circulant, rates a = D B(z)/h² one way and b = D B(−z)/h² the
        // other (z = hF/D), eigenvalues (a + b)(cos θ − 1) ± i (b − a) sin θ at θ = 2πk/n; λ₂ is the k = ±1 pair. A
        // circulant matrix is normal, so the eigenvalue error is at most the Ritz residual (≤ 1e-9) times |λ|.
        const double F = 0.8, Eta = 0.1, Sigma2 = 0.5;
        int n = 200;
        var grid = new UniformGrid([-1.0], [1.0], [n]);
        var tilt = GridLandscape.Wrap(new SgdDynamics.Kernels.Landscapes.QuadraticField(1, 0, 0, 0, F, 0, Sigma2, 0, 0, 0, 0));
        using var solver = new FokkerPlanckSolver(grid, tilt, Eta, FokkerPlanckVariant.Langevin, boundary: GridBoundary.Periodic);
        var (_, report) = StationarySolve.FokkerPlanck(solver, 1e-12);
        SpectralGapEstimate gap = report.Gap!;
        double d = Eta * Sigma2 / 2, h = 2.0 / n, z = h * F / d;
        double a = d * SgdDynamics.Kernels.Grids.FokkerPlanckKernels.Bernoulli(z) / (h * h);
        double b = d * SgdDynamics.Kernels.Grids.FokkerPlanckKernels.Bernoulli(-z) / (h * h);
        double theta = 2 * Math.PI / n;
        double re = (a + b) * (Math.Cos(theta) - 1), im = Math.Abs((b - a) * Math.Sin(theta));
        output.WriteLine($"λ₂ {gap.Real:R} {gap.Imaginary:R}i ± {gap.RitzResidual:G3} vs {re:R} ± {im:R}i; {gap.Applications} solves");
        Assert.True(report.Converged);
        Assert.True(gap.Converged);
        double scale = Math.Sqrt(re * re + im * im);
        Assert.Equal(re, gap.Real, 1e-8 * scale);
        Assert.Equal(im, Math.Abs(gap.Imaginary), 1e-8 * scale);
        Assert.Equal(-1 / re, gap.RelaxationTime!.Value, 1e-6 / -re);
    }

    [Fact]
    public void UnconvergedPowerIterationIsAFailureNotANumber()
    {
        var problem = ProblemBuilder.Quadratic(new[,] { { 1.0 } }, new[,] { { 1.0 } }, 0.1, [0.3]);
        var algorithm = new MasterEquationAlgorithm(new GridSpec([-2.0], [2.0], [100]), 5, boundary: GridBoundary.Reflecting) { Stationary = true };
        GridResult result = StationarySolve.Run(problem, algorithm);
        Assert.False(result.Stationary!.Converged);
        Assert.Null(result.Stationary.Gap);
        Assert.Contains("did not converge", result.Failure);
        Assert.Equal(5, result.Stationary.Iterations);
    }
}
