using System.Numerics;
using SgdDynamics.Grids;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Grids;

/// <summary>
/// The master equation of SGD on a finite data set (<see cref="FiniteDataMasterEquationSolver"/>, a mixture of affine
/// maps, and <see cref="FiniteDataMaps"/>): the minibatch law, mass under every wall, the moments against the exact
/// recursion of the mixture with the stated grid terms, and the gaps of a large-step least-squares law.
/// </summary>
public class FiniteDataMasterEquationTests(ITestOutputHelper output)
{
    /// <summary>Three 1-D maps with slopes of both signs, weights 1/4, 1/4, 1/2.</summary>
    private static readonly AffineMap[] Mixture1D =
    [
        new(0.25, [0.9], [0.3]),
        new(0.25, [-0.8], [-0.2]),
        new(0.5, [0.6], [0.5]),
    ];

    /// <summary>Three 2-D maps (non-symmetric matrices, absolute row sums ≤ 0.8, offsets ≤ 0.5): they send [−4, 4]² into [−3.7, 3.7]².</summary>
    private static readonly AffineMap[] Mixture2D =
    [
        new(0.3, [0.7, 0.1, -0.2, 0.5], [0.3, -0.2]),
        new(0.3, [0.4, -0.3, 0.25, 0.5], [-0.5, 0.4]),
        new(0.4, [-0.6, 0.15, 0.1, 0.65], [0.1, 0.5]),
    ];

    [Fact]
    public void ThreeSamplesInPairsGiveSixMultisetsWithMultinomialWeights()
    {
        double[,] a = { { 1.0 }, { 2.0 }, { -0.5 } };
        double[] y = [0.5, -1.0, 2.0];
        const double eta = 0.1;
        Assert.Equal(new BigInteger(6), FiniteDataMaps.MultisetCount(3, 2));
        Assert.Equal(new BigInteger(2002), FiniteDataMaps.MultisetCount(10, 5));
        Assert.Equal(new BigInteger(5), FiniteDataMaps.MultisetCount(5, 1));

        IReadOnlyList<AffineMap> maps = FiniteDataMaps.LeastSquares(a, y, 2, eta, 6, 1, out string? note);
        Assert.Null(note);
        Assert.Equal(6, maps.Count);
        Assert.True(Math.Abs(maps.Sum(m => m.Weight) - 1) <= 1e-15, $"weights sum to {maps.Sum(m => m.Weight):R}");

        // (2,0,0), (1,1,0), (1,0,1), (0,2,0), (0,1,1), (0,0,2): pairs {i, i} with 1/9, pairs {i, j} with 2/9
        int[][] pairs = [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]];
        for (int b = 0; b < 6; b++)
        {
            (int i, int j) = (pairs[b][0], pairs[b][1]);
            Assert.Equal(i == j ? 1.0 / 9 : 2.0 / 9, maps[b].Weight, 15);
            double h = ((a[i, 0] * a[i, 0]) + (a[j, 0] * a[j, 0])) / 2, c = ((a[i, 0] * y[i]) + (a[j, 0] * y[j])) / 2;
            Assert.Equal(1 - (eta * h), maps[b].Matrix[0], 15);
            Assert.Equal(eta * c, maps[b].Offset[0], 15);
        }

