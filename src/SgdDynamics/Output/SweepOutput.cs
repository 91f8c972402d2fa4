using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScottPlot;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Output;

/// <summary>
/// One finished cell of a sweep: the cell, its folder (relative to the sweep's), the run's exit code and its summary.json
/// as written (the sweep's row is read from it, so that the two never disagree).
/// </summary>
public sealed record SweepRow(SweepCell Cell, string Folder, int ExitCode, JsonObject Summary);

/// <summary>
/// The outputs of a sweep, beside its cell folders: <c>sweep.csv</c> (one row per cell: the swept values, final moments
/// with standard errors, diverged fraction, per-mode fitted values and predictions, seconds), <c>sweep.json</c> (the same
/// with the sweep's definition), <c>sweep.npz</c> (the numeric columns as arrays) and <c>sweep.png</c> (a line plot over one swept field, a heat map over two).
/// </summary>
public static class SweepOutput
{
    /// <summary>The table's name.</summary>
    public const string CsvFile = "sweep.csv";

    /// <summary>The JSON document's name.</summary>
    public const string JsonFile = "sweep.json";

    /// <summary>The NumPy archive's name.</summary>
    public const string NpzFile = "sweep.npz";

    /// <summary>The plot's name.</summary>
    public const string PlotFile = "sweep.png";

    /// <summary>The most coordinates (and modes) a row lists; the cell's own files hold the rest.</summary>
    public const int MaxColumnsPerKind = 16;

    /// <summary>A cell folder's name: <c>cell-000</c>, <c>cell-001</c>, … (at least three digits).</summary>
    public static string CellFolder(int index) => "cell-" + index.ToString("D3", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes sweep.csv, sweep.json and sweep.png into <paramref name="directory"/>; returns sweep.json's content.
    /// <paramref name="total"/> is the cell count of the sweep (more than the rows when it was stopped).
    /// </summary>
    public static JsonObject Write(string directory, string title, SweepSpec spec, IReadOnlyList<SweepRow> rows, int total, double seconds, long peakBytes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(rows);
        var table = rows.Select(Row).ToArray();
        var columns = new List<string>();
        foreach (var row in table)
        {
            foreach (string key in row.Keys)
            {
                if (!columns.Contains(key))
                {
                    columns.Add(key);
                }
            }
        }

        var csv = new StringBuilder();
        csv.AppendJoin(',', columns.Select(Quote)).Append('\n');
        foreach (var row in table)
        {
            csv.AppendJoin(',', columns.Select(c => row.TryGetValue(c, out JsonNode? v) ? Cell(v) : "")).Append('\n');
        }

        // the plot renders while the table and the archive are written; the PNG is written after them, on this thread, so
        // that the files are written in the same order every time
        var (plot, render) = Plot(title, spec, rows);
        Task<byte[]>? image = render is null ? null : Task.Run(render);
        AtomicFile.WriteAllText(Path.Combine(directory, CsvFile), csv.ToString());
        WriteNpz(Path.Combine(directory, NpzFile), spec, rows, table, columns);
        if (image is not null)
        {
            AtomicFile.WriteAllBytes(Path.Combine(directory, PlotFile), image.GetAwaiter().GetResult());
        }

        var json = new JsonObject
        {
            ["scenario"] = title,
            ["sweep"] = spec.ToJson(),
            ["cells"] = total,
            ["completed"] = rows.Count,
            ["complete"] = rows.Count == total,
            ["columns"] = new JsonArray(columns.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
            ["rows"] = new JsonArray(table.Select(r => (JsonNode)new JsonObject(r.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())))).ToArray()),
            ["modes"] = new JsonArray(rows.Select(r => r.Summary["modes"]?.DeepClone()).ToArray()),
            ["plot"] = plot,
            ["seconds"] = Json.Number(seconds),
            ["peakMemoryBytes"] = peakBytes,
        };
        Json.WriteFile(Path.Combine(directory, JsonFile), json);
        return json;
    }

