using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SgdDynamics.Scenarios;

/// <summary>
/// One replaced value of a scenario document: the field at <see cref="Path"/> (dotted names and <c>[i]</c> array indices,
/// e.g. <c>optimizer.learningRate</c>, <c>landscape.hessian[0][1]</c>) takes <see cref="Value"/>. <see cref="Origin"/> says
/// where the replacement came from (<c>--set optimizer.learningRate=0.3</c>, <c>sweep cell 4</c>) for error messages.
/// </summary>
public sealed record ScenarioOverride(ScenarioPath Path, JsonElement Value, string Origin)
{
    /// <summary>
    /// Parses <c>PATH=VALUE</c> (the <c>--set</c> syntax): VALUE is JSON text (a number, <c>true</c>, an array <c>[0.7, 1]</c>, a
    /// quoted string); a bare word that is not JSON (<c>momentum</c>) is taken as a string.
    /// </summary>
    /// <exception cref="FormatException">No <c>=</c>, an empty or malformed path, or a value that is not JSON.</exception>
    public static ScenarioOverride Parse(string assignment, string option = "--set")
    {
        ArgumentNullException.ThrowIfNull(assignment);
        int equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            throw new FormatException($"{option} {assignment}: expected PATH=VALUE (e.g. optimizer.learningRate=0.3)");
        }

        string origin = $"{option} {assignment}";
        ScenarioPath path = ScenarioPath.Parse(assignment[..equals], origin);
        return new ScenarioOverride(path, ParseValue(assignment[(equals + 1)..], origin), origin);
    }

    /// <summary>
    /// A value as <c>--set</c> and <c>--sweep</c> take it: JSON text, or a bare word (letters, digits, <c>_ - .</c>, not
    /// starting like a number or a JSON literal) as a string.
    /// </summary>
    /// <exception cref="FormatException">Empty, or JSON-looking text that does not parse.</exception>
    public static JsonElement ParseValue(string text, string origin)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new FormatException($"{origin}: the value is empty");
        }

        try
        {
            using var document = JsonDocument.Parse(trimmed);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            if (trimmed.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ':') && !char.IsDigit(trimmed[0]) && trimmed[0] is not ('-' or '.'))
            {
                return JsonSerializer.SerializeToElement(trimmed);
            }

            throw new FormatException($"{origin}: the value is not valid JSON ({ScenarioLoader.DescribeSyntaxError(e)}); quote a string as '\"text\"'");
        }
    }
}

/// <summary>A field of a scenario document: names of object fields and indices of array elements from the root.</summary>
public sealed class ScenarioPath : IEquatable<ScenarioPath>
{
    private ScenarioPath(IReadOnlyList<object> segments, string text)
    {
        Segments = segments;
        Text = text;
    }

    /// <summary>The segments: a <see cref="string"/> for an object field, an <see cref="int"/> for an array element.</summary>
    public IReadOnlyList<object> Segments { get; }

    /// <summary>The path as given, without a leading <c>$.</c> (e.g. <c>optimizer.learningRate</c>).</summary>
    public string Text { get; }

    /// <summary>The JSON path the scenario loader's errors use, e.g. <c>$.optimizer.learningRate</c>, <c>$.landscape.hessian[0]</c>.</summary>
    public string JsonPath
    {
        get
        {
            var builder = new StringBuilder("$");
            foreach (object segment in Segments)
            {
                builder.Append(segment is int index ? $"[{index.ToString(CultureInfo.InvariantCulture)}]" : "." + (string)segment);
            }

            return builder.ToString();
        }
    }

