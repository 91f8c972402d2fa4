namespace SgdDynamics.Cli;

/// <summary>Process exit codes of <c>sgdyn</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure (a bug or an I/O error); the message says which.</summary>
    public const int Failure = 1;

    /// <summary>
    /// Bad input: a malformed or inconsistent scenario (or file that cannot be read within the size and time limits), an
    /// option that does not parse or is out of range, a missing backend, a grid problem that cannot work as posed.
    /// </summary>
    public const int BadInput = 2;

    /// <summary>
    /// A valid run failed numerically: trajectories diverged, or a grid solver could not proceed (outputs are still
    /// written; the counts or the failure are in them).
    /// </summary>
    public const int Diverged = 3;

    /// <summary>A validation case failed (the report is still written).</summary>
    public const int ValidationFailed = 4;

    /// <summary>
    /// Stopped by SIGINT (Ctrl+C; 128 + 2): the run stopped at its next boundary, kept what it had (the records of a grid
    /// run, the interrupted state of an ensemble run) and wrote a manifest with <c>complete: false</c>, status <c>interrupted</c>.
    /// </summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (128 + 15), with the same outputs as <see cref="Interrupted"/>.</summary>
    public const int Terminated = 143;
}
