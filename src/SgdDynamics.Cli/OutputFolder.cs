namespace SgdDynamics.Cli;

/// <summary>Creates the output folder before any computation, so a bad <c>--out</c> fails at once.</summary>
internal static class OutputFolder
{
    public static void Prepare(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"--out {directory}: cannot create the output folder ({e.Message})");
        }
    }
}