    /// <summary>Parses <c>a.b[2].c</c> (an optional leading <c>$.</c> is allowed).</summary>
    /// <exception cref="FormatException">An empty path, an empty name, or a malformed index; the message starts with <paramref name="origin"/>.</exception>
    public static ScenarioPath Parse(string text, string origin)
    {
        string path = text.Trim();
        if (path.StartsWith("$.", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        if (path.Length == 0)
        {
            throw new FormatException($"{origin}: the path is empty (expected e.g. optimizer.learningRate)");
        }

        var segments = new List<object>();
        int i = 0;
        while (i < path.Length)
        {
            if (path[i] == '[')
            {
                int close = path.IndexOf(']', i);
                if (close < 0 || !int.TryParse(path.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int index) || segments.Count == 0)
                {
                    throw new FormatException($"{origin}: '{path}' is not a path (an array index is [n] after a field name, n ≥ 0)");
                }

                segments.Add(index);
                i = close + 1;
                if (i < path.Length && path[i] == '.')
                {
                    i++;
                    if (i == path.Length)
                    {
                        throw new FormatException($"{origin}: '{path}' ends with '.'");
                    }
                }

                continue;
            }

            int end = path.IndexOfAny(['.', '['], i);
            end = end < 0 ? path.Length : end;
            string name = path[i..end];
            if (name.Length == 0 || name.Any(char.IsWhiteSpace))
            {
                throw new FormatException($"{origin}: '{path}' is not a path (empty field name or white space; expected e.g. optimizer.learningRate)");
            }

            segments.Add(name);
            i = end;
            if (i < path.Length && path[i] == '.')
            {
                i++;
                if (i == path.Length)
                {
                    throw new FormatException($"{origin}: '{path}' ends with '.'");
                }
            }
        }

        return new ScenarioPath(segments, path);
    }

    /// <summary>True when this path is <paramref name="other"/> or lies inside it (or the other way round): the two overlap.</summary>
    public bool Overlaps(ScenarioPath other)
    {
        int n = Math.Min(Segments.Count, other.Segments.Count);
        for (int i = 0; i < n; i++)
        {
            if (!Segments[i].Equals(other.Segments[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Equals(ScenarioPath? other) => other is not null && Segments.SequenceEqual(other.Segments);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ScenarioPath);

    /// <inheritdoc/>
    public override int GetHashCode() => Segments.Aggregate(17, (h, s) => HashCode.Combine(h, s));

    /// <inheritdoc/>
    public override string ToString() => Text;
}

/// <summary>
/// Applies <see cref="ScenarioOverride"/>s to a scenario document's JSON text, writing everything else as it is (field order,
/// duplicates and all, so that the strict loader judges the result as it would the file). A field that is missing is added
/// (with the objects on its way); a path through a value that is not an object (or, for an index, not an array long enough)
/// is an error naming the path and the override.
/// </summary>
public static class ScenarioOverrides
{
    /// <summary>
    /// The document with every override applied; later overrides of the same path win. Text that is not a JSON object is
    /// returned as it is: the loader reports what is wrong with it.
    /// </summary>
    /// <exception cref="ScenarioException">Overrides overlap, or a path cannot be reached.</exception>
    public static string Apply(string json, IReadOnlyList<ScenarioOverride> overrides)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(overrides);
        if (overrides.Count == 0)
        {
            return json;
        }

        for (int i = 0; i < overrides.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (!overrides[i].Path.Equals(overrides[j].Path) && overrides[i].Path.Overlaps(overrides[j].Path))
                {
                    throw new ScenarioException(overrides[i].Path.JsonPath, $"{overrides[i].Origin} and {overrides[j].Origin} set overlapping fields (one inside the other)");
                }
            }
        }

        // the last override of a path wins
        var effective = overrides.Select((o, i) => (o, i)).GroupBy(p => p.o.Path).Select(g => g.MaxBy(p => p.i).o).ToArray();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            // not JSON: left as it is, for the loader to report the syntax error where it is
            return json;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                // the loader refuses a document that is not an object
                return json;
            }

            return WriteText(writer => Write(writer, document.RootElement, 0, effective));
        }
    }

    /// <summary>The JSON text <paramref name="write"/> writes (indented, non-ASCII characters as they are).</summary>
    internal static string WriteText(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, int depth, IReadOnlyList<ScenarioOverride> overrides)
    {
        ScenarioOverride? exact = overrides.FirstOrDefault(o => o.Path.Segments.Count == depth);
        if (exact is not null)
        {
            exact.Value.WriteTo(writer);
            return;
        }

        if (overrides.Count == 0)
        {
            element.WriteTo(writer);
            return;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            {
                writer.WriteStartObject();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    seen.Add(property.Name);
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value, depth + 1, overrides.Where(o => o.Path.Segments[depth] is string name && name == property.Name).ToArray());
                }

                foreach (var group in overrides.Where(o => o.Path.Segments[depth] is string name && !seen.Contains(name)).GroupBy(o => (string)o.Path.Segments[depth]))
                {
                    writer.WritePropertyName(group.Key);
                    WriteNew(writer, depth + 1, group.ToArray());
                }

                foreach (ScenarioOverride indexed in overrides.Where(o => o.Path.Segments[depth] is int))
                {
                    throw Unreachable(indexed, depth, "an object, not an array");
                }

                writer.WriteEndObject();
                break;
            }

            case JsonValueKind.Array:
            {
                int length = element.GetArrayLength();
                foreach (ScenarioOverride o in overrides)
                {
                    if (o.Path.Segments[depth] is not int index)
                    {
                        throw Unreachable(o, depth, "an array, not an object");
                    }

                    if (index >= length)
                    {
                        throw Unreachable(o, depth, $"an array of {length} element{(length == 1 ? "" : "s")}, without index {index}");
                    }
                }

                writer.WriteStartArray();
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    int at = i++;
                    Write(writer, item, depth + 1, overrides.Where(o => (int)o.Path.Segments[depth] == at).ToArray());
                }

                writer.WriteEndArray();
                break;
            }

            default:
                throw Unreachable(overrides[0], depth, $"{Describe(element.ValueKind)}, not an object or array");
        }
    }

    /// <summary>Writes a new value built from overrides below a missing field: nested objects down to the values.</summary>
    private static void WriteNew(Utf8JsonWriter writer, int depth, IReadOnlyList<ScenarioOverride> overrides)
    {
        ScenarioOverride? exact = overrides.FirstOrDefault(o => o.Path.Segments.Count == depth);
        if (exact is not null)
        {
            exact.Value.WriteTo(writer);
            return;
        }

        if (overrides.FirstOrDefault(o => o.Path.Segments[depth] is int) is { } indexed)
        {
            throw Unreachable(indexed, depth, "missing (an index can only replace an element of an existing array)");
        }

        writer.WriteStartObject();
        foreach (var group in overrides.GroupBy(o => (string)o.Path.Segments[depth]))
        {
            writer.WritePropertyName(group.Key);
            WriteNew(writer, depth + 1, group.ToArray());
        }

        writer.WriteEndObject();
    }

    private static ScenarioException Unreachable(ScenarioOverride o, int depth, string what)
    {
        string parent = depth == 0 ? "$" : Prefix(o.Path, depth);
        return new ScenarioException(o.Path.JsonPath, $"{o.Origin}: cannot set this field: {parent} is {what}");
    }

    private static string Prefix(ScenarioPath path, int depth)
    {
        var builder = new StringBuilder("$");
        for (int i = 0; i < depth; i++)
        {
            builder.Append(path.Segments[i] is int index ? $"[{index}]" : "." + (string)path.Segments[i]);
        }

        return builder.ToString();
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown JSON value kind"),
    };

    /// <summary>
    /// The same error with the overrides that set its field (or a field around or inside it) named, so that a value from the
    /// command line or a sweep is not blamed on the file.
    /// </summary>
    public static ScenarioException Attribute(ScenarioException error, IReadOnlyList<ScenarioOverride> overrides)
    {
        if (error.JsonPath is null)
        {
            return error;
        }

        var origins = overrides
            .Where(o => error.JsonPath == o.Path.JsonPath
                || error.JsonPath.StartsWith(o.Path.JsonPath + ".", StringComparison.Ordinal)
                || error.JsonPath.StartsWith(o.Path.JsonPath + "[", StringComparison.Ordinal))
            .Select(o => o.Origin)
            .Distinct()
            .ToArray();
        return origins.Length == 0
            ? error
            : new ScenarioException(error.JsonPath, $"{error.Detail} (the value comes from {string.Join(", ", origins)})", error.FilePath, error);
    }
}
