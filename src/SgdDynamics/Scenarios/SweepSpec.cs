using System.Globalization;
using System.Text.Json;

namespace SgdDynamics.Scenarios;

/// <summary>How the axes of a sweep combine into cells.</summary>
public enum SweepMode
{
    /// <summary>Every combination (the first axis varies slowest, as <c>itertools.product</c>).</summary>
    Product,

    /// <summary>The i-th value of every axis together (all axes have the same length).</summary>
    Zip,
}

/// <summary>
/// One swept field: its path, its values (JSON, any kind the field takes), where it was given (<c>--sweep …</c>, or the
/// section's field) and, for a field of the section, its JSON path there (errors about the axis name it).
/// </summary>
public sealed record SweepAxis(ScenarioPath Path, IReadOnlyList<JsonElement> Values, string Origin, string? SectionPath = null)
{
    /// <summary>An error about this axis: at its place in the section, or naming the option that gave it.</summary>
    public ScenarioException Error(string detail) =>
        SectionPath is null ? new ScenarioException(null, $"{Origin}: {detail}") : new ScenarioException(SectionPath, detail);

    /// <summary>The i-th value as compact JSON text (<c>0.6</c>, <c>[1.4]</c>, <c>"momentum"</c>).</summary>
    public string Text(int i) => CompactJson.Of(writer => Values[i].WriteTo(writer));

    /// <summary>The value as one number when it is one (a number, or an array holding one number), else null.</summary>
    public double? Number(int i) => Values[i] switch
    {
        { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
        { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() == 1 && a[0].ValueKind == JsonValueKind.Number => a[0].GetDouble(),
        _ => null,
    };
}

/// <summary>One cell of a sweep: its index and the value each axis takes in it.</summary>
public sealed record SweepCell(int Index, IReadOnlyList<int> ValueIndex, IReadOnlyList<SweepAxis> Axes)
{
    /// <summary>The overrides that make this cell's scenario from the base one.</summary>
    public IReadOnlyList<ScenarioOverride> Overrides =>
        Axes.Select((axis, a) => new ScenarioOverride(axis.Path, axis.Values[ValueIndex[a]], $"sweep cell {Index} ({axis.Path.Text} = {axis.Text(ValueIndex[a])})")).ToArray();

    /// <summary>The cell's values, <c>path = value</c>, comma-separated.</summary>
    public string Describe() => string.Join(", ", Axes.Select((axis, a) => $"{axis.Path.Text} = {axis.Text(ValueIndex[a])}"));
}

/// <summary>
/// A sweep over scenario fields: the <c>"sweep"</c> section of a scenario file,
/// <c>{"optimizer.learningRate": [0.2, 0.6], "landscape.curvatureNoiseStd": [[0.7], [1.0]], "mode": "product"}</c>, and/or
/// <c>--sweep PATH=v1,v2,…</c> options. Each cell's scenario is the base document with the cell's values set, loaded and
/// validated as a file would be.
/// </summary>
public sealed class SweepSpec
{
    /// <summary>The scenario section's name.</summary>
    public const string SectionName = "sweep";

    /// <summary>The most cells a sweep may have.</summary>
    public const int MaxCells = 100_000;

    /// <summary>Creates a sweep over <paramref name="axes"/> combined by <paramref name="mode"/>.</summary>
    /// <exception cref="ScenarioException">No axes, an empty axis, zip axes of different lengths, or too many cells.</exception>
    public SweepSpec(IReadOnlyList<SweepAxis> axes, SweepMode mode)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Count == 0)
        {
            throw new ScenarioException("$.sweep", "a sweep needs at least one field with a list of values");
        }

        for (int a = 0; a < axes.Count; a++)
        {
            if (axes[a].Values.Count == 0)
            {
                throw axes[a].Error("the list of values is empty");
            }

            for (int b = 0; b < a; b++)
            {
                if (axes[a].Path.Overlaps(axes[b].Path))
                {
                    throw axes[a].Error($"{axes[a].Path.Text} and {axes[b].Path.Text} ({axes[b].Origin}) are the same or nested fields: sweep each field once");
                }
            }
        }

        if (mode == SweepMode.Zip && axes.Select(a => a.Values.Count).Distinct().Count() > 1)
        {
            throw new ScenarioException(
                "$.sweep.mode",
                $"zip pairs the i-th values of every field, so the lists must have the same length; got {string.Join(", ", axes.Select(a => $"{a.Path.Text}: {a.Values.Count}"))}");
        }

        double cells = mode == SweepMode.Zip ? axes[0].Values.Count : axes.Aggregate(1.0, (n, a) => n * a.Values.Count);
        if (cells > MaxCells)
        {
            throw new ScenarioException("$.sweep", $"{cells:G} cells; a sweep runs at most {MaxCells:N0} (split it into several)");
        }

        Axes = axes;
        Mode = mode;
        Cells = BuildCells();
    }

