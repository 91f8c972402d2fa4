namespace SgdDynamics.Grids;

/// <summary>How a <see cref="FokkerPlanckSolver"/> steps in time (a scenario's <c>solver.scheme</c>).</summary>
public enum FokkerPlanckScheme
{
    /// <summary>
    /// Alternating-direction implicit, second order in time: the modified Craig–Sneyd scheme (in 't Hout &amp; Welfert,
    /// Appl. Numer. Math. 59, 2009) with θ = 1/3, the Scharfetter–Gummel flows of each axis implicit by tridiagonal line
    /// solves, the mixed-derivative flows explicit; started by backward-Euler half-substeps (Rannacher start-up).
    /// O(cells) per step. In 1-D the same scheme with one direction.
    /// </summary>
    Adi,

    /// <summary>Backward Euler on the assembled generator (first order in time; Thomas in 1-D, BiCGStab + ILU(0) in 2-D).</summary>
    BackwardEuler,
}

/// <summary>Names of <see cref="FokkerPlanckScheme"/> values as scenario files and outputs write them.</summary>
public static class FokkerPlanckSchemeNames
{
    /// <summary><c>adi</c> or <c>backwardEuler</c>; throws on a value that is not a scheme.</summary>
    public static string Name(this FokkerPlanckScheme scheme) => scheme switch
    {
        FokkerPlanckScheme.Adi => "adi",
        FokkerPlanckScheme.BackwardEuler => "backwardEuler",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "unknown Fokker–Planck scheme"),
    };
}
