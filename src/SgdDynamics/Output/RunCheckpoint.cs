using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Statistics;

namespace SgdDynamics.Output;

/// <summary>
/// The checkpoint of a run, in the sub-folder <c>checkpoint/</c> of its output folder: the exact state a run continues
/// from (<c>sgdyn run --resume</c>). <c>checkpoint.json</c> is written last and names the binary files it uses, each with
/// its size and SHA-256; every file is written atomically under a name no earlier checkpoint used, so a run killed while
/// writing one leaves the previous checkpoint whole.
/// <list type="bullet">
/// <item>An ensemble: the complete trajectories [0, done), their exact fixed-point statistics per record
/// (<see cref="MomentAccumulator.ToDictionary"/>; from format 2 on also those of the projections, <c>projections</c>, when
/// the run records any) and, when the run keeps final states, those states as float32 files
/// <c>states_&lt;first&gt;_&lt;end&gt;.f32</c>, one per stretch of trajectories checkpointed.</item>
/// <item>A grid run: the step, the density as float64 <c>density_&lt;step&gt;.f64</c>, the lost mass, the periodic
/// displacement, the records so far (every double exact) and the density snapshots already written.</item>
/// </list>
/// The scenario is the run folder's <c>scenario.json</c>, whose SHA-256 the checkpoint holds.
/// </summary>
public static class RunCheckpoint
{
    /// <summary>The checkpoint sub-folder of a run folder.</summary>
    public const string Folder = "checkpoint";

    /// <summary>The index file, written last.</summary>
    public const string IndexFile = "checkpoint.json";

    /// <summary>
    /// Checkpoint format version written: 2 (ensembles: <c>projections</c>, the exact sums of the projections per record, or
    /// null). Version 1 (no projections) is still read.
    /// </summary>
    public const int Version = 2;

    /// <summary>The most bytes of <see cref="IndexFile"/> read (records and exact sums of a large run fit well within it).</summary>
    public const long MaxIndexBytes = 1L << 30;

    /// <summary>The checkpoint folder of <paramref name="runDirectory"/>.</summary>
    public static string PathOf(string runDirectory) => Path.Combine(runDirectory, Folder);

    /// <summary>Whether <paramref name="runDirectory"/> holds a checkpoint index.</summary>
    public static bool Exists(string runDirectory) => File.Exists(Path.Combine(PathOf(runDirectory), IndexFile));