    /// <summary>The swept fields, in the order given.</summary>
    public IReadOnlyList<SweepAxis> Axes { get; }

    /// <summary>How the axes combine.</summary>
    public SweepMode Mode { get; }

    /// <summary>The cells in run order.</summary>
    public IReadOnlyList<SweepCell> Cells { get; }

    /// <summary>The mode's name as the section writes it.</summary>
    public string ModeName => Mode switch
    {
        SweepMode.Product => "product",
        SweepMode.Zip => "zip",
        _ => throw new InvalidOperationException($"unknown sweep mode {Mode}"),
    };

    /// <summary>Parses a mode name (<c>product</c>, <c>zip</c>); null when it is neither.</summary>
    public static SweepMode? ParseMode(string name) => name switch
    {
        "product" => SweepMode.Product,
        "zip" => SweepMode.Zip,
        _ => null,
    };

    /// <summary>
    /// Reads the <c>"sweep"</c> section (<paramref name="section"/>): every field but <c>mode</c> is a path with a non-empty
    /// array of values.
    /// </summary>
    /// <exception cref="ScenarioException">The section is not an object, a path is malformed, a value list is not an array.</exception>
    public static (IReadOnlyList<SweepAxis> Axes, SweepMode? Mode) ReadSection(JsonElement section)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new ScenarioException("$.sweep", "must be an object: {\"field.path\": [values…], \"mode\": \"product\" or \"zip\"}");
        }

        var axes = new List<SweepAxis>();
        SweepMode? mode = null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in section.EnumerateObject())
        {
            string at = $"$.sweep[{CompactJson.Of(writer => writer.WriteStringValue(property.Name))}]";
            if (!names.Add(property.Name))
            {
                throw new ScenarioException(at, "duplicate field");
            }

            if (property.Name == "mode")
            {
                mode = property.Value.ValueKind == JsonValueKind.String ? ParseMode(property.Value.GetString()!) : null;
                if (mode is null)
                {
                    throw new ScenarioException("$.sweep.mode", $"must be \"product\" or \"zip\" (got {property.Value.GetRawText()})");
                }

                continue;
            }

            ScenarioPath path;
            try
            {
                path = ScenarioPath.Parse(property.Name, at);
            }
            catch (FormatException e)
            {
                throw new ScenarioException(at, e.Message);
            }

            if (path.Segments[0] is string first && first == SectionName)
            {
                throw new ScenarioException(at, "a sweep cannot sweep its own section");
            }

            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                throw new ScenarioException(at, $"must be an array of the values {path.Text} takes (got {property.Value.ValueKind.ToString().ToLowerInvariant()}); an array-valued field takes an array of arrays, e.g. [[0.7], [1.0]]");
            }

            axes.Add(new SweepAxis(path, property.Value.EnumerateArray().Select(v => v.Clone()).ToArray(), $"the sweep section's \"{property.Name}\"", at));
        }

        return (axes, mode);
    }

    /// <summary>
    /// Parses <c>--sweep PATH=v1,v2,…</c>: the values are JSON separated by top-level commas (<c>0.2,0.6</c>,
    /// <c>[0.7],[1.0]</c>) or bare words (<c>sgd,momentum</c>).
    /// </summary>
    /// <exception cref="FormatException">No <c>=</c>, a malformed path, or values that do not parse.</exception>
    public static SweepAxis ParseOption(string assignment)
    {
        int equals = assignment.IndexOf('=', StringComparison.Ordinal);
        string origin = $"--sweep {assignment}";
        if (equals < 0)
        {
            throw new FormatException($"{origin}: expected PATH=v1,v2,… (e.g. optimizer.learningRate=0.2,0.4)");
        }

        ScenarioPath path = ScenarioPath.Parse(assignment[..equals], origin);
        string text = assignment[(equals + 1)..].Trim();
        if (text.Length == 0)
        {
            throw new FormatException($"{origin}: no values");
        }

        JsonElement[] values;
        try
        {
            using var document = JsonDocument.Parse("[" + text + "]");
            values = document.RootElement.EnumerateArray().Select(v => v.Clone()).ToArray();
        }
        catch (JsonException)
        {
            values = text.Split(',').Select(v => ScenarioOverride.ParseValue(v, origin)).ToArray();
        }

        return new SweepAxis(path, values, origin);
    }

    private IReadOnlyList<SweepCell> BuildCells()
    {
        var cells = new List<SweepCell>();
        if (Mode == SweepMode.Zip)
        {
            for (int i = 0; i < Axes[0].Values.Count; i++)
            {
                cells.Add(new SweepCell(i, Axes.Select(_ => i).ToArray(), Axes));
            }

            return cells;
        }

        var index = new int[Axes.Count];
        while (true)
        {
            cells.Add(new SweepCell(cells.Count, (int[])index.Clone(), Axes));
            int a = Axes.Count - 1;
            while (a >= 0 && ++index[a] == Axes[a].Values.Count)
            {
                index[a--] = 0;
            }

            if (a < 0)
            {
                return cells;
            }
        }
    }

    /// <summary>The sweep as the section writes it (for sweep.json): the fields with their values, and the mode.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson()
    {
        var json = new System.Text.Json.Nodes.JsonObject();
        foreach (SweepAxis axis in Axes)
        {
            json[axis.Path.Text] = System.Text.Json.Nodes.JsonNode.Parse("[" + string.Join(",", axis.Values.Select(v => v.GetRawText())) + "]");
        }

        json["mode"] = ModeName;
        return json;
    }

    /// <summary>A short name of an axis for column headers: its last field name (with indices), e.g. <c>learningRate</c>.</summary>
    public static string ShortName(ScenarioPath path)
    {
        int last = path.Segments.Count - 1;
        while (last > 0 && path.Segments[last] is int)
        {
            last--;
        }

        return string.Concat(path.Segments.Skip(last).Select(s => s is int i ? $"[{i.ToString(CultureInfo.InvariantCulture)}]" : (string)s));
    }
}

