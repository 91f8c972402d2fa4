using System.Text.Json;
using System.Text.Json.Nodes;

namespace SgdDynamics.Output;

/// <summary>JSON helpers for outputs: non-finite numbers become null (JSON has no NaN).</summary>
public static class Json
{
    /// <summary>Indented, UTF-8 friendly serializer options.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The peak resident memory of this process so far, in bytes (the summaries' <c>peakMemoryBytes</c>).</summary>
    public static long PeakMemoryBytes()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>A number (−0 written as 0), or null when it is NaN or infinite.</summary>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value + 0.0) : null;

    /// <summary>A vector.</summary>
    public static JsonArray Vector(IEnumerable<double> values) => new(values.Select(Number).ToArray());

    /// <summary>A matrix as an array of rows.</summary>
    public static JsonArray Matrix(double[,] m)
    {
        var rows = new JsonArray();
        for (int i = 0; i < m.GetLength(0); i++)
        {
            rows.Add(Vector(Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j])));
        }

        return rows;
    }

    /// <summary>A matrix as an array of rows.</summary>
    public static JsonArray Matrix(MathNet.Numerics.LinearAlgebra.Matrix<double> m) => Matrix(m.ToArray());

    /// <summary>Writes <paramref name="node"/> to <paramref name="path"/> (<see cref="AtomicFile"/>), indented, with a final newline.</summary>
    public static void WriteFile(string path, JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        AtomicFile.WriteAllText(path, node.ToJsonString(Indented) + Environment.NewLine);
    }
}
