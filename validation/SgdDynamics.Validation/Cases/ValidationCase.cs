using SgdDynamics.Backends;

namespace SgdDynamics.Validation.Cases;

/// <summary>
/// The verdict of one validation case: the simulated value with its Monte-Carlo standard error, the
/// prediction being tested, and the tolerance in standard errors.
/// </summary>
/// <param name="Case">Case name.</param>
/// <param name="Quantity">What is measured.</param>
/// <param name="Simulated">Ensemble estimate.</param>
/// <param name="StandardError">Its Monte-Carlo standard error.</param>
/// <param name="Prediction">The analytic value.</param>
/// <param name="Tolerance">Largest accepted |z| = |simulated − prediction| / SE.</param>
public sealed record CaseResult(string Case, string Quantity, double Simulated, double StandardError, double Prediction, double Tolerance)
{
    /// <summary>z-score of the simulation against the prediction.</summary>
    public double Z => (Simulated - Prediction) / StandardError;

    /// <summary>True when |z| ≤ tolerance.</summary>
    public bool Agrees => Math.Abs(Z) <= Tolerance;
}

/// <summary>A validation case: runs the engine and the theory and compares them.</summary>
public interface IValidationCase
{
    /// <summary>Short name.</summary>
    string Name { get; }

    /// <summary>Runs the case on <paramref name="backend"/> at learning rate <paramref name="eta"/>.</summary>
    IReadOnlyList<CaseResult> Run(double eta, IEnsembleBackend backend);
}
