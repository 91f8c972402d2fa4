using SgdDynamics.Backends;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Cli;

/// <summary>Runs a command body, turning known failures into one clear line on stderr and an exit code.</summary>
internal static class CliRunner
{
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (RunInterruptedException e)
        {
            return Fail(e.ExitCode, e.Message);
        }
        catch (ScenarioException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (BackendUnavailableException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (CliInputException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        catch (OutOfMemoryException e)
        {
            return Fail(ExitCodes.Failure, $"out of memory ({e.Message.ReplaceLineEndings(" ")}); the run's estimate was below the limit — lower --max-memory or shrink the run");
        }
        catch (OperationCanceledException)
        {
            return Fail(ExitCodes.Failure, "cancelled");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ExitCodes.Failure, e.Message);
        }
        catch (Exception e)
        {
            return Fail(ExitCodes.Failure, $"{e.GetType().Name}: {e.Message}");
        }
    }

    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}

/// <summary>An impossible command-line value (the message names the option).</summary>
internal sealed class CliInputException(string message) : Exception(message);
