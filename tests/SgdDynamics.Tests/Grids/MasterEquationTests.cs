using MathNet.Numerics.Distributions;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Grids;

public class MasterEquationTests
{
    private static GridLandscape Quadratic1D(double lambda, double s2, double a = 0, double b = 0) =>
        GridLandscape.From(ProblemBuilder.Quadratic(
            ProblemBuilder.Diagonal(lambda), ProblemBuilder.Diagonal(s2), 0.1, [0.0],
            linearTerm: [b], curvatureNoiseStd: [a]).Quadratic);

    private static UniformGrid Grid1D(double lower, double upper, int cells) => new([lower], [upper], [cells]);

    private static void AssertConservedAndPositive(GridDensity density, string label)
    {
        double total = density.TotalMass + density.LostMass;
        Assert.True(Math.Abs(total - 1) < 1e-12, $"{label}: grid + lost = {total:R}");
        Assert.True(density.LostMass >= 0, $"{label}: lost mass {density.LostMass}");
        Assert.All(density.Mass, m => Assert.True(m >= 0 && double.IsFinite(m), $"{label}: mass {m}"));
    }

    [Fact]
    public void MassIsConservedAndPositiveIn1D()
    {
        var random = new Random(20261123);
        for (int trial = 0; trial < 16; trial++)
        {
            var boundary = trial % 2 == 0 ? GridBoundary.Absorbing : GridBoundary.Reflecting;
            double half = 1 + 4 * random.NextDouble();
            var grid = Grid1D(-half, half * (0.5 + random.NextDouble()), 64 + random.Next(256));
            double eta = 0.05 + 1.2 * random.NextDouble();
            GridLandscape landscape = trial % 4 == 3
                ? GridLandscape.DoubleWell(random.NextDouble())
                : Quadratic1D(0.2 + 1.5 * random.NextDouble(), trial % 5 == 0 ? 0 : random.NextDouble(), 0.4 * random.NextDouble(), random.NextDouble() - 0.5);
            var solver = new MasterEquationSolver(grid, landscape, eta, boundary);
            var density = GridDensity.Gaussian(grid, [half * (random.NextDouble() - 0.5)], new[,] { { 0.05 + random.NextDouble() } });
            for (int step = 0; step < 40; step++)
            {
                solver.Step(density);
                AssertConservedAndPositive(density, $"1-D trial {trial} step {step}");
            }

            if (boundary == GridBoundary.Reflecting)
            {
                Assert.Equal(0.0, density.LostMass);
            }
        }
    }

