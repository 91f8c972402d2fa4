using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SgdDynamics.Tests.Robustness;

/// <summary>
/// A seeded generator of mutated scenario files: from the shipped examples it deletes fields, swaps JSON kinds, puts
/// NaN, infinities, huge, tiny, negative and fractional numbers where counts and parameters belong, grows and shrinks
/// arrays, duplicates keys, truncates the bytes, inserts invalid UTF-8, nests values thousands deep and writes lone
/// surrogate escapes. The same seed gives the same files.
/// </summary>
internal sealed class ScenarioMutator
{
    /// <summary>Numbers that break counts, parameters and their products.</summary>
    private static readonly string[] BadNumbers =
    [
        "0", "-1", "-0.5", "2.5", "1e308", "-1e308", "1e-320", "4294967296", "9223372036854775808", "1e30", "-1e30",
        "NaN", "Infinity", "-Infinity", "1e999", "0.0000001", "3", "1", "2", "100000",
    ];

    private static readonly string[] KindSwaps = ["\"text\"", "true", "null", "{}", "[]", "[[]]", "\"\\ud800\"", "\"\"", "[1, \"a\"]"];

    private static readonly string[] TypeNames =
        ["quadratic", "doubleWell", "ringValley", "tiltedCosine", "sgd", "momentum", "ensemble", "masterEquation", "fokkerPlanck", "langevin", "discrete", "periodic", "reflecting", "absorbing", "bogus"];

    /// <summary>Documents nested deeper than this are not mutated further (the walk over them is recursive).</summary>
    private static readonly JsonDocumentOptions Deep = new() { MaxDepth = 256 };

    private readonly Random random;
    private readonly IReadOnlyList<string> bases;

    /// <summary>A generator over <paramref name="bases"/> (scenario JSON texts) with the given seed.</summary>
    public ScenarioMutator(int seed, IReadOnlyList<string> bases)
    {
        random = new Random(seed);
        this.bases = bases;
    }

    /// <summary>The shipped example scenarios (examples/*.json of the repository), sorted by name.</summary>
    public static IReadOnlyList<string> Examples()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Engine.sln")))
        {
            directory = directory.Parent;
        }

        Assert.True(directory is not null, "the repository root (Engine.sln) is not above the test binaries");
        return Directory.GetFiles(Path.Combine(directory.FullName, "examples"), "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
    }

