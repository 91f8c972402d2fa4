using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Scenarios;

/// <summary>
/// A JSON value together with its JSON path; typed reads throw <see cref="ScenarioException"/> naming that path.
/// <paramref name="BaseDirectory"/> is the folder of the scenario file, against which relative file paths resolve (null:
/// the current directory).
/// </summary>
internal readonly record struct JsonField(JsonElement Element, string Path, string? BaseDirectory = null)
{
    /// <summary>A file path given in the scenario, resolved against <see cref="BaseDirectory"/> and made absolute.</summary>
    public string AsFilePath()
    {
        string value = AsString();
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ScenarioException(Path, "empty file path");
        }

        try
        {
            return System.IO.Path.GetFullPath(value, BaseDirectory ?? Directory.GetCurrentDirectory());
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ScenarioException(Path, $"not a valid file path ({e.Message})", innerException: e);
        }
    }

    /// <summary>A JSON object's fields, checked for duplicates.</summary>
    public ObjectFields AsObject()
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw WrongKind("an object");
        }

        return new ObjectFields(this);
    }

    /// <summary>A string value.</summary>
    public string AsString()
    {
        if (Element.ValueKind != JsonValueKind.String)
        {
            throw WrongKind("a string");
        }

        try
        {
            return Element.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new ScenarioException(Path, $"not a valid string: {LoneSurrogate}", innerException: e);
        }
    }

    /// <summary>What is wrong with a string that System.Text.Json cannot decode.</summary>
    internal const string LoneSurrogate = "it holds a lone UTF-16 surrogate escape (such as \\ud800 without its pair), which is no character";

    /// <summary>true or false.</summary>
    public bool AsBoolean() => Element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw WrongKind("true or false"),
    };

    /// <summary>A finite number.</summary>
    public double AsNumber()
    {
        if (Element.ValueKind != JsonValueKind.Number)
        {
            throw WrongKind("a number");
        }

        if (!Element.TryGetDouble(out double value) || !double.IsFinite(value))
        {
            throw Error($"must be a finite number (got {Raw})");
        }

        return value;
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>]; integral values in exponent notation (1e6) are accepted.</summary>
    /// <param name="min">Smallest allowed value.</param>
    /// <param name="max">Largest allowed value.</param>
    /// <param name="maxReason">Why the upper bound exists, appended to the out-of-range message.</param>
    public long AsInteger(long min, long max, string? maxReason = null)
    {
        if (Element.ValueKind != JsonValueKind.Number)
        {
            throw WrongKind("an integer");
        }

        if (!Element.TryGetInt64(out long value))
        {
            if (!Element.TryGetDouble(out double number) || !double.IsFinite(number) || number != Math.Floor(number))
            {
                throw Error($"must be an integer (got {Raw})");
            }

            // Integral doubles beyond ±2^63 are out of every range used here.
            value = number >= 9.2e18 ? long.MaxValue : number <= -9.2e18 ? long.MinValue : (long)number;
        }

        if (value < min)
        {
            throw Error($"must be at least {min} (got {Raw})");
        }

        if (value > max)
        {
            throw Error($"must be at most {max} (got {Raw}){(maxReason is null ? "" : $"; {maxReason}")}");
        }

        return value;
    }

    /// <summary>An array of exactly <paramref name="length"/> finite numbers.</summary>
    /// <param name="length">Required number of entries.</param>
    /// <param name="lengthReason">Where the required length comes from, e.g. "the dimension of the hessian".</param>
    public Vector<double> AsVector(int length, string lengthReason)
    {
        var items = AsArray();
        if (items.Count != length)
        {
            throw Error($"expected {Count(length, "entry", "entries")} ({lengthReason}), got {items.Count}");
        }

        return Vector<double>.Build.Dense(length, i => items[i].AsNumber());
    }

    /// <summary>An array of <paramref name="minLength"/> to <paramref name="maxLength"/> finite numbers.</summary>
    /// <param name="minLength">Fewest entries.</param>
    /// <param name="maxLength">Most entries.</param>
    public Vector<double> AsVectorOfLength(int minLength, int maxLength)
    {
        var items = AsArray();
        if (items.Count < minLength || items.Count > maxLength)
        {
            throw Error($"expected {minLength} to {maxLength} entries, got {items.Count}");
        }

        return Vector<double>.Build.Dense(items.Count, i => items[i].AsNumber() + 0.0);
    }

    /// <summary>A <paramref name="size"/> × <paramref name="size"/> matrix given as an array of rows.</summary>
    /// <param name="size">Required number of rows and of entries per row.</param>
    /// <param name="sizeReason">Where the required size comes from.</param>
    public Matrix<double> AsSquareMatrix(int size, string sizeReason)
    {
        var rows = AsArray();
        if (rows.Count != size)
        {
            throw Error($"expected {Count(size, "row", "rows")} ({sizeReason}), got {rows.Count}");
        }

        return RowsToMatrix(rows, size, sizeReason);
    }

    /// <summary>A square matrix whose size is its number of rows, which must lie in [1, <paramref name="maxSize"/>].</summary>
    /// <param name="maxSize">Largest allowed size.</param>
    /// <param name="name">The matrix's name in messages, e.g. "hessian".</param>
    public Matrix<double> AsSquareMatrixDefiningSize(int maxSize, string name)
    {
        var rows = AsArray();
        if (rows.Count < 1 || rows.Count > maxSize)
        {
            throw Error($"dimension must be between 1 and {maxSize} (got {Count(rows.Count, "row", "rows")})");
        }

        return RowsToMatrix(rows, rows.Count, $"the {name} is square with {Count(rows.Count, "row", "rows")}");
    }

    /// <summary>The JSON path of a field of this object.</summary>
    public static string ChildPath(string parent, string name) =>
        IsIdentifier(name)
            ? $"{parent}.{name}"
            : $"{parent}[\"{JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}\"]";

    /// <summary>An error about this value.</summary>
    public ScenarioException Error(string detail) => new(Path, detail);

    /// <summary>The value as written in the document (shortened when long), for messages.</summary>
    public string Raw => Shorten(Element);

    /// <summary>The elements of a JSON array.</summary>
    public List<JsonField> AsArray()
    {
        if (Element.ValueKind != JsonValueKind.Array)
        {
            throw WrongKind("an array");
        }

        string path = Path;
        string? directory = BaseDirectory;
        return Element.EnumerateArray().Select((e, i) => new JsonField(e, $"{path}[{i}]", directory)).ToList();
    }

    private static Matrix<double> RowsToMatrix(List<JsonField> rows, int size, string sizeReason)
    {
        var matrix = Matrix<double>.Build.Dense(size, size);
        for (int i = 0; i < size; i++)
        {
            matrix.SetRow(i, rows[i].AsVector(size, sizeReason));
        }

        return matrix;
    }

    private ScenarioException WrongKind(string expected) =>
        Error($"expected {expected}, got {Describe(Element)}");

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"string {Shorten(element)}",
        JsonValueKind.Number => $"number {Shorten(element)}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString(),
    };

    private static string Shorten(JsonElement element)
    {
        var raw = element.GetRawText();
        return raw.Length <= 40 ? raw : raw[..37] + "...";
    }

    private static string Count(int n, string singular, string plural) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? singular : plural);

    private static bool IsIdentifier(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>The fields of a JSON object, with path tracking, duplicate and unknown-field detection.</summary>
internal sealed class ObjectFields
{
    private readonly Dictionary<string, JsonField> fields = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    public ObjectFields(JsonField field)
    {
        Path = field.Path;
        foreach (var property in field.Element.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException e)
            {
                throw new ScenarioException(Path, $"a field name is not a valid string: {JsonField.LoneSurrogate}", innerException: e);
            }

            var child = new JsonField(property.Value, JsonField.ChildPath(Path, name), field.BaseDirectory);
            if (!fields.TryAdd(name, child))
            {
                throw child.Error("duplicate field");
            }

            order.Add(name);
        }
    }

    /// <summary>JSON path of the object.</summary>
    public string Path { get; }

    /// <summary>Throws for the first field (in document order) not in <paramref name="allowed"/>.</summary>
    public void RejectUnknown(params ReadOnlySpan<string> allowed)
    {
        foreach (var name in order)
        {
            if (!allowed.Contains(name))
            {
                throw fields[name].Error("unknown field");
            }
        }
    }

    /// <summary>True when the field is present.</summary>
    public bool Has(string name) => fields.ContainsKey(name);

    /// <summary>A required field.</summary>
    public JsonField Required(string name) =>
        fields.TryGetValue(name, out var field)
            ? field
            : throw Missing(name);

    /// <summary>An optional field, or null when absent.</summary>
    public JsonField? Optional(string name) =>
        fields.TryGetValue(name, out var field) ? field : null;

    /// <summary>The error for a missing required field.</summary>
    public ScenarioException Missing(string name, string? hint = null) =>
        new(JsonField.ChildPath(Path, name), hint is null ? "required field is missing" : $"required field is missing ({hint})");

    /// <summary>An error about the object itself.</summary>
    public ScenarioException Error(string detail) => new(Path, detail);
}
