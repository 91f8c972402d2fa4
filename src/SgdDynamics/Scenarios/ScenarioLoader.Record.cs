using System.Text.Json;
using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;

namespace SgdDynamics.Scenarios;

/// <summary>
/// The ensemble's recorded moments in the <c>record</c> section: <c>"covariance": true</c> (the full covariance of the
/// state above d = 64, <see cref="EnsembleAlgorithm.FullCovariance"/>) and <c>"directions"</c> (moments along given
/// directions, <see cref="ProjectionSpec"/>).
/// </summary>
public static partial class ScenarioLoader
{
    /// <summary>The most values of a directions file: K × d with K ≤ 4096 directions and d ≤ 4096 coordinates.</summary>
    public const long MaxDirectionValues = (long)TileLayout.MaxCoordinates * Limits.MaxStateDimension;

    /// <summary>What the ensemble records besides the schedule: the full covariance above d = 64, and projections.</summary>
    private readonly record struct RecordedMoments(bool FullCovariance, ProjectionSpec? Projection);

    /// <summary>
    /// <c>record.covariance</c> and <c>record.directions</c> of an ensemble of dimension <paramref name="d"/> started from
    /// <paramref name="initial"/>: <c>"directions": {"file": "v.npy" | "rows": [[…], …], "sha256": "…" (with a file),
    /// "centre": "initial" | [c…] (default: the origin), "covariance": true | false}</c>.
    /// </summary>
    private static RecordedMoments ReadRecordedMoments(ObjectFields root, int d, InitialLaw initial, string dimensionReason)
    {
        if (root.Optional("record") is not { } recordField)
        {
            return default;
        }

        var record = recordField.AsObject();
        bool covariance = record.Optional("covariance") is { } covarianceField && covarianceField.AsBoolean();
        ProjectionSpec? projection = record.Optional("directions") is { } directionsField
            ? ReadDirections(directionsField, d, initial, dimensionReason)
            : null;
        return new RecordedMoments(covariance, projection);
    }

    /// <summary>Refuses the ensemble-only fields of the <c>record</c> section for a grid solver.</summary>
    private static void RejectEnsembleRecordFields(ObjectFields root)
    {
        if (root.Optional("record") is not { } recordField)
        {
            return;
        }

        var record = recordField.AsObject();
        foreach (string name in new[] { "covariance", "directions" })
        {
            if (record.Optional(name) is { } field)
            {
                throw field.Error($"'{name}' is recorded from trajectories (solver type 'ensemble'); the grid solvers record the mean and covariance of their density");
            }
        }
    }

    private static ProjectionSpec ReadDirections(JsonField field, int d, InitialLaw initial, string dimensionReason)
    {
        ObjectFields section = field.AsObject();
        section.RejectUnknown("file", "sha256", "rows", "centre", "covariance");
        if (section.Has("file") == section.Has("rows"))
        {
            throw section.Error("give exactly one of \"file\" (a .npy file of K × d directions) or \"rows\" (the directions inline)");
        }

        double[,] directions;
        string? file = null;
        JsonField where;
        if (section.Optional("file") is { } fileField)
        {
            where = fileField;
            file = fileField.AsFilePath();
            try
            {
                directions = NpyFile.ReadMatrix(file, MaxDirectionValues);
            }
            catch (NpyFileException e)
            {
                throw new ScenarioException(fileField.Path, e.Message, innerException: e);
            }

            if (directions.GetLength(1) != d)
            {
                throw fileField.Error($"{file}: {directions.GetLength(0)} × {directions.GetLength(1)} directions; each needs d = {d} coordinates ({dimensionReason})");
            }
        }
        else
        {
            where = section.Required("rows");
            if (section.Optional("sha256") is { } stray)
            {
                throw stray.Error("only a directions file is pinned by its hash");
            }

            var rows = where.AsArray();
            if (rows.Count < 1)
            {
                throw where.Error("no directions");
            }

            directions = new double[rows.Count, d];
            for (int a = 0; a < rows.Count; a++)
            {
                var row = rows[a].AsVector(d, dimensionReason);
                for (int i = 0; i < d; i++)
                {
                    directions[a, i] = row[i];
                }
            }
        }

        int k = directions.GetLength(0);
        if (k > TileLayout.MaxCoordinates)
        {
            throw where.Error($"{k} directions; at most {TileLayout.MaxCoordinates} are recorded");
        }

        for (int a = 0; a < k; a++)
        {
            for (int i = 0; i < d; i++)
            {
                if (!double.IsFinite(directions[a, i]))
                {
                    throw where.Error($"{(file is null ? "" : file + ": ")}direction {a}, coordinate {i} is {directions[a, i]} (directions must be finite)");
                }
            }
        }

        double[] centre = new double[d];
        bool initialCentre = false;
        if (section.Optional("centre") is { } centreField)
        {
            if (centreField.Element.ValueKind == JsonValueKind.String)
            {
                string text = centreField.AsString();
                if (text != "initial")
                {
                    throw centreField.Error($"expected \"initial\" (the initial law's mean) or an array of {d} numbers, got {Quote(text)}");
                }

                centre = initial.Mean.ToArray();
                initialCentre = true;
            }
            else
            {
                centre = centreField.AsVector(d, dimensionReason).ToArray();
            }
        }

        bool covariance = section.Optional("covariance") is { } covarianceField && covarianceField.AsBoolean();
        var spec = new ProjectionSpec(centre, directions, covariance) { DirectionsFile = file, CentreIsInitialMean = initialCentre };
        if (file is not null && section.Optional("sha256") is { } pinned && !string.Equals(pinned.AsString(), spec.Fingerprint(), StringComparison.OrdinalIgnoreCase))
        {
            throw pinned.Error($"the directions file has changed: its directions hash to {spec.Fingerprint()}, the scenario pins {pinned.AsString()}");
        }

        return spec;
    }
}
