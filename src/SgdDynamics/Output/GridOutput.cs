using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Output;

/// <summary>
/// Writers of a grid run (master equation or Fokker–Planck), beside <see cref="EnsembleOutput"/>:
/// <c>summary.json</c> (same keys as an ensemble run where they apply — <c>final.step</c>, <c>final.time</c>,
/// <c>final.mean</c>, <c>final.covariance</c> — plus <c>final.mass</c>, <c>final.lostMass</c>, the solver and the grid),
/// <c>timeseries.csv</c> (<c>step,time,mass,lostMass,mean_i…,cov_i_j…</c> with i ≤ j), <c>density_&lt;step&gt;.csv</c> at every
/// record up to a cap (<see cref="DensityCsv"/>, <see cref="Snapshots"/>) with its <c>density_&lt;step&gt;.npy</c> and one
/// <c>grid.npz</c> (<see cref="DensityNpy"/>), PNG plots of at most <see cref="DensityPlots.MaxPlotted"/> records
/// (<see cref="DensityPlots.LogSpaced"/>: 1-D one <c>density.png</c> overlaying those that differ, 2-D one heat map
/// <c>density_&lt;step&gt;.png</c> each) and <c>scenario.json</c>. Also the final histogram of an ensemble run on a grid.
/// </summary>
public static class GridOutput
{
    /// <summary>The 1-D overlay plot's file name.</summary>
    public const string OverlayPlotFile = "density.png";

