using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Output;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// The verdict of an ensemble run on the terminal, read from its summary.json object so that every number shown is the
/// one written: per Hessian eigenmode (<c>modes</c>) the regime, the fitted stationary variance or diffusion coefficient
/// ± SE, the discrete and Langevin predictions and the z-score against each ("—" where one does not exist); the
/// second-moment stability (<c>secondMomentStable</c>); and the Hill tail indices (<c>final.tailIndex</c>) with their flags.
/// Numbers are printed with <see cref="Format"/> (6 significant digits).
/// </summary>
internal static class RunVerdict
{
    /// <summary>Most tail-index rows shown; the rest are in summary.json.</summary>
    public const int MaxTailRows = 8;

    /// <summary>What stands in for a number that does not exist.</summary>
    public const string None = "—";

    /// <summary>Prints the mode table, the stability line and the tail table of <paramref name="summary"/> (what it has of them).</summary>
    public static void Print(JsonObject summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (summary["modes"] is JsonArray { Count: > 0 } modes)
        {
            PrintModes(modes);
        }

        if (summary["secondMomentStable"] is JsonValue stable)
        {
            bool ok = stable.GetValue<bool>();
            AnsiConsole.MarkupLine($"second-moment map: [bold]{(ok ? "stable" : "not stable")}[/] — {Markup.Escape(Text(summary["secondMomentNote"]))}");
        }
        else if (summary["secondMomentNote"] is JsonValue note)
        {
            AnsiConsole.MarkupLine($"[grey]second-moment stability: not evaluated ({Markup.Escape(note.GetValue<string>())})[/]");
        }

        if (summary["final"]?["tailIndex"] is JsonArray { Count: > 0 } tails)
        {
            PrintTails(tails);
        }
    }

    /// <summary>A number as the verdict prints it: 6 significant digits, invariant culture; <see cref="None"/> for null.</summary>
    public static string Format(JsonNode? node) =>
        node is null ? None : node.GetValue<double>().ToString("G6", CultureInfo.InvariantCulture);

    private static void PrintModes(JsonArray modes)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]verdict per Hessian eigenmode[/]");
        table.AddColumn("mode");
        table.AddColumn(new TableColumn("eigenvalue").RightAligned());
        table.AddColumn("regime");
        table.AddColumn("fitted");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddColumn(new TableColumn("± SE").RightAligned());
        table.AddColumn(new TableColumn("discrete").RightAligned());
        table.AddColumn(new TableColumn("z").RightAligned());
        table.AddColumn(new TableColumn("Langevin").RightAligned());
        table.AddColumn(new TableColumn("z").RightAligned());
        var notes = new List<string>();
        foreach (JsonNode? node in modes)
        {
            JsonObject mode = node!.AsObject();
            string quantity = Text(mode["quantity"]) switch
            {
                "stationaryVariance" => "variance",
                "diffusionCoefficient" => "D",
                "none" when mode["measuredVariance"] is not null => "last variance",
                "none" => None,
                var other => throw new InvalidOperationException($"unknown fitted quantity '{other}'"),
            };
            JsonNode? value = mode["measuredVariance"] ?? mode["fitted"];
            JsonNode? error = mode["measuredVariance"] is not null ? mode["measuredVarianceStandardError"] : mode["standardError"];
            table.AddRow(
                Text(mode["mode"]),
                Format(mode["eigenvalue"]),
                Markup.Escape(Text(mode["verdict"])),
                quantity,
                Format(value),
                Format(error),
                Format(mode["discrete"]),
                Format(mode["zDiscrete"]),
                Format(mode["langevin"]),
                Format(mode["zLangevin"]));
            if (mode["measuredVariance"] is not null)
            {
                notes.Add($"mode {Text(mode["mode"])}: the last variance is a finite-time value of a variance that grows without bound, not a stationary variance");
            }
        }

        table.Caption("fitted: stationary variance vᵀCv (confined) or D of v₀ + 2Dt (diffusive); discrete: η s²/(λ(2 − ηλ)) (exact vᵀCv), Langevin: η s²/(2λ); flat modes: D = η s²/2; z = (fitted − prediction)/SE");
        AnsiConsole.Write(table);
        foreach (string note in notes)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
        }
    }

    private static void PrintTails(JsonArray tails)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]tail index of |x_i| (Hill, k = ⌊√n⌋)[/]");
        table.AddColumn("coordinate");
        table.AddColumn(new TableColumn("alpha").RightAligned());
        table.AddColumn(new TableColumn("± SE").RightAligned());
        table.AddColumn(new TableColumn("Gaussian").RightAligned());
        table.AddColumn("note");
        foreach (JsonNode? node in tails.Take(MaxTailRows))
        {
            JsonObject tail = node!.AsObject();
            string note = tail["flag"] is JsonValue flag ? FlagText(flag.GetValue<string>(), tail)
                : tail["undefined"] is JsonValue undefined ? undefined.GetValue<string>()
                : "";
            table.AddRow(
                $"x{Text(tail["coordinate"])}",
                Format(tail["alpha"]),
                Format(tail["standardError"]),
                Format(tail["gaussianAlpha"]),
                Markup.Escape(note));
        }

        if (tails.Count > MaxTailRows)
        {
            table.Caption($"coordinates {MaxTailRows} to {tails.Count - 1}: {EnsembleOutput.SummaryFile} (final.tailIndex)");
        }

        AnsiConsole.Write(table);
    }

    /// <summary>The short form of a tail flag (summary.json's <c>note</c> has the full sentence).</summary>
    private static string FlagText(string flag, JsonObject tail) => flag switch
    {
        "lightTail" => tail["alpha"]!.GetValue<double>() > SgdDynamics.Observers.TailIndexFlags.MeaningfulLimit
            ? $"light tail: α̂ > {SgdDynamics.Observers.TailIndexFlags.MeaningfulLimit:G}, not a tail index"
            : "light tail: as light as a Gaussian sample's of this size, not a tail index",
        _ => throw new InvalidOperationException($"unknown tail flag '{flag}'"),
    };

    private static string Text(JsonNode? node) => node?.ToString() ?? None;
}
