using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Theory;

public class KestenTailIndexTests
{
    [Theory]
    [InlineData(1.0, 0.1)]
    [InlineData(1.0, 0.5)]
    [InlineData(2.0, 0.3)]
    [InlineData(0.5, 1.5)]
    [InlineData(3.0, 0.05)]
    [InlineData(1.0, 1.9)]
    public void AlphaIsTwoOnTheSecondMomentBoundary(double lambda, double eta)
    {
        // E(1 − ηh)² = (1 − ηλ)² + η² a² = 1 ⇔ η a² = λ(2 − ηλ)
        double a2 = SecondMomentStability.DiscreteBoundary(eta, lambda);
        var result = KestenTailIndex.Compute(eta, lambda, a2);
        Assert.Equal(TailLaw.PowerLaw, result.Law);
        Assert.True(Math.Abs(result.Alpha - 2.0) < 1e-8, $"α = {result.Alpha:R}");
        Assert.True(result.ExpectedLogMultiplier < 0.0);
        Assert.Null(result.Reason);

        // just inside and just outside the boundary the root moves continuously through 2
        double below = KestenTailIndex.Compute(eta, lambda, a2 * (1.0 - 1e-6)).Alpha;
        double above = KestenTailIndex.Compute(eta, lambda, a2 * (1.0 + 1e-6)).Alpha;
        Assert.True(below > 2.0 && below < 2.0 + 1e-4, $"inside: α = {below:R}");
        Assert.True(above < 2.0 && above > 2.0 - 1e-4, $"outside: α = {above:R}");
        Assert.True(Math.Abs((below - 2.0) + (above - 2.0)) < 1e-3 * (below - above), "α is smooth across the boundary");
    }

    [Theory]
    [InlineData(1.0, 0.1)]
    [InlineData(1.0, 0.5)]
    [InlineData(2.0, 0.3)]
    [InlineData(0.5, 1.5)]
    public void AlphaExceedsTwoInsideTheStableRegionAndFallsBelowOutside(double lambda, double eta)
    {
        double boundary = SecondMomentStability.DiscreteBoundary(eta, lambda);
        var inside = KestenTailIndex.Compute(eta, lambda, 0.5 * boundary);
        Assert.Equal(TailLaw.PowerLaw, inside.Law);
        Assert.True(inside.Alpha > 2.0 + 1e-3, $"inside: α = {inside.Alpha}");

        double outsideA2 = 1.5 * boundary;
        Assert.False(SecondMomentStability.DiscreteStable1D(eta, lambda, outsideA2));
        var outside = KestenTailIndex.Compute(eta, lambda, outsideA2);
        Assert.True(KestenTailIndex.ExpectedLogMultiplier(eta, lambda, outsideA2) < 0.0);
        Assert.Equal(TailLaw.PowerLaw, outside.Law);
        Assert.True(outside.Alpha < 2.0 - 1e-3 && outside.Alpha > 0.0, $"outside: α = {outside.Alpha}");

        // the root solves E|1 − ηh|^α = 1
        foreach (var (a2, alpha) in new[] { (0.5 * boundary, inside.Alpha), (outsideA2, outside.Alpha) })
        {
            Assert.Equal(1.0, KestenTailIndex.AbsoluteMoment(1.0 - eta * lambda, eta * Math.Sqrt(a2), alpha), 1e-12);
            Assert.Equal(1.0, KestenTailIndex.AbsoluteMomentByQuadrature(1.0 - eta * lambda, eta * Math.Sqrt(a2), alpha), 1e-10);
        }
    }

    [Fact]
    public void AlphaDecreasesWithTheCurvatureNoise()
    {
        const double eta = 0.2, lambda = 1.0;
        double previous = double.PositiveInfinity;
        foreach (double a2 in new[] { 0.25, 0.5, 1.0, 2.0, 4.0, 9.0, 16.0, 30.0 })
        {
            var result = KestenTailIndex.Compute(eta, lambda, a2);
            Assert.Equal(TailLaw.PowerLaw, result.Law);
            Assert.True(result.Alpha < previous, $"a² = {a2}: α = {result.Alpha} after {previous}");
            previous = result.Alpha;
        }
    }

    [Fact]
    public void AlphaAboveTwoExactlyWhenTheDiscreteSecondMomentIsStable()
    {
        var random = new Random(17);
        for (int trial = 0; trial < 40; trial++)
        {
            double lambda = 0.2 + 2.0 * random.NextDouble();
            double eta = 1.8 / lambda * random.NextDouble() + 0.01;
            double a2 = 3.0 * SecondMomentStability.DiscreteBoundary(eta, lambda) * random.NextDouble();
            var result = KestenTailIndex.Compute(eta, lambda, a2);
            if (result.Law != TailLaw.PowerLaw) continue;
            Assert.Equal(SecondMomentStability.DiscreteStable1D(eta, lambda, a2), result.Alpha > 2.0);
        }
    }

