using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Robustness;

/// <summary>Assertions on how a <c>sgdyn</c> process ended.</summary>
internal static class CliAssert
{
    /// <summary>Exit <paramref name="code"/>, one <c>error: </c> line on stderr holding every <paramref name="parts"/>, no stack trace.</summary>
    public static void OneError(CliResult r, int code, params string[] parts)
    {
        Assert.True(r.ExitCode == code, r.ToString());
        Assert.True(r.MessageLines.Length == 1, r.ToString());
        string line = r.MessageLines[0];
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        foreach (string part in parts)
        {
            Assert.True(line.Contains(part, StringComparison.Ordinal), $"'{part}' is not in the message\n{r}");
        }

        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Description:", r.StdErr + r.StdOut, StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="body"/> on the thread pool and fails unless it finishes within <paramref name="seconds"/>.</summary>
    public static T Within<T>(int seconds, Func<T> body, string what)
    {
        Task<T> task = Task.Run(body);
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"{what} did not finish within {seconds} s");
        return task.Result;
    }
}
