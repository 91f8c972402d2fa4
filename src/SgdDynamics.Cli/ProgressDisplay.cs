using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// Progress of a long computation on stderr: a Spectre.Console bar (with the remaining time) on a terminal; when stderr
/// is redirected (logs, CI), plain lines <c>label: NN% (T s)</c> at every 10 % and at least every
/// <see cref="Interval"/>, the first one after <see cref="EstimateAfter"/> with the estimated time left
/// (<c>label: NN% (T s, about R s left)</c>, from the rate so far); nothing when quiet.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>When a redirected run prints its first estimate of the time left.</summary>
    public static readonly TimeSpan EstimateAfter = TimeSpan.FromSeconds(1);

    /// <summary>The longest a redirected run stays silent.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="work"/> with progress towards <paramref name="total"/>; <paramref name="initial"/> is the part
    /// done before (a resumed run), shown as done and left out of the rate the time left is estimated from.
    /// </summary>
    public static T Run<T>(string label, long total, bool quiet, Func<Action<long>, T> work, long initial = 0)
    {
        if (quiet || total <= 0)
        {
            return work(_ => { });
        }

        if (Console.IsErrorRedirected)
        {
            return Lines(label, total, work, Console.Error, EstimateAfter, Interval, initial);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T value = default!;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(label, maxValue: total);
                task.Value = initial;
                value = work(delta => task.Increment(delta));
                task.Value = total;
            });
        return value;
    }

    /// <summary>Plain progress lines on <paramref name="output"/>: every 10 %, and from a timer after <paramref name="first"/> and every <paramref name="interval"/>.</summary>
    public static T Lines<T>(string label, long total, Func<Action<long>, T> work, TextWriter output, TimeSpan first, TimeSpan interval, long initial = 0)
    {
        long done = initial;
        int lastDecile = (int)(10 * initial / total);
        bool estimated = false;
        var clock = Stopwatch.StartNew();
        var lastLine = TimeSpan.Zero;
        object gate = new();

        // fromTimer: the timer's first call is due at `first` by construction, though the stopwatch may read a fraction of
        // a millisecond less then (timer and stopwatch round differently), so it estimates whatever the stopwatch says
        void Line(long percent, long now, bool fromTimer)
        {
            double seconds = clock.Elapsed.TotalSeconds;
            string left = "";
            if ((fromTimer || clock.Elapsed >= first) && now > initial && now < total)
            {
                estimated = true;
                left = string.Create(CultureInfo.InvariantCulture, $", about {seconds * (total - now) / (now - initial):F0} s left");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {percent}% ({seconds:F1} s{left})"));
            lastLine = clock.Elapsed;
        }

        using var timer = new Timer(
            _ =>
            {
                lock (gate)
                {
                    long now = Interlocked.Read(ref done);
                    if (now < total && (!estimated || clock.Elapsed - lastLine >= interval))
                    {
                        Line(100 * now / total, now, fromTimer: true);
                        estimated = true;
                    }
                }
            },
            null,
            first,
            TimeSpan.FromTicks(Math.Min(interval.Ticks / 4, TimeSpan.TicksPerSecond)));
        T result = work(delta =>
        {
            long now = Interlocked.Add(ref done, delta);
            int decile = (int)(10 * now / total);
            lock (gate)
            {
                if (decile > lastDecile)
                {
                    lastDecile = decile;
                    Line(10 * decile, now, fromTimer: false);
                }
            }
        });
        lock (gate)
        {
            timer.Change(Timeout.Infinite, Timeout.Infinite);
        }

        return result;
    }
}
