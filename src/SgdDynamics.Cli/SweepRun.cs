using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Backends;
using SgdDynamics.Output;
using SgdDynamics.Scenarios;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn run FILE [--set PATH=VALUE]… [--sweep PATH=v1,v2,…]… [--sweep-mode product|zip]</c>: overrides, and a sweep
/// run in one process. Every cell's scenario is loaded and validated before the first runs; the cells then run one after
/// the other on one open device (kernels compiled once, the GPU kept warm), each into its own folder with the outputs of a
/// single run, and the sweep writes <see cref="SweepOutput"/>'s table, JSON and plot beside them.
/// </summary>
internal static class SweepRun
{
    /// <summary>Parses the <c>--set</c> values (bad ones are bad input naming the option).</summary>
    public static IReadOnlyList<ScenarioOverride> ParseSets(IEnumerable<string> sets)
    {
        try
        {
            return sets.Select(s => ScenarioOverride.Parse(s)).ToArray();
        }
        catch (FormatException e)
        {
            throw new CliInputException(e.Message);
        }
    }

    /// <summary>
    /// The sweep of the file's section and the <c>--sweep</c> options (an option replaces the section's axis of the same
    /// path), or null when there is none. A field both set (<c>--set</c>) and swept is refused.
    /// </summary>
    public static SweepSpec? Spec(ScenarioDocument document, IEnumerable<string> sweeps, string? mode, IReadOnlyList<ScenarioOverride> overrides)
    {
        List<SweepAxis> axes = [.. document.SweepAxes];
        try
        {
            foreach (string option in sweeps)
            {
                SweepAxis axis = SweepSpec.ParseOption(option);
                int existing = axes.FindIndex(a => a.Path.Equals(axis.Path));
                if (existing >= 0)
                {
                    axes[existing] = axis;
                }
                else
                {
                    axes.Add(axis);
                }
            }
        }
        catch (FormatException e)
        {
            throw new CliInputException(e.Message);
        }

        if (axes.Count == 0)
        {
            return mode is null ? null : throw new CliInputException("--sweep-mode needs a sweep (--sweep PATH=v1,v2,… or the scenario's \"sweep\" section)");
        }

        foreach (ScenarioOverride set in overrides)
        {
            if (axes.FirstOrDefault(a => a.Path.Overlaps(set.Path)) is { } swept)
            {
                throw new CliInputException($"{set.Origin}: {swept.Path.Text} is swept ({swept.Origin}); a field is either set or swept");
            }
        }

        try
        {
            return new SweepSpec(axes, mode is null ? document.SweepMode ?? SweepMode.Product : SweepSpec.ParseMode(mode)!.Value);
        }
        catch (ScenarioException e) when (document.FilePath is not null && e.FilePath is null)
        {
            throw e.InFile(document.FilePath);
        }
    }

