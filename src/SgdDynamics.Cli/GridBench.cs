using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends;
using SgdDynamics.Benchmarking;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Output;
using SgdDynamics.Theory;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>What <c>sgdyn bench --grid</c> measures.</summary>
/// <param name="Sizes2D">Cells per axis of the 2-D workloads.</param>
/// <param name="Size1D">Cells of the 1-D workloads (0: none).</param>
/// <param name="Solvers">The timed solvers (<see cref="GridSolverCases"/>).</param>
/// <param name="Repeat">Timed runs per measurement; the best counts.</param>
/// <param name="Threads">Thread counts of the managed backend (1 and the second count).</param>
/// <param name="Backend">The backend.</param>
/// <param name="MinSeconds">Least duration of one timed run (the step count is calibrated to it).</param>
/// <param name="Accuracy">The accuracy study; null: none.</param>
/// <param name="Json">Print the result as JSON on stdout (no table).</param>
/// <param name="Out">Folder for bench-grid.json and the plots; null: none.</param>
internal sealed record GridBenchOptions(
    int[] Sizes2D, int Size1D, IReadOnlyList<GridSolverCase> Solvers, int Repeat, int[] Threads, string Backend, double MinSeconds,
    GridAccuracyOptions? Accuracy, bool Json, string? Out);

/// <summary>The accuracy study: the 2-D Ornstein–Uhlenbeck problem on <paramref name="Cells"/>² cells up to time <paramref name="Time"/>, each scheme at each sub-step count.</summary>
internal sealed record GridAccuracyOptions(int Cells, double Time, int[] Substeps);

/// <summary>
/// <c>sgdyn bench --grid</c>: cell-updates per second of every grid solver (<see cref="GridSolverCases"/>) on the grid
/// workloads (<see cref="GridWorkload"/>), on 1 and N threads, beside the memory bandwidth measured in the same run
/// (<see cref="MemoryTriad"/>); and the accuracy per second of compute of the Fokker–Planck schemes on the 2-D
/// Ornstein–Uhlenbeck problem, against its exact moments (<see cref="OrnsteinUhlenbeckMoments"/>).
/// </summary>
internal static class GridBench
{
    /// <summary>The learning rate of the accuracy study: T = 5 is 50 SGD steps.</summary>
    public const double AccuracyLearningRate = 0.1;

    /// <summary>H of the accuracy study's quadratic (eigenvalues 0.75 ± 0.39); Σ = I, b = 0.</summary>
    public static readonly double[,] AccuracyHessian = { { 1.0, 0.3 }, { 0.3, 0.5 } };

    /// <summary>The start law of the accuracy study, N((1, −0.8), 0.05 I), on the box [−4, 4]².</summary>
    public static readonly double[] AccuracyStartMean = [1.0, -0.8];

    private const double AccuracyStartVariance = 0.05;
    private const double AccuracyBox = 4.0;

    /// <summary>One timed solver on one workload at one thread count.</summary>
    private sealed record Timing(int Threads, int SolverSteps, double BestSeconds, double CellUpdatesPerSecond, double? BoundFraction, double? StreamFraction);

    /// <summary>One row: a solver on a workload, its set-up and its timings per thread count.</summary>
    private sealed record Row(GridSolverCase Solver, GridWorkload Workload, int Substeps, double SetupSeconds, double FirstStepSeconds, List<Timing> Timings, double? StreamedBytesPerCellUpdate)
    {
        public int BytesPerCellUpdate => Solver.MinBytesPerCellUpdate(Workload.Grid.Dimension) * Substeps;
    }

    /// <summary>One point of the accuracy study.</summary>
    private sealed record AccuracyPoint(string Scheme, int Substeps, double Seconds, double MaxMeanError, double MaxCovarianceError);

