namespace SgdDynamics.Cli;

/// <summary>Process exit codes of <c>sgdyn</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (a bug or an I/O error); the message says which.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a malformed or inconsistent scenario, an impossible option, a missing backend.</summary>
    public const int BadInput = 2;

    /// <summary>Trajectories diverged (outputs are still written; the counts are in them).</summary>
    public const int Diverged = 3;

    /// <summary>A validation case failed (the report is still written).</summary>
    public const int ValidationFailed = 4;
}
