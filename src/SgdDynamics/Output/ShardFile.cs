using System.Globalization;
using System.Text.Json.Nodes;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;

namespace SgdDynamics.Output;

/// <summary>
/// The mergeable output of one shard of an ensemble (<c>sgdyn run --shard i/N</c>): <c>shard.json</c> in the shard's output
/// folder holds the shard's identity — the SHA-256 of the resolved <c>scenario.json</c> beside it, i, N, the ensemble's size
/// M, the trajectories [first, end) it ran, the backend and device — and its exact fixed-point statistics, written and
/// read by the code of the run checkpoints (<see cref="RunCheckpoint.WriteStatistics"/>: every record's sums as
/// <see cref="Statistics.MomentAccumulator.ToDictionary"/> strings, and the projections'); when the scenario keeps final
/// states (<c>record.tails</c>, a histogram), they are the float32 file <c>states_&lt;first&gt;_&lt;end&gt;.f32</c>
/// beside it, named in <c>states</c> with its size and SHA-256. Merging shards is exact integer addition
/// (<see cref="EnsembleStatistics.Merge"/>), so the shards of a scenario merge to the single run's statistics bit for bit.
/// <para>
/// Shard i of N runs whole tiles of <see cref="TileLayout.TileSize"/> trajectories (the backends sum a tile in double before
/// adding it exactly, so a tile must not be split between shards): with T = ⌈M / 256⌉ tiles, shard i runs the tiles
/// [⌊i·T/N⌋, ⌊(i+1)·T/N⌋), that is trajectories [256·⌊i·T/N⌋, min(M, 256·⌊(i+1)·T/N⌋)) — N ≤ T, so that no shard is
/// empty. Trajectory j draws from the Philox stream (seed, j) as in the single run.
/// </para>
/// </summary>
public static class ShardFile
{
    /// <summary>The shard file's name in a shard's output folder.</summary>
    public const string FileName = "shard.json";

    /// <summary>The format version written and read.</summary>
    public const int Version = 1;

    /// <summary>The most bytes of <see cref="FileName"/> read.</summary>
    public const long MaxFileBytes = RunCheckpoint.MaxIndexBytes;

    /// <summary>Whether <paramref name="name"/> is a file a shard writes besides the run outputs (<c>shard.json</c>, a states file).</summary>
    public static bool IsShardOutput(string name) =>
        name == FileName || (name.StartsWith("states_", StringComparison.Ordinal) && name.EndsWith(".f32", StringComparison.Ordinal));

