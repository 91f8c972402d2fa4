using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn bench</c>: trajectory-steps per second of every available backend on the reference workloads
/// W1 and W2, measured in the same run as the C++ reference programs of shared/refs (built on demand).
/// </summary>
internal static partial class BenchCommand
{
    public static Command Create()
    {
        var workload = new Option<string>("--workload") { Description = "W1, W2 or all", DefaultValueFactory = _ => "all" };
        workload.AcceptOnlyFromAmong("W1", "W2", "all");
        var backends = new Option<string[]>("--backend")
        {
            Description = "Backends to measure (default: every available one)",
            AllowMultipleArgumentsPerToken = true,
        };
        var repeat = new Option<int>("--repeat") { Description = "Runs per measurement; the best is reported", DefaultValueFactory = _ => 3 };
        var refs = new Option<DirectoryInfo?>("--refs") { Description = "Folder of the reference programs (default: ../shared/refs beside the checkout)" };
        var threads = RunCommand.ThreadsOption();
        var command = new Command("bench", "Throughput (trajectory-steps/s) of each backend on W1 and W2, side by side with the C++ reference")
        {
            workload, backends, repeat, refs, threads,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            int runs = parse.GetValue(repeat);
            if (runs < 1)
            {
                throw new CliInputException("--repeat must be ≥ 1");
            }

            string[] chosen = parse.GetValue(backends) is { Length: > 0 } b ? b : [.. ComputeDevice.Available()];
            string which = parse.GetValue(workload)!;
            string? refDir = parse.GetValue(refs)?.FullName ?? FindReferences();
            return Execute(which, chosen, runs, refDir, parse.GetValue(threads));
        }));
        return command;
    }

    private static int Execute(string which, string[] backends, int runs, string? refDir, int threads)
    {
        string? refBinary = PrepareReferences(refDir);
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]trajectory-steps per second[/] (best of " + runs + ")");
        foreach (string column in new[] { "workload", "program", "trajectories", "steps", "seconds", "M steps/s", "vs w_cpp", "final mean", "final var" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        int threadCount = threads == 0 ? Environment.ProcessorCount : threads;
        foreach (string name in which == "all" ? new[] { "W1", "W2" } : new[] { which })
        {
            double? reference = null;
            if (refBinary is not null)
            {
                foreach (string program in new[] { "w_cpp", "w_cpp_avx512" })
                {
                    string path = Path.Combine(Path.GetDirectoryName(refBinary)!, program);
                    if (!File.Exists(path))
                    {
                        continue;
                    }

                    long n = name == "W1" ? ReferenceWorkloads.W1Trajectories : ReferenceWorkloads.W2Trajectories;
                    ReferenceRun best = Enumerable.Range(0, runs).Select(_ => RunReference(path, name, n, threadCount)).MaxBy(r => r.StepsPerSecond)!;
                    reference ??= best.StepsPerSecond;
                    table.AddRow(name, $"{program} ({threadCount} thr)", $"{n:N0}", $"{ReferenceWorkloads.Steps}", $"{best.Seconds:F3}",
                        $"{best.StepsPerSecond / 1e6:F1}", $"{best.StepsPerSecond / reference:F2}", best.Mean, best.Variance);
                }
            }

            foreach (string backendName in backends)
            {
                using IEnsembleBackend backend = BackendFactory.Open(backendName, threads);

                // ILGPU's CPU accelerator runs the GPU kernels for testing; a smaller ensemble keeps it short.
                long scale = backend.Name == "ilgpu-cpu" ? 64 : 1;
                Problem problem = name == "W1" ? ReferenceWorkloads.W1() : ReferenceWorkloads.W2();
                EnsembleAlgorithm ensemble = ReferenceWorkloads.Ensemble((name == "W1" ? ReferenceWorkloads.W1Trajectories : ReferenceWorkloads.W2Trajectories) / scale);
                EnsembleSolver.Solve(ReferenceWorkloads.W1(), ReferenceWorkloads.Ensemble(4096, 10), backend); // warm-up: JIT and kernel compilation
                EnsembleResult best = Enumerable.Range(0, runs).Select(_ => EnsembleSolver.Solve(problem, ensemble, backend)).MinBy(r => r.Seconds)!;
                var final = best.Final.Moments;
                int last = name == "W1" ? 0 : final.Dimension - 1;
                table.AddRow(name, $"sgdyn {backend.Name}", $"{best.Range.Count:N0}{(scale > 1 ? " (reduced)" : "")}", $"{ensemble.Steps}",
                    $"{best.Seconds:F3}", $"{best.TrajectoryStepsPerSecond / 1e6:F1}",
                    reference is null ? "n/a" : $"{best.TrajectoryStepsPerSecond / reference:F2}",
                    Coordinates(final.Mean[0], final.Mean[last], name), Coordinates(final.Covariance[0, 0] * (final.Count - 1) / final.Count, final.Covariance[last, last] * (final.Count - 1) / final.Count, name));
                AnsiConsole.MarkupLine($"[grey]{name} {Markup.Escape(backend.Name)}: {Markup.Escape(backend.Device)}[/]");
            }
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]sgdyn times include drawing the initial state and the statistics at the first and last step; the reference times the state set-up and the steps. W2 columns: coordinates 0 (flat) and 15. Variances with 1/N normalisation, as the reference prints them.[/]");
        if (refBinary is null)
        {
            AnsiConsole.MarkupLine("[yellow]reference programs not found or not buildable: ratios are n/a (pass --refs DIR)[/]");
        }

        return ExitCodes.Ok;
    }

    private static string Coordinates(double first, double last, string workload) =>
        workload == "W1" ? first.ToString("G8", CultureInfo.InvariantCulture) : $"{first:G6} / {last:G6}";

    /// <summary>../shared/refs beside the checkout that holds the current folder or the executable.</summary>
    private static string? FindReferences()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                {
                    string refs = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "refs"));
                    if (Directory.Exists(refs))
                    {
                        return refs;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The path of bin/w_cpp, building the references with their build.sh when needed.</summary>
    private static string? PrepareReferences(string? refDir)
    {
        if (refDir is null)
        {
            return null;
        }

        string binary = Path.Combine(refDir, "bin", "w_cpp");
        if (!File.Exists(binary) && File.Exists(Path.Combine(refDir, "build.sh")))
        {
            Console.Error.WriteLine($"building the reference programs: sh {Path.Combine(refDir, "build.sh")}");
            var build = Process.Start(new ProcessStartInfo("sh", ["build.sh"]) { WorkingDirectory = refDir, RedirectStandardOutput = true, RedirectStandardError = true })!;
            string log = build.StandardOutput.ReadToEnd() + build.StandardError.ReadToEnd();
            build.WaitForExit();
            if (build.ExitCode != 0)
            {
                Console.Error.WriteLine($"warning: building the references failed (exit {build.ExitCode}): {log.Trim()}");
            }
        }

        return File.Exists(binary) ? binary : null;
    }

    private sealed record ReferenceRun(double Seconds, double StepsPerSecond, string Mean, string Variance);

    private static ReferenceRun RunReference(string path, string workload, long n, int threads)
    {
        var info = new ProcessStartInfo(path, [workload, n.ToString(CultureInfo.InvariantCulture), ReferenceWorkloads.Steps.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Match time = TimeField().Match(output);
        Match rate = RateField().Match(output);
        if (process.ExitCode != 0 || !time.Success || !rate.Success)
        {
            throw new IOException($"reference program {path} failed (exit {process.ExitCode}): {output.Trim()}");
        }

        string Field(string key) => Regex.Match(output, $@"\b{key}=(\S+)").Groups[1].Value;
        string mean = workload == "W1" ? Field("mean") : $"{Field("mean0")} / {Field("mean15")}";
        string variance = workload == "W1" ? Field("var") : $"{Field("var0")} / {Field("var15")}";
        return new ReferenceRun(
            double.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture),
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture) * 1e6,
            mean,
            variance);
    }

    [GeneratedRegex(@"time_s=([0-9.eE+-]+)")]
    private static partial Regex TimeField();

    [GeneratedRegex(@"Msteps_per_s=([0-9.eE+-]+)")]
    private static partial Regex RateField();
}
