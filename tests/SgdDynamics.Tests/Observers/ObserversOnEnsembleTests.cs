using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Observers;
using SgdDynamics.Problems;
using SgdDynamics.Tests.Ensembles;
using Xunit.Abstractions;

namespace SgdDynamics.Tests.Observers;

/// <summary>
/// The observers on engine output: a 2-D quadratic whose Hessian has a flat (λ = 0) and a confined (λ = 1)
/// eigenvector, rotated by 30° away from the axes, with isotropic noise Σ = I, η = 1/2, from the origin. Along the
/// flat mode the variance grows with D = ησ²/2 = 1/4; along the confined one it settles at
/// ησ²/(λ(2 − ηλ)) = 1/3; each coordinate mixes both, so it is diffusive with D = (1/4)·(share of the flat mode).
/// </summary>
[Collection(EnsembleCollection.Name)]
public class ObserversOnEnsembleTests(ITestOutputHelper output)
{
    private static readonly double Angle = Math.PI / 6;

    /// <summary>
    /// Runs the rotated quadratic with <paramref name="trajectories"/> trajectories (seed 41) for <paramref name="steps"/>
    /// steps, recording by <paramref name="record"/> (null: the start and the end only).
    /// </summary>
    private static EnsembleResult Run(long trajectories, int steps, RecordSpec? record, bool keepFinalStates)
    {
        double c = Math.Cos(Angle), s = Math.Sin(Angle);
        var rotation = Matrix<double>.Build.DenseOfArray(new double[,] { { c, -s }, { s, c } });
        Matrix<double> hessian = rotation * Matrix<double>.Build.DenseOfDiagonalArray([0.0, 1.0]) * rotation.Transpose();
        Problem problem = ProblemBuilder.Quadratic(hessian.ToArray(), ProblemBuilder.Diagonal(1.0, 1.0), 0.5, [0.0, 0.0]);
        var ensemble = new EnsembleAlgorithm(trajectories, steps, seed: 41, record: record);
        using var backend = new ManagedBackend();
        return EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: keepFinalStates);
    }

    [Fact]
    public void EigenmodesOfARotatedQuadraticAreClassified()
    {
        EnsembleResult result = Run(1 << 16, 200, new RecordSpec(5), keepFinalStates: true);
        var projection = new EigenmodeProjection(result.Problem.Quadratic.Hessian);
        Assert.Equal(0.0, projection.Eigenvalues[0], 12);
        Assert.Equal(1.0, projection.Eigenvalues[1], 12);
        // The flat eigenvector is (cos 30°, sin 30°), the confined one (−sin 30°, cos 30°) with its largest component positive.
        Assert.Equal(Math.Cos(Angle), projection.Eigenvector(0)[0], 12);
        Assert.Equal(Math.Cos(Angle), projection.Eigenvector(1)[1], 12);

        RegimeClassification flat = RegimeClassifier.Classify(projection.Series(result.Records, 0));
        RegimeClassification confined = RegimeClassifier.Classify(projection.Series(result.Records, 1));
        output.WriteLine($"flat mode: {flat.Regime} {flat.Value:G5} ± {flat.StandardError:G3}; {flat.Reason}");
        output.WriteLine($"confined mode: {confined.Regime} {confined.Value:G5} ± {confined.StandardError:G3}; {confined.Reason}");
        Assert.Equal(Regime.Diffusive, flat.Regime);
        Assert.True(Math.Abs(flat.Value - 0.25) < 5 * flat.StandardError, $"D = {flat.Value} ± {flat.StandardError}");
        Assert.Equal(Regime.Confined, confined.Regime);
        Assert.True(Math.Abs(confined.Value - 1.0 / 3.0) < 5 * confined.StandardError, $"v = {confined.Value} ± {confined.StandardError}");

        // Coordinate x₀ = cos 30° · flat − sin 30° · confined: diffusive with D = cos² 30° / 4 = 3/16.
        RegimeClassification x0 = RegimeClassifier.Classify(result.Records, 0);
        output.WriteLine($"x0: {x0.Regime} {x0.Value:G5} ± {x0.StandardError:G3}; {x0.Reason}");
        Assert.Equal(Regime.Diffusive, x0.Regime);
        Assert.True(Math.Abs(x0.Value - 3.0 / 16.0) < 5 * x0.StandardError);

        // Final states and final moments give the same mode variances (the same float states, summed two ways);
        // the projections are Gaussian, so the fourth-moment and Gaussian errors agree to their sampling error.
        ModeVariance[] fromStates = projection.FromFinalStates(result);
        ModeVariance[] fromMoments = projection.FromMoments(result.Final.Moments);
        for (int mode = 0; mode < 2; mode++)
        {
            Assert.Equal(fromMoments[mode].Variance, fromStates[mode].Variance, fromMoments[mode].Variance * 1e-9);
            Assert.Equal(result.Range.Count, fromStates[mode].Count);
            Assert.Equal(0, fromStates[mode].Excluded);
            Assert.InRange(fromStates[mode].StandardError / fromMoments[mode].StandardError, 0.9, 1.1);
        }
    }

    [Fact]
    public void FinalStatesAreRequiredForTheFourthMomentError()
    {
        EnsembleResult result = Run(1 << 10, 10, record: null, keepFinalStates: false);
        var projection = new EigenmodeProjection(result.Problem.Quadratic.Hessian);
        Assert.Throws<InvalidOperationException>(() => projection.FromFinalStates(result));
    }
}
