using SgdDynamics.Grids;
using SgdDynamics.Problems;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Grids;

public class FokkerPlanckTests(ITestOutputHelper output)
{
    private static GridLandscape Quadratic1D(double lambda, double sigma2) =>
        GridLandscape.From(ProblemBuilder.Quadratic(
            new[,] { { lambda } }, new[,] { { sigma2 } }, 0.1, [0.0]).Quadratic);

    private static GridLandscape QuadraticDiagonal2D(double l0, double l1, double s0, double s1) =>
        GridLandscape.From(ProblemBuilder.Quadratic(
            ProblemBuilder.Diagonal(l0, l1), ProblemBuilder.Diagonal(s0, s1), 0.1, [0.0, 0.0]).Quadratic);

    private static UniformGrid Line(double half, int cells) => new([-half], [half], [cells]);

    private static double Variance(GridDensity density) => density.Covariance()[0, 0];

    /// <summary>Variance of p ∝ (σ² + λ²x²)^(−1/(ηλ) − 1) on [−a, a] (stationary law of the discrete FP, reflected).</summary>
    private static double DiscreteFpVarianceOnBox(double lambda, double sigma2, double eta, double a)
    {
        double power = -1 / (eta * lambda) - 1;
        double Weight(double x) => Math.Pow(sigma2 + lambda * lambda * x * x, power);

        // Composite Simpson rule on 2·10⁶ intervals: error ~ h⁴ ≈ 1e-19, far below the grid errors tested.
        const int Intervals = 2_000_000;
        double h = 2 * a / Intervals, z = 0, s = 0;
        for (int k = 0; k <= Intervals; k++)
        {
            double x = -a + k * h;
            double w = (k == 0 || k == Intervals ? 1 : k % 2 == 1 ? 4 : 2) * Weight(x);
            z += w;
            s += w * x * x;
        }

        return s / z;
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void LangevinQuadraticStationaryVarianceIsEtaSigma2Over2Lambda(double eta)
    {
        // ḡ/D = 2λx/(ησ²) is linear, so the Scharfetter–Gummel equilibrium is exact at the cell centres and the
        // cell-centred variance is the midpoint rule of a Gaussian (spectrally accurate): error at rounding level.
        double lambda = 1, sigma2 = 1;
        double expected = eta * sigma2 / (2 * lambda);
        var solver = new FokkerPlanckSolver(Line(12 * Math.Sqrt(expected), 8192), Quadratic1D(lambda, sigma2), eta, FokkerPlanckVariant.Langevin);
        double variance = Variance(solver.Stationary());
        output.WriteLine($"eta {eta}: variance {variance:R}, expected {expected:R}");
        Assert.Equal(expected, variance, expected * 1e-10);
    }

    [Theory]
    [InlineData(0.1, 10.0)]
    [InlineData(0.5, 60.0)]
    public void DiscreteQuadraticStationaryVarianceIsTheDiscretePrediction(double eta, double half)
    {
        // Power-law tails |x|^(−2/(ηλ) − 2): the box [−60, 60] at η = 0.5 truncates ~2e-6 of the variance.
        // Grid error is O(h²) with h = 2·half/8192: stated tolerance 1e-4 relative (truncation included).
        double lambda = 1, sigma2 = 1;
        double expected = eta * sigma2 / (lambda * (2 - eta * lambda));
        var solver = new FokkerPlanckSolver(Line(half, 8192), Quadratic1D(lambda, sigma2), eta, FokkerPlanckVariant.Discrete);
        double variance = Variance(solver.Stationary());
        output.WriteLine($"eta {eta}: variance {variance:R}, expected {expected:R}, rel {(variance - expected) / expected:E2}");
        Assert.Equal(expected, variance, expected * 1e-4);
        Assert.Equal(0.0, solver.StationarityResidual(solver.Stationary()), 1e-12);
    }

    [Fact]
    public void DiscreteQuadraticVarianceConvergesAtSecondOrder()
    {
        // Reference: the exact variance of the reflected stationary law on the same box, so only grid error remains.
        double lambda = 1, sigma2 = 1, eta = 0.5, half = 20;
        double exact = DiscreteFpVarianceOnBox(lambda, sigma2, eta, half);
        var errors = new List<double>();
        foreach (int cells in new[] { 512, 1024, 2048, 4096 })
        {
            var solver = new FokkerPlanckSolver(Line(half, cells), Quadratic1D(lambda, sigma2), eta, FokkerPlanckVariant.Discrete);
            errors.Add(Math.Abs(Variance(solver.Stationary()) - exact));
            output.WriteLine($"cells {cells}: error {errors[^1]:E3}");
        }

        for (int k = 1; k < errors.Count; k++)
        {
            double ratio = errors[k - 1] / errors[k];
            Assert.InRange(ratio, 3.6, 4.4);
        }
    }

    [Fact]
    public void LangevinDoubleWellStationaryIsGibbsAndConvergesAtSecondOrder()
    {
        // ησ² = 0.2 (T = 0.1): the wells at ±1 have width √(T/L'') ≈ 0.22. L1 error of the cell masses against the
        // Gibbs weights exp(−2L(x_i)/(ησ²)) normalised on the same cells; it falls as h².
        double eta = 0.1, sigma2 = 2;
        var landscape = GridLandscape.DoubleWell(sigma2);
        var errors = new List<double>();
        foreach (int cells in new[] { 512, 1024, 2048, 4096, 8192 })
        {
            var grid = Line(2.5, cells);
            var solver = new FokkerPlanckSolver(grid, landscape, eta, FokkerPlanckVariant.Langevin);
            var density = solver.Stationary();
            var gibbs = new double[cells];
            for (int i = 0; i < cells; i++)
            {
                gibbs[i] = Math.Exp(-2 * landscape.Loss([grid.Centre(0, i)]) / (eta * sigma2));
            }

            double total = gibbs.Sum();
            errors.Add(Enumerable.Range(0, cells).Sum(i => Math.Abs(density.Mass[i] - gibbs[i] / total)));
            output.WriteLine($"cells {cells}: L1 error {errors[^1]:E3}");
        }

        Assert.True(errors[^1] < 1e-6, $"L1 error at 8192 cells {errors[^1]:E3}");
        for (int k = 1; k < errors.Count; k++)
        {
            Assert.InRange(errors[k - 1] / errors[k], 3.6, 4.4);
        }
    }

    [Fact]
    public void ImplicitSteps1DConserveMassAndPositivity()
    {
        double eta = 0.1;
        var grid = Line(2.5, 8192);
        var solver = new FokkerPlanckSolver(grid, GridLandscape.DoubleWell(2), eta, FokkerPlanckVariant.Discrete, scheme: FokkerPlanckScheme.BackwardEuler);
        var density = GridDensity.PointMass(grid, [-1.7]);
        solver.Advance(density, eta, 2000);
        Assert.Equal(1.0, density.TotalMass, 1e-12);
        Assert.True(density.Mass.Min() >= 0);
        Assert.Equal(0.0, density.LostMass);
    }

    [Fact]
    public void ImplicitSteps2DConserveMassAndPositivity()
    {
        double eta = 0.1;
        var grid = new UniformGrid([-2, -2], [2, 2], [64, 64]);
        var solver = new FokkerPlanckSolver(grid, GridLandscape.RingValley(1, 1), eta, FokkerPlanckVariant.Langevin, scheme: FokkerPlanckScheme.BackwardEuler);
        Assert.True(solver.IsMonotone);
        var density = GridDensity.PointMass(grid, [0.3, -1.2]);
        solver.Advance(density, eta, 300);
        Assert.Equal(1.0, density.TotalMass, 1e-12);
        Assert.True(density.Mass.Min() >= -1e-12, $"min mass {density.Mass.Min():E3}");
        Assert.Equal(0.0, density.LostMass);

        var discrete = new FokkerPlanckSolver(grid, GridLandscape.RingValley(1, 1), eta, FokkerPlanckVariant.Discrete, scheme: FokkerPlanckScheme.BackwardEuler);
        var other = GridDensity.PointMass(grid, [0.3, -1.2]);
        discrete.Advance(other, eta, 300);
        Assert.Equal(1.0, other.TotalMass, 1e-12);
        output.WriteLine($"discrete 2-D monotone {discrete.IsMonotone}, min mass {other.Mass.Min():E3}");
    }

    [Fact]
    public void LangevinOuVarianceFollowsTheExactFormulaAtFirstOrderInDt()
    {
        // dX = −λX dt + √(ησ²) dW: v(t) = v∞ + (v₀ − v∞)e^(−2λt), v∞ = ησ²/(2λ); mean m(t) = m₀e^(−λt).
        double lambda = 1, sigma2 = 1, eta = 0.1, v0 = 0.5, m0 = 0.5, t = 1;
        double vInf = eta * sigma2 / (2 * lambda);
        double vExact = vInf + (v0 - vInf) * Math.Exp(-2 * lambda * t);
        var grid = Line(6, 4096);
        var solver = new FokkerPlanckSolver(grid, Quadratic1D(lambda, sigma2), eta, FokkerPlanckVariant.Langevin, scheme: FokkerPlanckScheme.BackwardEuler);
        var errors = new List<double>();
        foreach (int steps in new[] { 500, 1000, 2000 })
        {
            var density = GridDensity.Gaussian(grid, [m0], new[,] { { v0 } });
            solver.Advance(density, t / steps, steps);
            errors.Add(Math.Abs(Variance(density) - vExact));
            output.WriteLine($"dt {t / steps}: variance error {errors[^1]:E3}, mean error {density.Mean()[0] - m0 * Math.Exp(-lambda * t):E3}");
            Assert.Equal(m0 * Math.Exp(-lambda * t), density.Mean()[0], 2.0 * t / steps);
        }

        Assert.True(errors[^1] < 1e-3 * vExact * 2, $"variance error {errors[^1]:E3}");
        Assert.InRange(errors[0] / errors[1], 1.8, 2.2);
        Assert.InRange(errors[1] / errors[2], 1.8, 2.2);
    }

    [Fact]
    public void Quadratic2DStationaryCovarianceMatchesLangevinAndDiscretePredictions()
    {
        double eta = 0.1, l0 = 1, l1 = 2, s0 = 1, s1 = 0.5;
        var landscape = QuadraticDiagonal2D(l0, l1, s0, s1);
        var grid = new UniformGrid([-1.6, -1.2], [1.6, 1.2], [160, 160]);

        var langevin = new FokkerPlanckSolver(grid, landscape, eta, FokkerPlanckVariant.Langevin);
        var p = langevin.Stationary(1e-10);
        Assert.True(langevin.StationarityResidual(p) <= 1e-10);
        double[,] c = p.Covariance();
        output.WriteLine($"Langevin: {c[0, 0]:R} {c[1, 1]:R} {c[0, 1]:E2}");
        // HC + CH = ηΣ with diagonal H, Σ: C_ii = ησ_i²/(2λ_i); exact SG equilibrium → rounding-level error.
        Assert.Equal(eta * s0 / (2 * l0), c[0, 0], 1e-7);
        Assert.Equal(eta * s1 / (2 * l1), c[1, 1], 1e-7);
        Assert.Equal(0.0, c[0, 1], 1e-9);

        var discrete = new FokkerPlanckSolver(grid, landscape, eta, FokkerPlanckVariant.Discrete);
        var q = discrete.Stationary(1e-10);
        double[,] cd = q.Covariance();
        double e0 = eta * s0 / (l0 * (2 - eta * l0)), e1 = eta * s1 / (l1 * (2 - eta * l1));
        output.WriteLine($"Discrete: {cd[0, 0]:R} vs {e0:R}, {cd[1, 1]:R} vs {e1:R}, {cd[0, 1]:E2}; monotone {discrete.IsMonotone}, min {q.Mass.Min():E2}");
        // Grid accuracy O(h²), h = 0.02 / 0.015: stated tolerance 1e-3 relative per mode.
        Assert.Equal(e0, cd[0, 0], e0 * 1e-3);
        Assert.Equal(e1, cd[1, 1], e1 * 1e-3);
        Assert.Equal(0.0, cd[0, 1], 1e-5);
    }

    [Fact]
    public void BernoulliFunctionIsSmoothAcrossTheSeriesSwitch()
    {
        foreach (double z in new[] { 9.999e-3, 1.0001e-2, -9.999e-3, -1.0001e-2 })
        {
            Assert.Equal(z / (Math.Exp(z) - 1), SgdDynamics.Kernels.Grids.FokkerPlanckKernels.Bernoulli(z), 1e-13);
        }

        Assert.Equal(1.0, SgdDynamics.Kernels.Grids.FokkerPlanckKernels.Bernoulli(0));
        Assert.Equal(800.0, SgdDynamics.Kernels.Grids.FokkerPlanckKernels.Bernoulli(-800), 1e-12);
        Assert.Equal(0.0, SgdDynamics.Kernels.Grids.FokkerPlanckKernels.Bernoulli(800), 1e-300);
    }
}