    /// <summary>The next mutated file: one to three mutations of a random base, as bytes (possibly not UTF-8, possibly not JSON).</summary>
    public (string Mutations, byte[] Bytes) Next()
    {
        string text = bases[random.Next(bases.Count)];
        var applied = new List<string>();
        int count = 1 + random.Next(3);
        byte[]? bytes = null;
        for (int m = 0; m < count; m++)
        {
            int kind = random.Next(10);
            switch (kind)
            {
                case 0:
                    text = MutateValue(text, applied, DeleteField);
                    break;
                case 1:
                    text = MutateValue(text, applied, (_, _) => KindSwaps[random.Next(KindSwaps.Length)]);
                    break;
                case 2:
                case 3:
                    text = MutateValue(text, applied, (_, _) => BadNumbers[random.Next(BadNumbers.Length)]);
                    break;
                case 4:
                    text = MutateValue(text, applied, ResizeArray);
                    break;
                case 5:
                    text = MutateValue(text, applied, (_, _) => $"\"{TypeNames[random.Next(TypeNames.Length)]}\"");
                    break;
                case 6:
                    text = DuplicateKey(text, applied);
                    break;
                case 7:
                    text = MutateValue(text, applied, (_, value) => Nest(value));
                    break;
                case 8:
                    bytes = Truncate(Encoding.UTF8.GetBytes(text), applied);
                    break;
                default:
                    bytes = InsertInvalidUtf8(Encoding.UTF8.GetBytes(text), applied);
                    break;
            }

            if (bytes is not null)
            {
                break;
            }
        }

        return (string.Join("; ", applied), bytes ?? Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Replaces one value (a random node of the parsed document, found by a path) with what <paramref name="replace"/>
    /// returns for it as raw JSON text; a null replacement deletes it (a property) or leaves the text as it is.
    /// </summary>
    private string MutateValue(string text, List<string> applied, Func<string, string, string?> replace)
    {
        JsonNode? root;
        var nodes = new List<(string Path, JsonNode Node)>();
        try
        {
            root = JsonNode.Parse(text, documentOptions: Deep);
            Collect(root!, "$", nodes);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // an earlier mutation left text the node model cannot hold (e.g. a duplicate key): keep it as it is
            return text;
        }

        var (path, node) = nodes[random.Next(nodes.Count)];
        if (node.Parent is null)
        {
            return text;
        }

        string? replacement;
        try
        {
            replacement = replace(path, node.ToJsonString());
        }
        catch (InvalidOperationException)
        {
            return text;
        }

        JsonNode parent = node.Parent;
        if (replacement is null)
        {
            if (parent is JsonObject obj)
            {
                obj.Remove(node.GetPropertyName());
                applied.Add($"delete {path}");
            }

            return Serialize(root!) ?? text;
        }

        // the replacement may be text no JSON parser accepts (NaN, Infinity, 1e999): splice it in as raw text
        const string marker = "\"__sgdyn_fuzz_marker__\"";
        if (parent is JsonObject parentObject)
        {
            parentObject[node.GetPropertyName()] = JsonValue.Create("__sgdyn_fuzz_marker__");
        }
        else if (parent is JsonArray parentArray)
        {
            parentArray[node.GetElementIndex()] = JsonValue.Create("__sgdyn_fuzz_marker__");
        }

        applied.Add($"{path} = {Shorten(replacement)}");
        return Serialize(root!)?.Replace(marker, replacement, StringComparison.Ordinal) ?? text;
    }

    /// <summary>The document as text; null when it holds a string the writer refuses (a lone surrogate).</summary>
    private static string? Serialize(JsonNode root)
    {
        try
        {
            return root.ToJsonString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void Collect(JsonNode node, string path, List<(string, JsonNode)> nodes)
    {
        nodes.Add((path, node));
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToArray())
                {
                    if (child is not null)
                    {
                        Collect(child, $"{path}.{name}", nodes);
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } child)
                    {
                        Collect(child, $"{path}[{i}]", nodes);
                    }
                }

                break;
        }
    }

    private string? DeleteField(string path, string value) => null;

    private string ResizeArray(string path, string value)
    {
        JsonNode? node = JsonNode.Parse(value, documentOptions: Deep);
        if (node is not JsonArray array)
        {
            return "[" + value + ", " + value + "]";
        }

        if (array.Count > 0 && random.Next(2) == 0)
        {
            array.RemoveAt(random.Next(array.Count));
        }
        else
        {
            array.Add(array.Count > 0 ? array[0]!.DeepClone() : JsonValue.Create(1.0));
        }

        return array.ToJsonString();
    }

    private string Nest(string value)
    {
        int depth = random.Next(4) switch
        {
            0 => 64,
            1 => 1_000,
            2 => 10_000,
            _ => 100_000,
        };
        var builder = new StringBuilder(2 * depth + value.Length);
        builder.Append('[', depth).Append(value).Append(']', depth);
        return builder.ToString();
    }

    private string DuplicateKey(string text, List<string> applied)
    {
        int brace = text.IndexOf('{', StringComparison.Ordinal);
        int quote = text.IndexOf('"', brace + 1);
        int colon = quote < 0 ? -1 : text.IndexOf(':', quote);
        int comma = colon < 0 ? -1 : text.IndexOf(',', colon);
        if (brace < 0 || quote < 0 || colon < 0 || comma < 0)
        {
            return text;
        }

        string member = text[quote..comma];
        applied.Add($"duplicate {Shorten(member)}");
        return text[..(comma + 1)] + member + "," + text[(comma + 1)..];
    }

    private byte[] Truncate(byte[] bytes, List<string> applied)
    {
        int length = random.Next(bytes.Length);
        applied.Add($"truncate to {length} of {bytes.Length} bytes");
        return bytes[..length];
    }

    private byte[] InsertInvalidUtf8(byte[] bytes, List<string> applied)
    {
        byte[][] invalid = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80]];
        byte[] insert = invalid[random.Next(invalid.Length)];
        int at = random.Next(bytes.Length + 1);
        applied.Add($"invalid UTF-8 {Convert.ToHexString(insert)} at byte {at}");
        return [.. bytes[..at], .. insert, .. bytes[at..]];
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
