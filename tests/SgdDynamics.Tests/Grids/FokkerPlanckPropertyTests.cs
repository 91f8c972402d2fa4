using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Grids;

/// <summary>
/// Randomised properties of the Fokker–Planck solver (hand-rolled generators, fixed seeds): for random landscapes,
/// boxes, resolutions, learning rates and starts, both variants conserve mass (zero-flux walls) to 1e-12 and, where the
/// scheme is monotone (an M-matrix: every backward-Euler step maps non-negative masses to non-negative masses), keep
/// the density non-negative up to the iterative solve's tolerance in 2-D.
/// </summary>
public class FokkerPlanckPropertyTests
{
    private static GridLandscape RandomLandscape(Random random, int dimension)
    {
        if (dimension == 1)
        {
            return random.Next(3) switch
            {
                0 => GridLandscape.DoubleWell(0.1 + random.NextDouble()),
                _ => GridLandscape.From(ProblemBuilder.Quadratic(
                    new[,] { { 0.2 + 2 * random.NextDouble() } }, new[,] { { 0.1 + random.NextDouble() } }, 0.1, [0.0],
                    linearTerm: [random.NextDouble() - 0.5], curvatureNoiseStd: [0.5 * random.NextDouble()]).Quadratic),
            };
        }

        if (random.Next(2) == 0)
        {
            return GridLandscape.RingValley(0.5 + random.NextDouble(), 0.2 + random.NextDouble());
        }

        double a = 0.3 + random.NextDouble(), b = 0.3 + random.NextDouble(), c = 0.3 * (random.NextDouble() - 0.5);
        double s = 0.1 + random.NextDouble(), t = 0.1 + random.NextDouble(), u = 0.5 * Math.Sqrt(s * t) * (random.NextDouble() - 0.5);
        return GridLandscape.From(ProblemBuilder.Quadratic(new[,] { { a, c }, { c, b } }, new[,] { { s, u }, { u, t } }, 0.1, [0.0, 0.0]).Quadratic);
    }

    [Fact]
    public void MassIsConservedAndPositiveIn1D()
    {
        var random = new Random(41);
        for (int trial = 0; trial < 24; trial++)
        {
            double half = 1.5 + 3 * random.NextDouble();
            var grid = new UniformGrid([-half], [half * (0.7 + 0.6 * random.NextDouble())], [32 + random.Next(480)]);
            double eta = 0.02 + 0.5 * random.NextDouble();
            var variant = trial % 2 == 0 ? FokkerPlanckVariant.Langevin : FokkerPlanckVariant.Discrete;
            var solver = new FokkerPlanckSolver(grid, RandomLandscape(random, 1), eta, variant, scheme: FokkerPlanckScheme.BackwardEuler);
            Assert.True(solver.IsMonotone, $"trial {trial}: the 1-D Scharfetter–Gummel scheme is monotone by construction");
            var density = GridDensity.PointMass(grid, [half * (random.NextDouble() - 0.5)]);
            double dt = eta / (1 + random.Next(4));
            for (int step = 0; step < 30; step++)
            {
                solver.Advance(density, step * dt, dt);
                Assert.True(Math.Abs(density.TotalMass - 1) < 1e-12, $"trial {trial} step {step}: mass {density.TotalMass:R}");
                Assert.All(density.Mass, m => Assert.True(m >= 0 && double.IsFinite(m), $"trial {trial} step {step}: mass {m}"));
            }

            Assert.Equal(0.0, density.LostMass);
        }
    }

    [Fact]
    public void MassIsConservedAndPositiveIn2D()
    {
        var random = new Random(43);
        for (int trial = 0; trial < 8; trial++)
        {
            var grid = new UniformGrid([-2 - random.NextDouble(), -2], [2, 2 + random.NextDouble()], [16 + random.Next(24), 16 + random.Next(24)]);
            double eta = 0.05 + 0.3 * random.NextDouble();
            var variant = trial % 2 == 0 ? FokkerPlanckVariant.Langevin : FokkerPlanckVariant.Discrete;
            var solver = new FokkerPlanckSolver(grid, RandomLandscape(random, 2), eta, variant, scheme: FokkerPlanckScheme.BackwardEuler);
            var density = GridDensity.Gaussian(grid, [0.5 * (random.NextDouble() - 0.5), 0.5 * (random.NextDouble() - 0.5)], new[,] { { 0.3, 0.0 }, { 0.0, 0.2 } });
            for (int step = 0; step < 10; step++)
            {
                solver.Advance(density, step * eta, eta);
                Assert.True(Math.Abs(density.TotalMass - 1) < 1e-12, $"trial {trial} step {step}: mass {density.TotalMass:R}");

                // The 2-D step is solved by BiCGStab to a relative residual of 1e-12 (StepTolerance): a monotone scheme's exact
                // solution is non-negative, the iterate may miss it by the solve tolerance times the largest mass.
                if (solver.IsMonotone)
                {
                    double floor = -1e-10 * density.Mass.Max();
                    Assert.All(density.Mass, m => Assert.True(m >= floor, $"trial {trial} step {step}: mass {m:E3}"));
                }
            }
        }
    }
}