    /// <summary>The tiles of <see cref="TileLayout.TileSize"/> trajectories that <paramref name="trajectories"/> make (the last possibly partial).</summary>
    public static long TileCount(long trajectories)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trajectories, 1);
        return (trajectories + TileLayout.TileSize - 1) / TileLayout.TileSize;
    }

    /// <summary>
    /// The trajectories of shard <paramref name="index"/> of <paramref name="count"/> of an ensemble of
    /// <paramref name="trajectories"/>: tiles [⌊i·T/N⌋, ⌊(i+1)·T/N⌋) of the T = ⌈M/256⌉ tiles (see <see cref="ShardFile"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ i &lt; N ≤ T.</exception>
    public static TrajectoryRange RangeOf(long trajectories, int index, int count)
    {
        long tiles = TileCount(trajectories);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, tiles);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        long Boundary(long i) => Math.Min(trajectories, (long)(i * (Int128)tiles / count) * TileLayout.TileSize);
        long first = Boundary(index);
        return new TrajectoryRange(first, Boundary(index + 1L) - first);
    }

    /// <summary>What a shard file says about its shard.</summary>
    /// <param name="ScenarioSha256">SHA-256 of the shard folder's resolved scenario.json.</param>
    /// <param name="Index">i.</param>
    /// <param name="Count">N.</param>
    /// <param name="Trajectories">The ensemble's size M.</param>
    /// <param name="Range">The trajectories the shard ran.</param>
    /// <param name="Backend">The backend that ran it.</param>
    /// <param name="Device">The device that ran it.</param>
    /// <param name="Seconds">Wall time of the shard's solve.</param>
    /// <param name="StatesFile">The final states' file, or null when the scenario keeps none.</param>
    public sealed record Identity(string ScenarioSha256, int Index, int Count, long Trajectories, TrajectoryRange Range, string Backend, string Device, double Seconds, string? StatesFile)
    {
        /// <summary>"i/N".</summary>
        public string Name => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

        /// <summary>The states entry of the file (file, first, end, bytes, SHA-256), or null.</summary>
        internal JsonObject? States { get; init; }
    }

    /// <summary>
    /// Writes <see cref="FileName"/> (and the states file, when <paramref name="result"/> kept final states) into
    /// <paramref name="directory"/> for shard <paramref name="index"/> of <paramref name="count"/> of the scenario whose
    /// scenario.json has SHA-256 <paramref name="scenarioSha256"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The result's trajectories are not the shard's (<see cref="RangeOf"/>).</exception>
    /// <exception cref="OutputWriteException">A file could not be written.</exception>
    public static void Write(string directory, string scenarioSha256, int index, int count, EnsembleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        long trajectories = result.Algorithm.Trajectories;
        TrajectoryRange range = RangeOf(trajectories, index, count);
        if (result.Range != range)
        {
            throw new ArgumentException($"the result holds trajectories [{result.Range.First}, {result.Range.End}), shard {index}/{count} is [{range.First}, {range.End})", nameof(result));
        }

        var json = new JsonObject
        {
            ["sgdyn-shard"] = Version,
            ["scenarioSha256"] = scenarioSha256,
            ["index"] = index,
            ["count"] = count,
            ["trajectories"] = trajectories,
            ["tileSize"] = TileLayout.TileSize,
            ["first"] = range.First,
            ["end"] = range.End,
            ["backend"] = result.Backend,
            ["device"] = result.Device,
            ["seconds"] = result.Seconds,
            ["written"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["states"] = result.FinalStates is { } states
                ? RunCheckpoint.WriteStates(directory, states, 0, range.First, range.End, result.Problem.Dimension)
                : null,
        };
        RunCheckpoint.WriteStatistics(json, result.Statistics);
        Json.WriteFile(Path.Combine(directory, FileName), json);
    }

    /// <summary>
    /// Reads the identity of the shard in <paramref name="directory"/>, checked for consistency: the fields before the sums,
    /// which <see cref="Write"/> puts last, read from the first <see cref="MaxHeadBytes"/> bytes of the file (a merge reads
    /// the sums once, after every shard's identity has been checked).
    /// </summary>
    /// <exception cref="InvalidDataException">There is no shard file, or it is malformed or inconsistent (the message names the file and the field).</exception>
    public static Identity ReadIdentity(string directory)
    {
        (string path, JsonObject json) = ParseHead(directory);
        var reader = new RunCheckpoint.IndexReader(path, json);
        int version = reader.Int("sgdyn-shard");
        if (version != Version)
        {
            throw reader.Error("sgdyn-shard", $"shard format {version}, this engine reads {Version}");
        }

        if (reader.Int("tileSize") != TileLayout.TileSize)
        {
            throw reader.Error("tileSize", $"{reader.Int("tileSize")}, this engine's tiles hold {TileLayout.TileSize} trajectories");
        }

        int index = reader.Int("index"), count = reader.Int("count");
        long trajectories = reader.Long("trajectories");
        if (trajectories < 1 || trajectories > Limits.MaxTrajectories)
        {
            throw reader.Error("trajectories", $"{trajectories} is not an ensemble size (1 to {Limits.MaxTrajectories})");
        }

        long tiles = TileCount(trajectories);
        if (count < 1 || count > tiles || index < 0 || index >= count)
        {
            throw reader.Error("index", $"shard {index}/{count} is not one of 1 to {tiles} shards of {trajectories} trajectories");
        }

        TrajectoryRange range = RangeOf(trajectories, index, count);
        if (reader.Long("first") != range.First || reader.Long("end") != range.End)
        {
            throw reader.Error("first", $"trajectories [{reader.Long("first")}, {reader.Long("end")}) are not shard {index}/{count}'s [{range.First}, {range.End})");
        }

        string hash = reader.String("scenarioSha256");
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw reader.Error("scenarioSha256", "not a lowercase hexadecimal SHA-256");
        }

        JsonObject? states = reader.Node("states") switch
        {
            null => null,
            JsonObject entry => entry,
            _ => throw reader.Error("states", "not an object or null"),
        };
        string? statesFile = null;
        if (states is not null)
        {
            statesFile = new RunCheckpoint.IndexReader(path, states, "states.").String("file");
            if (statesFile != Path.GetFileName(statesFile) || !IsShardOutput(statesFile))
            {
                throw reader.Error("states.file", $"'{statesFile}' is not a states file name");
            }
        }

        return new Identity(hash, index, count, trajectories, range, reader.String("backend"), reader.String("device"), reader.Double("seconds"), statesFile)
        {
            States = (JsonObject?)states?.DeepClone(),
        };
    }

    /// <summary>
    /// Reads the exact statistics of the shard in <paramref name="directory"/>, whose identity <paramref name="identity"/>
    /// was read before, for the ensemble <paramref name="algorithm"/> on <paramref name="problem"/>: dimension, records and
    /// plans must fit, and every record must count the shard's trajectories.
    /// </summary>
    /// <exception cref="InvalidDataException">The file changed since its identity was read, or its statistics are malformed or do not fit.</exception>
    public static EnsembleStatistics ReadStatistics(string directory, Identity identity, Problem problem, EnsembleAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(identity);
        (string path, JsonObject json) = Parse(directory);
        var reader = new RunCheckpoint.IndexReader(path, json);
        if (reader.String("scenarioSha256") != identity.ScenarioSha256 || reader.Int("index") != identity.Index || reader.Int("count") != identity.Count)
        {
            throw new InvalidDataException($"{path}: changed while it was read (another shard's file was put in its place)");
        }

        return RunCheckpoint.ReadStatistics(path, json, problem, algorithm, identity.Range.Count, "the shard");
    }

    /// <summary>
    /// Copies the final states of the shard in <paramref name="directory"/> (dimension <paramref name="dimension"/>) into
    /// <paramref name="into"/> at the shard's first trajectory, after checking the file's size and SHA-256.
    /// </summary>
    /// <exception cref="InvalidDataException">The shard kept no states, or its states file is missing, of another size or changed.</exception>
    public static void ReadStates(string directory, Identity identity, int dimension, float[] into)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string path = Path.Combine(directory, FileName);
        if (identity.States is null)
        {
            throw new InvalidDataException($"{path}: states: the shard kept no final states");
        }

        RunCheckpoint.ReadStates(path, directory, identity.States, "states", identity.Range.First, identity.Range.End, dimension, into, identity.Range.First * dimension);
    }

    /// <summary>The most bytes of <see cref="FileName"/> before its sums (the identity and the states entry: well under 1 KiB).</summary>
    public const int MaxHeadBytes = 64 << 10;

    /// <summary>The top-level fields of the shard file that come before <c>statistics</c>, parsed from the file's start.</summary>
    private static (string Path, JsonObject Head) ParseHead(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{directory} holds no {FileName}: not the output folder of a shard (sgdyn run --shard i/N)");
        }

        var buffer = new byte[MaxHeadBytes];
        int length;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: not readable ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        InvalidDataException Incomplete() => new($"{path}: not a shard file (no 'statistics' within its first {MaxHeadBytes / 1024} KiB)");
        var head = new JsonObject();
        var reader = new System.Text.Json.Utf8JsonReader(buffer.AsSpan(0, length), isFinalBlock: length < buffer.Length, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
            {
                throw new InvalidDataException($"{path}: not a JSON object");
            }

            while (true)
            {
                if (!reader.Read())
                {
                    throw Incomplete();
                }

                if (reader.TokenType == System.Text.Json.JsonTokenType.EndObject)
                {
                    break;
                }

                string name = reader.GetString()!;
                if (name is "statistics" or "projections")
                {
                    break;
                }

                if (!reader.Read())
                {
                    throw Incomplete();
                }

                int start = checked((int)reader.TokenStartIndex);
                if (reader.TokenType is System.Text.Json.JsonTokenType.StartObject or System.Text.Json.JsonTokenType.StartArray && !reader.TrySkip())
                {
                    throw Incomplete();
                }

                head[name] = JsonNode.Parse(buffer.AsSpan(start, checked((int)reader.BytesConsumed) - start));
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not a readable shard file ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        return (path, head);
    }

    private static (string Path, JsonObject Json) Parse(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{directory} holds no {FileName}: not the output folder of a shard (sgdyn run --shard i/N)");
        }

        try
        {
            return (path, JsonNode.Parse(BoundedFile.ReadAllText(path, MaxFileBytes, TimeSpan.FromSeconds(120))) as JsonObject
                ?? throw new InvalidDataException($"{path}: not a JSON object"));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or BoundedReadException or IOException)
        {
            throw new InvalidDataException($"{path}: not a readable shard file ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }
}
