using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Theory;
using SgdDynamics.Tests.Ensembles;

namespace SgdDynamics.Tests.Theory;

/// <summary>
/// The ensemble of minibatch SGD with replacement on finite-sum least squares against its exact moment recursion
/// (<see cref="LeastSquaresMomentTheory"/>), at every record: z-scores of the mean and the variance of each coordinate
/// with the ensemble's own standard errors (√(C_ii/N), √((m₄ − m₂²)/N)). 2 coordinates × 2 moments × 7 records = 28 scores,
/// each bounded by 4.5 (two-sided 6.8e-6, a family-wise false-alarm rate of 2e-4 before the seed was fixed).
/// </summary>
[Collection(EnsembleCollection.Name)]
public class LeastSquaresEnsembleAgreementTests
{
    [Theory]
    [InlineData(1, 0.4)]
    [InlineData(2, 0.6)]
    public void EnsembleMomentsEqualTheExactRecursionAtEveryRecord(int batch, double eta)
    {
        var spec = (LeastSquaresLandscapeSpec)new LeastSquaresLandscapeRegistration().Example with { BatchSize = batch };
        Problem problem = ProblemBuilder.Of(spec, new SgdSpec(eta), [1.0, -1.0], ProblemBuilder.Diagonal(0.2, 0.1));
        var ensemble = new EnsembleAlgorithm(trajectories: 1 << 17, steps: 60, seed: 71, record: new RecordSpec(10));
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend);
        }

        IReadOnlyList<MomentRecord> theory = LeastSquaresTheoryAdapter.Recursion(problem, [.. result.Records.Select(r => r.Step)]);
        for (int r = 0; r < result.Records.Count; r++)
        {
            var moments = result.Records[r].Moments;
            Assert.Equal(0, moments.Diverged);
            for (int i = 0; i < 2; i++)
            {
                double zMean = (moments.Mean[i] - theory[r].Mean[i]) / moments.MeanStandardError[i];
                Assert.True(Math.Abs(zMean) < 4.5, $"step {theory[r].Step}, x{i}: mean {moments.Mean[i]:G6} vs {theory[r].Mean[i]:G6}, z = {zMean:F2}");
                if (moments.VarianceStandardError[i] > 0)
                {
                    double zVariance = (moments.Covariance[i, i] - theory[r].Covariance[i, i]) / moments.VarianceStandardError[i];
                    Assert.True(Math.Abs(zVariance) < 4.5, $"step {theory[r].Step}, x{i}: variance {moments.Covariance[i, i]:G6} vs {theory[r].Covariance[i, i]:G6}, z = {zVariance:F2}");
                }
            }
        }
    }

    [Fact]
    public void TheTheoryRefusesSamplingWithoutReplacementAndOtherRules()
    {
        var spec = (LeastSquaresLandscapeSpec)new LeastSquaresLandscapeRegistration().Example;
        Assert.Null(LeastSquaresTheoryAdapter.Refusal(ProblemBuilder.Of(spec, new SgdSpec(0.1), [0.0, 0.0])));
        Assert.Contains("with replacement", LeastSquaresTheoryAdapter.Refusal(ProblemBuilder.Of(spec with { WithoutReplacement = true }, new SgdSpec(0.1), [0.0, 0.0])), StringComparison.Ordinal);
        Assert.Contains("'momentum'", LeastSquaresTheoryAdapter.Refusal(ProblemBuilder.Of(spec, new HeavyBallSpec(0.1, 0.5), [0.0, 0.0])), StringComparison.Ordinal);
    }

    [Fact]
    public void StationaryLawsCarryTheDiscreteAndTheLangevinCovariance()
    {
        var spec = (LeastSquaresLandscapeSpec)new LeastSquaresLandscapeRegistration().Example;
        StationaryMoments law = LeastSquaresTheoryAdapter.Stationary(ProblemBuilder.Of(spec, new SgdSpec(0.3), [0.0, 0.0]));
        Assert.True(law.Discrete.Stable);
        Assert.True(law.Langevin.Stable);
        Assert.True(law.SpectralRadius < 1);
        Assert.True(law.SpectralAbscissa < 0);

        // at a large step the second moment diverges: no covariance, a reason
        StationaryMoments unstable = LeastSquaresTheoryAdapter.Stationary(ProblemBuilder.Of(spec, new SgdSpec(2.5), [0.0, 0.0]));
        Assert.False(unstable.Discrete.Stable);
        Assert.Null(unstable.Discrete.Covariance);
        Assert.NotNull(unstable.Discrete.Reason);
        Assert.True(unstable.SpectralRadius >= 1);
    }
}
