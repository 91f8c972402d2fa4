using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;
using SgdDynamics.Theory;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// (f) Non-Gibbs stationary law. With isotropic noise at one temperature the stationary covariance would be
/// proportional to H⁻¹ (Gibbs: p ∝ exp(−2L/(ησ²))). Here H has eigenvalues 1 and 4 in a basis rotated by 30°
/// and Σ = diag(1, 0.25), neither isotropic nor proportional to H. The departure from any Gibbs law is
/// <c>δ(C) = ‖d · C H / tr(C H) − I‖_F</c>, zero exactly when C ∝ H⁻¹. The ensemble's δ is compared with the
/// exact discrete stationary covariance's δ, and with 0.
/// </summary>
public sealed class NonGibbsCase : IValidationCase
{
    private const double Eta = 0.1;
    private const int Batches = 16;

    /// <inheritdoc/>
    public string Name => "non-gibbs";

    /// <summary>δ(C) = ‖d · C H / tr(C H) − I‖_F.</summary>
    public static double GibbsDeparture(Matrix<double> covariance, Matrix<double> hessian)
    {
        Matrix<double> ch = covariance * hessian;
        return (ch * (ch.RowCount / ch.Trace()) - Matrix<double>.Build.DenseIdentity(ch.RowCount)).FrobeniusNorm();
    }

    /// <inheritdoc/>
    public CaseReport Run(ValidationContext context)
    {
        var clock = Stopwatch.StartNew();
        double angle = Math.PI / 6;
        var rotation = Matrix<double>.Build.DenseOfArray(new[,] { { Math.Cos(angle), -Math.Sin(angle) }, { Math.Sin(angle), Math.Cos(angle) } });
        Matrix<double> h = rotation * Matrix<double>.Build.DenseOfDiagonalArray([1.0, 4.0]) * rotation.Transpose();
        h = (h + h.Transpose()) / 2;
        long n = context.Trajectories(1 << 18, 1 << 21);
        Problem problem = ProblemBuilder.Quadratic(h.ToArray(), ProblemBuilder.Diagonal(1.0, 0.25), Eta, [0.0, 0.0]);
        var ensemble = new EnsembleAlgorithm(n, 300, seed: 6);

        var stationary = QuadraticMomentTheory.Stationary(problem);
        double predicted = GibbsDeparture(stationary.Discrete.Covariance!, h);
        double langevin = GibbsDeparture(stationary.Langevin.Covariance!, h);
        Estimate measured = Experiments.BatchMeans(problem, ensemble, context.Backend, Batches, m => GibbsDeparture(Matrix<double>.Build.DenseOfArray(m.Covariance), h));
        string basis = $"batch means over {Batches} equal shards, SE = sd/√{Batches} (|z| ≤ 5 has a Student-t(15) false-alarm rate ≈ 2e-4)";
        var checks = new List<Check>
        {
            new("δ = ‖d·CH/tr(CH) − I‖_F vs the exact discrete stationary law", predicted, measured.Value, measured.StandardError, Expectation.Agree, Check.DefaultZ, basis),
            new("δ vs 0 (any Gibbs law, C ∝ H⁻¹)", 0, measured.Value, measured.StandardError, Expectation.Reject, Check.DefaultZ, basis),
        };
        return new CaseReport(
            Name,
            $"With Σ not proportional to H the stationary covariance is not proportional to H⁻¹: departure δ = {measured.Value:G3} ± {measured.StandardError:G2} measured, {predicted:G3} predicted by the discrete law ({langevin:G3} by Langevin).",
            checks,
            [],
            clock.Elapsed.TotalSeconds);
    }
}
