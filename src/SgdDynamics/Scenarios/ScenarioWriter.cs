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

    /// <summary>Writes the scenario JSON to <paramref name="path"/> (UTF-8, no byte order mark) through <see cref="Output.AtomicFile"/>, replacing any existing file.</summary>
    public static void WriteFile(Scenario scenario, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Output.AtomicFile.WriteAllText(path, ToJson(scenario));
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
        writer.WriteString("type", dynamics.IsOptimizer ? dynamics.TypeName : "sgd");
        ScenarioJson.WriteNumber(writer, "learningRate", problem.Dynamics.LearningRate);
        if (dynamics.IsOptimizer)
        {
            foreach ((string name, double value) in dynamics.Constants(problem.Dynamics))
            {
                ScenarioJson.WriteNumber(writer, name, value);
            }
        }

        writer.WriteEndObject();
        if (!dynamics.IsOptimizer)
        {
            // an SDE model of SGD: its own section, beside the sgd optimizer that gives η
            writer.WriteStartObject("dynamics");
            writer.WriteString("type", dynamics.TypeName);
            foreach ((string name, double value) in dynamics.Constants(problem.Dynamics))
            {
                ScenarioJson.WriteNumber(writer, name, value);
            }

            foreach ((string name, string value) in dynamics.Labels(problem.Dynamics))
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

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

        var algorithm = scenario.Algorithm;
        writer.WriteStartObject("ensemble");
        if (algorithm is EnsembleAlgorithm ensemble)
        {
            writer.WriteNumber("trajectories", ensemble.Trajectories);
            writer.WriteNumber("steps", ensemble.Steps);
            writer.WriteNumber("seed", ensemble.Seed);
            ScenarioJson.WriteNumber(writer, "divergenceThreshold", ensemble.DivergenceThreshold);
        }
        else if (algorithm is not FokkerPlanckAlgorithm { Stationary: true })
        {
            // a stationary master equation: the cap on its power iteration; a stationary Fokker–Planck solve takes no steps
            writer.WriteNumber("steps", algorithm.Steps);
        }

        writer.WriteEndObject();

        writer.WriteStartObject("record");
        if (algorithm is not GridAlgorithm { Stationary: true })
        {
            writer.WriteNumber("every", algorithm.Record.Every);
        }

        writer.WriteBoolean("tails", algorithm.Record.Tails);
        if (algorithm is EnsembleAlgorithm recorded)
        {
            writer.WriteBoolean("covariance", recorded.FullCovariance);
            if (recorded.Projection is { } projection)
            {
                WriteDirections(writer, projection);
            }
        }

        writer.WriteEndObject();

        WriteSolver(writer, algorithm);
        scenario.HessianModes?.Write(writer);

        writer.WriteEndObject();
    }

    /// <summary>
    /// <c>record.directions</c>: the .npy file with the SHA-256 of its directions (<see cref="Ensembles.ProjectionSpec.Fingerprint"/>),
    /// or the directions inline; the centre as <c>"initial"</c> when the scenario gave it so, else its values; the covariance option.
    /// </summary>
    private static void WriteDirections(Utf8JsonWriter writer, Ensembles.ProjectionSpec projection)
    {
        writer.WriteStartObject("directions");
        if (projection.DirectionsFile is { } file)
        {
            writer.WriteString("file", file);
            writer.WriteString("sha256", projection.Fingerprint());
        }
        else
        {
            ScenarioJson.WriteMatrix(writer, "rows", MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(projection.Directions));
        }

        if (projection.CentreIsInitialMean)
        {
            writer.WriteString("centre", "initial");
        }
        else
        {
            ScenarioJson.WriteVector(writer, "centre", MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(projection.Centre));
        }

        writer.WriteBoolean("covariance", projection.Covariance);
        writer.WriteEndObject();
    }

    /// <summary>The solver section, every default written out.</summary>
    private static void WriteSolver(Utf8JsonWriter writer, Algorithm algorithm)
    {
        writer.WriteStartObject("solver");
        writer.WriteString("type", algorithm.TypeName);
        switch (algorithm)
        {
            case EnsembleAlgorithm ensemble:
                if (ensemble.Histogram is { } histogram)
                {
                    WriteGrid(writer, histogram);
                    writer.WriteBoolean("histogram", true);
                }

                break;
            case MasterEquationAlgorithm master:
                WriteGrid(writer, master.Grid);
                writer.WriteString("boundary", master.Boundary.Name());
                ScenarioJson.WriteNumber(writer, "truncationSigmas", master.TruncationSigmas);
                WriteStationary(writer, master);
                break;
            case FokkerPlanckAlgorithm fokkerPlanck:
                writer.WriteString("variant", fokkerPlanck.Variant.Name());
                WriteGrid(writer, fokkerPlanck.Grid);
                writer.WriteString("boundary", fokkerPlanck.Boundary.Name());
                if (!fokkerPlanck.Stationary)
                {
                    writer.WriteString("scheme", fokkerPlanck.Scheme.Name());
                    writer.WriteNumber("substeps", fokkerPlanck.Substeps);
                }

                WriteStationary(writer, fokkerPlanck);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm.GetType().Name, "unknown algorithm");
        }

        writer.WriteEndObject();
    }

    /// <summary><c>"stationary": true</c> for a stationary solve (the default, time stepping, is left out).</summary>
    private static void WriteStationary(Utf8JsonWriter writer, GridAlgorithm algorithm)
    {
        if (algorithm.Stationary)
        {
            writer.WriteBoolean("stationary", true);
        }
    }

    private static void WriteGrid(Utf8JsonWriter writer, GridSpec grid)
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
}