    [Fact]
    public void MassIsConservedAndPositiveIn2D()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 8; trial++)
        {
            var boundary = trial % 2 == 0 ? GridBoundary.Absorbing : GridBoundary.Reflecting;
            var grid = new UniformGrid([-2 - random.NextDouble(), -2], [2, 2 + random.NextDouble()], [24 + random.Next(24), 24 + random.Next(24)]);
            double eta = 0.1 + 0.8 * random.NextDouble();
            GridLandscape landscape;
            if (trial % 4 == 3)
            {
                landscape = GridLandscape.RingValley(0.5 + random.NextDouble(), 0.5 * random.NextDouble());
            }
            else
            {
                double h01 = 0.4 * (random.NextDouble() - 0.5), s01 = 0.3 * (random.NextDouble() - 0.5);
                double noise = trial % 3 == 0 ? 0 : 1;
                landscape = GridLandscape.From(ProblemBuilder.Quadratic(
                    new[,] { { 0.5 + random.NextDouble(), h01 }, { h01, 0.5 + random.NextDouble() } },
                    new[,] { { noise * (0.3 + random.NextDouble()), noise * s01 }, { noise * s01, noise * (0.3 + random.NextDouble()) } },
                    eta, [0.0, 0.0],
                    linearTerm: [random.NextDouble() - 0.5, random.NextDouble() - 0.5],
                    curvatureNoiseStd: [0.3 * random.NextDouble(), 0.3 * random.NextDouble()]).Quadratic);
            }

            var solver = new MasterEquationSolver(grid, landscape, eta, boundary);
            var density = GridDensity.Gaussian(grid, [0.5 * (random.NextDouble() - 0.5), 0.3], new[,] { { 0.4, 0.1 }, { 0.1, 0.3 } });
            for (int step = 0; step < 15; step++)
            {
                solver.Step(density);
                AssertConservedAndPositive(density, $"2-D trial {trial} step {step}");
            }
        }
    }

    /// <summary>
    /// The kernel is a normalised centre-sampled Gaussian, so one step has mean μ and variance s² up to
    /// <c>exp(−2π²s²/h²)</c> (Poisson summation; below 1e-100 here) and the window truncation at T sd, which removes a
    /// relative <c>≈ 2T φ(T)</c> of the per-step variance (≈ 7e-8 at T = 6, ≈ 1e-13 at T = 8). The grid's stationary
    /// variance therefore matches <c>ησ²/(λ(2 − ηλ) − ηa²)</c> with a relative error of order <c>T e^{−T²/2}</c>,
    /// independent of h (the former Φ-difference kernel added h²/12 per step instead).
    /// </summary>
    private static double StationaryGridVariance(double eta, double lambda, double s2, double a2, int cells, double truncation = 6)
    {
        double exact = QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, lambda, s2, a2);
        double half = 12 * Math.Sqrt(exact);
        var grid = Grid1D(-half, half, cells);
        var solver = new MasterEquationSolver(grid, Quadratic1D(lambda, s2, Math.Sqrt(a2)), eta, GridBoundary.Reflecting, truncation);
        var result = solver.Stationary(GridDensity.Gaussian(grid, [0.0], new[,] { { exact } }), 1e-13, 2000);
        Assert.True(result.Converged, $"eta {eta}: change {result.FinalChange} after {result.Steps} steps");
        return result.Density.Covariance()[0, 0];
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void StationaryVarianceOfTheQuadraticMatchesTheDiscretePrediction(double eta)
    {
        double exact = eta / (2 - eta);
        Assert.Equal(exact, QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, 1, 1, 0), 14);
        double coarse = StationaryGridVariance(eta, 1, 1, 0, 256);
        double fine = StationaryGridVariance(eta, 1, 1, 0, 512);

        // no O(h²) term (which was 4e-3 relative at 256 cells): the error is the 6-sd truncation (relative ~1e-7), which
        // changes with h only through where the window edges fall
        Assert.True(Math.Abs(coarse - exact) < 2e-7 * exact, $"eta {eta}: {coarse} vs {exact}");
        Assert.True(Math.Abs(fine - exact) < 2e-7 * exact, $"eta {eta}: {fine} vs {exact}");
        Assert.True(Math.Abs(coarse - fine) < 1e-7 * exact, $"eta {eta}: {coarse} (256 cells) vs {fine} (512 cells)");

        // a wider window removes the truncation error: the remaining error is rounding
        double wide = StationaryGridVariance(eta, 1, 1, 0, 256, truncation: 8);
        Assert.True(Math.Abs(wide - exact) < 1e-11 * exact, $"eta {eta}, T = 8: {wide} vs {exact}");
    }

    [Fact]
    public void StationaryVarianceWithCurvatureNoiseMatchesTheDiscretePrediction()
    {
        double eta = 0.5, a2 = 0.1;
        double exact = QuadraticMomentTheory.DiscreteStationaryVariance1D(eta, 1, 1, a2);
        Assert.Equal(0.5 / 1.45, exact, 14);
        double grid = StationaryGridVariance(eta, 1, 1, a2, 512);
        Assert.True(Math.Abs(grid - exact) < 2e-7 * exact, $"{grid} vs {exact}");
        double wide = StationaryGridVariance(eta, 1, 1, a2, 512, truncation: 8);
        Assert.True(Math.Abs(wide - exact) < 1e-11 * exact, $"T = 8: {wide} vs {exact}");
    }

    [Fact]
    public void StationaryCovarianceIn2DMatchesTheDiscreteTheory()
    {
        double eta = 0.5;
        var problem = ProblemBuilder.Quadratic(
            new[,] { { 1.0, 0.3 }, { 0.3, 0.7 } }, new[,] { { 1.0, 0.4 }, { 0.4, 0.5 } }, eta, [0.0, 0.0],
            linearTerm: [0.2, -0.1]);
        var theory = QuadraticMomentTheory.Stationary(problem).Discrete;
        var grid = new UniformGrid([-4.0, -4.0], [4.0, 4.0], [64, 64]);
        var solver = new MasterEquationSolver(grid, GridLandscape.From(problem.Quadratic), eta, GridBoundary.Reflecting);
        var start = GridDensity.Gaussian(grid, theory.Mean!.ToArray(), theory.Covariance!.ToArray());
        var result = solver.Stationary(start, 1e-12, 400);
        Assert.True(result.Converged, $"change {result.FinalChange} after {result.Steps} steps");
        double[] mean = result.Density.Mean();
        double[,] covariance = result.Density.Covariance();

        // centre-sampled kernel: no O(h²) bias; the residual is the truncation and the box (≈ 6.5 sd), below 1e-6
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(theory.Mean[i], mean[i], 6);
            for (int j = 0; j < 2; j++)
            {
                Assert.True(Math.Abs(covariance[i, j] - theory.Covariance[i, j]) < 1e-6, $"C[{i},{j}] = {covariance[i, j]} vs {theory.Covariance[i, j]}");
            }
        }
    }

    [Fact]
    public void ZeroNoisePushForwardFollowsTheGradientStep()
    {
        double eta = 0.3, lambda = 1.0;
        var grid = Grid1D(-2, 2, 400);
        var solver = new MasterEquationSolver(grid, Quadratic1D(lambda, 0), eta);
        var density = GridDensity.PointMass(grid, [1.5]);
        double x = grid.Centre(0, (int)Math.Floor((1.5 + 2) / grid.Spacing[0]));
        for (int step = 1; step <= 10; step++)
        {
            solver.Step(density);
            x -= eta * lambda * x;
            Assert.Equal(x, density.Mean()[0], 12);
            Assert.Equal(1.0, density.TotalMass, 12);
        }

        // nonlinear landscape: one step of a point mass lands at x − η ḡ(x) exactly (cloud-in-cell is mean-preserving)
        var well = new MasterEquationSolver(grid, GridLandscape.DoubleWell(0), eta);
        var point = GridDensity.PointMass(grid, [0.4]);
        double x0 = point.Mean()[0];
        well.Step(point);
        Assert.Equal(x0 - eta * (x0 * x0 * x0 - x0), point.Mean()[0], 12);

        // 2-D linear map with a shift: the mean follows m' = (I − ηH) m − η b exactly
        var grid2 = new UniformGrid([-2.0, -2.0], [2.0, 2.0], [80, 80]);
        double[,] hessian = { { 1.0, 0.4 }, { 0.4, 0.8 } };
        double[] b = [0.1, -0.2];
        var landscape = GridLandscape.From(ProblemBuilder.Quadratic(hessian, new double[2, 2], eta, [0.0, 0.0], linearTerm: b).Quadratic);
        var solver2 = new MasterEquationSolver(grid2, landscape, eta, GridBoundary.Reflecting);
        var density2 = GridDensity.PointMass(grid2, [1.2, -0.9]);
        double[] m = density2.Mean();
        for (int step = 0; step < 8; step++)
        {
            solver2.Step(density2);
            m = [m[0] - eta * (hessian[0, 0] * m[0] + hessian[0, 1] * m[1] + b[0]), m[1] - eta * (hessian[1, 0] * m[0] + hessian[1, 1] * m[1] + b[1])];
            double[] got = density2.Mean();
            Assert.Equal(m[0], got[0], 12);
            Assert.Equal(m[1], got[1], 12);
        }
    }

    [Fact]
    public void AbsorbingBoundaryReportsTheMassThatLeaves()
    {
        double eta = 0.1, s2 = 0.5;
        var grid = Grid1D(-1, 1, 256);
        var landscape = Quadratic1D(0.5, s2, b: -2.0);
        var solver = new MasterEquationSolver(grid, landscape, eta);
        var density = GridDensity.Gaussian(grid, [0.6], new[,] { { 0.05 } });

        // one step: the lost mass is Σ_c m_c ℓ_c, ℓ_c the centre-sampled window weight outside the box over the
        // whole window's weight (computed here independently); it approximates the continuous Σ_c m_c P(N(μ_c, s²) ∉ box)
        // to the midpoint rule's O(h²) at the faces (≈ 1e-4 relative here)
        double expected = 0, continuous = 0;
        double s = eta * Math.Sqrt(s2), h = grid.Spacing[0];
        for (int c = 0; c < grid.Count; c++)
        {
            double x = grid.Centre(0, c);
            double mu = x - eta * (0.5 * x - 2.0);
            long lo = (long)Math.Floor((mu - 6 * s + 1) / h), hi = (long)Math.Floor((mu + 6 * s + 1) / h);
            double total = 0, outside = 0;
            for (long v = lo; v <= hi; v++)
            {
                double z = (-1 + (v + 0.5) * h - mu) / s;
                double w = Math.Exp(-0.5 * z * z);
                total += w;
                outside += v < 0 || v >= grid.Count ? w : 0;
            }

            expected += density.Mass[c] * outside / total;
            continuous += density.Mass[c] * (Normal.CDF(mu, s, -1) + (1 - Normal.CDF(mu, s, 1)));
        }

        Assert.True(Math.Abs(expected - continuous) < 1e-3 * continuous, $"{expected} vs continuous {continuous}");
        solver.Step(density);
        Assert.True(expected > 1e-3);
        Assert.True(Math.Abs(density.LostMass - expected) < 1e-12 * expected, $"{density.LostMass} vs {expected}");
        AssertConservedAndPositive(density, "one step");

        solver.Advance(density, 200);
        Assert.True(density.LostMass > 0.9, $"lost {density.LostMass}");
        AssertConservedAndPositive(density, "200 steps");

        // zero noise: a push-forward past the face is lost whole
        var push = new MasterEquationSolver(grid, Quadratic1D(0.0, 0.0, b: -5.0), 1.0);
        var point = GridDensity.PointMass(grid, [0.0]);
        push.Step(point);
        Assert.Equal(1.0, point.LostMass);
        Assert.Equal(0.0, point.TotalMass);
    }

    [Fact]
    public void StepsAreDeterministic()
    {
        var grid = new UniformGrid([-3.0, -3.0], [3.0, 3.0], [40, 48]);
        var solver = new MasterEquationSolver(grid, GridLandscape.RingValley(1.0, 0.3), 0.4, GridBoundary.Absorbing);
        var a = GridDensity.Gaussian(grid, [0.5, 0.0], new[,] { { 0.5, 0.1 }, { 0.1, 0.5 } });
        var b = GridDensity.Gaussian(grid, [0.5, 0.0], new[,] { { 0.5, 0.1 }, { 0.1, 0.5 } });
        solver.Advance(a, 5);
        solver.Advance(b, 5);
        Assert.Equal(a.Mass, b.Mass);
        Assert.Equal(a.LostMass, b.LostMass);
    }
}
