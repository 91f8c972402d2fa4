using System.Diagnostics;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// Progress of a long computation on stderr: a Spectre.Console bar on a terminal, plain lines every
/// 10 % when stderr is redirected (logs, CI), nothing when quiet.
/// </summary>
internal static class ProgressDisplay
{
    public static T Run<T>(string label, long total, bool quiet, Func<Action<long>, T> work)
    {
        if (quiet || total <= 0)
        {
            return work(_ => { });
        }

        if (Console.IsErrorRedirected)
        {
            long done = 0;
            int lastDecile = 0;
            var clock = Stopwatch.StartNew();
            object gate = new();
            T result = work(delta =>
            {
                long now = Interlocked.Add(ref done, delta);
                int decile = (int)(10 * now / total);
                lock (gate)
                {
                    if (decile > lastDecile)
                    {
                        lastDecile = decile;
                        Console.Error.WriteLine($"{label}: {10 * decile}% ({clock.Elapsed.TotalSeconds:F1} s)");
                    }
                }
            });
            return result;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T value = default!;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(label, maxValue: total);
                value = work(delta => task.Increment(delta));
                task.Value = total;
            });
        return value;
    }
}