    /// <summary>Runs every cell of <paramref name="spec"/> and writes the sweep's outputs; returns the exit code.</summary>
    public static int Execute(
        ScenarioDocument document, IReadOnlyList<ScenarioOverride> overrides, SweepSpec spec, string backendName, int threads, string directory,
        bool json, bool allowDivergence, RunLimits limits, StopSignals stop, StateOutputs states, bool cellPlots)
    {
        var clock = Stopwatch.StartNew();
        // the first render of the sweep's plot and of its console table (native library, typefaces, compilation) happen on an
        // idle core while the cells are checked and run; the sweep draws each only after its warm-up has finished
        var warmUp = new WarmUp(table: !json);
        // every cell is loaded and checked before anything runs: a bad value fails at once, naming its cell and path
        var scenarios = LoadCells(document, overrides, spec);
        string title = scenarios[0].Name ?? (document.FilePath is null ? "sweep" : Path.GetFileNameWithoutExtension(document.FilePath));
        using ComputeDevice device = ComputeDevice.Open(backendName, threads);
        JsonObject? written = null;
        var rows = new List<SweepRow>();
        int code = OutputFolder.Run(directory, "sgdyn run (sweep)", null, () =>
        {
            string root = Path.GetFullPath(directory);
            RemoveStaleCells(root, spec.Cells.Count);
            bool lines = !json && spec.Cells.Count <= MaxCellLines;
            // the cells' small files reach the disk in one flush before the sweep's own manifest, not one flush each
            using IDisposable flush = AtomicFile.DeferFlush();
            if (cellPlots)
            {
                warmUp.PlotReady();
            }

            foreach (SweepCell cell in spec.Cells)
            {
                string folder = SweepOutput.CellFolder(cell.Index);
                string cellDirectory = Path.Combine(root, folder);
                int exit;
                try
                {
                    exit = RunCommand.ExecuteOn(device, scenarios[cell.Index], cellDirectory, json: false, allowDivergence: true, limits, stop, states: states, quiet: true, plot: cellPlots);
                }
                catch (RunInterruptedException e)
                {
                    warmUp.PlotReady();
                    written = SweepOutput.Write(root, title, spec, rows, spec.Cells.Count, clock.Elapsed.TotalSeconds, Json.PeakMemoryBytes());
                    throw new RunInterruptedException(
                        e.ExitCode,
                        $"sweep stopped in cell {cell.Index} of {spec.Cells.Count} ({cell.Describe()}): {e.Message}; {rows.Count} finished cells are in {SweepOutput.CsvFile} (complete: false)");
                }
                catch (CliInputException e)
                {
                    throw new CliInputException($"sweep cell {cell.Index} ({cell.Describe()}): {e.Message}");
                }

                JsonObject summary = JsonNode.Parse(File.ReadAllText(Path.Combine(cellDirectory, EnsembleOutput.SummaryFile)))!.AsObject();
                var row = new SweepRow(cell, folder, exit, summary);
                rows.Add(row);
                if (lines)
                {
                    Console.Error.WriteLine(CellLine(row, spec.Cells.Count));
                }
            }
            warmUp.PlotReady();
            written = SweepOutput.Write(root, title, spec, rows, spec.Cells.Count, clock.Elapsed.TotalSeconds, Json.PeakMemoryBytes());
            return ExitCodes.Ok;
        });

        warmUp.Finished();
        if (json)
        {
            Console.Out.WriteLine(written!.ToJsonString(Json.Indented));
        }
        else
        {
            Print(title, spec, rows, directory, clock.Elapsed.TotalSeconds);
        }

        var diverged = rows.Where(r => r.ExitCode != ExitCodes.Ok || (r.Summary["final"]?["diverged"]?.GetValue<long>() ?? 0) > 0).ToArray();
        if (diverged.Length == 0 || allowDivergence)
        {
            return code;
        }

        return CliRunner.Fail(
            ExitCodes.Diverged,
            $"{diverged.Length} of {rows.Count} cells had diverged trajectories or a failed solver (cells {string.Join(", ", diverged.Take(12).Select(r => r.Cell.Index))}{(diverged.Length > 12 ? ", …" : "")}); " +
            $"every output is written, {SweepOutput.CsvFile} has each cell's diverged fraction (pass --allow-divergence to accept)");
    }

    /// <summary>
    /// The warm-ups of a sweep's end, on a background thread of its own (not the thread pool, which the cells' workers use):
    /// <see cref="SweepOutput.WarmUpPlot"/>, then (unless the sweep prints JSON) a console table like the sweep's, rendered to
    /// nowhere. A failure there is left to the real plot or table to report; a sweep that fails early leaves the thread to
    /// end with the process.
    /// </summary>
    private sealed class WarmUp
    {
        private readonly ManualResetEventSlim plotDone = new();
        private readonly Thread thread;

        public WarmUp(bool table)
        {
            thread = new Thread(() =>
            {
                try
                {
                    SweepOutput.WarmUpPlot();
                }
                catch (Exception)
                {
                    // only a warm-up: the sweep's own plot draws (and reports) for real
                }
                finally
                {
                    plotDone.Set();
                }

                if (table)
                {
                    try
                    {
                        WarmUpTable();
                    }
                    catch (Exception)
                    {
                        // only a warm-up: the sweep's own table prints for real
                    }
                }
            })
            {
                IsBackground = true,
                Name = "sweep warm-up",
            };
            thread.Start();
        }

        /// <summary>Waits until the plot's warm-up has finished (ScottPlot is then used by one thread at a time).</summary>
        public void PlotReady() => plotDone.Wait();

        /// <summary>Waits until every warm-up has finished.</summary>
        public void Finished() => thread.Join();

