namespace SgdDynamics.Backends;

/// <summary>What the host machine is, for summaries.</summary>
public static class HostInfo
{
    private static readonly Lazy<string> Name = new(ReadProcessorName);

    /// <summary>The CPU model name (from /proc/cpuinfo where there is one).</summary>
    public static string ProcessorName => Name.Value;

    private static string ReadProcessorName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null && line.Contains(':'))
                {
                    return line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
            // fall through to the generic description
        }

        return $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} CPU";
    }
}
