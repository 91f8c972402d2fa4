using System.Runtime.InteropServices;

namespace SgdDynamics.Cli;

/// <summary>
/// Turns SIGINT (<see cref="Console.CancelKeyPress"/>) and SIGTERM (<see cref="PosixSignalRegistration"/>) into a
/// cancellation: the first signal cancels <see cref="Token"/> and keeps the process alive so that the run can stop at
/// its next boundary and write what it keeps; a second signal is left to its default action (the process ends at once;
/// files already written stay whole, since every output is written atomically).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly PosixSignalRegistration? terminate;
    private int received;

    private StopSignals(bool register)
    {
        if (!register)
        {
            return;
        }

        Console.CancelKeyPress += OnCancelKeyPress;
        try
        {
            terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
        }
        catch (PlatformNotSupportedException)
        {
            // No SIGTERM on this platform: SIGINT (Ctrl+C) still stops the run.
        }
    }

    /// <summary>Registers the handlers for the lifetime of the returned value.</summary>
    public static StopSignals Register() => new(register: true);

    /// <summary>A value that is never signalled (runs started from code).</summary>
    public static StopSignals None() => new(register: false);

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The name of the first signal received (SIGINT or SIGTERM), or null.</summary>
    public string? Signal { get; private set; }

    /// <summary>The exit code for the first signal: <see cref="ExitCodes.Interrupted"/> or <see cref="ExitCodes.Terminated"/>.</summary>
    public int ExitCode => Signal == "SIGTERM" ? ExitCodes.Terminated : ExitCodes.Interrupted;

    /// <summary>Cancels as if <paramref name="signal"/> had been received.</summary>
    public bool Stop(string signal)
    {
        if (Interlocked.Exchange(ref received, 1) != 0)
        {
            return false;
        }

        Signal = signal;
        source.Cancel();
        return true;
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        terminate?.Dispose();
        source.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        // Ctrl+Break (SIGQUIT on Unix) keeps its default action.
        if (e.SpecialKey == ConsoleSpecialKey.ControlC)
        {
            e.Cancel = Stop("SIGINT");
        }
    }

    private void OnTerminate(PosixSignalContext context)
    {
        context.Cancel = Stop("SIGTERM");
    }
}

/// <summary>
/// A run stopped by a signal after writing what it keeps: <see cref="OutputFolder"/> writes the manifest with status
/// <c>interrupted</c>, <see cref="CliRunner.Guard"/> prints the message and exits with <see cref="ExitCode"/>.
/// </summary>
internal sealed class RunInterruptedException(int exitCode, string message) : Exception(message)
{
    /// <summary>130 (SIGINT) or 143 (SIGTERM).</summary>
    public int ExitCode { get; } = exitCode;
}
