using SgdDynamics.Problems;

namespace SgdDynamics.Theory;

/// <summary>The update rules the moment theory covers: SGD and heavy-ball momentum (SGD is heavy ball with β = 0).</summary>
public static class TheoryDynamics
{
    /// <summary>Whether the moment theory covers <paramref name="dynamics"/> (SGD and heavy ball; not the SDE models).</summary>
    public static bool Covers(DynamicsSpec dynamics) => dynamics is SgdSpec or HeavyBallSpec;

    /// <summary>The heavy-ball β of <paramref name="dynamics"/>: 0 for SGD.</summary>
    /// <exception cref="NotSupportedException">The update rule has no heavy-ball form (the theory does not cover it).</exception>
    public static double Momentum(DynamicsSpec dynamics)
    {
        ArgumentNullException.ThrowIfNull(dynamics);
        return dynamics switch
        {
            SgdSpec => 0.0,
            HeavyBallSpec heavyBall => heavyBall.Momentum,
            _ => throw new NotSupportedException($"the moment theory covers the update rules sgd and momentum, not '{dynamics.TypeName}'"),
        };
    }
}
