using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SgdDynamics.Output;

namespace SgdDynamics.Tests.Cli;

/// <summary>
/// Runs <c>sgdyn</c> as a subprocess and stops it part-way: with a signal once its progress shows
/// (<see cref="AtProgress"/>), or with SIGKILL once it has written a checkpoint (<see cref="KillAtCheckpoint"/>).
/// Both wait on what the run itself reports, never on a fixed delay, and fail clearly when the run ends before it could
/// be stopped.
/// </summary>
internal static partial class SignalledRun
{
    /// <summary>Longest a signalled run may take to exit.</summary>
    public static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(10);

    /// <summary>Longest to wait for the awaited progress line or checkpoint (startup may take long on a busy machine).</summary>
    public static readonly TimeSpan AwaitWithin = TimeSpan.FromSeconds(60);

    /// <summary>How often <see cref="KillAtCheckpoint"/> looks at the checkpoint index.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Starts <c>sgdyn <paramref name="args"/></c>, sends <paramref name="signal"/> once it prints a progress line showing at
    /// least <paramref name="minPercent"/> % (0: the first progress line) and waits for it to exit.
    /// </summary>
    public static CliResult AtProgress(string workingDirectory, int signal, int minPercent, params string[] args)
    {
        using var run = new Child(workingDirectory, args, line => Progress(line) is { } percent && percent >= minPercent);
        run.WaitForTrigger($"a progress line of at least {minPercent}%");
        run.Send(signal);
        return run.Finish(signal);
    }

    /// <summary>
    /// Starts <c>sgdyn <paramref name="args"/></c> and kills it with SIGKILL as soon as
    /// <c><paramref name="runFolder"/>/checkpoint/checkpoint.json</c> holds a checkpoint it did not hold when the run
    /// started and for which <paramref name="ready"/> (if given) holds; waits for it to exit.
    /// </summary>
    public static CliResult KillAtCheckpoint(string workingDirectory, string runFolder, Func<JsonObject, bool>? ready, params string[] args)
    {
        string index = Path.Combine(RunCheckpoint.PathOf(runFolder), RunCheckpoint.IndexFile);
        byte[]? before = File.Exists(index) ? File.ReadAllBytes(index) : null;
        using var run = new Child(workingDirectory, args, trigger: null);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (run.Process.HasExited)
            {
                Assert.Fail($"`{run.Command}` exited ({run.Process.ExitCode}) before it wrote the awaited checkpoint {index}\n{run.StdErr}");
            }

            if (clock.Elapsed > AwaitWithin)
            {
                Assert.Fail($"`{run.Command}` wrote no awaited checkpoint {index} within {AwaitWithin.TotalSeconds} s\n{run.StdErr}");
            }

            if (ReadIndex(index, before) is { } checkpoint && (ready is null || ready(checkpoint)))
            {
                break;
            }

            Thread.Sleep(Poll);
        }

        run.Send(Signals.Kill);
        return run.Finish(Signals.Kill);
    }

    /// <summary>The percentage of a progress line ("label: NN% (…)"), or null.</summary>
    public static int? Progress(string line) => ProgressLine().Match(line) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>The checkpoint index when it exists, is whole and differs from <paramref name="before"/>; else null.</summary>
    private static JsonObject? ReadIndex(string index, byte[]? before)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(index);
            if (before is not null && bytes.AsSpan().SequenceEqual(before))
            {
                return null;
            }

            return JsonNode.Parse(bytes) as JsonObject;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            // Not there yet (it is written atomically, so a present file is whole; the catch is only a safeguard).
            return null;
        }
    }

    [GeneratedRegex(@": (\d{1,3})% \(\d+(\.\d+)? s(, about \d+ s left)?\)$")]
    private static partial Regex ProgressLine();

    /// <summary>A running <c>sgdyn</c> process whose stderr is collected line by line.</summary>
    private sealed class Child : IDisposable
    {
        private readonly StringBuilder stderr = new();
        private readonly ManualResetEventSlim triggered = new();
        private readonly ManualResetEventSlim exited = new();
        private readonly Task<string> stdout;

        public Child(string workingDirectory, string[] args, Func<string, bool>? trigger)
        {
            ProcessStartInfo info = Sgdyn.StartInfo(workingDirectory, args);
            Command = "sgdyn " + string.Join(' ', args);
            Process = new Process { StartInfo = info, EnableRaisingEvents = true };
            Process.Exited += (_, _) => exited.Set();
            Process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }

                if (trigger?.Invoke(e.Data) == true)
                {
                    triggered.Set();
                }
            };
            if (!Process.Start())
            {
                throw new InvalidOperationException("could not start " + Command);
            }

            Process.StandardInput.Close();
            Process.BeginErrorReadLine();
            stdout = Process.StandardOutput.ReadToEndAsync();
        }

        public Process Process { get; }

        public string Command { get; }

        public string StdErr
        {
            get
            {
                lock (stderr)
                {
                    return stderr.ToString();
                }
            }
        }

        /// <summary>Waits for the trigger line; fails when the process exits first or nothing comes in time.</summary>
        public void WaitForTrigger(string what)
        {
            int which = WaitHandle.WaitAny([triggered.WaitHandle, exited.WaitHandle], AwaitWithin);
            Assert.False(which == WaitHandle.WaitTimeout, $"`{Command}` printed no {what} within {AwaitWithin.TotalSeconds} s\n{StdErr}");
            Assert.False(
                Process.HasExited,
                $"`{Command}` ended before it was signalled (exit {(Process.HasExited ? Process.ExitCode : 0)}): the scenario is too small to be stopped part-way\n{StdErr}");
        }

        public void Send(int signal)
        {
            if (Signals.Send(Process.Id, signal) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                Assert.Fail(Process.HasExited
                    ? $"`{Command}` ended (exit {Process.ExitCode}) before {Signals.Name(signal)} reached it: the scenario is too small to be stopped part-way\n{StdErr}"
                    : $"kill({Process.Id}, {signal}) failed: errno {errno}");
            }
        }

        /// <summary>Waits for the process to exit after <paramref name="signal"/> and returns what it did.</summary>
        public CliResult Finish(int signal)
        {
            bool done = Process.WaitForExit(StopWithin);
            Assert.True(done, $"`{Command}` did not exit within {StopWithin.TotalSeconds} s of {Signals.Name(signal)}\n{StdErr}");
            Process.WaitForExit(); // drains the redirected streams
            return new CliResult(Command, Process.ExitCode, stdout.GetAwaiter().GetResult(), StdErr);
        }

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    Process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // It exited in the meantime.
            }

            Process.Dispose();
            triggered.Dispose();
            exited.Dispose();
        }
    }
}