    [Fact]
    public void RegimesWithoutAPowerTailSayWhy()
    {
        var gaussian = KestenTailIndex.Compute(0.1, 1.0, 0.0);
        Assert.Equal(TailLaw.Gaussian, gaussian.Law);
        Assert.Equal(double.PositiveInfinity, gaussian.Alpha);
        Assert.Equal(Math.Log(0.9), gaussian.ExpectedLogMultiplier, 1e-15);
        Assert.NotNull(gaussian.Reason);

        var divergent = KestenTailIndex.Compute(2.5, 1.0, 0.0);
        Assert.Equal(TailLaw.NoStationaryLaw, divergent.Law);
        Assert.True(double.IsNaN(divergent.Alpha));

        // huge curvature noise: E log|1 − ηh| > 0
        var explosive = KestenTailIndex.Compute(0.5, 1.0, 1000.0);
        Assert.Equal(TailLaw.NoStationaryLaw, explosive.Law);
        Assert.True(explosive.ExpectedLogMultiplier > 0.0);
        Assert.True(double.IsNaN(explosive.Alpha));
        Assert.Contains("E log", explosive.Reason);
    }

    [Fact]
    public void FlatDirectionWithCurvatureNoiseHasAHeavyTailBelowTwo()
    {
        // λ = 0: E(1 − ηh)² = 1 + η² a² > 1 (the variance grows), yet E log|1 − ηh| < 0
        var result = KestenTailIndex.Compute(0.2, 0.0, 1.0);
        Assert.Equal(TailLaw.PowerLaw, result.Law);
        Assert.True(result.Alpha > 0.0 && result.Alpha < 2.0);
    }

    [Theory]
    [InlineData(0.1, 1.0)]
    [InlineData(0.5, 1.0)]
    [InlineData(0.3, 4.0)]
    public void SmallCurvatureNoiseFollowsTheSaddlePointLaw(double eta, double lambda)
    {
        // With ε = σ/μ → 0 and κ = α ε² fixed, log E|μ + σu|^α = α log|μ| + ε⁻² max_v [κ log(1 + v) − v²/2] + O(log ε),
        // v* = (√(1 + 4κ) − 1)/2; so α ε² → κ*, the root of κ (log|μ| + log(1 + v*)) = v*²/2.
        double mu = 1.0 - eta * lambda;
        double F(double kappa)
        {
            double v = 0.5 * (Math.Sqrt(1.0 + 4.0 * kappa) - 1.0);
            return kappa * (Math.Log(Math.Abs(mu)) + Math.Log(1.0 + v)) - 0.5 * v * v;
        }
        double kappaStar = MathNet.Numerics.RootFinding.Brent.FindRoot(F, 1e-6, 100.0, 1e-14);
        foreach (double a2 in new[] { 1e-8, 1e-12, 1e-20 })
        {
            double epsilon2 = eta * eta * a2 / (mu * mu);
            var result = KestenTailIndex.Compute(eta, lambda, a2);
            Assert.True(Math.Abs(result.Alpha * epsilon2 / kappaStar - 1.0) < 1e-7, $"a² = {a2}: α ε² = {result.Alpha * epsilon2:R} vs κ* = {kappaStar:R}");
        }
    }