    /// <summary>
    /// sweep.npz: <c>cell</c> (int64), per swept field its values by path (float64 (C,) for numbers, (C, L) for arrays of L
    /// numbers; otherwise <c>PATH.index</c>, the int64 index into the field's values listed in sweep.json), and every column of
    /// the table whose values are numbers (or booleans, as 1/0), as float64 (C,) with NaN where a cell has none.
    /// </summary>
    private static void WriteNpz(string path, SweepSpec spec, IReadOnlyList<SweepRow> rows, IReadOnlyList<Dictionary<string, JsonNode?>> table, IReadOnlyList<string> columns)
    {
        var npz = new Data.NpzWriter();
        npz.Add("cell", rows.Select(r => (long)r.Cell.Index).ToArray());
        for (int a = 0; a < spec.Axes.Count; a++)
        {
            SweepAxis axis = spec.Axes[a];
            int[] index = rows.Select(r => r.Cell.ValueIndex[a]).ToArray();
            double[][]? numbers = NumericValues(axis);
            if (numbers is not null && numbers.All(v => v.Length == numbers[0].Length))
            {
                int length = numbers[0].Length;
                bool scalar = axis.Values.All(v => v.ValueKind == JsonValueKind.Number);
                double[] flat = index.SelectMany(i => numbers[i]).ToArray();
                if (scalar)
                {
                    npz.Add(axis.Path.Text, flat, rows.Count);
                }
                else
                {
                    npz.Add(axis.Path.Text, flat, rows.Count, length);
                }
            }
            else
            {
                npz.Add(axis.Path.Text + ".index", index.Select(i => (long)i).ToArray());
            }
        }

        foreach (string column in columns)
        {
            if (column == "cell" || spec.Axes.Any(a => a.Path.Text == column))
            {
                continue;
            }

            var values = new double[table.Count];
            bool numeric = true;
            for (int r = 0; r < table.Count && numeric; r++)
            {
                JsonNode? node = table[r].GetValueOrDefault(column);
                if (node is null)
                {
                    values[r] = double.NaN;
                }
                else if (node is JsonValue v && v.TryGetValue(out double number))
                {
                    values[r] = number;
                }
                else if (node is JsonValue b && b.TryGetValue(out bool flag))
                {
                    values[r] = flag ? 1 : 0;
                }
                else
                {
                    numeric = false;
                }
            }

            if (numeric)
            {
                npz.Add(column, values, table.Count);
            }
        }

        npz.Save(path);
    }

    /// <summary>The axis's values as number arrays (a number: one element), or null when one is not numeric.</summary>
    private static double[][]? NumericValues(SweepAxis axis)
    {
        var result = new double[axis.Values.Count][];
        for (int i = 0; i < result.Length; i++)
        {
            JsonElement v = axis.Values[i];
            if (v.ValueKind == JsonValueKind.Number)
            {
                result[i] = [v.GetDouble()];
            }
            else if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
            {
                result[i] = v.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            }
            else
            {
                return null;
            }
        }

        return result;
    }

    /// <summary>
    /// One cell's row: <c>cell</c>, <c>folder</c>, the swept values (by path), <c>status</c>, <c>step</c>, <c>time</c>,
    /// <c>trajectories</c>, <c>diverged</c>, <c>divergedFraction</c>, per coordinate <c>mean_xi</c>, <c>mean_xi_se</c>,
    /// <c>var_xi</c>, <c>var_xi_se</c>, per mode <c>mode{m}_…</c> (eigenvalue, regime, quantity, fitted, se and every
    /// prediction and z-score summary.json has for it), <c>seconds</c>.
    /// </summary>
    public static Dictionary<string, JsonNode?> Row(SweepRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["cell"] = row.Cell.Index,
            ["folder"] = row.Folder,
        };
        for (int a = 0; a < row.Cell.Axes.Count; a++)
        {
            values[row.Cell.Axes[a].Path.Text] = JsonNode.Parse(row.Cell.Axes[a].Text(row.Cell.ValueIndex[a]));
        }

        JsonObject summary = row.Summary;
        values["status"] = Status(row.ExitCode, summary);
        JsonObject? final = summary["final"] as JsonObject;
        values["step"] = final?["step"]?.DeepClone();
        values["time"] = final?["time"]?.DeepClone();
        if (summary["trajectories"] is { } trajectories)
        {
            values["trajectories"] = trajectories.DeepClone();
            long n = trajectories.GetValue<long>();
            long diverged = final?["diverged"]?.GetValue<long>() ?? 0;
            values["diverged"] = diverged;
            values["divergedFraction"] = Json.Number(n > 0 ? diverged / (double)n : double.NaN);
        }

