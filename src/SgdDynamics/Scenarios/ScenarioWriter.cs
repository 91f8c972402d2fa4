using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SgdDynamics.Grids;
using SgdDynamics.Problems;

namespace SgdDynamics.Scenarios;

/// <summary>
/// Writes a <see cref="Scenario"/> in the JSON format that <see cref="ScenarioLoader"/> reads, with every optional
/// field resolved (linear term, noise, momentum, divergence threshold, recording interval), so that an output folder
/// records exactly what ran. <c>ScenarioLoader.Parse(ScenarioWriter.ToJson(s))</c> equals <c>s</c>.
/// </summary>
public static class ScenarioWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        IndentSize = ScenarioJson.IndentSize,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The scenario as indented JSON text, ending with a newline.</summary>
    public static string ToJson(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Write(writer, scenario);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>Writes the scenario JSON to <paramref name="path"/> (UTF-8, no byte order mark), replacing any existing file.</summary>
    public static void WriteFile(Scenario scenario, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllText(path, ToJson(scenario), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static void Write(Utf8JsonWriter writer, Scenario scenario)
    {
        var problem = scenario.Problem;
        writer.WriteStartObject();
        if (scenario.Name is not null)
        {
            writer.WriteString("name", scenario.Name);
        }

        if (scenario.Description is not null)
        {
            writer.WriteString("description", scenario.Description);
        }

        writer.WriteStartObject("landscape");
        LandscapeRegistration landscape = ModelRegistry.For(problem.Landscape);
        writer.WriteString("type", landscape.TypeName);
        landscape.Write(writer, problem.Landscape);
        writer.WriteEndObject();

        DynamicsRegistration dynamics = ModelRegistry.For(problem.Dynamics);
        writer.WriteStartObject("optimizer");
        writer.WriteString("type", dynamics.TypeName);
        ScenarioJson.WriteNumber(writer, "learningRate", problem.Dynamics.LearningRate);
        foreach ((string name, double value) in dynamics.Constants(problem.Dynamics))
        {
            ScenarioJson.WriteNumber(writer, name, value);
        }

        writer.WriteEndObject();

        var initial = problem.Initial;
        writer.WriteStartObject("initial");
        if (initial.IsPoint)
        {
            ScenarioJson.WriteVector(writer, "point", initial.Mean);
        }
        else
        {
            ScenarioJson.WriteVector(writer, "mean", initial.Mean);
            ScenarioJson.WriteMatrix(writer, "covariance", initial.Covariance);
        }

        writer.WriteEndObject();

        var ensemble = problem.Ensemble;
        writer.WriteStartObject("ensemble");
        if (problem.Solver.IsGrid)
        {
            writer.WriteNumber("steps", ensemble.Steps);
        }
        else
        {
            writer.WriteNumber("trajectories", ensemble.Trajectories);
            writer.WriteNumber("steps", ensemble.Steps);
            writer.WriteNumber("seed", ensemble.Seed);
            ScenarioJson.WriteNumber(writer, "divergenceThreshold", ensemble.DivergenceThreshold);
        }

        writer.WriteEndObject();

        writer.WriteStartObject("record");
        writer.WriteNumber("every", problem.Record.Every);
        writer.WriteBoolean("tails", problem.Record.Tails);
        writer.WriteEndObject();

        WriteSolver(writer, problem.Solver);

        writer.WriteEndObject();
    }

    /// <summary>The solver section, every default written out.</summary>
    private static void WriteSolver(Utf8JsonWriter writer, SolverSpec solver)
    {
        writer.WriteStartObject("solver");
        writer.WriteString("type", solver.Kind switch
        {
            SolverKind.Ensemble => "ensemble",
            SolverKind.MasterEquation => "masterEquation",
            SolverKind.FokkerPlanck => "fokkerPlanck",
            _ => throw new ArgumentOutOfRangeException(nameof(solver), solver.Kind, "unknown solver kind"),
        });
        if (solver.Variant is { } variant)
        {
            writer.WriteString("variant", variant == FokkerPlanckVariant.Langevin ? "langevin" : "discrete");
        }

        if (solver.Grid is { } grid)
        {
            writer.WriteStartObject("grid");
            writer.WritePropertyName("lower");
            writer.WriteRawValue("[" + string.Join(", ", grid.Lower.Select(v => NumberText.Format(v))) + "]");
            writer.WritePropertyName("upper");
            writer.WriteRawValue("[" + string.Join(", ", grid.Upper.Select(v => NumberText.Format(v))) + "]");
            writer.WritePropertyName("cells");
            writer.WriteRawValue("[" + string.Join(", ", grid.Cells.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]");
            writer.WriteEndObject();
        }

        if (solver.IsGrid)
        {
            writer.WriteString("boundary", solver.Boundary.Name());
        }

        if (solver.Kind == SolverKind.MasterEquation)
        {
            ScenarioJson.WriteNumber(writer, "truncationSigmas", solver.TruncationSigmas);
        }

        if (solver.Kind == SolverKind.FokkerPlanck)
        {
            writer.WriteNumber("substeps", solver.Substeps);
        }

        if (solver.Kind == SolverKind.Ensemble && solver.Grid is not null)
        {
            writer.WriteBoolean("histogram", solver.Histogram);
        }

        writer.WriteEndObject();
    }
}
