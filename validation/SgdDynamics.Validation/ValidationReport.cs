using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SgdDynamics.Output;

namespace SgdDynamics.Validation;

/// <summary>Runs catalog cases and writes <c>report.md</c> and <c>report.json</c>.</summary>
public static class ValidationReport
{
    /// <summary>Markdown report file name.</summary>
    public const string MarkdownFile = "report.md";

    /// <summary>JSON report file name.</summary>
    public const string JsonFile = "report.json";

    /// <summary>Runs <paramref name="cases"/> in order, calling <paramref name="started"/> before each.</summary>
    public static IReadOnlyList<CaseReport> Run(ValidationContext context, IEnumerable<IValidationCase> cases, Action<IValidationCase>? started = null)
    {
        Directory.CreateDirectory(context.OutputDirectory);
        var reports = new List<CaseReport>();
        foreach (IValidationCase validationCase in cases)
        {
            started?.Invoke(validationCase);
            reports.Add(validationCase.Run(context));
        }

        return reports;
    }

    /// <summary>Writes both report files into the context's output folder.</summary>
    public static void Write(ValidationContext context, IReadOnlyList<CaseReport> reports)
    {
        AtomicFile.WriteAllText(Path.Combine(context.OutputDirectory, MarkdownFile), Markdown(context, reports));
        Json.WriteFile(Path.Combine(context.OutputDirectory, JsonFile), ToJson(context, reports));
    }

    /// <summary>The markdown report: a table of every check, then what each case shows and its plots.</summary>
    public static string Markdown(ValidationContext context, IReadOnlyList<CaseReport> reports)
    {
        var md = new StringBuilder();
        int passed = reports.Count(r => r.Pass);
        md.AppendLine("# SgdDynamics validation report");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Mode: {context.Mode.ToString().ToLowerInvariant()}; backend: {context.Backend.Name} ({context.Backend.Device}). ");
        md.AppendLine(CultureInfo.InvariantCulture, $"{passed} of {reports.Count} cases pass. Tolerances come from Monte-Carlo standard errors: |z| ≤ 5 has a two-sided false-alarm rate of 5.7e-7 per check for a normal estimate.");
        md.AppendLine();
        md.AppendLine("| case | quantity | prediction | measured ± SE | z | tolerance | verdict |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (CaseReport report in reports)
        {
            foreach (Check check in report.Checks)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {report.Name} | {Cell(check.Quantity)} | {check.Prediction:G6} | {check.Measured:G6} ± {check.StandardError:G2} | {check.ZText} | {Cell(check.ToleranceText)} | {(check.Pass ? "pass" : "**FAIL**")} |");
            }
        }

        md.AppendLine();
        foreach (CaseReport report in reports)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## {report.Name}: {(report.Pass ? "pass" : "FAIL")} ({report.Seconds:F1} s)");
            md.AppendLine();
            md.AppendLine(report.Shows);
            md.AppendLine();
            foreach (Check check in report.Checks.DistinctBy(c => c.Basis))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- Error bars: {check.Basis}.");
            }

            foreach (string plot in report.Plots)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"![{report.Name}]({plot})");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    /// <summary>Text for a markdown table cell: pipes escaped.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>The JSON report.</summary>
    public static JsonObject ToJson(ValidationContext context, IReadOnlyList<CaseReport> reports)
    {
        var cases = new JsonArray();
        foreach (CaseReport report in reports)
        {
            var checks = new JsonArray();
            foreach (Check check in report.Checks)
            {
                checks.Add(new JsonObject
                {
                    ["quantity"] = check.Quantity,
                    ["prediction"] = Json.Number(check.Prediction),
                    ["measured"] = Json.Number(check.Measured),
                    ["standardError"] = Json.Number(check.StandardError),
                    ["z"] = Json.Number(check.Z),
                    ["expectation"] = check.Expectation.ToString().ToLowerInvariant(),
                    ["tolerance"] = check.ToleranceText,
                    ["basis"] = check.Basis,
                    ["pass"] = check.Pass,
                });
            }

            cases.Add(new JsonObject
            {
                ["name"] = report.Name,
                ["pass"] = report.Pass,
                ["shows"] = report.Shows,
                ["seconds"] = Json.Number(report.Seconds),
                ["plots"] = new JsonArray(report.Plots.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
                ["checks"] = checks,
            });
        }

        return new JsonObject
        {
            ["mode"] = context.Mode.ToString().ToLowerInvariant(),
            ["backend"] = context.Backend.Name,
            ["device"] = context.Backend.Device,
            ["pass"] = reports.All(r => r.Pass),
            ["cases"] = cases,
        };
    }
}
