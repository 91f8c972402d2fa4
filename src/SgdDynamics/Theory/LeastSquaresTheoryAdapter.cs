using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>The exact moment theory of a least-squares problem in the form <c>sgdyn theory</c> prints and writes.</summary>
public static class LeastSquaresTheoryAdapter
{
    /// <summary>
    /// Why the exact theory does not cover <paramref name="problem"/> (a least-squares landscape), or null when it does:
    /// SGD with minibatches drawn with replacement.
    /// </summary>
    public static string? Refusal(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Landscape is not LeastSquaresLandscapeSpec spec)
        {
            return $"the least-squares theory needs a leastSquares landscape, not '{problem.Landscape.TypeName}'";
        }

        if (problem.Dynamics is not SgdSpec)
        {
            return $"the least-squares moment theory covers the sgd optimizer, not '{problem.Dynamics.TypeName}'";
        }

        return spec.WithoutReplacement
            ? "the exact moment theory covers sampling with replacement: without replacement the minibatches of an epoch depend on each other and the moments do not close (run both and compare: the 'replacement' validation case)"
            : null;
    }

    /// <summary>The theory of <paramref name="problem"/> (see <see cref="Refusal"/>).</summary>
    public static LeastSquaresMomentTheory Theory(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (Refusal(problem) is { } reason)
        {
            throw new ArgumentException(reason, nameof(problem));
        }

        var spec = (LeastSquaresLandscapeSpec)problem.Landscape;
        return new LeastSquaresMomentTheory(spec.Data.FeatureArray(), spec.Data.Targets.ToArray(), spec.BatchSize, problem.Dynamics.LearningRate);
    }

    /// <summary>Mean and covariance at <paramref name="recordSteps"/> from the problem's initial law.</summary>
    public static IReadOnlyList<MomentRecord> Recursion(Problem problem, IReadOnlyList<int> recordSteps)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return Theory(problem).Moments(problem.Initial.Mean, problem.Initial.Covariance, recordSteps);
    }

    /// <summary>
    /// The stationary laws in the form of the quadratic theory: the discrete law (with the spectral radius of T) and the
    /// Langevin law (with its spectral abscissa); each null where it does not exist, with the reason.
    /// </summary>
    public static StationaryMoments Stationary(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Dimension > LeastSquaresMomentTheory.MaxOperatorDimension)
        {
            string reason = $"the stationary solve takes d ≤ {LeastSquaresMomentTheory.MaxOperatorDimension} (a d² × d² operator); this problem has d = {problem.Dimension}";
            return new StationaryMoments(new StationaryCovariance(false, null, null, reason), double.NaN, new StationaryCovariance(false, null, null, reason), double.NaN);
        }

        LeastSquaresStationaryLaw law = Theory(problem).Stationary();
        var discrete = new StationaryCovariance(law.Stable, law.Stable ? law.Mean : null, law.Covariance, law.Reason);
        string? langevinReason = law.LangevinCovariance is not null
            ? null
            : law.Mean is null
                ? law.Reason
                : $"the Langevin second-moment generator is unstable (spectral abscissa {law.LangevinSpectralAbscissa:G4} ≥ 0)";
        var langevin = new StationaryCovariance(law.LangevinCovariance is not null, law.LangevinCovariance is null ? null : law.Mean, law.LangevinCovariance, langevinReason);
        return new StationaryMoments(discrete, law.SecondMomentSpectralRadius, langevin, law.LangevinSpectralAbscissa);
    }
}