    [Fact]
    public void CentredMultiplierGivesAlphaSigmaSquaredTendingToE()
    {
        // ηλ = 1: E|σu|^α = σ^α 2^{α/2} Γ((α + 1)/2)/√π = 1, and Stirling gives α σ² → e as σ → 0
        foreach (double a2 in new[] { 1e-8, 1e-10 })
        {
            var result = KestenTailIndex.Compute(1.0, 1.0, a2);
            Assert.True(Math.Abs(result.Alpha * a2 / Math.E - 1.0) < 10.0 * a2 * Math.Log(1.0 / a2), $"α σ² = {result.Alpha * a2}");
        }
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.3, 0.2)]
    [InlineData(-0.9, 1.0)]
    [InlineData(2.0, 3.0)]
    [InlineData(0.9, 0.05)]
    [InlineData(-1.5, 0.4)]
    public void ClosedFormAbsoluteMomentsMatchQuadrature(double mean, double std)
    {
        foreach (double p in new[] { 0.1, 0.5, 1.0, 2.0, 2.5, 7.0, 20.0 })
        {
            double closed = KestenTailIndex.LogAbsoluteMoment(mean, std, p);
            double quadrature = KestenTailIndex.LogAbsoluteMomentByQuadrature(mean, std, p);
            Assert.True(Math.Abs(closed - quadrature) < 1e-10 * Math.Max(1.0, Math.Abs(closed)),
                $"μ = {mean}, σ = {std}, p = {p}: {closed:R} vs {quadrature:R}");
        }
    }

    [Theory]
    [InlineData(0.0, 1.3)]
    [InlineData(0.7, 0.5)]
    [InlineData(-2.0, 0.1)]
    [InlineData(1.0, 1e-4)]
    [InlineData(-0.8, 1e-5)]
    public void IntegerMomentsAreThePolynomialMoments(double mean, double std)
    {
        double m2 = mean * mean, s2 = std * std;
        Assert.Equal(m2 + s2, KestenTailIndex.AbsoluteMoment(mean, std, 2.0), 1e-13 * (m2 + s2));
        double fourth = m2 * m2 + 6.0 * m2 * s2 + 3.0 * s2 * s2;
        Assert.Equal(fourth, KestenTailIndex.AbsoluteMoment(mean, std, 4.0), 1e-12 * fourth);
        Assert.Equal(fourth, KestenTailIndex.AbsoluteMomentByQuadrature(mean, std, 4.0), 1e-11 * fourth);
        Assert.Equal(1.0, KestenTailIndex.AbsoluteMoment(mean, std, 0.0));
    }

    [Fact]
    public void AbsoluteMomentsOfACentredNormalMatchTheGammaFormula()
    {
        // E|Z|^p = σ^p 2^{p/2} Γ((p + 1)/2) / √π
        foreach (double p in new[] { 0.5, 1.0, 3.0, 6.5 })
        {
            double expected = Math.Pow(0.7, p) * Math.Pow(2.0, p / 2.0) * MathNet.Numerics.SpecialFunctions.Gamma((p + 1.0) / 2.0) / Math.Sqrt(Math.PI);
            Assert.Equal(expected, KestenTailIndex.AbsoluteMoment(0.0, 0.7, p), 1e-13 * expected);
        }
        Assert.Equal(Math.Sqrt(2.0 / Math.PI), KestenTailIndex.AbsoluteMoment(0.0, 1.0, 1.0), 1e-15);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.0, 0.3)]
    [InlineData(0.5, 0.2)]
    [InlineData(-0.9, 1.5)]
    [InlineData(0.99, 0.05)]
    [InlineData(1.0, 1e-3)]
    [InlineData(2.0, 4.0)]
    public void ExpectedLogClosedFormMatchesQuadrature(double mean, double std)
    {
        double closed = KestenTailIndex.ExpectedLogAbsolute(mean, std);
        double quadrature = KestenTailIndex.ExpectedLogAbsoluteByQuadrature(mean, std);
        Assert.True(Math.Abs(closed - quadrature) < 1e-11, $"{closed:R} vs {quadrature:R}");
        if (mean == 0.0)
        {
            // E log|N(0, σ²)| = log σ − (γ + log 2) / 2
            Assert.Equal(Math.Log(std) - 0.5 * (MathNet.Numerics.Constants.EulerMascheroni + Math.Log(2.0)), closed, 1e-14);
        }

        // E log|Z| = d/dp E|Z|^p at p = 0
        const double h = 1e-5;
        double derivative = (KestenTailIndex.LogAbsoluteMoment(mean, std, 2.0 * h) - KestenTailIndex.LogAbsoluteMoment(mean, std, h)) / h;
        Assert.True(Math.Abs(derivative - closed) < 1e-3 * Math.Max(1.0, Math.Abs(closed)), $"{derivative} vs {closed}");
    }

    [Fact]
    public void ExpectedLogExpansionForSmallNoiseIsContinuousWithTheSeries()
    {
        // z = μ²/(2σ²) just below and above the switch at 10⁶; ε² = 1/(2z): E log|Z| = log|μ| − 1/(4z) − 3/(16z²) − O(z⁻³)
        const double mean = 0.9;
        foreach (double z in new[] { 0.99e6, 1.01e6 })
        {
            double value = KestenTailIndex.ExpectedLogAbsolute(mean, mean / Math.Sqrt(2.0 * z));
            Assert.Equal(Math.Log(mean) - 0.25 / z - 3.0 / (16.0 * z * z), value, 1e-13);
        }
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KestenTailIndex.Compute(0.0, 1.0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KestenTailIndex.Compute(0.1, 1.0, -1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KestenTailIndex.AbsoluteMoment(0.0, 1.0, -1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KestenTailIndex.LogAbsoluteMomentByQuadrature(1.0, 0.0, 2.0));
    }
}