        private static void WarmUpTable()
        {
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Out = new AnsiConsoleOutput(TextWriter.Null),
            });
            console.Profile.Width = 200;
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]warm-up[/]: sweep of 1 cells (product)");
            table.AddColumn(new TableColumn("field").RightAligned());
            table.AddColumn(new TableColumn("fitted ± SE").RightAligned());
            table.AddRow("0.2", $"{1.5:G5} ± {0.01:G2}");
            table.Caption("caption");
            console.Write(table);
            console.MarkupLine($"1 cells in {0.5:F2} s (peak memory {1:F0} MiB); wrote [bold]x[/]");
        }
    }

    /// <summary>
    /// Every cell's scenario, loaded and checked on all cores (cells are independent); when some fail, the error of the
    /// first of them in cell order is thrown, so that the message does not depend on the thread count.
    /// </summary>
    private static Scenario[] LoadCells(ScenarioDocument document, IReadOnlyList<ScenarioOverride> overrides, SweepSpec spec)
    {
        var scenarios = new Scenario[spec.Cells.Count];
        var errors = new Exception?[spec.Cells.Count];
        Parallel.For(0, spec.Cells.Count, c =>
        {
            try
            {
                scenarios[c] = document.Load([.. overrides, .. spec.Cells[c].Overrides]);
            }
            catch (Exception e)
            {
                errors[c] = e;
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }

        return scenarios;
    }

    /// <summary>Cells up to which the sweep prints one line per finished cell.</summary>
    private const int MaxCellLines = 200;

    private static string CellLine(SweepRow row, int total)
    {
        JsonObject summary = row.Summary;
        string seconds = summary["seconds"] is JsonValue s ? s.GetValue<double>().ToString("F3", CultureInfo.InvariantCulture) + " s" : "";
        string diverged = summary["trajectories"] is { } n
            ? $", diverged {summary["final"]?["diverged"]?.GetValue<long>() ?? 0:N0} of {n.GetValue<long>():N0}"
            : "";
        return $"cell {row.Cell.Index + 1}/{total} ({row.Cell.Describe()}): {seconds}{diverged}";
    }

    /// <summary>Deletes the cell folders of an earlier sweep in this folder that this one does not rewrite.</summary>
    private static void RemoveStaleCells(string root, int cells)
    {
        foreach (string folder in Directory.EnumerateDirectories(root, "cell-*"))
        {
            string name = Path.GetFileName(folder);
            if (int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index >= cells
                && name == SweepOutput.CellFolder(index) && File.Exists(Path.Combine(folder, RunFolder.ManifestFile)))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private const int MaxTableRows = 40;

    private static void Print(string title, SweepSpec spec, IReadOnlyList<SweepRow> rows, string directory, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(title)}[/]: sweep of {rows.Count} cells ({spec.ModeName})");
        foreach (SweepAxis axis in spec.Axes)
        {
            table.AddColumn(new TableColumn(Markup.Escape(SweepSpec.ShortName(axis.Path))).RightAligned());
        }

        var first = rows.Count > 0 ? SweepOutput.Row(rows[0]) : [];
        bool modes = first.ContainsKey("mode0_fitted");
        foreach (string column in new[] { "diverged", modes ? "mode 0" : "mean x0", modes ? "fitted ± SE" : "var x0 ± SE", modes ? "discrete" : "", "s" }.Where(c => c.Length > 0))
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (SweepRow row in rows.Take(MaxTableRows))
        {
            var values = SweepOutput.Row(row);
            var cells = spec.Axes.Select((axis, a) => Markup.Escape(axis.Text(row.Cell.ValueIndex[a]))).ToList();
            cells.Add(values.TryGetValue("divergedFraction", out var f) && f is not null ? $"{f.GetValue<double>():P1}" : "—");
            if (modes)
            {
                cells.Add(Text(values, "mode0_regime"));
                cells.Add($"{Number(values, "mode0_fitted")} ± {Number(values, "mode0_se", "G2")}");
                cells.Add(Number(values, values.ContainsKey("mode0_discrete") ? "mode0_discrete" : "mode0_predicted"));
            }
            else
            {
                cells.Add(Number(values, "mean_x0"));
                cells.Add($"{Number(values, "var_x0")} ± {Number(values, "var_x0_se", "G2")}");
            }

            cells.Add(Number(values, "seconds", "F3"));
            table.AddRow(cells.ToArray());
        }

        if (rows.Count > MaxTableRows)
        {
            table.Caption($"{rows.Count - MaxTableRows} more cells in {SweepOutput.CsvFile}");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(
            $"{rows.Count} cells in {seconds:F2} s (peak memory {Json.PeakMemoryBytes() / 1048576.0:F0} MiB); wrote {Markup.Escape(Path.Combine(directory, SweepOutput.CsvFile))}, " +
            $"{SweepOutput.JsonFile}, {SweepOutput.NpzFile}, {SweepOutput.PlotFile} and one folder per cell ({SweepOutput.CellFolder(0)} …)");
    }

    private static string Text(Dictionary<string, JsonNode?> values, string key) =>
        values.TryGetValue(key, out JsonNode? v) && v is JsonValue value && value.TryGetValue(out string? text) ? Markup.Escape(text) : "—";

    private static string Number(Dictionary<string, JsonNode?> values, string key, string format = "G5") =>
        values.TryGetValue(key, out JsonNode? v) && v is JsonValue value && value.TryGetValue(out double number)
            ? number.ToString(format, CultureInfo.InvariantCulture)
            : "—";
}
