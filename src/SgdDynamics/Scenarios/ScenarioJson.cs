using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;

namespace SgdDynamics.Scenarios;

/// <summary>How scenario JSON writes numbers, vectors and matrices (round-trip number text; matrices one row per line).</summary>
public static class ScenarioJson
{
    /// <summary>Indentation of scenario files.</summary>
    public const int IndentSize = 2;

    /// <summary>A matrix as an array of rows, one row per line.</summary>
    public static void WriteMatrix(Utf8JsonWriter writer, string name, Matrix<double> matrix)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(name);
        var indent = new string(' ', IndentSize * writer.CurrentDepth);
        var rows = matrix.EnumerateRows().Select(row => indent + new string(' ', IndentSize) + InlineArray(row));
        writer.WriteRawValue("[\n" + string.Join(",\n", rows) + "\n" + indent + "]");
    }

    /// <summary>A vector on one line.</summary>
    public static void WriteVector(Utf8JsonWriter writer, string name, Vector<double> vector)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(name);
        writer.WriteRawValue(InlineArray(vector));
    }

    /// <summary>A number in round-trip text.</summary>
    public static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(name);
        writer.WriteRawValue(NumberText.Format(value));
    }

    private static string InlineArray(Vector<double> values) =>
        "[" + string.Join(", ", values.Select(v => NumberText.Format(v))) + "]";
}