    /// <summary>Deletes the checkpoint folder of <paramref name="runDirectory"/>, if any.</summary>
    /// <exception cref="OutputWriteException">It cannot be deleted.</exception>
    public static void Delete(string runDirectory)
    {
        string folder = PathOf(runDirectory);
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputWriteException(folder, e);
        }
    }

    /// <summary>What a checkpoint says about the run it belongs to.</summary>
    /// <param name="Kind"><c>ensemble</c> or the grid solver's type name.</param>
    /// <param name="ScenarioSha256">SHA-256 of the run folder's scenario.json.</param>
    /// <param name="Backend">The backend the run ran on (a resumed run must use the same one to stay bit-identical).</param>
    public sealed record Header(string Kind, string ScenarioSha256, string Backend);

    /// <summary>A grid run's density snapshots written so far: the files (name → SHA-256) and the plan's cap.</summary>
    /// <param name="CsvFiles">Density CSV files written, in order.</param>
    /// <param name="PlotFiles">PNG files written, in order.</param>
    /// <param name="MaxDensityFiles">The cap on density CSV files the run was started with.</param>
    /// <param name="Kept">1-D runs: the records and densities kept for the overlay plot drawn at the end.</param>
    public sealed record Snapshots(IReadOnlyList<string> CsvFiles, IReadOnlyList<string> PlotFiles, int MaxDensityFiles, IReadOnlyList<(GridRecord Record, GridDensity Density)> Kept);

    /// <summary>A checkpoint read back: its header and the state of the ensemble or of the grid run.</summary>
    /// <param name="Header">What the checkpoint says about its run.</param>
    /// <param name="Ensemble">An ensemble run's state, or null.</param>
    /// <param name="Grid">A grid run's state, or null.</param>
    /// <param name="GridSnapshots">A grid run's snapshots written so far, or null.</param>
    /// <param name="OutputHashes">The SHA-256 of each output file the resumed run keeps (a grid run's snapshots), by name.</param>
    public sealed record Loaded(Header Header, EnsembleRunState? Ensemble, GridRunState? Grid, Snapshots? GridSnapshots, IReadOnlyDictionary<string, string> OutputHashes)
    {
        /// <summary>An ensemble checkpoint's states files, as listed.</summary>
        internal JsonArray? StateFiles { get; init; }

        /// <summary>A grid checkpoint's density file.</summary>
        internal string? DensityFile { get; init; }
    }

    /// <summary>Writes the checkpoints of one ensemble run (the states files of earlier checkpoints are kept and listed again).</summary>
    public sealed class EnsembleWriter
    {
        private readonly string folder;
        private readonly Header header;
        private readonly JsonArray stateFiles = [];
        private long statesEnd;

        /// <summary>A writer into <paramref name="runDirectory"/>; <paramref name="resumed"/> continues a checkpoint read back.</summary>
        public EnsembleWriter(string runDirectory, Header header, Loaded? resumed = null)
        {
            ArgumentNullException.ThrowIfNull(header);
            folder = PathOf(runDirectory);
            this.header = header;
            if (resumed?.Ensemble is { } state && resumed.StateFiles is { } files)
            {
                foreach (JsonNode? file in files)
                {
                    stateFiles.Add(file!.DeepClone());
                }

                statesEnd = state.Done;
            }
        }

        /// <summary>Writes a checkpoint of <paramref name="state"/> (states of the trajectories since the last one, then the index).</summary>
        /// <exception cref="OutputWriteException">A file could not be written (the previous checkpoint stays whole).</exception>
        /// <exception cref="OverflowException">A statistic's exact sum lies outside (−2^255, 2^255) and cannot be written.</exception>
        public void Write(EnsembleRunState state)
        {
            ArgumentNullException.ThrowIfNull(state);
            Directory.CreateDirectory(folder);
            int d = state.Statistics.Dimension;
            if (state.FinalStates is not null && state.Done > statesEnd)
            {
                stateFiles.Add(WriteStates(folder, state.FinalStates, statesEnd * d, statesEnd, state.Done, d));
                statesEnd = state.Done;
            }

            JsonObject index = Start(header, state.Seconds);
            index["trajectoriesDone"] = state.Done;
            index["finalStates"] = state.FinalStates is not null;
            WriteStatistics(index, state.Statistics);
            index["stateFiles"] = stateFiles.DeepClone();
            Json.WriteFile(Path.Combine(folder, IndexFile), index);
        }
    }

    /// <summary>
    /// Writes the exact sums of <paramref name="statistics"/> into <paramref name="index"/>: <c>statistics</c>, one JSON object
    /// of strings per record (<see cref="MomentAccumulator.ToDictionary"/>), and <c>projections</c>, the same for the
    /// projections, or null when none are recorded. <see cref="ReadStatistics(string, JsonObject, Problems.Problem, Problems.EnsembleAlgorithm, long, string)"/> reads them back.
    /// </summary>
    /// <exception cref="OverflowException">A statistic's exact sum lies outside (−2^255, 2^255) and cannot be written.</exception>
    internal static void WriteStatistics(JsonObject index, EnsembleStatistics statistics)
    {
        index["statistics"] = Accumulators(statistics.RecordSteps.Count, r => statistics[r]);
        index["projections"] = statistics.ProjectionCount == 0 ? null : Accumulators(statistics.RecordSteps.Count, statistics.Projections);
    }

    /// <summary>
    /// Reads the <c>statistics</c> and <c>projections</c> that <see cref="WriteStatistics"/> wrote into <paramref name="index"/>
    /// (read from <paramref name="path"/>), checked against the ensemble <paramref name="algorithm"/> on <paramref name="problem"/>
    /// (dimension, records, plans) and against <paramref name="trajectories"/> (valid and diverged, in every record);
    /// <paramref name="holder"/> names the file in messages ("the shard").
    /// </summary>
    /// <exception cref="InvalidDataException">They are malformed or do not fit the run (the message names the file and the field).</exception>
    internal static EnsembleStatistics ReadStatistics(string path, JsonObject index, Problems.Problem problem, Problems.EnsembleAlgorithm algorithm, long trajectories, string holder)
    {
        var model = EnsembleModel.From(problem, algorithm);
        var shape = new EnsembleShape(model.Plan, model.ProjectionCount, model.ProjectionPlan);
        return ReadStatistics(new IndexReader(path, index), model.Dimension, model.RecordSteps, shape, trajectories, projectionsField: true, holder);
    }

    /// <summary>
    /// Writes the final states of trajectories [<paramref name="first"/>, <paramref name="end"/>) of dimension
    /// <paramref name="dimension"/>, which start at <paramref name="offset"/> floats into <paramref name="states"/>, as the
    /// raw float32 file <c>states_&lt;first&gt;_&lt;end&gt;.f32</c> in <paramref name="folder"/>; returns its entry (file,
    /// first, end, bytes, SHA-256) for <see cref="ReadStates"/>.
    /// </summary>
    /// <exception cref="OutputWriteException">The file could not be written.</exception>
    internal static JsonObject WriteStates(string folder, float[] states, long offset, long first, long end, int dimension)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"states_{first}_{end}.f32");
        int count = checked((int)((end - first) * dimension));
        string hash = WriteBinary(Path.Combine(folder, name), states, checked((int)offset), count);
        return new JsonObject { ["file"] = name, ["first"] = first, ["end"] = end, ["bytes"] = (long)count * sizeof(float), ["sha256"] = hash };
    }

    /// <summary>
    /// Reads the states file of <paramref name="entry"/> (written by <see cref="WriteStates"/>, found in <paramref name="folder"/>,
    /// described in the index <paramref name="path"/> at <paramref name="where"/>) after checking that it holds trajectories
    /// [<paramref name="first"/>, <paramref name="end"/>) of dimension <paramref name="dimension"/> and its size and SHA-256;
    /// copies them into <paramref name="into"/> at <paramref name="offset"/> floats.
    /// </summary>
    /// <exception cref="InvalidDataException">The entry does not fit, or the file is missing, of another size or changed (the message names it).</exception>
    internal static void ReadStates(string path, string folder, JsonNode? entry, string where, long first, long end, int dimension, float[] into, long offset)
    {
        var file = new IndexReader(path, entry as JsonObject ?? throw new InvalidDataException($"{path}: {where}: missing or not an object"), where + ".");
        if (file.Long("first") != first || file.Long("end") != end)
        {
            throw file.Error("first", $"holds trajectories [{file.Long("first")}, {file.Long("end")}), expected [{first}, {end})");
        }

        byte[] bytes = ReadBinary(folder, file, (end - first) * dimension * sizeof(float));
        MemoryMarshal.Cast<byte, float>(bytes).CopyTo(into.AsSpan(checked((int)offset)));
    }

    /// <summary>The exact sums of <paramref name="records"/> accumulators as JSON objects of strings (<see cref="MomentAccumulator.ToDictionary"/>).</summary>
    private static JsonArray Accumulators(int records, Func<int, MomentAccumulator> accumulator)
    {
        var list = new JsonArray();
        for (int r = 0; r < records; r++)
        {
            var entry = new JsonObject();
            foreach ((string key, string value) in accumulator(r).ToDictionary())
            {
                entry[key] = value;
            }

            list.Add(entry);
        }

        return list;
    }

    /// <summary>Writes the checkpoints of one grid run (each density file replaces the previous checkpoint's).</summary>
    public sealed class GridWriter
    {
        private readonly string folder;
        private readonly Header header;
        private readonly Dictionary<string, string> hashes = new(StringComparer.Ordinal);
        private string? previousDensity;

        /// <summary>A writer into <paramref name="runDirectory"/>; <paramref name="resumed"/> continues a checkpoint read back.</summary>
        public GridWriter(string runDirectory, Header header, Loaded? resumed = null)
        {
            ArgumentNullException.ThrowIfNull(header);
            folder = PathOf(runDirectory);
            this.header = header;
            previousDensity = resumed?.DensityFile;
            foreach ((string name, string hash) in resumed?.OutputHashes ?? new Dictionary<string, string>())
            {
                hashes[name] = hash;
            }
        }

        /// <summary>Writes a checkpoint of <paramref name="state"/> and the snapshots written so far.</summary>
        /// <exception cref="OutputWriteException">A file could not be written (the previous checkpoint stays whole).</exception>
        public void Write(GridRunState state, Snapshots snapshots)
        {
            ArgumentNullException.ThrowIfNull(state);
            ArgumentNullException.ThrowIfNull(snapshots);
            Directory.CreateDirectory(folder);
            string name = string.Create(CultureInfo.InvariantCulture, $"density_{state.Step}.f64");
            double[] mass = state.Density.Mass;
            string hash = WriteBinary(Path.Combine(folder, name), mass, 0, mass.Length);
            var kept = new JsonArray();
            foreach ((GridRecord record, GridDensity density) in snapshots.Kept)
            {
                string keptName = string.Create(CultureInfo.InvariantCulture, $"kept_{record.Step}.f64");
                string keptPath = Path.Combine(folder, keptName);
                string keptHash = File.Exists(keptPath) ? RunFolder.Hash(keptPath) : WriteBinary(keptPath, density.Mass, 0, density.Mass.Length);
                kept.Add(new JsonObject { ["record"] = RecordJson(record), ["file"] = keptName, ["bytes"] = (long)density.Mass.Length * sizeof(double), ["sha256"] = keptHash, ["lostMass"] = Exact(density.LostMass) });
            }

            string runDirectory = Path.GetDirectoryName(folder)!;
            JsonObject index = Start(header, state.Seconds);
            index["step"] = state.Step;
            index["density"] = new JsonObject { ["file"] = name, ["cells"] = mass.Length, ["bytes"] = (long)mass.Length * sizeof(double), ["sha256"] = hash };
            index["lostMass"] = Exact(state.Density.LostMass);
            index["displacement"] = state.Displacement is null ? null : new JsonArray([.. state.Displacement.Select(Exact)]);
            index["records"] = new JsonArray([.. state.Records.Select(RecordJson)]);
            index["snapshots"] = new JsonObject
            {
                ["maxDensityFiles"] = snapshots.MaxDensityFiles,
                ["csv"] = FileList(runDirectory, snapshots.CsvFiles),
                ["png"] = FileList(runDirectory, snapshots.PlotFiles),
                ["kept"] = kept,
            };
            Json.WriteFile(Path.Combine(folder, IndexFile), index);
            if (previousDensity is not null && previousDensity != name)
            {
                TryDelete(Path.Combine(folder, previousDensity));
            }

            previousDensity = name;
        }

        /// <summary>The files with their SHA-256 (each hashed once: a snapshot is written once in a run).</summary>
        private JsonArray FileList(string runDirectory, IEnumerable<string> names) =>
            new([.. names.Select(n => (JsonNode)new JsonObject { ["file"] = n, ["sha256"] = Hash(runDirectory, n) })]);

        private string Hash(string runDirectory, string name)
        {
            if (!hashes.TryGetValue(name, out string? hash))
            {
                hash = RunFolder.Hash(Path.Combine(runDirectory, name));
                hashes[name] = hash;
            }

            return hash;
        }
    }

    /// <summary>
    /// Reads the checkpoint of <paramref name="runDirectory"/> for <paramref name="grid"/> (null: an ensemble run of
    /// <paramref name="dimension"/> and <paramref name="recordSteps"/>), checking every file it names against its size and SHA-256.
    /// </summary>
    /// <exception cref="InvalidDataException">There is no checkpoint, or it is malformed, damaged or does not fit the run (the message names the file and the cause).</exception>
    public static Loaded Read(string runDirectory, int dimension, IReadOnlyList<int> recordSteps, UniformGrid? grid, long trajectories = 0) =>
        Read(runDirectory, dimension, recordSteps, grid, trajectories, new EnsembleShape(Problems.Limits.StatisticsPlanFor(dimension), 0, StatisticsPlan.Coordinates));

    /// <summary>
    /// Reads the checkpoint of the ensemble <paramref name="algorithm"/> on <paramref name="problem"/>: its statistics
    /// (full pairs or coordinates, <see cref="Problems.EnsembleAlgorithm.FullCovariance"/>) and those of its projections, if any.
    /// </summary>
    /// <exception cref="InvalidDataException">There is no checkpoint, or it is malformed, damaged or does not fit the run (the message names the file and the cause).</exception>
    public static Loaded Read(string runDirectory, Problems.Problem problem, Problems.EnsembleAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(algorithm);
        var model = EnsembleModel.From(problem, algorithm);
        return Read(runDirectory, model.Dimension, model.RecordSteps, null, algorithm.Trajectories, new EnsembleShape(model.Plan, model.ProjectionCount, model.ProjectionPlan));
    }

    /// <summary>What an ensemble's statistics hold: the state's plan, the number of projections and theirs.</summary>
    private readonly record struct EnsembleShape(StatisticsPlan Plan, int Projections, StatisticsPlan ProjectionPlan);

    private static Loaded Read(string runDirectory, int dimension, IReadOnlyList<int> recordSteps, UniformGrid? grid, long trajectories, EnsembleShape shape)
    {
        ArgumentNullException.ThrowIfNull(recordSteps);
        string folder = PathOf(runDirectory);
        string indexPath = Path.Combine(folder, IndexFile);
        if (!File.Exists(indexPath))
        {
            throw new InvalidDataException($"{runDirectory} has no checkpoint ({Path.Combine(Folder, IndexFile)} is missing): nothing to resume");
        }

        JsonObject index;
        try
        {
            index = JsonNode.Parse(BoundedFile.ReadAllText(indexPath, MaxIndexBytes, TimeSpan.FromSeconds(120))) as JsonObject
                ?? throw new InvalidDataException($"{indexPath}: not a JSON object");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or BoundedReadException or IOException)
        {
            throw new InvalidDataException($"{indexPath}: not a readable checkpoint ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        var reader = new IndexReader(indexPath, index);
        int version = reader.Int("sgdyn-checkpoint");
        if (version is < 1 or > Version)
        {
            throw reader.Error("sgdyn-checkpoint", $"checkpoint format {index["sgdyn-checkpoint"]}, this engine reads 1 to {Version}");
        }

        var header = new Header(reader.String("kind"), reader.String("scenarioSha256"), reader.String("backend"));
        double seconds = reader.Double("seconds");
        if (grid is null)
        {
            return ReadEnsemble(reader, folder, header, seconds, dimension, recordSteps, trajectories, shape, version);
        }

        return ReadGrid(reader, folder, header, seconds, grid, recordSteps);
    }

    private static Loaded ReadEnsemble(
        IndexReader reader, string folder, Header header, double seconds, int dimension, IReadOnlyList<int> recordSteps, long trajectories, EnsembleShape shape, int version)
    {
        if (header.Kind != "ensemble")
        {
            throw reader.Error("kind", $"the checkpoint is of a {header.Kind} run, the scenario runs an ensemble");
        }

        long done = reader.Long("trajectoriesDone");
        if (done < 0 || done > trajectories || (done % Kernels.Statistics.TileLayout.TileSize != 0 && done != trajectories))
        {
            throw reader.Error("trajectoriesDone", $"{done} is not a whole number of tiles ({Kernels.Statistics.TileLayout.TileSize}) within the ensemble's {trajectories} trajectories");
        }

        EnsembleStatistics statistics = ReadStatistics(reader, dimension, recordSteps, shape, done, projectionsField: version >= 2, "the checkpoint");

        float[]? states = null;
        JsonArray files = reader.Array("stateFiles");
        if (reader.Bool("finalStates"))
        {
            states = new float[checked((int)(trajectories * dimension))];
            long next = 0;
            for (int i = 0; i < files.Count; i++)
            {
                var file = new IndexReader(reader.Path, files[i] as JsonObject ?? throw reader.Error($"stateFiles[{i}]", "not an object"), $"stateFiles[{i}].");
                long first = file.Long("first"), end = file.Long("end");
                if (first != next || end <= first || end > done)
                {
                    throw file.Error("first", $"the states files do not cover [0, {done}) in order (found [{first}, {end}) after {next})");
                }

                byte[] bytes = ReadBinary(folder, file, (end - first) * dimension * sizeof(float));
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(states.AsSpan((int)(first * dimension)));
                next = end;
            }

            if (next != done)
            {
                throw reader.Error("stateFiles", $"the states files cover [0, {next}), the checkpoint {done} trajectories");
            }
        }

        var state = new EnsembleRunState(done, statistics, states, seconds);
        return new Loaded(header, state, null, null, new Dictionary<string, string>()) { StateFiles = files };
    }

    /// <summary>
    /// The exact sums under <c>statistics</c> and (with <paramref name="projectionsField"/>; checkpoints from format 2 on)
    /// <c>projections</c>, each record checked against the shape and against <paramref name="done"/> trajectories;
    /// <paramref name="holder"/> names the file in messages.
    /// </summary>
    private static EnsembleStatistics ReadStatistics(IndexReader reader, int dimension, IReadOnlyList<int> recordSteps, EnsembleShape shape, long done, bool projectionsField, string holder)
    {
        JsonArray statisticsJson = reader.Array("statistics");
        if (statisticsJson.Count != recordSteps.Count)
        {
            throw reader.Error("statistics", $"{statisticsJson.Count} records, the scenario has {recordSteps.Count}");
        }

        var statistics = new EnsembleStatistics(dimension, recordSteps, shape.Plan, shape.Projections, shape.ProjectionPlan);
        for (int r = 0; r < statisticsJson.Count; r++)
        {
            statistics[r].Merge(ReadAccumulator(reader, statisticsJson[r], $"statistics[{r}]", dimension, shape.Plan, done, "the run records"));
        }

        JsonArray? projectionsJson = projectionsField ? reader.Node("projections") as JsonArray : null;
        if (projectionsField && reader.Node("projections") is not (null or JsonArray))
        {
            throw reader.Error("projections", "not an array or null");
        }

        if ((projectionsJson is null) != (shape.Projections == 0))
        {
            throw reader.Error("projections", shape.Projections == 0
                ? $"{holder} holds projections, the scenario records none"
                : $"{holder} holds no projections, the scenario records {shape.Projections} directions");
        }

        if (projectionsJson is not null)
        {
            if (projectionsJson.Count != recordSteps.Count)
            {
                throw reader.Error("projections", $"{projectionsJson.Count} records, the scenario has {recordSteps.Count}");
            }

            for (int r = 0; r < projectionsJson.Count; r++)
            {
                statistics.Projections(r).Merge(ReadAccumulator(reader, projectionsJson[r], $"projections[{r}]", shape.Projections, shape.ProjectionPlan, done, "the directions record"));
            }
        }

        return statistics;
    }

    /// <summary>One record's exact sums, checked against the dimension, the plan and the trajectories done.</summary>
    private static MomentAccumulator ReadAccumulator(IndexReader reader, JsonNode? node, string where, int dimension, StatisticsPlan plan, long done, string recorder)
    {
        MomentAccumulator accumulator;
        try
        {
            var entries = (node as JsonObject ?? throw new FormatException("not an object"))
                .ToDictionary(p => p.Key, p => p.Value is JsonValue v && v.TryGetValue(out string? text) ? text : throw new FormatException($"'{p.Key}' is not a string"));
            accumulator = MomentAccumulator.FromDictionary(entries);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw reader.Error(where, e.Message);
        }

        if (accumulator.Plan != plan)
        {
            throw reader.Error(where, $"holds {accumulator.Plan} moments; {recorder} {plan}");
        }

        if (accumulator.Dimension != dimension || accumulator.Count + accumulator.Diverged != done)
        {
            throw reader.Error(where, $"dimension {accumulator.Dimension} and {accumulator.Count + accumulator.Diverged} trajectories, expected {dimension} and {done}");
        }

        return accumulator;
    }

    private static Loaded ReadGrid(IndexReader reader, string folder, Header header, double seconds, UniformGrid grid, IReadOnlyList<int> recordSteps)
    {
        if (header.Kind == "ensemble")
        {
            throw reader.Error("kind", "the checkpoint is of an ensemble run, the scenario runs a grid solver");
        }

        int step = reader.Int("step");
        var densityEntry = new IndexReader(reader.Path, reader.Object("density"), "density.");
        if (densityEntry.Long("cells") != grid.Count)
        {
            throw densityEntry.Error("cells", $"{densityEntry.Long("cells")} cells, the scenario's grid has {grid.Count}");
        }

        var density = new GridDensity(grid);
        MemoryMarshal.Cast<byte, double>(ReadBinary(folder, densityEntry, (long)grid.Count * sizeof(double))).CopyTo(density.Mass);
        density.LostMass = reader.ExactDouble("lostMass");
        double[]? displacement = reader.Node("displacement") is JsonArray shift ? [.. shift.Select((n, i) => reader.ExactDouble(n, $"displacement[{i}]"))] : null;
        JsonArray recordsJson = reader.Array("records");
        var records = new List<GridRecord>(recordsJson.Count);
        if (recordsJson.Count < 1 || recordsJson.Count > recordSteps.Count)
        {
            throw reader.Error("records", $"{recordsJson.Count} records, the scenario has {recordSteps.Count}");
        }

        for (int r = 0; r < recordsJson.Count; r++)
        {
            records.Add(ReadRecord(reader, recordsJson[r], $"records[{r}]", grid.Dimension));
            if (records[r].Step != recordSteps[r])
            {
                throw reader.Error($"records[{r}].step", $"{records[r].Step}, the scenario records step {recordSteps[r]} there");
            }
        }

        int made = records.Count;
        if (step < recordSteps[made - 1] || (made < recordSteps.Count ? step > recordSteps[made] : step != recordSteps[^1]))
        {
            throw reader.Error("step", $"{step} does not follow the {made} records made (the last at step {recordSteps[made - 1]})");
        }

        var snapshotsEntry = new IndexReader(reader.Path, reader.Object("snapshots"), "snapshots.");
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var csv = ReadFileList(snapshotsEntry, "csv", hashes);
        var png = ReadFileList(snapshotsEntry, "png", hashes);
        var kept = new List<(GridRecord, GridDensity)>();
        JsonArray keptJson = snapshotsEntry.Array("kept");
        for (int i = 0; i < keptJson.Count; i++)
        {
            var entry = new IndexReader(reader.Path, keptJson[i] as JsonObject ?? throw snapshotsEntry.Error($"kept[{i}]", "not an object"), $"snapshots.kept[{i}].");
            GridRecord record = ReadRecord(entry, entry.Node("record"), "record", grid.Dimension);
            var keptDensity = new GridDensity(grid) { LostMass = entry.ExactDouble("lostMass") };
            MemoryMarshal.Cast<byte, double>(ReadBinary(folder, entry, (long)grid.Count * sizeof(double))).CopyTo(keptDensity.Mass);
            kept.Add((record, keptDensity));
        }

        var state = new GridRunState(step, density, displacement, records, seconds);
        var snapshots = new Snapshots(csv, png, snapshotsEntry.Int("maxDensityFiles"), kept);
        return new Loaded(header, null, state, snapshots, hashes) { DensityFile = densityEntry.String("file") };
    }

    private static List<string> ReadFileList(IndexReader reader, string key, Dictionary<string, string> hashes)
    {
        var names = new List<string>();
        JsonArray list = reader.Array(key);
        for (int i = 0; i < list.Count; i++)
        {
            var entry = new IndexReader(reader.Path, list[i] as JsonObject ?? throw reader.Error($"{key}[{i}]", "not an object"), $"{reader.Prefix}{key}[{i}].");
            string name = entry.String("file");
            if (name != Path.GetFileName(name) || !RunFolder.IsEngineOutput(name))
            {
                throw entry.Error("file", $"'{name}' is not a density snapshot name");
            }

            names.Add(name);
            hashes[name] = entry.String("sha256");
        }

        return names;
    }

    private static GridRecord ReadRecord(IndexReader reader, JsonNode? node, string where, int dimension)
    {
        var record = new IndexReader(reader.Path, node as JsonObject ?? throw reader.Error(where, "not an object"), $"{reader.Prefix}{where}.");
        double[] Vector(string key) => [.. record.Array(key).Select((n, i) => record.ExactDouble(n, $"{key}[{i}]"))];
        double[] mean = Vector("mean");
        double[] flat = Vector("covariance");
        if (mean.Length != dimension || flat.Length != dimension * dimension)
        {
            throw record.Error("mean", $"a record of dimension {dimension} needs {dimension} means and {dimension * dimension} covariances");
        }

        var covariance = new double[dimension, dimension];
        Buffer.BlockCopy(flat, 0, covariance, 0, flat.Length * sizeof(double));
        double[]? displacement = record.Node("displacement") is JsonArray ? Vector("displacement") : null;
        return new GridRecord(record.Int("step"), record.ExactDouble("time"), record.ExactDouble("mass"), record.ExactDouble("lostMass"), mean, covariance, displacement);
    }

    private static JsonObject RecordJson(GridRecord record)
    {
        var flat = new double[record.Covariance.Length];
        Buffer.BlockCopy(record.Covariance, 0, flat, 0, flat.Length * sizeof(double));
        return new JsonObject
        {
            ["step"] = record.Step,
            ["time"] = Exact(record.Time),
            ["mass"] = Exact(record.Mass),
            ["lostMass"] = Exact(record.LostMass),
            ["mean"] = new JsonArray([.. record.Mean.Select(Exact)]),
            ["covariance"] = new JsonArray([.. flat.Select(Exact)]),
            ["displacement"] = record.Displacement is null ? null : new JsonArray([.. record.Displacement.Select(Exact)]),
        };
    }

    private static JsonObject Start(Header header, double seconds) => new()
    {
        ["sgdyn-checkpoint"] = Version,
        ["kind"] = header.Kind,
        ["scenarioSha256"] = header.ScenarioSha256,
        ["backend"] = header.Backend,
        ["written"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["seconds"] = seconds,
    };


    /// <summary>
    /// A double as JSON, exactly: a number (the shortest text that reads back to the same bits) when finite and not −0,
    /// else the string "NaN", "Infinity", "-Infinity" or "-0".
    /// </summary>
    private static JsonNode Exact(double value) => value switch
    {
        double.NaN => JsonValue.Create("NaN"),
        double.PositiveInfinity => JsonValue.Create("Infinity"),
        double.NegativeInfinity => JsonValue.Create("-Infinity"),
        0 when double.IsNegative(value) => JsonValue.Create("-0"),
        _ => JsonValue.Create(value),
    };

    /// <summary>Writes <paramref name="count"/> values of <paramref name="values"/> from <paramref name="start"/> as raw little-endian bytes; returns their SHA-256.</summary>
    private static string WriteBinary<T>(string path, T[] values, int start, int count)
        where T : unmanaged
    {
        AtomicFile.Write(path, stream => stream.Write(MemoryMarshal.AsBytes(values.AsSpan(start, count))));
        return Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan(start, count))));
    }

    private static byte[] ReadBinary(string folder, IndexReader entry, long expectedBytes)
    {
        string name = entry.String("file");
        if (name != Path.GetFileName(name) || name.Length == 0)
        {
            throw entry.Error("file", $"'{name}' is not a file name in the checkpoint folder");
        }

        string path = Path.Combine(folder, name);
        if (entry.Long("bytes") != expectedBytes)
        {
            throw entry.Error("bytes", $"{entry.Long("bytes")} bytes, expected {expectedBytes}");
        }

        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length != expectedBytes)
            {
                throw new InvalidDataException($"{path}: {(info.Exists ? $"{info.Length} bytes, the checkpoint says {expectedBytes}" : "missing")} (the checkpoint is damaged)");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not readable ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != entry.String("sha256"))
        {
            throw new InvalidDataException($"{path}: its SHA-256 differs from the checkpoint's (the file was changed or damaged)");
        }

        return bytes;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreferenced density file of an earlier checkpoint: harmless, removed with the folder at the end.
        }
    }

    /// <summary>Reads fields of the checkpoint index; every error names the file and the field.</summary>
    internal sealed class IndexReader(string path, JsonObject node, string prefix = "")
    {
        public string Path => path;

        public string Prefix => prefix;

        public InvalidDataException Error(string key, string message) => new($"{path}: {prefix}{key}: {message}");

        public JsonNode? Node(string key) => node[key];

        public string String(string key) =>
            node[key] is JsonValue v && v.TryGetValue(out string? text) ? text : throw Error(key, "missing or not a string");

        public bool Bool(string key) =>
            node[key] is JsonValue v && v.TryGetValue(out bool flag) ? flag : throw Error(key, "missing or not true/false");

        public long Long(string key) =>
            node[key] is JsonValue v && v.TryGetValue(out long number) ? number : throw Error(key, "missing or not an integer");

        public int Int(string key) =>
            node[key] is JsonValue v && v.TryGetValue(out int number) ? number : throw Error(key, "missing or not a 32-bit integer");

        public double Double(string key) =>
            node[key] is JsonValue v && v.TryGetValue(out double number) && double.IsFinite(number) ? number : throw Error(key, "missing or not a finite number");

        public JsonArray Array(string key) => node[key] as JsonArray ?? throw Error(key, "missing or not an array");

        public JsonObject Object(string key) => node[key] as JsonObject ?? throw Error(key, "missing or not an object");

        public double ExactDouble(string key) => ExactDouble(node[key], key);

        public double ExactDouble(JsonNode? value, string key)
        {
            if (value is JsonValue v)
            {
                if (v.TryGetValue(out double number))
                {
                    return number;
                }

                if (v.TryGetValue(out string? text))
                {
                    switch (text)
                    {
                        case "NaN": return double.NaN;
                        case "Infinity": return double.PositiveInfinity;
                        case "-Infinity": return double.NegativeInfinity;
                        case "-0": return -0.0;
                    }
                }
            }

            throw Error(key, "missing or not a number (or \"NaN\", \"Infinity\", \"-Infinity\", \"-0\")");
        }
    }
}