        if (final is not null)
        {
            double?[] mean = Vector(final["mean"]);
            double?[] variance = final["variance"] is JsonArray ? Vector(final["variance"]) : Diagonal(final["covariance"]);
            double?[] meanSe = Vector(final["meanStandardError"]);
            double?[] varianceSe = Vector(final["varianceStandardError"]);
            for (int i = 0; i < Math.Min(mean.Length, MaxColumnsPerKind); i++)
            {
                values[$"mean_x{i}"] = Number(mean, i);
                if (meanSe.Length > 0)
                {
                    values[$"mean_x{i}_se"] = Number(meanSe, i);
                }

                values[$"var_x{i}"] = Number(variance, i);
                if (varianceSe.Length > 0)
                {
                    values[$"var_x{i}_se"] = Number(varianceSe, i);
                }
            }
        }

        if (summary["secondMomentStable"] is { } stable)
        {
            values["secondMomentStable"] = stable.DeepClone();
        }

        if (summary["modes"] is JsonArray modes)
        {
            foreach (JsonObject mode in modes.OfType<JsonObject>().Take(MaxColumnsPerKind))
            {
                int m = mode["mode"]!.GetValue<int>();
                foreach (var (key, value) in mode)
                {
                    if (key is "mode" or "eigenvector" or "reason" or "series")
                    {
                        continue;
                    }

                    if (value is null or JsonValue)
                    {
                        values[$"mode{m}_{(key == "standardError" ? "se" : key)}"] = value?.DeepClone();
                    }
                }
            }
        }