    public static int Execute(GridBenchOptions options)
    {
        TextWriter log = options.Json ? Console.Error : Console.Out;
        string machine = BenchCommand.MachineDescription();
        log.WriteLine($"machine: {machine}");
        bool managed = options.Backend == "managed";
        int[] threadCounts = managed ? options.Threads : [0];

        var triad = new MemoryTriad();
        var bandwidth = new Dictionary<int, double>();
        foreach (int t in threadCounts)
        {
            int threads = t == 0 ? Environment.ProcessorCount : t;
            bandwidth[t] = triad.BytesPerSecond(threads, Math.Max(3, options.Repeat));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memory bandwidth (triad, {threads} thread{(threads == 1 ? "" : "s")}): {bandwidth[t] / 1e9:F1} GB/s"));
        }

        triad = null;
        GC.Collect();

        var rows = new List<Row>();
        foreach (GridSolverCase solver in options.Solvers)
        {
            foreach (GridWorkload workload in Workloads(solver.Family, options))
            {
                log.WriteLine($"measuring {solver.Name} on {workload.Name} …");
                rows.Add(Measure(solver, workload, options, threadCounts, bandwidth));
            }
        }

        List<AccuracyPoint>? accuracy = options.Accuracy is { } study ? Accuracy(options, study, log) : null;
        JsonObject json = ToJson(machine, options, threadCounts, bandwidth, rows, accuracy);
        if (options.Out is { } folder)
        {
            Directory.CreateDirectory(folder);
            Output.Json.WriteFile(Path.Combine(folder, "bench-grid.json"), json);
            PlotThroughput(Path.Combine(folder, "bench-grid.png"), rows, machine);
            if (accuracy is { Count: > 0 })
            {
                PlotAccuracy(Path.Combine(folder, "bench-grid-accuracy.png"), accuracy, options.Accuracy!);
            }
        }

        if (options.Json)
        {
            Console.Out.WriteLine(json.ToJsonString(Output.Json.Indented));
        }
        else
        {
            WriteTables(options, threadCounts, bandwidth, rows, accuracy);
            if (options.Out is { } written)
            {
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.Combine(written, "bench-grid.json"))}, bench-grid.png{(accuracy is { Count: > 0 } ? ", bench-grid-accuracy.png" : "")}");
            }
        }

        return ExitCodes.Ok;
    }

    private static IEnumerable<GridWorkload> Workloads(GridSolverFamily family, GridBenchOptions options)
    {
        if (options.Size1D > 0)
        {
            yield return GridWorkload.For(family, 1, options.Size1D);
        }

        foreach (int n in options.Sizes2D)
        {
            yield return GridWorkload.For(family, 2, n);
        }
    }

    /// <summary>
    /// Per thread count: set-up (timed), one first step (JIT, factorisation, buffers; timed apart), one step to calibrate
    /// the count of steps to <see cref="GridBenchOptions.MinSeconds"/>, then the best of <see cref="GridBenchOptions.Repeat"/> runs.
    /// </summary>
    private static Row Measure(GridSolverCase solver, GridWorkload workload, GridBenchOptions options, int[] threadCounts, Dictionary<int, double> bandwidth)
    {
        var timings = new List<Timing>();
        double setup = double.NaN, first = double.NaN;
        double? streamed = null;
        int substeps = 1;
        long cells = workload.Grid.Count;
        foreach (int threads in threadCounts)
        {
            using ComputeDevice device = ComputeDevice.Open(options.Backend, threads);
            long start = Stopwatch.GetTimestamp();
            using IGridStepper stepper = solver.Open(workload, device, 0);
            double setupSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            substeps = stepper.Substeps;
            GridDensity density = workload.Start();
            start = Stopwatch.GetTimestamp();
            stepper.Step(density, 1);
            double firstSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            start = Stopwatch.GetTimestamp();
            stepper.Step(density, 1);
            double one = Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-7);
            int steps = (int)Math.Clamp(Math.Ceiling(options.MinSeconds / one), 1, 1_000_000);
            double best = double.PositiveInfinity;
            for (int r = 0; r < options.Repeat; r++)
            {
                start = Stopwatch.GetTimestamp();
                stepper.Step(density, steps);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            double rate = cells * (double)steps / substeps / best;
            double bytes = solver.MinBytesPerCellUpdate(workload.Grid.Dimension) * (double)substeps;
            streamed = stepper.StreamedBytesPerStep is { } perStep ? perStep * (double)substeps / cells : null;
            timings.Add(new Timing(threads, steps, best, rate, rate * bytes / bandwidth[threads], rate * streamed / bandwidth[threads]));
            if (threads == threadCounts[^1])
            {
                setup = setupSeconds;
                first = firstSeconds;
            }
        }

        return new Row(solver, workload, substeps, setup, first, timings, streamed);
    }

    /// <summary>
    /// The accuracy study: Langevin Fokker–Planck on the 2-D quadratic (H = [[1, 0.3], [0.3, 0.5]], Σ = I, b = 0,
    /// η = 0.1) from N((1, −0.8), 0.05 I) on [−4, 4]², each scheme at each sub-step count up to time T; the error is
    /// against the exact Ornstein–Uhlenbeck moments from the start density's own grid moments (so the sampling of the
    /// start is not counted). The seconds are the steps' (set-up apart; a backward Euler step's factorisation is in its
    /// first step), on all threads, one run each after a warm-up on a small grid.
    /// </summary>
    private static List<AccuracyPoint> Accuracy(GridBenchOptions options, GridAccuracyOptions study, TextWriter log)
    {
        int sgdSteps = (int)Math.Round(study.Time / AccuracyLearningRate);
        var landscape = GridLandscape.Wrap(new QuadraticField(2, AccuracyHessian[0, 0], AccuracyHessian[0, 1], AccuracyHessian[1, 1], 0, 0, 1, 0, 1, 0, 0));
        var workload = new GridWorkload($"ou-2d-{study.Cells}", new UniformGrid([-AccuracyBox, -AccuracyBox], [AccuracyBox, AccuracyBox], [study.Cells, study.Cells]), landscape, AccuracyLearningRate);
        var warmUp = workload with { Grid = new UniformGrid([-AccuracyBox, -AccuracyBox], [AccuracyBox, AccuracyBox], [16, 16]) };
        GridDensity Start(UniformGrid grid) => GridDensity.Gaussian(grid, AccuracyStartMean, new[,] { { AccuracyStartVariance, 0 }, { 0, AccuracyStartVariance } });

        GridDensity start = Start(workload.Grid);
        GaussianMoments exact = OrnsteinUhlenbeckMoments.Langevin(
            Matrix<double>.Build.DenseOfArray(AccuracyHessian), Vector<double>.Build.Dense(2), Matrix<double>.Build.DenseIdentity(2), AccuracyLearningRate,
            Vector<double>.Build.DenseOfArray(start.Mean()), Matrix<double>.Build.DenseOfArray(start.Covariance()), sgdSteps * AccuracyLearningRate);
        int threads = options.Backend == "managed" ? options.Threads[^1] : 0;
        using ComputeDevice device = ComputeDevice.Open(options.Backend, threads);
        var points = new List<AccuracyPoint>();
        foreach (GridSolverCase scheme in options.Solvers.Where(s => s.Family == GridSolverFamily.FokkerPlanck))
        {
            using (IGridStepper warm = scheme.Open(warmUp, device, 0))
            {
                warm.Step(Start(warmUp.Grid), warm.Substeps);
            }

            var done = new HashSet<int>();
            foreach (int requested in study.Substeps)
            {
                IGridStepper stepper;
                try
                {
                    stepper = scheme.Open(workload, device, requested);
                }
                catch (ArgumentOutOfRangeException)
                {
                    // fewer sub-steps than the scheme's stability needs: its least (which a request of 0 takes) instead
                    stepper = scheme.Open(workload, device, 0);
                }

                using IGridStepper opened = stepper;
                int substeps = stepper.Substeps;
                if (!done.Add(substeps))
                {
                    continue;
                }

                log.WriteLine($"accuracy: {scheme.Name}, {substeps} sub-steps per SGD step …");
                GridDensity density = Start(workload.Grid);
                long t0 = Stopwatch.GetTimestamp();
                stepper.Step(density, sgdSteps * substeps);
                double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                double[] mean = density.Mean();
                double[,] covariance = density.Covariance();
                double meanError = 0, covarianceError = 0;
                for (int i = 0; i < 2; i++)
                {
                    meanError = Math.Max(meanError, Math.Abs(mean[i] - exact.Mean[i]));
                    for (int j = 0; j < 2; j++)
                    {
                        covarianceError = Math.Max(covarianceError, Math.Abs(covariance[i, j] - exact.Covariance[i, j]));
                    }
                }

                points.Add(new AccuracyPoint(scheme.Name, substeps, seconds, meanError, covarianceError));
            }
        }

        return points;
    }

    private static JsonObject ToJson(
        string machine, GridBenchOptions options, int[] threadCounts, Dictionary<int, double> bandwidth, List<Row> rows, List<AccuracyPoint>? accuracy)
    {
        var json = new JsonObject
        {
            ["machine"] = machine,
            ["backend"] = options.Backend,
            ["repeat"] = options.Repeat,
            ["minSeconds"] = options.MinSeconds,
            ["memoryBandwidth"] = new JsonArray([.. threadCounts.Select(t => (JsonNode)new JsonObject
            {
                ["threads"] = t == 0 ? Environment.ProcessorCount : t,
                ["bytesPerSecond"] = Output.Json.Number(bandwidth[t]),
                ["method"] = "triad a = b + s·c over 3 × 2²³ doubles, 24 B an element, best of max(3, repeat)",
            })]),
            ["rows"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
            {
                ["solver"] = r.Solver.Name,
                ["description"] = r.Solver.Description,
                ["workload"] = r.Workload.Name,
                ["dimension"] = r.Workload.Grid.Dimension,
                ["cells"] = r.Workload.Grid.Count,
                ["learningRate"] = r.Workload.LearningRate,
                ["substepsPerSgdStep"] = r.Substeps,
                ["minBytesPerCellUpdate"] = r.BytesPerCellUpdate,
                ["bytesNote"] = r.Solver.BytesNote,
                ["streamedBytesPerCellUpdate"] = r.StreamedBytesPerCellUpdate is { } streamed ? Output.Json.Number(streamed) : null,
                ["setupSeconds"] = Output.Json.Number(r.SetupSeconds),
                ["firstStepSeconds"] = Output.Json.Number(r.FirstStepSeconds),
                ["timings"] = new JsonArray([.. r.Timings.Select(t => (JsonNode)new JsonObject
                {
                    ["threads"] = t.Threads == 0 ? null : t.Threads,
                    ["solverSteps"] = t.SolverSteps,
                    ["bestSeconds"] = Output.Json.Number(t.BestSeconds),
                    ["cellUpdatesPerSecond"] = Output.Json.Number(t.CellUpdatesPerSecond),
                    ["boundFraction"] = t.BoundFraction is { } f ? Output.Json.Number(f) : null,
                    ["streamFraction"] = t.StreamFraction is { } sf ? Output.Json.Number(sf) : null,
                })]),
                ["scaling"] = r.Timings.Count > 1 ? Output.Json.Number(r.Timings[^1].CellUpdatesPerSecond / r.Timings[0].CellUpdatesPerSecond) : null,
            })]),
        };
        if (accuracy is not null)
        {
            GridAccuracyOptions study = options.Accuracy!;
            json["accuracy"] = new JsonObject
            {
                ["problem"] = "Langevin Fokker–Planck, 2-D quadratic H = [[1, 0.3], [0.3, 0.5]], Σ = I, η = 0.1, start N((1, −0.8), 0.05 I), box [−4, 4]²; "
                    + "errors against the exact Ornstein–Uhlenbeck moments from the start density's grid moments",
                ["cells"] = study.Cells,
                ["time"] = Math.Round(study.Time / AccuracyLearningRate) * AccuracyLearningRate,
                ["sgdSteps"] = (int)Math.Round(study.Time / AccuracyLearningRate),
                ["points"] = new JsonArray([.. accuracy.Select(p => (JsonNode)new JsonObject
                {
                    ["scheme"] = p.Scheme,
                    ["substeps"] = p.Substeps,
                    ["seconds"] = Output.Json.Number(p.Seconds),
                    ["maxMeanError"] = Output.Json.Number(p.MaxMeanError),
                    ["maxCovarianceError"] = Output.Json.Number(p.MaxCovarianceError),
                })]),
            };
        }

        return json;
    }

    private static void WriteTables(GridBenchOptions options, int[] threadCounts, Dictionary<int, double> bandwidth, List<Row> rows, List<AccuracyPoint>? accuracy)
    {
        string Threads(int t) => t == 0 ? options.Backend : $"{t} thr";
        string bandwidths = string.Join(", ", threadCounts.Select(t => string.Create(CultureInfo.InvariantCulture, $"{bandwidth[t] / 1e9:F1} GB/s ({Threads(t)})")));
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]grid cell-updates per second[/] (cells × SGD steps / best of {options.Repeat}); memory bandwidth (triad) {Markup.Escape(bandwidths)}");
        var columns = new List<string> { "solver", "workload", "cells", "set-up s", "1st step s", "sub-steps" };
        foreach (int t in threadCounts)
        {
            columns.Add($"M/s {Threads(t)}");
        }

        if (threadCounts.Length > 1)
        {
            columns.Add("scaling");
        }

        columns.Add("B/update (min)");
        foreach (int t in threadCounts)
        {
            columns.Add($"of bound {Threads(t)}");
        }

        columns.Add("B/update (tables)");
        foreach (int t in threadCounts)
        {
            columns.Add($"of tables' bound {Threads(t)}");
        }

        foreach (string c in columns)
        {
            table.AddColumn(new TableColumn(c).RightAligned());
        }

        foreach (Row r in rows)
        {
            var cells = new List<string>
            {
                r.Solver.Name, r.Workload.Name, r.Workload.Grid.Count.ToString("N0", CultureInfo.InvariantCulture),
                F(r.SetupSeconds, "F3"), F(r.FirstStepSeconds, "F3"), r.Substeps.ToString(CultureInfo.InvariantCulture),
            };
            cells.AddRange(r.Timings.Select(t => F(t.CellUpdatesPerSecond / 1e6, "G4")));
            if (threadCounts.Length > 1)
            {
                cells.Add(F(r.Timings[^1].CellUpdatesPerSecond / r.Timings[0].CellUpdatesPerSecond, "F2"));
            }

            cells.Add(r.BytesPerCellUpdate.ToString(CultureInfo.InvariantCulture));
            cells.AddRange(r.Timings.Select(t => t.BoundFraction is { } f ? F(100 * f, f < 0.01 ? "G2" : "F1") + " %" : "n/a"));
            cells.Add(r.StreamedBytesPerCellUpdate is { } streamed ? F(streamed, "F0") : "-");
            cells.AddRange(r.Timings.Select(t => t.StreamFraction is { } f ? F(100 * f, f < 0.01 ? "G2" : "F1") + " %" : "-"));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]Set-up: the solver's construction (tables, rates, matrix); 1st step: the first step apart (JIT, a backward Euler "
            + "step's ILU(0) factorisation, device buffers); then steps calibrated to at least " + F(options.MinSeconds, "G3") + " s a run. Sub-steps: solver "
            + "steps per SGD step (the explicit operator at Δt = 0.9 Δt_max). B/update: bytes one cell-update (one SGD step of one cell) must move at "
            + "least; of bound: rate × bytes / triad bandwidth. B/update (tables): bytes a cell-update streams from the tables the solver caches "
            + "(the master equation's block table in 1-D, its cached windows in 2-D), the density included; of tables' bound: rate × those bytes / triad "
            + "bandwidth (- where the solver keeps no such table).[/]");
        foreach (GridSolverCase solver in options.Solvers)
        {
            AnsiConsole.MarkupLine($"[grey]  {Markup.Escape(solver.Name)}: {Markup.Escape(solver.BytesNote)}[/]");
        }

        if (accuracy is null)
        {
            return;
        }

        GridAccuracyOptions study = options.Accuracy!;
        var errors = new Table().Border(TableBorder.Rounded).Title(
            $"[bold]accuracy per second[/]: Langevin FP, 2-D quadratic (Ornstein–Uhlenbeck), {study.Cells}², T = {F(Math.Round(study.Time / AccuracyLearningRate) * AccuracyLearningRate, "G4")}, against the exact moments");
        foreach (string c in new[] { "scheme", "sub-steps", "seconds", "max mean error", "max cov error" })
        {
            errors.AddColumn(new TableColumn(c).RightAligned());
        }

        foreach (AccuracyPoint p in accuracy)
        {
            errors.AddRow(Markup.Escape(p.Scheme), p.Substeps.ToString(CultureInfo.InvariantCulture), F(p.Seconds, "F3"), F(p.MaxMeanError, "0.00E+0"), F(p.MaxCovarianceError, "0.00E+0"));
        }

        AnsiConsole.Write(errors);
    }

    private static string F(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static void PlotThroughput(string path, List<Row> rows, string machine)
    {
        var series = new List<ReportPlots.Points>();
        foreach (var group in rows.GroupBy(r => r.Solver.Name))
        {
            int threads = group.First().Timings.Count;
            for (int k = 0; k < threads; k++)
            {
                Row[] ordered = [.. group.OrderBy(r => r.Workload.Grid.Count)];
                int t = ordered[0].Timings[k].Threads;
                series.Add(new ReportPlots.Points(
                    $"{group.Key}{(t == 0 ? "" : $", {t} thr")}",
                    [.. ordered.Select(r => (double)r.Workload.Grid.Count)],
                    [.. ordered.Select(r => r.Timings[k].CellUpdatesPerSecond)],
                    new double[ordered.Length]));
            }
        }

        ReportPlots.Save(path, "grid cell-updates per second (cells × SGD steps / s)", "cells", "cell-updates / s", series, [], ReportPlots.Scale.Log, ReportPlots.Scale.Log);
    }

    private static void PlotAccuracy(string path, List<AccuracyPoint> points, GridAccuracyOptions study)
    {
        var series = new List<ReportPlots.Points>();
        var curves = new List<ReportPlots.Curve>();
        int colour = 0;
        foreach (var group in points.GroupBy(p => p.Scheme))
        {
            AccuracyPoint[] ordered = [.. group.OrderBy(p => p.Substeps)];
            double[] x = [.. ordered.Select(p => p.Seconds)];
            var mean = ReportPlots.Colour(colour++);
            var cov = ReportPlots.Colour(colour++);
            series.Add(new ReportPlots.Points($"{group.Key}: max mean error", x, [.. ordered.Select(p => p.MaxMeanError)], new double[x.Length], mean));
            series.Add(new ReportPlots.Points($"{group.Key}: max covariance error", x, [.. ordered.Select(p => p.MaxCovarianceError)], new double[x.Length], cov));
            curves.Add(new ReportPlots.Curve("", x, [.. ordered.Select(p => p.MaxMeanError)], mean));
            curves.Add(new ReportPlots.Curve("", x, [.. ordered.Select(p => p.MaxCovarianceError)], cov));
        }

        ReportPlots.Save(path, $"error against compute time: Langevin FP, 2-D Ornstein–Uhlenbeck, {study.Cells}², T = {study.Time.ToString("G4", CultureInfo.InvariantCulture)}",
            "seconds", "max error against the exact moments", series, curves, ReportPlots.Scale.Log, ReportPlots.Scale.Log);
    }
}
