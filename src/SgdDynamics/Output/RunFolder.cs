using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SgdDynamics.Output;

/// <summary>
/// An output folder owned by one run. <see cref="Open"/> takes the folder's lock (<c>.sgdyn.lock</c>, held open with
/// <see cref="FileShare.None"/>, an OS lock released when the process ends however it ends) and records the holder
/// (process id, host, start time, command) in <c>.sgdyn.owner</c>, so that a second run on the same folder is refused
/// naming the holder. <see cref="ClearPrevious"/> deletes what an earlier run wrote (the files its manifest lists and
/// files with the engine's output names, nothing else). Every file written through <see cref="AtomicFile"/> into the
/// folder is recorded, and <see cref="WriteManifest"/> writes <c>manifest.json</c> last: each file's name, size and
/// SHA-256, the status, and <c>complete</c>.
/// </summary>
public sealed partial class RunFolder : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string LockFile = ".sgdyn.lock";

    /// <summary>The holder description's name.</summary>
    public const string OwnerFile = ".sgdyn.owner";

    /// <summary>The manifest's name.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>Manifest format version.</summary>
    public const int ManifestVersion = 1;

    private static readonly ConcurrentDictionary<string, RunFolder> Open_ = new(StringComparer.Ordinal);

    /// <summary>The fixed names of the engine's outputs (beside <c>density_&lt;step&gt;.csv/png/npy</c>).</summary>
    private static readonly HashSet<string> EngineNames = new(StringComparer.Ordinal)
    {
        ManifestFile, "summary.json", "timeseries.csv", "modes.csv", "scenario.json", "density.png", "report.md", "report.json",
        "run.png", "projections.csv", "projection_covariance.npy", "covariance.npy", "timeseries.npz", "final_states.npy", "paths.npy", "grid.npz",
        SweepOutput.CsvFile, SweepOutput.JsonFile, SweepOutput.NpzFile, SweepOutput.PlotFile,
    };

    private readonly FileStream lockStream;
    private readonly List<string> files = [];
    private readonly object gate = new();
    private bool disposed;

    private RunFolder(string directory, string command, FileStream lockStream)
    {
        Directory = directory;
        Command = command;
        this.lockStream = lockStream;
        Started = DateTimeOffset.UtcNow;
    }

    /// <summary>The folder (full path).</summary>
    public string Directory { get; }

    /// <summary>The command that owns the folder.</summary>
    public string Command { get; }

    /// <summary>When the folder was taken.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>The files written so far (names in the folder, in the order written; a rewritten file once).</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            lock (gate)
            {
                return [.. files];
            }
        }
    }

    /// <summary>
    /// Creates <paramref name="directory"/> if needed and takes its lock for <paramref name="command"/>.
    /// </summary>
    /// <exception cref="RunFolderException">The folder cannot be created or written, or another run holds it (the message names the holder).</exception>
    public static RunFolder Open(string directory, string command)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string full;
        try
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
            System.IO.Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RunFolderException($"{directory}: cannot create the output folder ({OneLine(e)})");
        }

        string lockPath = Path.Combine(full, LockFile);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunFolderException($"{directory}: the output folder is not writable ({OneLine(e)})");
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new RunFolderException($"{directory} is in use by another run ({Holder(full)})", e) { InUse = true };
        }
        catch (IOException e)
        {
            throw new RunFolderException($"{directory}: the output folder is not writable ({OneLine(e)})");
        }

        var folder = new RunFolder(full, command, stream);
        if (!Open_.TryAdd(full, folder))
        {
            stream.Dispose();
            throw new RunFolderException($"{directory} is in use by another run in this process");
        }

        try
        {
            string owner = string.Create(
                CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} on {Environment.MachineName}, {command}, started {folder.Started:yyyy-MM-ddTHH:mm:ssZ}");
            WriteOwner(stream, owner);
            AtomicFile.WriteAllText(Path.Combine(full, OwnerFile), owner + "\n");
        }
        catch (IOException e)
        {
            folder.Dispose();
            throw new RunFolderException($"{directory}: the output folder is not writable ({OneLine(e)})");
        }

        return folder;
    }

    /// <summary>Whether <paramref name="name"/> is one of the names the engine writes into a run folder.</summary>
    public static bool IsEngineOutput(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return EngineNames.Contains(name) || ModeExperiments.HessianModeReport.Files.Contains(name) || DensityName().IsMatch(name) || (name.StartsWith('.') && name.EndsWith(AtomicFile.TemporarySuffix, StringComparison.Ordinal));
    }

    /// <summary>
    /// The files an earlier run left that <see cref="ClearPrevious"/> deletes: those its manifest lists and those with the
    /// engine's output names.
    /// </summary>
    public IReadOnlyList<string> PreviousOutputs()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (TryReadManifest(Directory, out JsonObject? manifest, out _) && manifest!["files"] is JsonArray listed)
        {
            foreach (JsonNode? entry in listed)
            {
                if (entry?["name"]?.GetValue<string>() is { } name && IsPlainName(name))
                {
                    names.Add(name);
                }
            }
        }

        foreach (string path in System.IO.Directory.EnumerateFiles(Directory))
        {
            string name = Path.GetFileName(path);
            if (IsEngineOutput(name))
            {
                names.Add(name);
            }
        }

        names.Remove(LockFile);
        names.Remove(OwnerFile);
        return names.Where(n => File.Exists(Path.Combine(Directory, n))).ToArray();
    }

    /// <summary>
    /// Deletes <see cref="PreviousOutputs"/>, the manifest first, except <paramref name="keep"/> (the files a resumed run
    /// continues from, which are then listed in this run's manifest as if written by it); returns how many files it deleted.
    /// </summary>
    public int ClearPrevious(IReadOnlyCollection<string>? keep = null)
    {
        keep ??= [];
        var previous = PreviousOutputs().Where(n => !keep.Contains(n)).OrderBy(n => n == ManifestFile ? 0 : 1).ToArray();
        foreach (string name in previous)
        {
            try
            {
                File.Delete(Path.Combine(Directory, name));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RunFolderException($"{Directory}: cannot remove the previous run's {name} ({OneLine(e)})");
            }
        }

        lock (gate)
        {
            foreach (string name in keep.Where(n => n != ManifestFile && !files.Contains(n)))
            {
                files.Add(name);
            }
        }

        return previous.Length;
    }

    /// <summary>
    /// Writes <c>manifest.json</c>: the command, <paramref name="status"/>, <paramref name="complete"/>, the start and end
    /// times, and every file written into the folder with its size and SHA-256.
    /// </summary>
    public JsonObject WriteManifest(string status, bool complete, string? message = null)
    {
        var entries = new JsonArray();
        foreach (string name in Files.Where(n => n != ManifestFile))
        {
            string path = Path.Combine(Directory, name);
            if (!File.Exists(path))
            {
                continue;
            }

            entries.Add(new JsonObject
            {
                ["name"] = name,
                ["bytes"] = new FileInfo(path).Length,
                ["sha256"] = Hash(path),
            });
        }

        var manifest = new JsonObject
        {
            ["sgdyn-manifest"] = ManifestVersion,
            ["command"] = Command,
            ["status"] = status,
            ["complete"] = complete,
            ["message"] = message,
            ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
            ["finished"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["files"] = entries,
        };
        if (message is null)
        {
            manifest.Remove("message");
        }

        Json.WriteFile(Path.Combine(Directory, ManifestFile), manifest);
        return manifest;
    }

    /// <summary>The lowercase hex SHA-256 of a file.</summary>
    public static string Hash(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Reads a folder's manifest; false with the reason when there is none or it is not readable.</summary>
    public static bool TryReadManifest(string directory, out JsonObject? manifest, out string reason)
    {
        manifest = null;
        string path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path))
        {
            reason = $"{directory} has no {ManifestFile} (the run did not finish, or is still running)";
            return false;
        }

        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            reason = $"{path} is not readable ({OneLine(e)})";
            return false;
        }

        if (manifest?["files"] is not JsonArray)
        {
            manifest = null;
            reason = $"{path} is not an sgdyn manifest";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>
    /// Checks that <paramref name="directory"/> holds a complete run: a manifest with <c>complete: true</c>; and, for each of
    /// <paramref name="names"/>, that the manifest lists it with the size and SHA-256 the file has. False with a one-line reason otherwise.
    /// </summary>
    public static bool IsComplete(string directory, IEnumerable<string> names, out string reason)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (!TryReadManifest(directory, out JsonObject? manifest, out reason))
        {
            return false;
        }

        if (manifest!["complete"] is not JsonValue complete || !complete.TryGetValue(out bool done) || !done)
        {
            reason = $"{directory}: the run is not complete (manifest status: {manifest["status"]?.ToString() ?? "none"})";
            return false;
        }

        var listed = manifest["files"]!.AsArray()
            .Where(e => e?["name"] is not null)
            .ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!, StringComparer.Ordinal);
        foreach (string name in names)
        {
            string path = Path.Combine(directory, name);
            if (!listed.TryGetValue(name, out JsonNode? entry))
            {
                reason = $"{path} is not listed in the folder's {ManifestFile} (not written by that run)";
                return false;
            }

            long bytes = File.Exists(path) ? new FileInfo(path).Length : -1;
            if (bytes != entry["bytes"]?.GetValue<long>() || Hash(path) != entry["sha256"]?.GetValue<string>())
            {
                reason = $"{path} differs from the size or SHA-256 in the folder's {ManifestFile} (changed after the run)";
                return false;
            }
        }

        reason = "";
        return true;
    }

    /// <summary>Called by <see cref="AtomicFile"/> after each file it writes: records it in its folder's run, if one is open.</summary>
    internal static void Written(string fullPath)
    {
        string? folder = Path.GetDirectoryName(fullPath);
        if (folder is not null && Open_.TryGetValue(folder, out RunFolder? run))
        {
            string name = Path.GetFileName(fullPath);
            if (name is LockFile or OwnerFile or ManifestFile)
            {
                return;
            }

            lock (run.gate)
            {
                if (!run.files.Contains(name))
                {
                    run.files.Add(name);
                }
            }
        }
    }

    /// <summary>Releases the lock (the lock file stays, emptied; the owner file is removed).</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Open_.TryRemove(new KeyValuePair<string, RunFolder>(Directory, this));
        try
        {
            File.Delete(Path.Combine(Directory, OwnerFile));
            lockStream.SetLength(0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lock is released below in any case; a stale owner file names a process that no longer holds the lock.
        }

        lockStream.Dispose();
    }

    private static void WriteOwner(FileStream stream, string owner)
    {
        stream.SetLength(0);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(owner + "\n"));
        stream.Flush(flushToDisk: !AtomicFile.Deferred);
    }

    private static string Holder(string directory)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(directory, OwnerFile)).Trim();
            return text.Length > 0 ? "held by " + text : "held by a process that did not name itself";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"held by a process that did not name itself; {LockFile} is locked";
        }
    }

    private static bool IsPlainName(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && name != "." && name != ".." && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    [GeneratedRegex(@"^density_\d+\.(csv|png|npy)$")]
    private static partial Regex DensityName();
}

/// <summary>The output folder cannot be used: not writable, or held by another run (the message says which, in one line).</summary>
public sealed class RunFolderException : IOException
{
    /// <summary>A refusal with its one-line reason.</summary>
    public RunFolderException(string message)
        : base(message)
    {
    }

    /// <summary>A refusal with its one-line reason and the underlying error.</summary>
    public RunFolderException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>True when another run holds the folder (the message names the holder).</summary>
    public bool InUse { get; init; }
}
