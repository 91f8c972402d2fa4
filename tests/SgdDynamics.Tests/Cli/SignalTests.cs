using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using SgdDynamics.Output;

namespace SgdDynamics.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM stop <c>sgdyn run</c> cleanly: a long run is started as a subprocess, signalled once its progress
/// shows, and must exit 130 (SIGINT) or 143 (SIGTERM) within seconds with one error line naming the signal, a manifest
/// with <c>complete: false</c> and status <c>interrupted</c>, no temporary files and the folder's lock released; a grid
/// run keeps the records made so far (summary, time series, density files), an ensemble run a summary of the interruption.
/// </summary>
public sealed class SignalTests
{
    /// <summary>1-D ensemble of 2,000,000 trajectories × 50,000 steps (minutes of work; stopped long before its end).</summary>
    private const string LongEnsemble = """
        {
          "name": "long-ensemble",
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.1 },
          "initial": { "point": [1] },
          "ensemble": { "trajectories": 2000000, "steps": 50000, "seed": 1 },
          "record": { "every": 1000 }
        }
        """;

    /// <summary>1-D master equation on 1000 cells, 199,800 steps recorded every 200 (1000 records, each with its density file; minutes of work).</summary>
    private const string LongGrid = """
        {
          "name": "long-grid",
          "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]] },
          "optimizer": { "type": "sgd", "learningRate": 0.5 },
          "initial": { "point": [2] },
          "ensemble": { "steps": 199800 },
          "record": { "every": 200 },
          "solver": { "type": "masterEquation", "boundary": "absorbing", "grid": { "lower": [-5], "upper": [5], "cells": [1000] } }
        }
        """;

    [SignalFact(Signals.Term)]
    public void EnsembleRunStopsOnSigterm() => EnsembleRunStopsWithoutStatistics(Signals.Term);

    [SignalFact(Signals.Int)]
    public void EnsembleRunStopsOnSigint() => EnsembleRunStopsWithoutStatistics(Signals.Int);

    [SignalFact(Signals.Term)]
    public void GridRunStopsOnSigterm() => GridRunKeepsTheRecordsMadeSoFar(Signals.Term);

    [SignalFact(Signals.Int)]
    public void GridRunStopsOnSigint() => GridRunKeepsTheRecordsMadeSoFar(Signals.Int);

    [SignalFact(Signals.Term)]
    public void DemoStopsOnSigterm()
    {
        using var temp = new TempFolder();
        string output = temp["demo"];
        CliResult result = SignalledRun.AtProgress(temp.Path, Signals.Term, 0, "demo", "--trajectories", "200000000", "--out", output, "--backend", "managed");

        AssertInterrupted(result, Signals.Term, output);
        JsonObject summary = StoppedSummary(output, Signals.Term);
        Assert.Null(summary["final"]);
        AssertReusable(temp, output);
    }

    private static void EnsembleRunStopsWithoutStatistics(int signal)
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("ensemble.json", LongEnsemble);
        string output = temp["out"];
        CliResult result = SignalledRun.AtProgress(temp.Path, signal, 0, "run", scenario, "--out", output, "--backend", "managed");

