namespace SgdDynamics.Scenarios;

/// <summary>
/// A scenario that cannot be loaded. The message is a single line,
/// <c>[file: ]path: detail</c>, e.g. <c>$.optimizer.learningRate: must be > 0 (got -0.1)</c>.
/// </summary>
public sealed class ScenarioException : Exception
{
    /// <summary>Creates an error about the JSON value at <paramref name="jsonPath"/>.</summary>
    /// <param name="jsonPath">JSON path of the offending value (<c>$</c> is the document), or null for errors about the file itself.</param>
    /// <param name="detail">What is wrong, one line.</param>
    /// <param name="filePath">The scenario file, when the scenario came from one.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ScenarioException(string? jsonPath, string detail, string? filePath = null, Exception? innerException = null)
        : base(FormatMessage(jsonPath, detail, filePath), innerException)
    {
        JsonPath = jsonPath;
        Detail = OneLine(detail);
        FilePath = filePath;
    }

    /// <summary>JSON path of the offending value, e.g. <c>$.landscape.hessian[1]</c>; null when the error concerns the file itself.</summary>
    public string? JsonPath { get; }

    /// <summary>What is wrong, without the path.</summary>
    public string Detail { get; }

    /// <summary>The scenario file, when the scenario was loaded from one.</summary>
    public string? FilePath { get; }

    /// <summary>The same error, attributed to <paramref name="filePath"/>.</summary>
    public ScenarioException InFile(string filePath) => new(JsonPath, Detail, filePath, InnerException);

    private static string FormatMessage(string? jsonPath, string detail, string? filePath)
    {
        var message = OneLine(detail);
        if (jsonPath is not null)
        {
            message = $"{jsonPath}: {message}";
        }

        if (filePath is not null)
        {
            message = $"{OneLine(filePath)}: {message}";
        }

        return message;
    }

    private static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Trim();
}
