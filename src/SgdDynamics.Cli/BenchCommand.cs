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
        var grid = GridOptions.Create();
        var command = new Command("bench", "Throughput (trajectory-steps/s) of each backend on W1 and W2, side by side with the C++ and NumPy references; --grid: the grid solvers' cell-updates/s")
        {
            workload, backends, repeat, refs, threads,
        };
        grid.AddTo(command);
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            int runs = parse.GetValue(repeat);
            if (runs < 1)
            {
                throw new CliInputException("--repeat must be ≥ 1");
            }

            if (parse.GetValue(grid.Grid))
            {
                foreach (Option other in new Option[] { workload, refs })
                {
                    if (parse.GetResult(other) is { Implicit: false })
                    {
                        throw new CliInputException($"{other.Name} belongs to the ensemble benchmark and does not apply with --grid");
                    }
                }

                return GridBench.Execute(grid.Read(parse, parse.GetValue(backends), runs, parse.GetValue(threads), parse.GetResult(threads) is { Implicit: false }));
            }

            grid.RefuseWithoutGrid(parse);

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

        var opened = new List<IEnsembleBackend>();
        try
        {
            foreach (string backendName in backends)
            {
                IEnsembleBackend backend = BackendFactory.Open(backendName, threads);
                opened.Add(backend);
                EnsembleSolver.Solve(ReferenceWorkloads.W1(), ReferenceWorkloads.Ensemble(4096, 10), backend); // warm-up: JIT and kernel compilation
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(backend.Name)}: {Markup.Escape(backend.Device)}[/]");
            }

            var table = new Table().Border(TableBorder.Rounded).Title("[bold]trajectory-steps per second[/] (best of " + runs + ", interleaved)");
            foreach (string column in new[] { "workload", "program", "trajectories", "steps", "seconds", "M steps/s", "vs C++ ref", "final mean", "final var" })
            {
                table.AddColumn(new TableColumn(column).RightAligned());
            }

            foreach (string name in which == "all" ? new[] { "W1", "W2" } : new[] { which })
            {
                AddRows(table, name, Candidates(name, cpp, numpy, external, opened, threadCount), runs);
            }

            AnsiConsole.Write(table);
        }
        finally
        {
            opened.ForEach(b => b.Dispose());
        }

        AnsiConsole.MarkupLine("[grey]Ratios: trajectory-steps per second over the C++ reference's, measured in this run (each program once per round, "
            + "the best of the rounds). sgdyn times include drawing the initial state and the statistics at the first and last step; the references "
            + "time setting the state and the steps. W2 columns: coordinates 0 (flat) and 15. Variances with 1/N normalisation. The C++ reference "
            + "computes the engine's operations (the same random stream, the same fused multiply-adds), so its moments equal the engine's to the "
            + "rounding of the sums; NumPy's (libm log/sin/cos, no fused operations, a smaller ensemble and fewer steps) differ.[/]");
        return ExitCodes.Ok;
    }

    /// <summary>One measured program: its rate, time and final moments, as table cells.</summary>
    private sealed record Measurement(double StepsPerSecond, string Trajectories, string Steps, double Seconds, string Mean, string Variance);

    /// <summary>A program to measure on a workload; <see cref="Baseline"/> marks the one the ratios refer to.</summary>
    private sealed record Candidate(string Label, Func<Measurement> Measure, bool Baseline = false, bool Fallback = false);

    private static List<Candidate> Candidates(
        string name, ReferenceProgram? cpp, ReferenceProgram? numpy, string? external, List<IEnsembleBackend> backends, int threadCount)
    {
        long n = name == "W1" ? ReferenceWorkloads.W1Trajectories : ReferenceWorkloads.W2Trajectories;
        var list = new List<Candidate>();
        if (cpp is not null)
        {
            list.Add(new Candidate($"C++ reference ({threadCount} thr)", () => FromReference(name, ReferencePrograms.Run(cpp, name, n, ReferenceWorkloads.Steps, threadCount, ReferenceWorkloads.ReferenceSeed), ""), Baseline: true));
        }

        if (numpy is not null)
        {
            long reduced = ReferencePrograms.NumPyTrajectories(name);
            list.Add(new Candidate("NumPy (1 thr)", () => FromReference(name, ReferencePrograms.Run(numpy, name, reduced, ReferencePrograms.NumPySteps, 1, ReferenceWorkloads.ReferenceSeed), " (reduced)")));
        }

        if (external is not null)
        {
            foreach (string program in new[] { "w_cpp", "w_cpp_avx512" })
            {
                string path = Path.Combine(external, program);
                if (File.Exists(path))
                {
                    list.Add(new Candidate($"--refs {program} ({threadCount} thr)", () => RunExternal(path, name, n, threadCount), Fallback: program == "w_cpp"));
                }
            }
        }

        foreach (IEnsembleBackend backend in backends)
        {
            // ILGPU's CPU accelerator runs the GPU kernels for testing; a smaller ensemble keeps it short.
            long scale = backend.Name == "ilgpu-cpu" ? 64 : 1;
            Problem problem = name == "W1" ? ReferenceWorkloads.W1() : ReferenceWorkloads.W2();
            EnsembleAlgorithm ensemble = ReferenceWorkloads.Ensemble(n / scale);
            list.Add(new Candidate($"sgdyn {backend.Name}", () =>
            {
                EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
                var final = result.Final.Moments;
                int last = name == "W1" ? 0 : final.Dimension - 1;
                double Biased(int i) => final.Covariance[i, i] * (final.Count - 1) / final.Count;
                return new Measurement(result.TrajectoryStepsPerSecond, $"{result.Range.Count:N0}{(scale > 1 ? " (reduced)" : "")}", $"{ensemble.Steps}",
                    result.Seconds, Coordinates(name, final.Mean[0], final.Mean[last]), Coordinates(name, Biased(0), Biased(last)));
            }));
        }

        return list;
    }

    /// <summary>Measures every candidate once per round, <paramref name="runs"/> rounds, and adds the best of each as a row.</summary>
    private static void AddRows(Table table, string name, List<Candidate> candidates, int runs)
    {
        var best = new Measurement?[candidates.Count];
        var failed = new bool[candidates.Count];
        for (int round = 0; round < runs; round++)
        {
            for (int c = 0; c < candidates.Count; c++)
            {
                if (failed[c])
                {
                    continue;
                }

                try
                {
                    Measurement m = candidates[c].Measure();
                    if (best[c] is null || m.StepsPerSecond > best[c]!.StepsPerSecond)
                    {
                        best[c] = m;
                    }
                }
                catch (IOException e)
                {
                    failed[c] = true;
                    best[c] = null;
                    AnsiConsole.MarkupLine($"[yellow]{name} {Markup.Escape(candidates[c].Label)} row skipped: {Markup.Escape(e.Message)}[/]");
                }
            }
        }

        int baseline = candidates.FindIndex(c => c.Baseline);
        if (baseline < 0 || best[baseline] is null)
        {
            baseline = candidates.FindIndex(c => c.Fallback);
            if (baseline >= 0 && best[baseline] is not null)
            {
                AnsiConsole.MarkupLine($"[yellow]{name}: ratios against {Markup.Escape(candidates[baseline].Label)}, in the absence of the C++ reference[/]");
            }
        }

        double? reference = baseline >= 0 ? best[baseline]?.StepsPerSecond : null;
        for (int c = 0; c < candidates.Count; c++)
        {
            if (best[c] is { } m)
            {
                table.AddRow(name, candidates[c].Label, m.Trajectories, m.Steps, $"{m.Seconds:F3}", $"{m.StepsPerSecond / 1e6:F1}",
                    reference is { } r ? (m.StepsPerSecond / r).ToString("F2", CultureInfo.InvariantCulture) : "n/a", m.Mean, m.Variance);
            }
        }
    }

    private static Measurement FromReference(string workload, ReferenceResult r, string note) =>
        new(r.StepsPerSecond, $"{r.Trajectories:N0}{note}", $"{r.Steps}", r.Seconds,
            Coordinates(workload, r.Means[0], r.Means[^1]), Coordinates(workload, r.Variances[0], r.Variances[^1]));

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

    /// <summary>Runs an external program (arguments <c>W N K</c>, OMP_NUM_THREADS; prints <c>time_s=</c> and <c>Msteps_per_s=</c>).</summary>
    private static Measurement RunExternal(string path, string workload, long n, int threads)
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
        return new Measurement(
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture) * 1e6,
            $"{n:N0}",
            $"{ReferenceWorkloads.Steps}",
            double.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture),
            mean,
            variance);
    }

    [GeneratedRegex(@"time_s=([0-9.eE+-]+)")]
    private static partial Regex TimeField();

    [GeneratedRegex(@"Msteps_per_s=([0-9.eE+-]+)")]
    private static partial Regex RateField();
}