    /// <summary>Writes summary.json, timeseries.csv and scenario.json; returns the summary.</summary>
    public static JsonObject Write(string directory, Scenario scenario, GridResult result, Snapshots snapshots)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(snapshots);
        Directory.CreateDirectory(directory);
        JsonObject summary = Summary(scenario, result, snapshots);
        Json.WriteFile(Path.Combine(directory, EnsembleOutput.SummaryFile), summary);
        AtomicFile.WriteAllText(Path.Combine(directory, EnsembleOutput.TimeSeriesFile), TimeSeries(result));
        ScenarioWriter.WriteFile(scenario, Path.Combine(directory, EnsembleOutput.ScenarioFile));
        return summary;
    }

    /// <summary>The summary object of a grid run; a stopped run (<see cref="GridResult.Stopped"/>) adds <c>complete: false</c> and <c>stopped</c>.</summary>
    public static JsonObject Summary(Scenario scenario, GridResult result, Snapshots snapshots)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(snapshots);
        Problem p = result.Problem;
        GridAlgorithm algorithm = result.Algorithm;
        var summary = new JsonObject
        {
            ["scenario"] = scenario.Name,
            ["solver"] = algorithm.TypeName,
            ["variant"] = (algorithm as FokkerPlanckAlgorithm)?.Variant.Name(),
            ["boundary"] = algorithm.Boundary.Name(),
            ["truncationSigmas"] = algorithm is MasterEquationAlgorithm master ? Json.Number(master.TruncationSigmas) : null,
            ["scheme"] = (algorithm as FokkerPlanckAlgorithm)?.Scheme.Name(),
            ["substeps"] = (algorithm as FokkerPlanckAlgorithm)?.Substeps,
            ["grid"] = GridJson(result.Grid),
            ["backend"] = result.Backend,
            ["device"] = result.Device,
            ["dimension"] = p.Dimension,
            ["steps"] = algorithm.Steps,
            ["optimizer"] = DynamicsJson.Of(p.Dynamics),
            ["initial"] = p.Initial.IsPoint ? "point mass (the cell holding the point)" : "Gaussian (sampled at cell centres, normalised on the grid)",
            ["recordEvery"] = algorithm.Record.Every,
            ["records"] = result.Records.Count,
            ["final"] = Record(result.Final),
            ["densityFiles"] = new JsonArray(snapshots.CsvFiles.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray()),
            ["plots"] = new JsonArray(snapshots.PlotFiles.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray()),
            ["seconds"] = Json.Number(result.Seconds),
            ["cellUpdatesPerSecond"] = Json.Number(result.CellUpdatesPerSecond),
            ["peakMemoryBytes"] = Json.PeakMemoryBytes(),
            ["failure"] = result.Failure,
        };
        if (result.Stationary is { } stationary)
        {
            // no time steps were taken at a rate: the solve's own seconds are in "stationary"
            summary["stationary"] = StationaryOutput.ToJson(stationary);
            summary["cellUpdatesPerSecond"] = null;
        }

        if (result.Stopped is not null)
        {
            summary["complete"] = false;
            summary["stopped"] = result.Stopped;
        }

        return summary;
    }

    /// <summary>One record: step, time, mass, lostMass, mean, covariance (moments over the grid mass), and displacement (periodic walls).</summary>
    public static JsonObject Record(GridRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var json = new JsonObject
        {
            ["step"] = record.Step,
            ["time"] = Json.Number(record.Time),
            ["mass"] = Json.Number(record.Mass),
            ["lostMass"] = Json.Number(record.LostMass),
            ["mean"] = Json.Vector(record.Mean),
            ["covariance"] = Json.Matrix(record.Covariance),
        };
        if (record.Displacement is { } displacement)
        {
            json["displacement"] = Json.Vector(displacement);
        }

        return json;
    }

    /// <summary>A grid as JSON: lower, upper, cells, spacing.</summary>
    public static JsonObject GridJson(UniformGrid grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return new JsonObject
        {
            ["lower"] = Json.Vector(grid.Lower),
            ["upper"] = Json.Vector(grid.Upper),
            ["cells"] = new JsonArray(grid.Cells.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
            ["spacing"] = Json.Vector(grid.Spacing),
        };
    }

    /// <summary>
    /// The moments at every record as CSV: <c>step,time,mass,lostMass,mean_i…,cov_i_j…</c> (i ≤ j), then
    /// <c>displacement_i…</c> when the walls are periodic.
    /// </summary>
    public static string TimeSeries(GridResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int d = result.Grid.Dimension;
        bool displaced = result.Final.Displacement is not null;
        var csv = new StringBuilder("step,time,mass,lostMass");
        MomentColumns.AppendHeader(csv, d);
        for (int i = 0; displaced && i < d; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",displacement_{i}");
        }

        csv.Append('\n');
        foreach (GridRecord r in result.Records)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Step},{Format(r.Time)},{Format(r.Mass)},{Format(r.LostMass)}");
            MomentColumns.AppendValues(csv, r.Mean, r.Covariance);
            foreach (double value in displaced ? r.Displacement! : [])
            {
                csv.Append(',').Append(Format(value));
            }

            csv.Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>
    /// For an ensemble run whose solver section has a grid and <c>"histogram": true</c>: the histogram of the final states
    /// on that grid written as <c>density_&lt;finalstep&gt;.csv</c> (states outside the box and diverged ones are lost mass,
    /// their counts in the header) with its plot (1-D <c>density.png</c>, 2-D <c>density_&lt;step&gt;.png</c>); returns the
    /// <c>histogram</c> entry for summary.json.
    /// </summary>
    /// <exception cref="InvalidOperationException">The final states were not kept.</exception>
    public static JsonObject WriteHistogram(string directory, Scenario scenario, EnsembleResult result)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(result);
        GridSpec spec = result.Algorithm.Histogram ?? throw new InvalidOperationException("the ensemble has no histogram grid");
        float[] states = result.FinalStates ?? throw new InvalidOperationException("final states were not kept: solve with keepFinalStates");
        UniformGrid grid = spec.ToGrid();
        GridDensity density = GridDensity.Histogram(grid, states, out long outside, out long diverged);
        EnsembleRecord final = result.Final;
        string csv = DensityCsv.FileName(final.Step);
        DensityCsv.Write(Path.Combine(directory, csv), density, final.Step, final.Time, "ensemble histogram",
        [
            new("samples", result.Range.Count.ToString(CultureInfo.InvariantCulture)),
            new("outside", outside.ToString(CultureInfo.InvariantCulture)),
            new("diverged", diverged.ToString(CultureInfo.InvariantCulture)),
        ]);
        string npy = DensityNpy.Write(directory, density, final.Step);
        DensityNpy.WriteGrid(directory, grid);
        string title = $"{scenario.Name ?? "ensemble"}: histogram of {result.Range.Count:N0} final states";
        var record = new GridRecord(final.Step, final.Time, density.TotalMass, density.LostMass, density.Mean(), density.Covariance());
        string plot = grid.Dimension == 1 ? OverlayPlotFile : Path.ChangeExtension(csv, ".png");
        if (grid.Dimension == 1)
        {
            DensityPlots.Lines(Path.Combine(directory, plot), title, [(record, density)]);
        }
        else
        {
            DensityPlots.HeatMap(Path.Combine(directory, plot), title + FormattableString.Invariant($" (step {final.Step})"), density);
        }

        return new JsonObject
        {
            ["file"] = csv,
            ["npy"] = npy,
            ["gridFile"] = DensityNpy.GridFile,
            ["plot"] = plot,
            ["grid"] = GridJson(grid),
            ["step"] = final.Step,
            ["mass"] = Json.Number(density.TotalMass),
            ["lostMass"] = Json.Number(density.LostMass),
            ["outside"] = outside,
            ["diverged"] = diverged,
        };
    }

    private static string Format(double value) => MomentColumns.Format(value);

    /// <summary>
    /// Writes the snapshots of a grid run as it goes (pass <see cref="Add"/> as the runner's <c>onRecord</c>): a density CSV
    /// at every record, a 2-D heat map at each thinned record, and the 1-D overlay in <see cref="Finish"/>.
    /// </summary>
    public sealed class Snapshots
    {
        private readonly string directory;
        private readonly string title;
        private readonly HashSet<int> plotted;
        private readonly HashSet<int>? written;
        private readonly string source;
        private readonly List<(GridRecord, GridDensity)> kept = [];
        private readonly List<string> csvFiles = [];
        private readonly List<string> plotFiles = [];
        private bool gridWritten;

        /// <summary>
        /// Snapshots of a run of <paramref name="algorithm"/> into <paramref name="directory"/>; <paramref name="plots"/> false writes no PNG.
        /// At most <paramref name="maxCsvFiles"/> (≥ 2) density CSV files are written: when the run has more records, those of
        /// <see cref="DensityPlots.Thin"/> (evenly spread, always the first and the last), and the plots are drawn among them,
        /// log-spaced in time (<see cref="DensityPlots.LogSpaced"/>).
        /// </summary>
        public Snapshots(string directory, GridAlgorithm algorithm, string title, bool plots = true, int maxCsvFiles = int.MaxValue)
        {
            ArgumentNullException.ThrowIfNull(algorithm);
            ArgumentOutOfRangeException.ThrowIfLessThan(maxCsvFiles, 2);
            this.directory = directory;
            this.title = title;
            MaxCsvFiles = maxCsvFiles;
            IReadOnlyList<int> steps = algorithm.RecordSteps;
            Records = steps.Count;
            if (steps.Count > maxCsvFiles)
            {
                steps = DensityPlots.Thin(steps, maxCsvFiles);
                written = [.. steps];
            }

            Planned = steps.Count;
            plotted = plots ? [.. DensityPlots.LogSpaced(steps)] : [];
            source = algorithm is FokkerPlanckAlgorithm fokkerPlanck
                ? $"{algorithm.TypeName} ({fokkerPlanck.Variant.Name()})"
                : algorithm.TypeName;
        }

        /// <summary>The records of the run.</summary>
        public int Records { get; }

        /// <summary>The density CSV files the run will write (all records, or the cap).</summary>
        public int Planned { get; }

        /// <summary>The density CSV files written so far (names relative to the folder).</summary>
        public IReadOnlyList<string> CsvFiles => csvFiles;

        /// <summary>The PNG files written so far (names relative to the folder).</summary>
        public IReadOnlyList<string> PlotFiles => plotFiles;

        /// <summary>The cap on density CSV files this plan was made with.</summary>
        public int MaxCsvFiles { get; }

        /// <summary>1-D runs: the records and densities kept for the overlay plot <see cref="Finish"/> draws.</summary>
        public IReadOnlyList<(GridRecord Record, GridDensity Density)> Kept => kept;

        /// <summary>The snapshots written so far, for a checkpoint.</summary>
        public RunCheckpoint.Snapshots ToCheckpoint() => new([.. csvFiles], [.. plotFiles], MaxCsvFiles, [.. kept]);

        /// <summary>Continues from the snapshots a checkpoint says were written (their files are in the folder).</summary>
        public void Restore(RunCheckpoint.Snapshots written)
        {
            ArgumentNullException.ThrowIfNull(written);
            if (written.MaxDensityFiles != MaxCsvFiles)
            {
                throw new ArgumentException($"the snapshots were planned with at most {written.MaxDensityFiles} density files, not {MaxCsvFiles}", nameof(written));
            }

            csvFiles.AddRange(written.CsvFiles);
            plotFiles.AddRange(written.PlotFiles);
            kept.AddRange(written.Kept);

            // the .npy siblings from the checkpoint's verified CSV files (their masses round-trip exactly)
            foreach (string csv in written.CsvFiles)
            {
                DensityFile file = DensityCsv.Read(Path.Combine(directory, csv));
                WriteNpy(file.Density, file.Step ?? throw new InvalidDataException($"{csv} has no step in its header"));
            }
        }

        /// <summary>Writes the snapshot of one record.</summary>
        public void Add(GridRecord record, GridDensity density)
        {
            ArgumentNullException.ThrowIfNull(record);
            ArgumentNullException.ThrowIfNull(density);
            if (written is not null && !written.Contains(record.Step))
            {
                return;
            }

            string csv = DensityCsv.FileName(record.Step);
            DensityCsv.Write(Path.Combine(directory, csv), density, record.Step, record.Time, source);
            csvFiles.Add(csv);
            WriteNpy(density, record.Step);
            if (!plotted.Contains(record.Step))
            {
                return;
            }

            if (density.Grid.Dimension == 1)
            {
                kept.Add((record, density.Copy()));
            }
            else
            {
                string png = Path.ChangeExtension(csv, ".png");
                DensityPlots.HeatMap(Path.Combine(directory, png), title + FormattableString.Invariant($" at step {record.Step} (t = {record.Time:G4})"), density);
                plotFiles.Add(png);
            }
        }

        /// <summary>
        /// Writes the snapshot's <c>density_&lt;step&gt;.npy</c> (<see cref="DensityNpy"/>), and <c>grid.npz</c> with the first.
        /// </summary>
        private void WriteNpy(GridDensity density, int step)
        {
            if (!gridWritten)
            {
                DensityNpy.WriteGrid(directory, density.Grid);
                gridWritten = true;
            }

            DensityNpy.Write(directory, density, step);
        }

        /// <summary>Writes the 1-D overlay plot of the kept snapshots (those that differ from the curve before, <see cref="DensityPlots.Differing"/>).</summary>
        public void Finish()
        {
            if (kept.Count > 0)
            {
                DensityPlots.Lines(Path.Combine(directory, OverlayPlotFile), title, kept);
                plotFiles.Add(OverlayPlotFile);
                kept.Clear();
            }
        }
    }
}