/// <summary>
/// A scenario file read once: its text without the <c>"sweep"</c> section, the section's axes and mode (if any) and the
/// folder its relative paths resolve against. <see cref="Load"/> makes a validated scenario with overrides applied.
/// </summary>
public sealed class ScenarioDocument
{
    private ScenarioDocument(string text, string? filePath, IReadOnlyList<SweepAxis> sweepAxes, SweepMode? sweepMode)
    {
        Text = text;
        FilePath = filePath;
        SweepAxes = sweepAxes;
        SweepMode = sweepMode;
    }

    /// <summary>The document's JSON text without its sweep section.</summary>
    public string Text { get; }

    /// <summary>The file it was read from, or null.</summary>
    public string? FilePath { get; }

    /// <summary>The axes of the file's sweep section (empty without one).</summary>
    public IReadOnlyList<SweepAxis> SweepAxes { get; }

    /// <summary>The file's sweep mode, when its section gives one.</summary>
    public SweepMode? SweepMode { get; }

    /// <summary>Reads a scenario file (errors as <see cref="ScenarioLoader.LoadFile(string)"/>'s, naming the file).</summary>
    public static ScenarioDocument ReadFile(string path)
    {
        string text = ScenarioLoader.ReadFileText(path);
        try
        {
            return FromText(text, path);
        }
        catch (ScenarioException e)
        {
            throw e.FilePath is null ? new ScenarioException(e.JsonPath, e.Detail, path, e) : e;
        }
    }

    /// <summary>A document from JSON text (<paramref name="filePath"/>: where it came from, for relative paths and errors).</summary>
    public static ScenarioDocument FromText(string text, string? filePath = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            // the loader reports the syntax error with its position
            return new ScenarioDocument(text, filePath, [], null);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(SweepSpec.SectionName, out JsonElement section))
            {
                return new ScenarioDocument(text, filePath, [], null);
            }

            var (axes, mode) = SweepSpec.ReadSection(section);
            string withoutSweep = ScenarioOverrides.WriteText(writer =>
            {
                writer.WriteStartObject();
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Name != SweepSpec.SectionName)
                    {
                        property.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            });
            return new ScenarioDocument(withoutSweep, filePath, axes, mode);
        }
    }

    /// <summary>
    /// The scenario with <paramref name="overrides"/> applied, loaded and validated as the file would be; errors name the JSON
    /// path, the file and, for a value that came from an override, the override.
    /// </summary>
    public Scenario Load(IReadOnlyList<ScenarioOverride> overrides)
    {
        try
        {
            string text = ScenarioOverrides.Apply(Text, overrides);
            string? folder = FilePath is null ? null : Path.GetDirectoryName(Path.GetFullPath(FilePath));
            return ScenarioLoader.WithDefaultName(ScenarioLoader.Parse(text, folder), FilePath is null ? null : ScenarioLoader.NameOf(FilePath));
        }
        catch (ScenarioException e)
        {
            ScenarioException attributed = ScenarioOverrides.Attribute(e, overrides);
            return FilePath is null ? throw attributed : throw attributed.InFile(FilePath);
        }
    }
}

/// <summary>
/// Compact JSON text with <see cref="Utf8JsonWriter"/>'s default options: the text <see cref="JsonSerializer"/> writes for a
/// <see cref="JsonElement"/> or a string, without starting the serializer's reflection-based metadata (tens of
/// milliseconds of a sweep's start-up).
/// </summary>
internal static class CompactJson
{
    /// <summary>The text <paramref name="write"/> writes.</summary>
    public static string Of(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