        // 2-D features: H_b = (1/B) Σ a aᵀ, the matrix I − ηH symmetric
        double[,] a2 = { { 1.0, 0.5 }, { -0.3, 2.0 }, { 0.7, 0.7 } };
        IReadOnlyList<AffineMap> maps2 = FiniteDataMaps.LeastSquares(a2, y, 2, eta, 100, 1, out note);
        Assert.Null(note);
        Assert.Equal(6, maps2.Count);
        AffineMap mixed = maps2[1]; // {0, 1}
        Assert.Equal(1 - (eta * ((1.0 + 0.09) / 2)), mixed.Matrix[0], 15);
        Assert.Equal(-eta * ((0.5 - 0.6) / 2), mixed.Matrix[1], 15);
        Assert.Equal(mixed.Matrix[1], mixed.Matrix[2]);
        Assert.Equal(eta * ((1.0 * 0.5) + (-0.3 * -1.0)) / 2, mixed.Offset[0], 15);
    }

    [Fact]
    public void WeightsOfALargerExactKernelAreTheMultinomialLaw()
    {
        // n = 4, B = 6: 84 multisets; the weights sum to 1 and the mean of H_b is the mean of a², its variance Var(a²)/B
        double[,] a = { { 0.5 }, { 1.0 }, { 1.5 }, { 2.0 } };
        double[] y = [1, 2, 3, 4];
        IReadOnlyList<AffineMap> maps = FiniteDataMaps.LeastSquares(a, y, 6, 1.0, 84, 0, out string? note);
        Assert.Null(note);
        Assert.Equal(84, maps.Count);
        Assert.True(Math.Abs(maps.Sum(m => m.Weight) - 1) <= 1e-15);
        double[] squares = [0.25, 1, 2.25, 4];
        double mean = squares.Average(), variance = squares.Sum(s => (s - mean) * (s - mean)) / 4 / 6;
        double hMean = maps.Sum(m => m.Weight * (1 - m.Matrix[0]));
        double hVariance = maps.Sum(m => m.Weight * (1 - m.Matrix[0] - hMean) * (1 - m.Matrix[0] - hMean));
        Assert.Equal(mean, hMean, 14);
        Assert.Equal(variance, hVariance, 14);
        Assert.Equal(Math.Pow(0.25, 6), maps[0].Weight, 1e-18); // (6, 0, 0, 0)
    }

    [Fact]
    public void BeyondMaxMapsTheKernelIsAMonteCarloDrawWithANote()
    {
        var random = new Random(5);
        const int n = 10, draws = 4000;
        var a = new double[n, 1];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            a[i, 0] = 0.5 + random.NextDouble();
            y[i] = random.NextDouble() - 0.5;
        }

        // B = 5: C(14, 5) = 2002 multisets, with maxMaps = 2002 exact, with 2001 sampled
        Assert.Equal(2002, FiniteDataMaps.LeastSquares(a, y, 5, 0.5, 2002, 3, out string? exactNote).Count);
        Assert.Null(exactNote);
        IReadOnlyList<AffineMap> small = FiniteDataMaps.LeastSquares(a, y, 5, 0.5, 2001, 3, out string? smallNote);
        Assert.Equal(2001, small.Count);
        Assert.Contains("Monte-Carlo", smallNote);

        // B = 8: C(17, 8) = 24310 multisets, 4000 drawn
        const int batch = 8;

        IReadOnlyList<AffineMap> maps = FiniteDataMaps.LeastSquares(a, y, batch, 0.5, draws, 3, out string? note);
        Assert.NotNull(note);
        output.WriteLine(note);
        Assert.Contains("Monte-Carlo", note);
        Assert.Contains("24310", note);
        Assert.Contains("1/√4000", note);
        Assert.Equal(draws, maps.Count);
        Assert.All(maps, m => Assert.Equal(1.0 / draws, m.Weight));

        // the same seed draws the same maps, another seed others
        IReadOnlyList<AffineMap> again = FiniteDataMaps.LeastSquares(a, y, batch, 0.5, draws, 3, out _);
        Assert.True(maps.Zip(again).All(p => p.First.Matrix[0] == p.Second.Matrix[0] && p.First.Offset[0] == p.Second.Offset[0]));
        IReadOnlyList<AffineMap> other = FiniteDataMaps.LeastSquares(a, y, batch, 0.5, draws, 4, out _);
        Assert.False(maps.Zip(other).All(p => p.First.Matrix[0] == p.Second.Matrix[0]));

        // the empirical mean of H_b is the exact one within 4 standard errors √(Var(a²)/B/draws)
        double mean = 0, variance = 0;
        for (int i = 0; i < n; i++)
        {
            mean += a[i, 0] * a[i, 0] / n;
        }

        for (int i = 0; i < n; i++)
        {
            variance += ((a[i, 0] * a[i, 0]) - mean) * ((a[i, 0] * a[i, 0]) - mean) / n;
        }

        double hMean = maps.Sum(m => m.Weight * (1 - m.Matrix[0]) / 0.5);
        double standardError = Math.Sqrt(variance / batch / draws);
        output.WriteLine($"E H: exact {mean:F6}, sampled {hMean:F6}, error {(hMean - mean) / standardError:F2} standard errors");
        Assert.True(Math.Abs(hMean - mean) < 4 * standardError);
    }

    [Theory]
    [InlineData(GridBoundary.Absorbing)]
    [InlineData(GridBoundary.Reflecting)]
    [InlineData(GridBoundary.Periodic)]
    public void MassIsConservedOrCountedAsLostIn1D(GridBoundary walls)
    {
        // slopes 1.3 and −1.1 expand, offsets push mass against both faces of [−1, 1]
        AffineMap[] maps = [new(0.4, [1.3], [0.4]), new(0.35, [-1.1], [-0.3]), new(0.25, [0.0], [0.77])];
        var grid = new UniformGrid([-1.0], [1.0], [200]);
        var solver = new FiniteDataMasterEquationSolver(grid, maps, walls);
        var density = GridDensity.Gaussian(grid, [0.1], new double[,] { { 0.09 } });
        double expected = 0;
        for (int c = 0; c < grid.Count; c++)
        {
            double x = grid.Centre(0, c);
            expected += density.Mass[c] * maps.Sum(m => m.Weight * ((m.Matrix[0] * x) + m.Offset[0] - x));
        }

        double[] displacement = [0.0];
        solver.Advance(density, 1, displacement);
        Assert.Equal(expected, displacement[0], 14);
        solver.Advance(density, 29, displacement);
        output.WriteLine($"{walls}: weights {solver.Weights}");
        AssertMassAccounted(density, walls);
    }

    [Fact]
    public void OneDimensionalMomentsFollowTheExactMixtureRecursionWithTheCellTerms()
    {
        // 1000 cells on [−5, 5], h = 0.01; the maps send [−5, 5] into [−4.2, 4.8], so nothing reaches a face
        var grid = new UniformGrid([-5.0], [5.0], [1000]);
        double h = grid.Spacing[0], h2 = h * h;
        var solver = new FiniteDataMasterEquationSolver(grid, Mixture1D, GridBoundary.Absorbing);
        var density = GridDensity.Gaussian(grid, [0.5], new double[,] { { 0.5 } });
        double mean = density.Mean()[0], variance = density.Covariance()[0, 0];

        // the piecewise-constant law: the centre mean, the centre variance + h²/12; pushed exactly through the mixture
        double exactMean = mean, exactVariance = variance + (h2 / 12);

        // the projection onto cells of a smooth image adds h²/6 to the piecewise-constant variance (Sheppard's h²/12
        // to the centre variance, plus h²/12 for the cell's uniform law) and keeps the mean
        double modelMean = mean, modelVariance = variance + (h2 / 12);
        double rho = Mixture1D.Sum(m => m.Weight * m.Matrix[0] * m.Matrix[0]), accumulated = 0;
        const int steps = 30;
        for (int k = 0; k < steps; k++)
        {
            (exactMean, exactVariance) = Push1D(exactMean, exactVariance);
            (modelMean, modelVariance) = Push1D(modelMean, modelVariance);
            modelVariance += h2 / 6;
            accumulated = (rho * accumulated) + 1;
        }

        solver.Advance(density, steps);
        Assert.Equal(0.0, density.LostMass);
        double gridMean = density.Mean()[0], gridVariance = density.Covariance()[0, 0] + (h2 / 12);
        double excess = gridVariance - exactVariance;
        output.WriteLine($"mean: grid {gridMean:R}, exact {exactMean:R}, error {gridMean - exactMean:E2} = {(gridMean - exactMean) / h:E2} h");
        output.WriteLine($"variance (piecewise constant): grid {gridVariance:R}, exact {exactVariance:R}, excess {excess / h2:F4} h², model {(modelVariance - exactVariance) / h2:F4} h² (Σρ^j = {accumulated:F4}), grid − model {(gridVariance - modelVariance) / h2:E2} h²");

        // the mean: exact to far below a cell (the images are smooth on the scale of a cell)
        Assert.True(Math.Abs(gridMean - exactMean) < 1e-4 * h, $"mean error {gridMean - exactMean:E2}");

        // the variance: above the exact by Σ_j ρ^j × (between 0 and h²/4 a step), and within 2 % of h² of the h²/6 model
        Assert.InRange(excess, 0, accumulated * h2 / 4);
        Assert.True(Math.Abs(gridVariance - modelVariance) < 0.02 * h2, $"grid − model = {(gridVariance - modelVariance) / h2:E2} h²");
    }

    [Fact]
    public void LargeStepLeastSquaresLawHasGapsThatAGaussianDoesNotHave()
    {
        // n = 5, d = 1, a_i near 1, targets spread, η = 0.9: contractions 1 − η a_i² between 0.01 and 0.19, minibatch
        // targets (y_i + y_j)/2 in clusters; one step's images of the law's hull [−3.16, 3.16] leave gaps (B = 1: about
        // [−1.97, −0.02] and its mirror image; B = 2: [−1.97, −1.59], [−0.97, −0.59] and their mirror images)
        double[,] a = { { 0.95 }, { 1.0 }, { 1.05 }, { 1.0 }, { 0.95 } };
        double[] y = [-3.0, -2.7, 0.0, 2.7, 3.0];
        var grid = new UniformGrid([-4.0], [4.0], [1600]);
        foreach (int batch in new[] { 1, 2 })
        {
            IReadOnlyList<AffineMap> maps = FiniteDataMaps.LeastSquares(a, y, batch, 0.9, 1000, 0, out string? note);
            Assert.Null(note);
            Assert.Equal(batch == 1 ? 5 : 15, maps.Count);
            var solver = new FiniteDataMasterEquationSolver(grid, maps, GridBoundary.Absorbing);
            var density = GridDensity.Gaussian(grid, [0.0], new double[,] { { 1.0 } });
            solver.Advance(density, 200);
            Assert.Equal(1.0, density.TotalMass + density.LostMass, 12);
            double[] p = density.Mass;
            double mean = density.Mean()[0], sd = Math.Sqrt(density.Covariance()[0, 0]);

            // gaps: runs of empty cells (mass below 1e-14) between occupied ones, where the Gaussian of the same mean
            // and variance puts at least 1e-4 of its mass per cell
            double top = p.Max();
            int first = Array.FindIndex(p, m => m > 1e-6 * top), last = Array.FindLastIndex(p, m => m > 1e-6 * top);
            var gaps = new List<(int From, int To, double Gaussian)>();
            for (int c = first; c <= last; c++)
            {
                if (p[c] >= 1e-14)
                {
                    continue;
                }

                int start = c;
                while (c + 1 <= last && p[c + 1] < 1e-14)
                {
                    c++;
                }

                double x = grid.Centre(0, (start + c) / 2), z = (x - mean) / sd;
                gaps.Add((start, c, Math.Exp(-0.5 * z * z) / (Math.Sqrt(2 * Math.PI) * sd) * grid.Spacing[0]));
            }

            var visible = gaps.Where(g => g.To - g.From + 1 >= 10 && g.Gaussian >= 1e-4).ToList();
            output.WriteLine($"B = {batch}: mean {mean:F4}, sd {sd:F4}, support [{grid.Centre(0, first):F3}, {grid.Centre(0, last):F3}], {gaps.Count} gaps, wide ones where a Gaussian is not small: "
                + string.Join(", ", visible.Select(g => FormattableString.Invariant($"[{grid.Centre(0, g.From):F3}, {grid.Centre(0, g.To):F3}] (Gaussian {g.Gaussian:E1} a cell)"))));
            Assert.True(visible.Count >= 2, $"B = {batch}: {visible.Count} wide gaps");

            // the gaps the maps predict: the law lives in the union of the images of its hull [L, U] (L, U the fixed
            // points of the hull's own image); every cell at least 3 cells inside a gap of that union is empty
            double lower = -10, upper = 10;
            for (int k = 0; k < 200; k++)
            {
                (lower, upper) = (maps.Min(m => Math.Min((m.Matrix[0] * lower) + m.Offset[0], (m.Matrix[0] * upper) + m.Offset[0])),
                    maps.Max(m => Math.Max((m.Matrix[0] * lower) + m.Offset[0], (m.Matrix[0] * upper) + m.Offset[0])));
            }

            var images = maps.Select(m => (Lo: Math.Min((m.Matrix[0] * lower) + m.Offset[0], (m.Matrix[0] * upper) + m.Offset[0]),
                Hi: Math.Max((m.Matrix[0] * lower) + m.Offset[0], (m.Matrix[0] * upper) + m.Offset[0]))).OrderBy(i => i.Lo).ToList();
            double reach = images[0].Hi, h = grid.Spacing[0];
            int predicted = 0;
            foreach ((double lo, double hi) in images.Skip(1))
            {
                if (lo - reach > 10 * h)
                {
                    predicted++;
                    for (int c = 0; c < grid.Count; c++)
                    {
                        double x = grid.Centre(0, c);
                        if (x > reach + (3 * h) && x < lo - (3 * h))
                        {
                            Assert.True(p[c] < 1e-14, $"B = {batch}: mass {p[c]:E2} at x = {x:F3} in the gap [{reach:F3}, {lo:F3}]");
                        }
                    }
                }

                reach = Math.Max(reach, hi);
            }

            output.WriteLine($"B = {batch}: hull [{lower:F4}, {upper:F4}], {predicted} predicted gaps wider than 10 cells, empty");
            Assert.True(predicted >= 2);
        }
    }

    [Fact]
    public void TwoDimensionalMeanIsExactAndTheCovarianceWithinTheQuadratureTerms()
    {
        // 160 × 160 cells on [−4, 4]², h = 0.05, q = 4; the maps keep [−4, 4]² inside [−3.7, 3.7]²: no face is reached
        var grid = new UniformGrid([-4.0, -4.0], [4.0, 4.0], [160, 160]);
        const int q = 4, steps = 10;
        double h2 = grid.Spacing[0] * grid.Spacing[0];
        var solver = new FiniteDataMasterEquationSolver(grid, Mixture2D, GridBoundary.Absorbing, q);
        var density = GridDensity.Gaussian(grid, [0.4, -0.3], new double[,] { { 0.5, 0.15 }, { 0.15, 0.3 } });
        double[] mean = density.Mean();
        double[,] covariance = density.Covariance();
        double dq = h2 * (1 - (1.0 / (q * q))) / 12;
        (double[] Mean, double[,] Cov) lower = (mean, covariance), model = (mean, covariance), upper = (mean, covariance);
        for (int k = 0; k < steps; k++)
        {
            lower = Push2D(lower.Mean, lower.Cov, dq, 0);
            model = Push2D(model.Mean, model.Cov, dq, h2 / 6);
            upper = Push2D(upper.Mean, upper.Cov, dq, h2 / 4);
        }

        solver.Advance(density, steps);
        Assert.Equal(0.0, density.LostMass);
        Assert.Equal(1.0, density.TotalMass, 13);
        double[] gridMean = density.Mean();
        double[,] gridCov = density.Covariance();
        output.WriteLine($"mean error ({gridMean[0] - model.Mean[0]:E2}, {gridMean[1] - model.Mean[1]:E2}); weights {solver.Weights} ({solver.Weights / (double)grid.Count:F1} a cell)");
        output.WriteLine($"covariance − (G = 0) in h²: [{(gridCov[0, 0] - lower.Cov[0, 0]) / h2:F4}, {(gridCov[0, 1] - lower.Cov[0, 1]) / h2:F4}, {(gridCov[1, 1] - lower.Cov[1, 1]) / h2:F4}]; (G = h²/6) − (G = 0): [{(model.Cov[0, 0] - lower.Cov[0, 0]) / h2:F4}, {(model.Cov[0, 1] - lower.Cov[0, 1]) / h2:F4}, {(model.Cov[1, 1] - lower.Cov[1, 1]) / h2:F4}]");
        output.WriteLine($"covariance − (G = h²/6) in h²: [{(gridCov[0, 0] - model.Cov[0, 0]) / h2:E2}, {(gridCov[0, 1] - model.Cov[0, 1]) / h2:E2}, {(gridCov[1, 1] - model.Cov[1, 1]) / h2:E2}]");

        // the mean: the exact mixture recursion to rounding
        Assert.Equal(model.Mean[0], gridMean[0], 12);
        Assert.Equal(model.Mean[1], gridMean[1], 12);

        // the covariance: between the recursions with G = 0 and G = h²/4 (positive semidefinite order), and within
        // 2 % of h² of G = h²/6
        AssertSemidefinite(Subtract(gridCov, lower.Cov), h2);
        AssertSemidefinite(Subtract(upper.Cov, gridCov), h2);
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                Assert.True(Math.Abs(gridCov[i, j] - model.Cov[i, j]) < 0.02 * h2, $"covariance [{i}, {j}]: grid − model = {(gridCov[i, j] - model.Cov[i, j]) / h2:E2} h²");
            }
        }
    }

    [Theory]
    [InlineData(GridBoundary.Absorbing)]
    [InlineData(GridBoundary.Reflecting)]
    [InlineData(GridBoundary.Periodic)]
    public void MassIsConservedOrCountedAsLostIn2D(GridBoundary walls)
    {
        // a rotation-like expanding map, a shear and a translation: mass crosses every face
        AffineMap[] maps =
        [
            new(0.4, [0.9, -0.6, 0.6, 0.9], [0.3, 0.1]),
            new(0.35, [1.2, 0.4, 0.0, 0.8], [-0.4, 0.6]),
            new(0.25, [1.0, 0.0, 0.0, 1.0], [0.55, -0.35]),
        ];
        var grid = new UniformGrid([-1.0, -1.5], [1.0, 1.5], [40, 50]);
        var solver = new FiniteDataMasterEquationSolver(grid, maps, walls, subCells: 3);
        var density = GridDensity.Gaussian(grid, [0.1, -0.2], new double[,] { { 0.1, 0.02 }, { 0.02, 0.2 } });
        double[] expected = new double[2];
        Span<double> x = stackalloc double[2];
        Span<double> y = stackalloc double[2];
        for (int c = 0; c < grid.Count; c++)
        {
            grid.Centre(c, x);
            foreach (AffineMap m in maps)
            {
                m.Apply(x, y);
                expected[0] += density.Mass[c] * m.Weight * (y[0] - x[0]);
                expected[1] += density.Mass[c] * m.Weight * (y[1] - x[1]);
            }
        }

        double[] displacement = new double[2];
        solver.Advance(density, 1, displacement);
        Assert.Equal(expected[0], displacement[0], 14);
        Assert.Equal(expected[1], displacement[1], 14);
        solver.Advance(density, 19);
        AssertMassAccounted(density, walls);
    }

    /// <summary>Mass on the grid plus lost mass is 1; absorbing walls lost most of it, the others none; no cell is negative.</summary>
    private void AssertMassAccounted(GridDensity density, GridBoundary walls)
    {
        double total = density.Mass.Sum();
        output.WriteLine($"{walls}: grid mass {total:R}, lost {density.LostMass:R}");
        if (walls == GridBoundary.Absorbing)
        {
            Assert.True(density.LostMass > 0.5, $"lost {density.LostMass}");
            Assert.Equal(1.0, total + density.LostMass, 13);
        }
        else
        {
            Assert.Equal(0.0, density.LostMass);
            Assert.Equal(1.0, total, 13);
        }

        Assert.All(density.Mass, m => Assert.True(m >= 0));
    }

    [Fact]
    public void StepsAreBitReproducibleAndAPointMapSendsTheCellWhole()
    {
        var grid = new UniformGrid([-1.0], [1.0], [100]);
        var first = new FiniteDataMasterEquationSolver(grid, Mixture1D, GridBoundary.Reflecting);
        var second = new FiniteDataMasterEquationSolver(grid, Mixture1D, GridBoundary.Reflecting);
        var a = GridDensity.Gaussian(grid, [0.2], new double[,] { { 0.1 } });
        GridDensity b = a.Copy();
        first.Advance(a, 17);
        second.Advance(b, 17);
        Assert.Equal(a.Mass, b.Mass);

        // slope 0: every cell's mass to the cell holding 0.305 (cell 65 of [−1, 1] by 0.02)
        var point = new FiniteDataMasterEquationSolver(grid, [new AffineMap(1, [0.0], [0.305])], GridBoundary.Absorbing);
        var p = GridDensity.Gaussian(grid, [0.0], new double[,] { { 0.2 } });
        double mass = p.TotalMass;
        var next = new double[grid.Count];
        Assert.Equal(0.0, point.Step(p.Mass, next));
        Assert.Equal(mass, next[65], 14);
        Assert.Equal(mass, next.Sum(), 14);

        // a pure shift by half a cell splits each cell's mass in halves
        var shift = new FiniteDataMasterEquationSolver(grid, [new AffineMap(1, [1.0], [0.01])], GridBoundary.Periodic);
        var single = new double[grid.Count];
        single[10] = 1;
        shift.Step(single, next);
        Assert.Equal(0.5, next[10], 14);
        Assert.Equal(0.5, next[11], 14);
    }

    [Fact]
    public void BadKernelsAndUnknownWallsAreRefused()
    {
        var grid = new UniformGrid([-1.0], [1.0], [10]);
        var grid2 = new UniformGrid([-1.0, -1.0], [1.0, 1.0], [10, 10]);
        NotSupportedException wall = Assert.Throws<NotSupportedException>(() => new FiniteDataMasterEquationSolver(grid, Mixture1D, (GridBoundary)7));
        Assert.Contains("wall 7", wall.Message);
        Assert.Throws<ArgumentException>(() => new FiniteDataMasterEquationSolver(grid, [new AffineMap(0.9, [1.0], [0.0])], GridBoundary.Periodic));
        Assert.Throws<ArgumentException>(() => new FiniteDataMasterEquationSolver(grid2, Mixture1D, GridBoundary.Periodic));
        Assert.Throws<ArgumentException>(() => new FiniteDataMasterEquationSolver(grid2, Mixture2D, GridBoundary.Periodic, subCells: 0));
        Assert.Throws<ArgumentException>(() => new FiniteDataMasterEquationSolver(grid, [], GridBoundary.Periodic));
        Assert.Throws<ArgumentException>(() => new FiniteDataMasterEquationSolver(grid, [new AffineMap(1, [1e300], [0.0]), ], GridBoundary.Periodic));
        Assert.Throws<ArgumentException>(() => FiniteDataMaps.LeastSquares(new double[,] { { 1.0 } }, [1.0, 2.0], 1, 0.1, 10, 0, out _));
    }

    /// <summary>One step of the exact mixture recursion for the mean and variance of a 1-D law.</summary>
    private static (double Mean, double Variance) Push1D(double mean, double variance)
    {
        double next = Mixture1D.Sum(m => m.Weight * ((m.Matrix[0] * mean) + m.Offset[0]));
        double spread = Mixture1D.Sum(m =>
        {
            double shifted = (m.Matrix[0] * mean) + m.Offset[0] - next;
            return m.Weight * ((m.Matrix[0] * m.Matrix[0] * variance) + (shifted * shifted));
        });
        return (next, spread);
    }

    /// <summary>
    /// One step of the 2-D recursion: V' = Σ_b w_b [A_b (V + D) A_bᵀ + (A_b m + o_b − m')(…)ᵀ] + G, D = diag(dq),
    /// G = diag(g), m' = Σ_b w_b (A_b m + o_b).
    /// </summary>
    private static (double[] Mean, double[,] Cov) Push2D(double[] mean, double[,] cov, double dq, double g)
    {
        var next = new double[2];
        foreach (AffineMap m in Mixture2D)
        {
            for (int i = 0; i < 2; i++)
            {
                next[i] += m.Weight * ((m.Matrix[2 * i] * mean[0]) + (m.Matrix[(2 * i) + 1] * mean[1]) + m.Offset[i]);
            }
        }

        var result = new double[2, 2];
        foreach (AffineMap m in Mixture2D)
        {
            double[] shifted = new double[2];
            for (int i = 0; i < 2; i++)
            {
                shifted[i] = (m.Matrix[2 * i] * mean[0]) + (m.Matrix[(2 * i) + 1] * mean[1]) + m.Offset[i] - next[i];
            }

            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    double s = 0;
                    for (int k = 0; k < 2; k++)
                    {
                        for (int l = 0; l < 2; l++)
                        {
                            s += m.Matrix[(2 * i) + k] * (cov[k, l] + (k == l ? dq : 0)) * m.Matrix[(2 * j) + l];
                        }
                    }

                    result[i, j] += m.Weight * (s + (shifted[i] * shifted[j]));
                }
            }
        }

        result[0, 0] += g;
        result[1, 1] += g;
        return (next, result);
    }

    private static double[,] Subtract(double[,] a, double[,] b) => new[,] { { a[0, 0] - b[0, 0], a[0, 1] - b[0, 1] }, { a[1, 0] - b[1, 0], a[1, 1] - b[1, 1] } };

    /// <summary>A symmetric 2×2 matrix is positive semidefinite, to 1e-9 of <paramref name="scale"/>.</summary>
    private static void AssertSemidefinite(double[,] m, double scale)
    {
        double slack = 1e-9 * scale;
        double trace = m[0, 0] + m[1, 1], det = (m[0, 0] * m[1, 1]) - (m[0, 1] * m[1, 0]);
        double smallest = (trace / 2) - Math.Sqrt(Math.Max(0, (trace * trace / 4) - det));
        Assert.True(smallest >= -slack, $"smallest eigenvalue {smallest / scale:E2} h² (matrix [{m[0, 0] / scale:F4}, {m[0, 1] / scale:F4}; {m[1, 0] / scale:F4}, {m[1, 1] / scale:F4}] h²)");
    }
}
