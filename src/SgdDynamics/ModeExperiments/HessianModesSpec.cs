using System.Text.Json;
using SgdDynamics.Networks;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.ModeExperiments;

/// <summary>
/// The settings of the Hessian-mode experiment (<c>sgdyn experiment hessian-modes</c>), the scenario's
/// <c>"hessianModes"</c> section: the learning rates, the ensemble size, steps and record interval of each ensemble, the
/// minibatch samplings compared, and the Philox seed. The reference point is the scenario's initial point.
/// </summary>
/// <param name="LearningRates">η values, each &gt; 0, increasing.</param>
/// <param name="Trajectories">Networks per ensemble.</param>
/// <param name="Steps">SGD steps per ensemble.</param>
/// <param name="RecordEvery">Steps between records.</param>
/// <param name="Samplings">The samplings run: false = with replacement, true = without (epochs of permutations).</param>
/// <param name="Seed">Philox seed of every ensemble (trajectory i draws the same stream at every η).</param>
/// <param name="Time">
/// When given, every learning rate runs to the same time t = kη = T: ⌈T/η⌉ steps with <paramref name="Records"/> records
/// (<paramref name="Steps"/> and <paramref name="RecordEvery"/> then unused). The networks move along the mean gradient
/// in time t whatever η, so equal times compare the noise at equal places; equal step counts would not.
/// </param>
/// <param name="Records">Records after the start when <paramref name="Time"/> is given.</param>
public sealed record HessianModesSpec(IReadOnlyList<double> LearningRates, long Trajectories, int Steps, int RecordEvery, IReadOnlyList<bool> Samplings, uint Seed, double? Time = null, int Records = 40)
{
    /// <summary>The steps and the record interval of the ensemble at <paramref name="learningRate"/>.</summary>
    public (int Steps, int RecordEvery) Schedule(double learningRate)
    {
        if (Time is not { } time)
        {
            return (Steps, RecordEvery);
        }

        double steps = Math.Ceiling((time / learningRate) - 1e-9);
        if (!(steps <= int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), $"t = {time} at η = {learningRate} needs {steps:G3} steps, more than {int.MaxValue}");
        }

