using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn compare A B [--step K] [--json]</c>: total variation, KL both ways and (1-D) Wasserstein-1 between two densities
/// on the same grid — run output folders (their final <c>density_&lt;step&gt;.csv</c>, or that of step K) or density CSV files.
/// </summary>
internal static partial class CompareCommand
{
    public static Command Create()
    {
        var first = new Argument<string>("A") { Description = "Run output folder or density CSV file" };
        var second = new Argument<string>("B") { Description = "Run output folder or density CSV file" };
        var step = new Option<int?>("--step") { Description = "Compare the snapshots of this step (default: the last one of each folder)" };
        var json = new Option<bool>("--json") { Description = "Print the comparison as JSON" };
        var allowIncomplete = new Option<bool>("--allow-incomplete")
        {
            Description = "Read run folders without a complete manifest.json (a run that failed, was killed or is still running)",
        };
        var command = new Command("compare", "Distances between two densities on the same grid: total variation, KL(A‖B), KL(B‖A), Wasserstein-1 (1-D)")
        {
            first, second, step, json, allowIncomplete,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            int? k = parse.GetValue(step);
            bool incomplete = parse.GetValue(allowIncomplete);
            var (pathA, a) = Load(parse.GetValue(first)!, k, incomplete);
            var (pathB, b) = Load(parse.GetValue(second)!, k, incomplete);
            if (!DensityDistance.SameGrid(a.Density.Grid, b.Density.Grid))
            {
                throw new CliInputException(
                    $"the grids differ: A ({pathA}) is {DensityDistance.Describe(a.Density.Grid)}, B ({pathB}) is {DensityDistance.Describe(b.Density.Grid)}; run both on the same grid");
            }

            JsonObject result = Compare(pathA, a, pathB, b);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(result.ToJsonString(Json.Indented));
            }
            else
            {
                Print(result);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The comparison as JSON (infinite KL written as the string "infinite").</summary>
    public static JsonObject Compare(string pathA, DensityFile a, string pathB, DensityFile b)
    {
        GridDensity p = a.Density;
        GridDensity q = b.Density;
        bool oneD = p.Grid.Dimension == 1;
        bool bothOnGrid = p.TotalMass > 0 && q.TotalMass > 0;
        return new JsonObject
        {
            ["a"] = Describe(pathA, a),
            ["b"] = Describe(pathB, b),
            ["grid"] = GridOutput.GridJson(p.Grid),
            ["totalVariation"] = Json.Number(DensityDistance.TotalVariation(p, q)),
            ["klAB"] = Divergence(DensityDistance.KullbackLeibler(p, q)),
            ["klBA"] = Divergence(DensityDistance.KullbackLeibler(q, p)),
            ["wasserstein1"] = oneD && bothOnGrid ? Json.Number(DensityDistance.Wasserstein1(p, q)) : null,
            ["wasserstein1Note"] = !oneD
                ? "not computed: Wasserstein-1 is computed in 1-D only"
                : bothOnGrid ? "laws conditioned to the box (outside mass left out)" : "not computed: a density has no mass on the grid",
            ["conventions"] = "probabilities p_c = m_c/Z, p_out = lostMass/Z, Z = sum m_c + lostMass; TV = (sum|p_c - q_c| + |p_out - q_out|)/2; KL in nats",
        };
    }

    private static JsonNode? Divergence(double value) => double.IsPositiveInfinity(value) ? JsonValue.Create("infinite") : Json.Number(value);

    private static JsonObject Describe(string path, DensityFile file) => new()
    {
        ["path"] = path,
        ["source"] = file.Header.TryGetValue("source", out var source) ? source : null,
        ["step"] = file.Step,
        ["time"] = file.Time is { } time ? Json.Number(time) : null,
        ["mass"] = Json.Number(file.Density.TotalMass),
        ["lostMass"] = Json.Number(file.Density.LostMass),
    };

    /// <summary>
    /// A density CSV file, or the snapshot of a run folder (the given step, else the largest). A folder's manifest must say
    /// the run is complete and list the snapshot with its size and SHA-256, unless <paramref name="allowIncomplete"/>.
    /// </summary>
    private static (string Path, DensityFile File) Load(string path, int? step, bool allowIncomplete)
    {
        string file;
        if (Directory.Exists(path))
        {
            var snapshots = Directory.GetFiles(path, "density_*.csv")
                .Select(f => (File: f, Match: SnapshotName().Match(Path.GetFileName(f))))
                .Where(x => x.Match.Success)
                .Select(x => (x.File, Step: int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
                .OrderBy(x => x.Step)
                .ToArray();
            if (snapshots.Length == 0)
            {
                throw new CliInputException($"{path}: no density_<step>.csv in this folder (run a grid solver, or an ensemble with \"solver\": {{\"grid\": ..., \"histogram\": true}})");
            }

            if (step is { } k)
            {
                var match = snapshots.Where(s => s.Step == k).ToArray();
                if (match.Length == 0)
                {
                    throw new CliInputException($"--step {k}: {path} has no snapshot of that step (it has {string.Join(", ", snapshots.Select(s => s.Step))})");
                }

                file = match[0].File;
            }
            else
            {
                file = snapshots[^1].File;
            }

            if (!allowIncomplete && !RunFolder.IsComplete(path, [Path.GetFileName(file)], out string reason))
            {
                throw new CliInputException($"{reason}; pass --allow-incomplete to read it anyway");
            }
        }
        else if (File.Exists(path))
        {
            file = path;
        }
        else
        {
            throw new CliInputException($"{path}: no such run folder or density file");
        }

        try
        {
            DensityFile density = DensityCsv.Read(file);
            if (step is { } k && File.Exists(path) && density.Step is { } s && s != k)
            {
                throw new CliInputException($"--step {k}: {file} holds step {s}");
            }

            return (file, density);
        }
        catch (InvalidDataException e)
        {
            throw new CliInputException(e.Message);
        }
    }

    private static void Print(JsonObject result)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]density comparison[/]");
        table.AddColumn("");
        table.AddColumn("A");
        table.AddColumn("B");
        foreach (string key in new[] { "path", "source", "step", "time", "mass", "lostMass" })
        {
            table.AddRow(key, Markup.Escape(Text(result["a"]![key])), Markup.Escape(Text(result["b"]![key])));
        }

        AnsiConsole.Write(table);
        var distances = new Table().Border(TableBorder.Rounded);
        distances.AddColumn("distance");
        distances.AddColumn(new TableColumn("value").RightAligned());
        distances.AddRow("total variation", Text(result["totalVariation"]));
        distances.AddRow("KL(A‖B)", Text(result["klAB"]));
        distances.AddRow("KL(B‖A)", Text(result["klBA"]));
        distances.AddRow("Wasserstein-1", result["wasserstein1"] is null ? Markup.Escape(result["wasserstein1Note"]!.GetValue<string>()) : Text(result["wasserstein1"]));
        AnsiConsole.Write(distances);
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "–",
        JsonValue v when v.TryGetValue(out double d) => d.ToString("G6", CultureInfo.InvariantCulture),
        _ => node.ToString(),
    };

    [GeneratedRegex(@"^density_(\d+)\.csv$")]
    private static partial Regex SnapshotName();
}
