using SgdDynamics.Backends;

namespace SgdDynamics.Validation;

/// <summary>Size of a validation run.</summary>
public enum ValidationMode
{
    /// <summary>Small ensembles: under two minutes on two cores (CI).</summary>
    Quick,

    /// <summary>Large ensembles: tighter error bars, under twenty minutes on two cores.</summary>
    Full,
}

/// <summary>What a case runs with: the backend, the size and where plots go.</summary>
/// <param name="Backend">Compute backend for the ensembles.</param>
/// <param name="Mode">Quick or full.</param>
/// <param name="OutputDirectory">Folder for plots (the report folder).</param>
public sealed record ValidationContext(IEnsembleBackend Backend, ValidationMode Mode, string OutputDirectory)
{
    /// <summary>Ensemble size: <paramref name="quick"/> trajectories in quick mode, <paramref name="full"/> in full mode.</summary>
    public long Trajectories(long quick, long full) => Mode == ValidationMode.Quick ? quick : full;
}

/// <summary>A validation case: runs the engine and the theory and compares them.</summary>
public interface IValidationCase
{
    /// <summary>Short name (used for file names too).</summary>
    string Name { get; }

    /// <summary>Runs the case.</summary>
    CaseReport Run(ValidationContext context);
}