        AssertInterrupted(result, signal, output);
        Assert.Contains("trajectory-steps", result.MessageLines[0]);
        JsonObject summary = StoppedSummary(output, signal);
        double fraction = summary["fractionDone"]!.GetValue<double>();
        Assert.InRange(fraction, 0.0, 1.0);
        Assert.True(fraction < 1.0, "the run should be stopped before its end");
        Assert.Null(summary["final"]);
        Assert.False(File.Exists(Path.Combine(output, EnsembleOutput.TimeSeriesFile)), "a partial ensemble has no time series");
        Assert.True(File.Exists(Path.Combine(output, EnsembleOutput.ScenarioFile)));
        AssertReusable(temp, output);
    }

    private static void GridRunKeepsTheRecordsMadeSoFar(int signal)
    {
        using var temp = new TempFolder();
        string scenario = temp.Write("grid.json", LongGrid);
        string output = temp["out"];
        CliResult result = SignalledRun.AtProgress(temp.Path, signal, 0, "run", scenario, "--out", output, "--backend", "managed");

        AssertInterrupted(result, signal, output);
        Assert.Contains(" steps; kept: ", result.MessageLines[0]);
        JsonObject summary = StoppedSummary(output, signal);
        int records = summary["records"]!.GetValue<int>();
        Assert.InRange(records, 1, 1000);

        var (_, rows) = Outputs.ReadCsv(Path.Combine(output, EnsembleOutput.TimeSeriesFile));
        Assert.Equal(records, rows.Length);
        JsonObject manifest = Outputs.ReadJson(Path.Combine(output, RunFolder.ManifestFile));
        var listed = manifest["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToHashSet();
        for (int r = 0; r < rows.Length; r++)
        {
            int step = int.Parse(rows[r][0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(200 * r, step);
            string density = $"density_{step}.csv";
            Assert.True(File.Exists(Path.Combine(output, density)), $"{density} of a kept record is missing\n{result}");
            Assert.Contains(density, listed);
        }

        Assert.Equal(rows[^1][0], summary["final"]!["step"]!.ToString());
        Assert.Contains(EnsembleOutput.TimeSeriesFile, listed);
        Assert.Contains(EnsembleOutput.SummaryFile, listed);
        AssertReusable(temp, output);
    }

    /// <summary>The summary of a signalled run: marked incomplete, naming the signal that stopped it.</summary>
    private static JsonObject StoppedSummary(string output, int signal)
    {
        JsonObject summary = Outputs.ReadJson(Path.Combine(output, EnsembleOutput.SummaryFile));
        Assert.False(summary["complete"]!.GetValue<bool>());
        Assert.StartsWith($"interrupted by {Signals.Name(signal)}", summary["stopped"]!.GetValue<string>());
        return summary;
    }

    /// <summary>The shared contract of a signalled run.</summary>
    private static void AssertInterrupted(CliResult result, int signal, string output)
    {
        Assert.True(result.ExitCode == 128 + signal, $"expected exit {128 + signal}\n{result}");
        string line = Assert.Single(result.MessageLines);
        Assert.StartsWith($"error: interrupted by {Signals.Name(signal)} after ", line);
        Assert.Contains("; kept: ", line);

        JsonObject manifest = Outputs.ReadJson(Path.Combine(output, RunFolder.ManifestFile));
        Assert.False(manifest["complete"]!.GetValue<bool>());
        Assert.Equal("interrupted", manifest["status"]!.GetValue<string>());
        Assert.False(RunFolder.IsComplete(output, [], out _), "an interrupted run must not read as complete");

        string[] names = Directory.GetFiles(output).Select(Path.GetFileName).ToArray()!;
        Assert.DoesNotContain(names, n => n.EndsWith(AtomicFile.TemporarySuffix, StringComparison.Ordinal));
        Assert.DoesNotContain(RunFolder.OwnerFile, names);
        foreach (JsonNode? entry in manifest["files"]!.AsArray())
        {
            string path = Path.Combine(output, entry!["name"]!.GetValue<string>());
            Assert.Equal(entry["sha256"]!.GetValue<string>(), RunFolder.Hash(path));
        }
    }

    /// <summary>The lock is released: a new run on the same folder works and completes it.</summary>
    private static void AssertReusable(TempFolder temp, string output)
    {
        string small = temp.Write("small.json", CliScenarios.Example2D);
        CliResult again = Sgdyn.Run(temp.Path, "run", small, "--out", output, "--backend", "managed");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.True(RunFolder.IsComplete(output, [EnsembleOutput.SummaryFile], out string reason), reason);
    }
}

/// <summary>Sending POSIX signals, and whether this process's children can receive them.</summary>
internal static class Signals
{
    public const int Int = 2;
    public const int Kill = 9;
    public const int Term = 15;

    public static string Name(int signal) => signal switch
    {
        Int => "SIGINT",
        Kill => "SIGKILL",
        Term => "SIGTERM",
        _ => $"signal {signal}",
    };

    /// <summary>kill(2).</summary>
    public static int Send(int pid, int signal) => SendSignal(pid, signal);

    /// <summary>
    /// Why <paramref name="signal"/> cannot be tested here, or null: no POSIX signals on Windows; and a signal that this
    /// process ignores (as a background job started without job control ignores SIGINT) is ignored by its children too,
    /// which the runtime then does not handle.
    /// </summary>
    public static string? Unavailable(int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            return "POSIX signals cannot be sent on Windows";
        }

        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        string? ignored = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (ignored is not null
            && ulong.TryParse(ignored["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out ulong mask)
            && (mask & (1UL << (signal - 1))) != 0)
        {
            return $"{Name(signal)} is ignored by the test process (SigIgn in {status}), so a child process cannot receive it";
        }

        return null;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}

/// <summary>A test that sends <c>signal</c> to a child process, skipped where that cannot work (<see cref="Signals.Unavailable"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SignalFactAttribute : FactAttribute
{
    public SignalFactAttribute(int signal)
    {
        if (Signals.Unavailable(signal) is { } reason)
        {
            Skip = reason;
        }
    }
}
