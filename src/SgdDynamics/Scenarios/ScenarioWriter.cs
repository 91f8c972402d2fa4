using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
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
    private const int IndentSize = 2;

    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        IndentSize = IndentSize,
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
        writer.WriteString("type", problem.Landscape.TypeName);
        switch (problem.Landscape)
        {
            case QuadraticLandscapeSpec landscape:
                WriteMatrix(writer, "hessian", landscape.Hessian);
                WriteVector(writer, "linearTerm", landscape.LinearTerm);
                WriteMatrix(writer, "gradientNoiseCovariance", landscape.NoiseCovariance);
                WriteVector(writer, "curvatureNoiseStd", landscape.CurvatureNoiseStd);
                break;
            case DoubleWellLandscapeSpec doubleWell:
                WriteNumber(writer, "noiseStd", doubleWell.NoiseStd);
                break;
            case RingValleyLandscapeSpec ringValley:
                writer.WriteNumber("dimension", ringValley.Dimension);
                WriteNumber(writer, "curvature", ringValley.Curvature);
                WriteNumber(writer, "noiseStd", ringValley.NoiseStd);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), problem.Landscape.TypeName, "unknown landscape type");
        }

        writer.WriteEndObject();

        var optimizer = problem.Optimizer;
        writer.WriteStartObject("optimizer");
        writer.WriteString("type", optimizer.Kind switch
        {
            OptimizerKind.Sgd => "sgd",
            OptimizerKind.Momentum => "momentum",
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), optimizer.Kind, "unknown optimizer kind"),
        });
        WriteNumber(writer, "learningRate", optimizer.LearningRate);
        WriteNumber(writer, "momentum", optimizer.Momentum);
        writer.WriteEndObject();

        var initial = problem.Initial;
        writer.WriteStartObject("initial");
        if (initial.IsPoint)
        {
            WriteVector(writer, "point", initial.Mean);
        }
        else
        {
            WriteVector(writer, "mean", initial.Mean);
            WriteMatrix(writer, "covariance", initial.Covariance);
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
            WriteNumber(writer, "divergenceThreshold", ensemble.DivergenceThreshold);
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
            WriteNumber(writer, "truncationSigmas", solver.TruncationSigmas);
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

    /// <summary>A matrix as an array of rows, one row per line.</summary>
    private static void WriteMatrix(Utf8JsonWriter writer, string name, Matrix<double> matrix)
    {
        writer.WritePropertyName(name);
        var indent = new string(' ', IndentSize * writer.CurrentDepth);
        var rows = matrix.EnumerateRows().Select(row => indent + new string(' ', IndentSize) + InlineArray(row));
        writer.WriteRawValue("[\n" + string.Join(",\n", rows) + "\n" + indent + "]");
    }

    /// <summary>A vector on one line.</summary>
    private static void WriteVector(Utf8JsonWriter writer, string name, Vector<double> vector)
    {
        writer.WritePropertyName(name);
        writer.WriteRawValue(InlineArray(vector));
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        writer.WritePropertyName(name);
        writer.WriteRawValue(NumberText.Format(value));
    }

    private static string InlineArray(Vector<double> values) =>
        "[" + string.Join(", ", values.Select(v => NumberText.Format(v))) + "]";
}
