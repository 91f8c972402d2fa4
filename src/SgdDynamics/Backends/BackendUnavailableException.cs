namespace SgdDynamics.Backends;

/// <summary>A requested backend that this machine cannot run (no such device or driver).</summary>
public sealed class BackendUnavailableException : Exception
{
    /// <summary>Backend <paramref name="backend"/> is unavailable because of <paramref name="reason"/>.</summary>
    public BackendUnavailableException(string backend, string reason)
        : base($"backend '{backend}' is not available: {reason}")
    {
        Backend = backend;
        Reason = reason;
    }

    /// <summary>The backend that was asked for.</summary>
    public string Backend { get; }

    /// <summary>Why it cannot run.</summary>
    public string Reason { get; }
}