        int every = Math.Max(1, (int)steps / Records);
        return ((int)steps, every);
    }

    /// <summary>The learning rates of the published MLP experiment.</summary>
    public static IReadOnlyList<double> DefaultLearningRates { get; } = [0.0125, 0.025, 0.05, 0.1, 0.2];

    /// <summary>The defaults for a scenario without the section: the published learning rates, its ensemble's size, steps, seed and record interval, both samplings.</summary>
    public static HessianModesSpec Default(EnsembleAlgorithm ensemble)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        return new HessianModesSpec(DefaultLearningRates, ensemble.Trajectories, ensemble.Steps, ensemble.Record.Every, [false, true], ensemble.Seed);
    }

    /// <inheritdoc/>
    public bool Equals(HessianModesSpec? other) =>
        other is not null && LearningRates.SequenceEqual(other.LearningRates) && Trajectories == other.Trajectories && Steps == other.Steps
        && RecordEvery == other.RecordEvery && Samplings.SequenceEqual(other.Samplings) && Seed == other.Seed && Time == other.Time && Records == other.Records;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(LearningRates.Count, Trajectories, Steps, RecordEvery, Samplings.Count, Seed);

    /// <summary>Reads the <c>hessianModes</c> section; missing fields take the ensemble's values (<see cref="Default"/>).</summary>
    internal static HessianModesSpec Read(ObjectFields section, EnsembleAlgorithm ensemble)
    {
        section.RejectUnknown("learningRates", "trajectories", "steps", "recordEvery", "time", "records", "sampling", "seed");
        HessianModesSpec spec = Default(ensemble);
        if (section.Optional("learningRates") is { } ratesField)
        {
            List<JsonField> items = ratesField.AsArray();
            if (items.Count < 1 || items.Count > 32)
            {
                throw ratesField.Error($"give 1 to 32 learning rates (got {items.Count})");
            }

            double[] rates = new double[items.Count];
            for (int i = 0; i < items.Count; i++)
            {
                rates[i] = items[i].AsNumber();
                if (!(rates[i] > 0) || !double.IsFinite(rates[i]))
                {
                    throw items[i].Error($"a learning rate must be > 0 (got {items[i].Raw})");
                }

                if (i > 0 && !(rates[i] > rates[i - 1]))
                {
                    throw items[i].Error("the learning rates must increase");
                }
            }

            spec = spec with { LearningRates = rates };
        }

        if (section.Optional("trajectories") is { } trajectories)
        {
            spec = spec with { Trajectories = trajectories.AsInteger(1, Limits.MaxTrajectories) };
        }

        if (section.Optional("steps") is { } steps)
        {
            spec = spec with { Steps = (int)steps.AsInteger(1, int.MaxValue) };
        }

        if (section.Optional("recordEvery") is { } every)
        {
            spec = spec with { RecordEvery = (int)every.AsInteger(1, int.MaxValue) };
        }

        if (section.Optional("time") is { } timeField)
        {
            if (section.Has("steps") || section.Has("recordEvery"))
            {
                throw timeField.Error("give \"time\" (every η runs to t = T) or \"steps\" and \"recordEvery\" (every η runs as many steps), not both");
            }

            double time = timeField.AsNumber();
            if (!(time > 0) || !double.IsFinite(time))
            {
                throw timeField.Error($"must be > 0 (got {timeField.Raw})");
            }

            int records = section.Optional("records") is { } recordsField ? (int)recordsField.AsInteger(8, 10_000) : 40;
            spec = spec with { Time = time, Records = records };
            foreach (double eta in spec.LearningRates)
            {
                double needed = Math.Ceiling(time / eta);
                if (needed > int.MaxValue || needed < records)
                {
                    throw timeField.Error($"t = {time} at η = {eta} is {needed:G4} steps; every learning rate needs between {records} (the records) and {int.MaxValue} steps");
                }
            }

            return ReadRest(section, spec);
        }

        if (section.Optional("records") is { } stray)
        {
            throw stray.Error("\"records\" goes with \"time\"; with \"steps\" give \"recordEvery\"");
        }

        if (spec.Steps / spec.RecordEvery < 8)
        {
            throw section.Error($"{spec.Steps} steps recorded every {spec.RecordEvery} give {spec.Steps / spec.RecordEvery} records after the start; the regime fits need at least 8");
        }

        return ReadRest(section, spec);
    }

    private static HessianModesSpec ReadRest(ObjectFields section, HessianModesSpec spec)
    {

        if (section.Optional("sampling") is { } samplingField)
        {
            List<JsonField> items = samplingField.AsArray();
            var samplings = new List<bool>();
            foreach (JsonField item in items)
            {
                bool without = NetworkSampling.WithoutReplacement(item);
                if (samplings.Contains(without))
                {
                    throw item.Error("each sampling at most once");
                }

                samplings.Add(without);
            }

            if (samplings.Count == 0)
            {
                throw samplingField.Error("give at least one sampling");
            }

            spec = spec with { Samplings = samplings };
        }

        if (section.Optional("seed") is { } seed)
        {
            spec = spec with { Seed = (uint)seed.AsInteger(0, uint.MaxValue) };
        }

        return spec;
    }

    /// <summary>Writes the section with every value resolved.</summary>
    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("hessianModes");
        ScenarioJson.WriteVector(writer, "learningRates", MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfEnumerable(LearningRates));
        writer.WriteNumber("trajectories", Trajectories);
        if (Time is { } time)
        {
            ScenarioJson.WriteNumber(writer, "time", time);
            writer.WriteNumber("records", Records);
        }
        else
        {
            writer.WriteNumber("steps", Steps);
            writer.WriteNumber("recordEvery", RecordEvery);
        }

        writer.WriteStartArray("sampling");
        foreach (bool without in Samplings)
        {
            writer.WriteStringValue(NetworkSampling.Name(without));
        }

        writer.WriteEndArray();
        writer.WriteNumber("seed", Seed);
        writer.WriteEndObject();
    }
}