        values["seconds"] = summary["seconds"]?.DeepClone();
        return values;
    }

    private static string Status(int exitCode, JsonObject summary) => exitCode switch
    {
        0 when (summary["final"]?["diverged"]?.GetValue<long>() ?? 0) > 0 => "partlyDiverged",
        0 => "ok",
        3 => summary["failure"] is not null ? "failed" : "diverged",
        _ => "exit " + exitCode.ToString(CultureInfo.InvariantCulture),
    };

    private static double?[] Vector(JsonNode? node) =>
        node is JsonArray array ? array.Select(v => v is null ? (double?)null : v.GetValue<double>()).ToArray() : [];

    private static double?[] Diagonal(JsonNode? node) =>
        node is JsonArray rows ? rows.Select((r, i) => r is JsonArray row && row[i] is { } v ? v.GetValue<double>() : (double?)null).ToArray() : [];

    private static JsonNode? Number(double?[] values, int i) => i < values.Length && values[i] is { } v ? Json.Number(v) : null;

    private static string Cell(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out string? text) => Quote(text),
        JsonValue v when v.TryGetValue(out double number) => number.ToString("R", CultureInfo.InvariantCulture),
        JsonValue v => v.ToJsonString(),
        _ => Quote(value.ToJsonString()),
    };

    private static string Quote(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Whether a cell's first mode has a fitted value (a confined or diffusive mode of a quadratic).</summary>
    private static bool HasModeFit(JsonObject summary) =>
        summary["modes"] is JsonArray { Count: > 0 } modes && modes[0] is JsonObject mode && mode["quantity"]?.GetValue<string>() is "stationaryVariance" or "diffusionCoefficient";

    /// <summary>
    /// The quantity a sweep plots per cell and how it is named: the first mode's fitted value when <paramref name="modeFit"/>
    /// (null where that cell's mode has none, e.g. unstable), else the final variance of x0.
    /// </summary>
    private static (string Label, double? Value, double? Error, double? Predicted, string? PredictedLabel) Quantity(JsonObject summary, bool modeFit)
    {
        if (modeFit)
        {
            if (!HasModeFit(summary))
            {
                return ("mode 0: fitted stationary variance or D", null, null, null, "discrete prediction");
            }

            var mode = (JsonObject)summary["modes"]![0]!;
            string what = mode["quantity"]!.GetValue<string>() == "stationaryVariance" ? "stationary variance" : "diffusion coefficient D";
            double? predicted = (mode["discrete"] ?? mode["predicted"]) is JsonValue p ? p.GetValue<double>() : null;
            return ($"mode 0 (λ = {mode["eigenvalue"]!.GetValue<double>():G4}): fitted {what}", Value(mode["fitted"]), Value(mode["standardError"]), predicted, "discrete prediction");
        }

        if (summary["final"] is JsonObject final)
        {
            double?[] variance = final["variance"] is JsonArray ? Vector(final["variance"]) : Diagonal(final["covariance"]);
            double?[] se = Vector(final["varianceStandardError"]);
            return ("final variance of x0", variance.Length > 0 ? variance[0] : null, se.Length > 0 ? se[0] : null, null, null);
        }

        return ("final variance of x0", null, null, null, null);
    }

    private static double? Value(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double d) ? d : null;

    /// <summary>
    /// sweep.png (one swept field: a line plot; two in product mode: a heat map): its name and what renders its PNG bytes, or
    /// why there is none (and nothing to render).
    /// </summary>
    private static (string Plot, Func<byte[]>? Render) Plot(string title, SweepSpec spec, IReadOnlyList<SweepRow> rows)
    {
        if (rows.Count == 0)
        {
            return ("none: no cell finished", null);
        }

        // a field swept over one value is a constant of the sweep, not an axis of its plot
        int[] varying = Enumerable.Range(0, spec.Axes.Count).Where(a => spec.Axes[a].Values.Count > 1).ToArray();
        if (varying.Length == 0)
        {
            varying = [0];
        }

        if (varying.Length == 1 || spec.Mode == SweepMode.Zip)
        {
            return (PlotFile, () => LinePlot(title, spec.Axes[varying[0]], varying[0], rows));
        }

        if (varying.Length == 2)
        {
            return (PlotFile, () => HeatMap(title, spec.Axes[varying[0]], varying[0], spec.Axes[varying[1]], varying[1], rows));
        }

        return ($"none: {varying.Length} fields swept over several values (a line plot shows one, a heat map two)", null);
    }

    private static byte[] LinePlot(string title, SweepAxis axis, int a, IReadOnlyList<SweepRow> rows)
    {
        bool numeric = Enumerable.Range(0, axis.Values.Count).All(i => axis.Number(i) is not null);
        var plot = new Plot();
        var x = new List<double>();
        var y = new List<double>();
        var error = new List<double>();
        var px = new List<double>();
        var predicted = new List<double>();
        var lx = new List<double>();
        var langevin = new List<double>();
        string label = "", predictedLabel = "";
        int missing = 0;
        // every cell plots the same quantity: the first mode's fit when the first cell has one, else the final variance
        bool modeFit = HasModeFit(rows[0].Summary);
        label = Quantity(rows[0].Summary, modeFit).Label;
        foreach (SweepRow row in rows)
        {
            int v = row.Cell.ValueIndex[a];
            double position = numeric ? axis.Number(v)!.Value : v;
            var q = Quantity(row.Summary, modeFit);
            if (q.Value is { } value && double.IsFinite(value))
            {
                label = q.Label;
                x.Add(position);
                y.Add(value);
                error.Add(q.Error is { } e && double.IsFinite(e) ? e : 0);
            }
            else
            {
                missing++;
            }

            if (q.Predicted is { } p && double.IsFinite(p))
            {
                px.Add(position);
                predicted.Add(p);
                predictedLabel = q.PredictedLabel!;
            }

            if (modeFit && row.Summary["modes"] is JsonArray { Count: > 0 } modes && Value(modes[0]?["langevin"]) is { } l && double.IsFinite(l))
            {
                lx.Add(position);
                langevin.Add(l);
            }
        }

        if (langevin.Count > 0)
        {
            var line = plot.Add.Scatter(lx.ToArray(), langevin.ToArray());
            line.LegendText = "Langevin prediction";
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LinePattern = LinePattern.Dashed;
        }

        if (predicted.Count > 0)
        {
            var line = plot.Add.Scatter(px.ToArray(), predicted.ToArray());
            line.LegendText = predictedLabel;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }

        if (x.Count > 0)
        {
            var points = plot.Add.Scatter(x.ToArray(), y.ToArray());
            points.LegendText = "measured ± 1 SE";
            points.LineWidth = 0;
            points.MarkerSize = 7;
            var bars = plot.Add.ErrorBar(x.ToArray(), y.ToArray(), error.ToArray());
            bars.Color = points.Color;
        }

        if (!numeric)
        {
            plot.Axes.Bottom.SetTicks(
                Enumerable.Range(0, axis.Values.Count).Select(i => (double)i).ToArray(),
                Enumerable.Range(0, axis.Values.Count).Select(axis.Text).ToArray());
        }

        plot.Title(title + (missing > 0 ? $" ({missing} cell{(missing == 1 ? "" : "s")} without a value: diverged or undefined)" : ""));
        plot.XLabel(axis.Path.Text);
        plot.YLabel(label);
        plot.ShowLegend(Edge.Right);
        return plot.GetImageBytes(1000, 600, ImageFormat.Png);
    }

    private static byte[] HeatMap(string title, SweepAxis up, int upIndex, SweepAxis across, int acrossIndex, IReadOnlyList<SweepRow> rows)
    {
        int nx = across.Values.Count, ny = up.Values.Count;
        var intensities = new double[ny, nx];
        for (int i = 0; i < ny; i++)
        {
            for (int j = 0; j < nx; j++)
            {
                intensities[i, j] = double.NaN;
            }
        }

        const string label = "final variance of x0";
        var divergedX = new List<double>();
        var divergedY = new List<double>();
        var unstableX = new List<double>();
        var unstableY = new List<double>();
        foreach (SweepRow row in rows)
        {
            int iy = row.Cell.ValueIndex[upIndex], ix = row.Cell.ValueIndex[acrossIndex];
            // the final variance exists in every cell that kept trajectories, stable or not: the heat map shows it for all
            var q = Quantity(row.Summary, modeFit: false);
            if (q.Value is { } value && value > 0 && double.IsFinite(value))
            {
                // the heat map's first row is drawn at the top: the first value of the vertical axis goes to the bottom
                intensities[ny - 1 - iy, ix] = Math.Log10(value);
            }

            if ((row.Summary["final"]?["diverged"]?.GetValue<long>() ?? 0) > 0)
            {
                divergedX.Add(ix);
                divergedY.Add(iy);
            }

            if (row.Summary["secondMomentStable"] is JsonValue stable && stable.TryGetValue(out bool isStable) && !isStable)
            {
                unstableX.Add(ix);
                unstableY.Add(iy);
            }
        }

        var plot = new Plot();
        var map = plot.Add.Heatmap(intensities);
        map.Rectangle = new CoordinateRect(-0.5, nx - 0.5, -0.5, ny - 0.5);
        map.NaNCellColor = Colors.LightGray;
        var bar = plot.Add.ColorBar(map);
        bar.Label = "log10 " + label;
        Markers(unstableX, unstableY, MarkerShape.OpenCircle, 18, Colors.White, "theory: infinite variance");
        Markers(divergedX, divergedY, MarkerShape.Eks, 12, Colors.Red, "trajectories diverged");

        void Markers(List<double> xs, List<double> ys, MarkerShape shape, float size, Color color, string legend)
        {
            if (xs.Count == 0)
            {
                return;
            }

            var markers = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            markers.LineWidth = 0;
            markers.MarkerShape = shape;
            markers.MarkerSize = size;
            markers.Color = color;
            markers.LegendText = legend;
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, nx).Select(i => (double)i).ToArray(), Enumerable.Range(0, nx).Select(across.Text).ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, ny).Select(i => (double)i).ToArray(), Enumerable.Range(0, ny).Select(up.Text).ToArray());
        plot.Title(title + " (grey: no finite value)");
        plot.XLabel(across.Path.Text);
        plot.YLabel(up.Path.Text);
        if (unstableX.Count + divergedX.Count > 0)
        {
            plot.ShowLegend(Edge.Bottom);
        }

        return plot.GetImageBytes(1000, 750, ImageFormat.Png);
    }

    /// <summary>
    /// Draws a small plot of the kinds <c>sweep.png</c> uses (a heat map with a colour bar, markers and lines with error bars,
    /// tick labels, a legend) and discards it: ScottPlot's first render loads its native library and typefaces and compiles
    /// its drawing code, several times the cost of a warm render. A sweep does this on an otherwise idle core while its
    /// cells run, so that its own plot renders warm at the end. Touches no file and no shared state of the sweep.
    /// </summary>
    public static void WarmUpPlot()
    {
        var plot = new Plot();
        var map = plot.Add.Heatmap(new double[,] { { 0, 1 }, { double.NaN, 2 } });
        map.Rectangle = new CoordinateRect(-0.5, 1.5, -0.5, 1.5);
        map.NaNCellColor = Colors.LightGray;
        plot.Add.ColorBar(map).Label = "warm-up";
        var markers = plot.Add.Scatter(new double[] { 0, 1 }, new double[] { 0, 1 });
        markers.LineWidth = 0;
        markers.MarkerShape = MarkerShape.OpenCircle;
        markers.LegendText = "markers";
        var line = plot.Add.Scatter(new double[] { 0, 1 }, new double[] { 1, 0 });
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = "line";
        plot.Add.ErrorBar(new double[] { 0, 1 }, new double[] { 1, 0 }, new double[] { 0.1, 0.1 });
        plot.Axes.Bottom.SetTicks([0, 1], ["0.2", "[0.5]"]);
        plot.Title("warm-up");
        plot.XLabel("x");
        plot.YLabel("y");
        plot.ShowLegend(Edge.Bottom);
        plot.GetImageBytes(160, 120, ImageFormat.Png);
    }
}
