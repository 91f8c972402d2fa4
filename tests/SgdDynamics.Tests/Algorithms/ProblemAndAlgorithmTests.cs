using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Tests.Algorithms;

/// <summary>
/// A <see cref="Problem"/> says what is simulated and an <see cref="Algorithm"/> how: one problem value is handed to an
/// ensemble, the master equation and the exact theory, and the algorithms check their own parameters.
/// </summary>
public sealed class ProblemAndAlgorithmTests
{
    private const double Eta = 0.1;
    private const double Lambda = 1.0;
    private const double Sigma2 = 1.0;
    private const int Steps = 50;
    private const int Every = 10;

    // x₀ = 1.005 is a cell centre of the grid below (spacing 0.01), so the master equation's point mass starts exactly there.
    private static readonly Problem Quadratic = ProblemBuilder.Quadratic(new double[,] { { Lambda } }, new double[,] { { Sigma2 } }, Eta, [1.005]);

    private static readonly GridSpec Box = new([-6.0], [6.0], [1200]);

    /// <summary>
    /// The same problem through an ensemble of 2¹⁶ trajectories and through the master equation, against the exact
    /// moments at every record. Ensemble: |z| &lt; 5 with the closed-form standard errors of the mean and of the sample
    /// variance (10 comparisons, false-alarm rate ≤ 10 × 5.7e-7). Master equation (deterministic): its one-step kernel is
    /// the Gaussian of variance η²σ² sampled at cell centres (aliasing ~exp(−2π²(ησ/h)²), nil at ησ/h = 10) and cut at
    /// T = 6 standard deviations, which lowers the noise variance by the factor 1 − 2Tφ(T)/(1 − 2Φ(−T)) = 1 − 7.29e-8;
    /// all variance comes from that noise (point start), so the variance is low by at most 7.29e-8 relative. A window of
    /// whole cells can be one cell longer on one side, moving the mean by at most T·h·φ(T) = 3.6e-10 a step, at most
    /// 3.6e-10/(ηλ) = 3.6e-9 in all under the contraction 1 − ηλ.
    /// </summary>
    [Fact]
    public void OneProblemIsSolvedByAnEnsembleTheMasterEquationAndTheTheory()
    {
        var record = new RecordSpec(Every);
        var ensemble = new EnsembleAlgorithm(1 << 16, Steps, seed: 808, record);
        var master = new MasterEquationAlgorithm(Box, Steps, record, GridBoundary.Reflecting);
        Assert.Equal(ensemble.RecordSteps, master.RecordSteps);

        IReadOnlyList<MomentRecord> exact = QuadraticMomentTheory.Recursion(Quadratic, ensemble.RecordSteps);
        EnsembleResult trajectories;
        using (var backend = new ManagedBackend())
        {
            trajectories = EnsembleSolver.Solve(Quadratic, ensemble, backend);
        }

        GridResult density = GridRunner.Run(Quadratic, master);
        Assert.Same(Quadratic, trajectories.Problem);
        Assert.Same(ensemble, trajectories.Algorithm);
        Assert.Same(master, density.Algorithm);

        const double truncation = 7.29e-8, meanShift = 3.6e-9;
        for (int r = 1; r < exact.Count; r++)
        {
            var moments = trajectories.Records[r].Moments;
            double mean = exact[r].Mean[0], variance = exact[r].Covariance[0, 0];
            Assert.Equal(exact[r].Step, trajectories.Records[r].Step);
            Assert.True(Math.Abs(moments.Mean[0] - mean) < 5 * moments.MeanStandardError[0], $"step {exact[r].Step}: ensemble mean {moments.Mean[0]} vs {mean}");
            Assert.True(
                Math.Abs(moments.Covariance[0, 0] - variance) < 5 * moments.VarianceStandardError[0],
                $"step {exact[r].Step}: ensemble variance {moments.Covariance[0, 0]} vs {variance}");

            GridRecord grid = density.Records[r];
            Assert.Equal(exact[r].Step, grid.Step);
            Assert.True(Math.Abs(grid.Mean[0] - mean) <= meanShift, $"step {grid.Step}: master-equation mean {grid.Mean[0]} vs {mean}");
            Assert.True(
                Math.Abs(grid.Covariance[0, 0] - variance) <= truncation * variance,
                $"step {grid.Step}: master-equation variance {grid.Covariance[0, 0]} vs {variance} (relative bound {truncation:G3})");
        }
    }

    [Fact]
    public void AGridOfAnotherDimensionIsRejectedByTheRunner()
    {
        var planar = new MasterEquationAlgorithm(new GridSpec([-1.0, -1.0], [1.0, 1.0], [8, 8]), 3);
        var error = Assert.Throws<ArgumentException>(() => GridRunner.Run(Quadratic, planar));
        Assert.Contains("the grid has 2 dimensions, the problem 1", error.Message);
    }

    [Fact]
    public void AlgorithmsRejectImpossibleParameters()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordSpec(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleAlgorithm(0, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleAlgorithm(Limits.MaxTrajectories + 1, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleAlgorithm(100, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleAlgorithm(100, 10, 1, divergenceThreshold: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MasterEquationAlgorithm(Box, 10, truncationSigmas: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FokkerPlanckAlgorithm(Box, 10, FokkerPlanckVariant.Discrete, substeps: 0));
        Assert.Throws<ArgumentException>(() => new FokkerPlanckAlgorithm(Box, 10, FokkerPlanckVariant.Discrete, boundary: GridBoundary.Absorbing));
        var tails = Assert.Throws<ArgumentException>(() => new MasterEquationAlgorithm(Box, 10, new RecordSpec(5, tails: true)));
        Assert.Contains("tail estimates need trajectories", tails.Message);
        Assert.Throws<ArgumentException>(() => new GridSpec([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [2, 2, 2]));
    }

    [Fact]
    public void WithoutARecordScheduleOnlyTheStartAndTheEndAreRecorded()
    {
        Assert.Equal([0, 40], new EnsembleAlgorithm(10, 40, 1).RecordSteps);
        Assert.Equal([0, 7, 14, 21, 28, 35, 40], new EnsembleAlgorithm(10, 40, 1, new RecordSpec(7)).RecordSteps);
        Assert.Equal("ensemble", new EnsembleAlgorithm(10, 40, 1).TypeName);
        Assert.Equal("masterEquation", new MasterEquationAlgorithm(Box, 40).TypeName);
        Assert.Equal("fokkerPlanck", new FokkerPlanckAlgorithm(Box, 40, FokkerPlanckVariant.Langevin).TypeName);
    }
}
