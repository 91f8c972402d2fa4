namespace SgdDynamics.Validation;

/// <summary>What a check expects of the simulation against a prediction.</summary>
public enum Expectation
{
    /// <summary>The measurement agrees: |z| ≤ tolerance.</summary>
    Agree,

    /// <summary>The prediction is rejected: |z| &gt; tolerance (the departure is resolved beyond the error bars).</summary>
    Reject,

    /// <summary>The measurement is at most the prediction (a bound): measured ≤ prediction.</summary>
    AtMost,

    /// <summary>The measurement is at least the prediction (a bound): measured ≥ prediction.</summary>
    AtLeast,
}

/// <summary>
/// One comparison of a simulated quantity with an analytic prediction. For <see cref="Expectation.Agree"/> and
/// <see cref="Expectation.Reject"/> the tolerance is a bound on |z| = |measured − prediction| / SE; a bound of 5
/// has a two-sided false-alarm rate of 5.7e-7 for a normal estimate. For <see cref="Expectation.AtMost"/> and
/// <see cref="Expectation.AtLeast"/> the prediction is itself the bound (its derivation is stated in
/// <see cref="Basis"/>) and the tolerance is unused (0).
/// </summary>
/// <param name="Quantity">What is measured.</param>
/// <param name="Prediction">The analytic value (or bound).</param>
/// <param name="Measured">The ensemble estimate.</param>
/// <param name="StandardError">Its Monte-Carlo standard error (how it was computed is said in <see cref="Basis"/>).</param>
/// <param name="Expectation">What must hold.</param>
/// <param name="Tolerance">Bound on |z| (Agree, Reject).</param>
/// <param name="Basis">How the standard error and the tolerance were obtained.</param>
public sealed record Check(string Quantity, double Prediction, double Measured, double StandardError, Expectation Expectation, double Tolerance, string Basis)
{
    /// <summary>Default |z| bound: two-sided false-alarm rate 5.7e-7 per check for a normal estimate.</summary>
    public const double DefaultZ = 5.0;

    /// <summary>z-score of the measurement against the prediction (NaN for a bound, where it has no meaning).</summary>
    public double Z => Expectation is Expectation.Agree or Expectation.Reject ? (Measured - Prediction) / StandardError : double.NaN;

    /// <summary>z as text: signed with one decimal, empty for a bound.</summary>
    public string ZText => double.IsNaN(Z) ? "" : Math.Round(Z, 1) is var z && z == 0 ? "0.0" : z.ToString("+0.0;-0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether the expectation holds.</summary>
    public bool Pass => Expectation switch
    {
        Expectation.Agree => Math.Abs(Z) <= Tolerance,
        Expectation.Reject => Math.Abs(Z) > Tolerance,
        Expectation.AtMost => Measured <= Prediction,
        _ => Measured >= Prediction,
    };

    /// <summary>The check's tolerance in words.</summary>
    public string ToleranceText => Expectation switch
    {
        Expectation.Agree => $"|z| ≤ {Tolerance:G3}",
        Expectation.Reject => $"|z| > {Tolerance:G3} (rejected)",
        Expectation.AtMost => "≤ prediction",
        _ => "≥ prediction",
    };
}

/// <summary>The outcome of one catalog case: its checks, plots and what it shows.</summary>
/// <param name="Name">Case name.</param>
/// <param name="Shows">One sentence: what the case demonstrates.</param>
/// <param name="Checks">The comparisons.</param>
/// <param name="Plots">PNG files written (paths relative to the report folder).</param>
/// <param name="Seconds">Wall time of the case.</param>
public sealed record CaseReport(string Name, string Shows, IReadOnlyList<Check> Checks, IReadOnlyList<string> Plots, double Seconds)
{
    /// <summary>True when every check passes.</summary>
    public bool Pass => Checks.All(c => c.Pass);
}
