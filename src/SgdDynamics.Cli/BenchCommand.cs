using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Text.RegularExpressions;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn bench</c>: trajectory-steps per second of every available backend on the reference workloads W1 and W2,
/// measured in the same run as the project's reference programs (benchmarks/reference: C++ built on demand, NumPy),
/// and optionally the programs of an external folder (<c>--refs</c>).
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
        var refs = new Option<DirectoryInfo?>("--refs")
        {
            Description = "A folder of external reference programs as well (bin/w_cpp, bin/w_cpp_avx512; built with its build.sh when missing)",
        };
        var threads = RunCommand.ThreadsOption();
        var command = new Command("bench", "Throughput (trajectory-steps/s) of each backend on W1 and W2, side by side with the C++ and NumPy references")
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
            string? refDir = parse.GetValue(refs)?.FullName;
            if (refDir is not null && !Directory.Exists(refDir))
            {
                throw new CliInputException($"--refs: no folder {refDir}");
            }

            return Execute(which, chosen, runs, refDir, parse.GetValue(threads));
        }));
        return command;
    }

    /// <summary>The machine in one line: CPU, logical cores, SIMD width and instruction sets, OS, .NET.</summary>
    public static string MachineDescription()
    {
        string width = Vector512.IsHardwareAccelerated ? "512-bit" : Vector256.IsHardwareAccelerated ? "256-bit" : Vector128.IsHardwareAccelerated ? "128-bit" : "none";
        var sets = new List<string>();
        if (Avx512F.IsSupported)
        {
            sets.Add("AVX-512F");
        }

        if (Avx2.IsSupported)
        {
            sets.Add("AVX2");
        }

        if (Fma.IsSupported)
        {
            sets.Add("FMA");
        }

        if (AdvSimd.IsSupported)
        {
            sets.Add("NEON");
        }

        string isa = sets.Count > 0 ? $" ({string.Join(", ", sets)})" : "";
        return $"{HostInfo.ProcessorName}, {Environment.ProcessorCount} logical cores, SIMD {width}{isa}, "
            + $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}, .NET {Environment.Version}";
    }

    private static int Execute(string which, string[] backends, int runs, string? refDir, int threads)
    {
        int threadCount = threads == 0 ? Environment.ProcessorCount : threads;
        AnsiConsole.MarkupLine($"machine: {Markup.Escape(MachineDescription())}");

        ReferenceProgram? cpp = ReferencePrograms.PrepareCpp(out string cppReason, Console.Error);
        AnsiConsole.MarkupLine(cpp is not null
            ? $"C++ reference: {Markup.Escape(cpp.Description)}, OpenMP {threadCount} threads"
            : $"[yellow]C++ reference rows skipped: {Markup.Escape(cppReason)}; ratios are n/a[/]");
        ReferenceProgram? numpy = ReferencePrograms.PrepareNumPy(out string numpyReason);
        AnsiConsole.MarkupLine(numpy is not null
            ? $"NumPy reference: {Markup.Escape(numpy.Description)}, {ReferencePrograms.NumPySteps} steps (its time per step does not depend on K)"
            : $"[yellow]NumPy rows skipped: {Markup.Escape(numpyReason)}[/]");
        string? external = PrepareExternal(refDir);

        var table = new Table().Border(TableBorder.Rounded).Title("[bold]trajectory-steps per second[/] (best of " + runs + ")");
        foreach (string column in new[] { "workload", "program", "trajectories", "steps", "seconds", "M steps/s", "vs C++ ref", "final mean", "final var" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (string name in which == "all" ? new[] { "W1", "W2" } : new[] { which })
        {
            long n = name == "W1" ? ReferenceWorkloads.W1Trajectories : ReferenceWorkloads.W2Trajectories;
            double? baseline = null;
            string Ratio(double rate) => baseline is { } b ? (rate / b).ToString("F2", CultureInfo.InvariantCulture) : "n/a";

            if (cpp is not null
                && Best(cpp, name, n, ReferenceWorkloads.Steps, threadCount, runs) is { } reference)
            {
                baseline = reference.StepsPerSecond;
                AddReferenceRow(table, name, $"C++ reference ({reference.Threads} thr)", reference, "", Ratio(reference.StepsPerSecond));
            }

            if (numpy is not null
                && Best(numpy, name, ReferencePrograms.NumPyTrajectories(name), ReferencePrograms.NumPySteps, 1, runs) is { } np)
            {
                AddReferenceRow(table, name, "NumPy (1 thr)", np, " (reduced)", Ratio(np.StepsPerSecond));
            }

            if (external is not null)
            {
                foreach (string program in new[] { "w_cpp", "w_cpp_avx512" })
                {
                    string path = Path.Combine(external, program);
                    if (File.Exists(path))
                    {
                        ExternalRun best = Enumerable.Range(0, runs).Select(_ => RunExternal(path, name, n, threadCount)).MaxBy(r => r.StepsPerSecond)!;
                        if (baseline is null)
                        {
                            baseline = best.StepsPerSecond;
                            AnsiConsole.MarkupLine($"[yellow]{name}: ratios against --refs {program}, in the absence of the C++ reference[/]");
                        }

                        table.AddRow(name, $"--refs {program} ({threadCount} thr)", $"{n:N0}", $"{ReferenceWorkloads.Steps}", $"{best.Seconds:F3}",
                            $"{best.StepsPerSecond / 1e6:F1}", Ratio(best.StepsPerSecond), best.Mean, best.Variance);
                    }
                }
            }

            foreach (string backendName in backends)
            {
                using IEnsembleBackend backend = BackendFactory.Open(backendName, threads);

                // ILGPU's CPU accelerator runs the GPU kernels for testing; a smaller ensemble keeps it short.
                long scale = backend.Name == "ilgpu-cpu" ? 64 : 1;
                Problem problem = name == "W1" ? ReferenceWorkloads.W1() : ReferenceWorkloads.W2();
                EnsembleAlgorithm ensemble = ReferenceWorkloads.Ensemble(n / scale);
                EnsembleSolver.Solve(ReferenceWorkloads.W1(), ReferenceWorkloads.Ensemble(4096, 10), backend); // warm-up: JIT and kernel compilation
                EnsembleResult best = Enumerable.Range(0, runs).Select(_ => EnsembleSolver.Solve(problem, ensemble, backend)).MinBy(r => r.Seconds)!;
                var final = best.Final.Moments;
                int last = name == "W1" ? 0 : final.Dimension - 1;
                double Biased(int i) => final.Covariance[i, i] * (final.Count - 1) / final.Count;
                table.AddRow(name, $"sgdyn {backend.Name}", $"{best.Range.Count:N0}{(scale > 1 ? " (reduced)" : "")}", $"{ensemble.Steps}",
                    $"{best.Seconds:F3}", $"{best.TrajectoryStepsPerSecond / 1e6:F1}", Ratio(best.TrajectoryStepsPerSecond),
                    Coordinates(name, final.Mean[0], final.Mean[last]), Coordinates(name, Biased(0), Biased(last)));
                AnsiConsole.MarkupLine($"[grey]{name} {Markup.Escape(backend.Name)}: {Markup.Escape(backend.Device)}[/]");
            }
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]Ratios: trajectory-steps per second over the C++ reference's, measured in this run. sgdyn times include drawing "
            + "the initial state and the statistics at the first and last step; the references time setting the state and the steps. "
            + "W2 columns: coordinates 0 (flat) and 15. Variances with 1/N normalisation. The C++ reference computes the engine's operations "
            + "(the same random stream, the same fused multiply-adds), so its moments equal the engine's to the rounding of the sums; "
            + "NumPy's (libm log/sin/cos, no fused operations, a smaller ensemble) differ.[/]");
        return ExitCodes.Ok;
    }

    /// <summary>The best (highest rate) of <paramref name="runs"/> runs; null, with a line saying why, when the program fails.</summary>
    private static ReferenceResult? Best(ReferenceProgram program, string workload, long n, int steps, int threads, int runs)
    {
        try
        {
            return Enumerable.Range(0, runs)
                .Select(_ => ReferencePrograms.Run(program, workload, n, steps, threads, ReferenceWorkloads.ReferenceSeed))
                .MaxBy(r => r.StepsPerSecond);
        }
        catch (IOException e)
        {
            AnsiConsole.MarkupLine($"[yellow]{workload} {Markup.Escape(program.Name)} row skipped: {Markup.Escape(e.Message)}[/]");
            return null;
        }
    }

    private static void AddReferenceRow(Table table, string workload, string label, ReferenceResult r, string note, string ratio)
    {
        string Pair(double[] values) => Coordinates(workload, values[0], values[^1]);
        table.AddRow(workload, label, $"{r.Trajectories:N0}{note}", $"{r.Steps}", $"{r.Seconds:F3}", $"{r.StepsPerSecond / 1e6:F1}", ratio,
            Pair(r.Means), Pair(r.Variances));
    }

    private static string Coordinates(string workload, double first, double last) =>
        workload == "W1" ? first.ToString("G8", CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{first:G6} / {last:G6}");

    /// <summary>The bin folder of an external reference folder, building it with its build.sh when bin/w_cpp is missing; null when there is none.</summary>
    private static string? PrepareExternal(string? refDir)
    {
        if (refDir is null)
        {
            return null;
        }

        string binary = Path.Combine(refDir, "bin", "w_cpp");
        if (!File.Exists(binary) && File.Exists(Path.Combine(refDir, "build.sh")))
        {
            Console.Error.WriteLine($"building the external references: sh {Path.Combine(refDir, "build.sh")}");
            using var build = Process.Start(new ProcessStartInfo("sh", ["build.sh"]) { WorkingDirectory = refDir, RedirectStandardOutput = true, RedirectStandardError = true })!;
            Task<string> stderr = build.StandardError.ReadToEndAsync();
            string log = build.StandardOutput.ReadToEnd() + stderr.Result;
            build.WaitForExit();
            if (build.ExitCode != 0)
            {
                AnsiConsole.MarkupLine($"[yellow]--refs: building the external references failed (exit {build.ExitCode}): {Markup.Escape(log.Trim())}[/]");
            }
        }

        if (!File.Exists(binary))
        {
            AnsiConsole.MarkupLine($"[yellow]--refs rows skipped: no {Markup.Escape(binary)}[/]");
            return null;
        }

        AnsiConsole.MarkupLine($"external references: {Markup.Escape(Path.GetDirectoryName(binary)!)}");
        return Path.GetDirectoryName(binary);
    }

    private sealed record ExternalRun(double Seconds, double StepsPerSecond, string Mean, string Variance);

    /// <summary>Runs an external program (arguments <c>W N K</c>, OMP_NUM_THREADS; prints <c>time_s=</c> and <c>Msteps_per_s=</c>).</summary>
    private static ExternalRun RunExternal(string path, string workload, long n, int threads)
    {
        var info = new ProcessStartInfo(path, [workload, n.ToString(CultureInfo.InvariantCulture), ReferenceWorkloads.Steps.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Match time = TimeField().Match(output);
        Match rate = RateField().Match(output);
        if (process.ExitCode != 0 || !time.Success || !rate.Success)
        {
            throw new IOException($"reference program {path} failed (exit {process.ExitCode}): {(output + stderr.Result).Trim()}");
        }

        string Field(string key) => Regex.Match(output, $@"\b{key}=(\S+)").Groups[1].Value;
        string mean = workload == "W1" ? Field("mean") : $"{Field("mean0")} / {Field("mean15")}";
        string variance = workload == "W1" ? Field("var") : $"{Field("var0")} / {Field("var15")}";
        return new ExternalRun(
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
