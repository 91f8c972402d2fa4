using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SgdDynamics.Output;

namespace SgdDynamics.Data;

/// <summary>
/// A NumPy .npz archive under construction: named arrays (float64, float32 of any rank; int64, int32), saved as a zip of
/// <c>&lt;name&gt;.npy</c> entries, stored (as <c>numpy.savez</c> writes them) or deflated (as <c>numpy.savez_compressed</c>),
/// so that <c>numpy.load(path)[name]</c> gives each array back. The arrays are referenced, not copied: they are written as
/// they are when <see cref="Save"/> runs. Entries keep the order in which they were added; their time stamps are fixed
/// (1980-01-01), so that the same arrays give the same bytes.
/// </summary>
/// <example><code>
/// var npz = new NpzWriter();
/// npz.Add("steps", steps);                   // long[R] → (R,) int64
/// npz.Add("means", meansFlat, records, d);   // double[R·d] → (R, d) float64
/// npz.Save(Path.Combine(folder, "timeseries.npz"));
/// </code></example>
public sealed class NpzWriter
{
    private static readonly DateTimeOffset EntryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<(string Name, Action<Stream> Write)> entries = [];
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>A writer whose entries are deflated when <paramref name="compressed"/> (<c>numpy.savez_compressed</c>), else stored (<c>numpy.savez</c>).</summary>
    public NpzWriter(bool compressed = false)
    {
        Compressed = compressed;
    }

    /// <summary>Whether entries are deflated.</summary>
    public bool Compressed { get; }

    /// <summary>The names added so far, in order (without <c>.npy</c>).</summary>
    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToArray();

    /// <summary>Adds a float64 array: <paramref name="values"/> in C (row-major) order, <paramref name="shape"/> its extents (none: a vector of all the values).</summary>
    /// <exception cref="ArgumentException">The name is empty, taken or holds a path separator, or the shape does not hold exactly <c>values.Length</c> values.</exception>
    public NpzWriter Add(string name, double[] values, params int[] shape) => AddEntry(name, values, shape, (s, sh) => NpyFile.WriteTo(s, sh, values));

    /// <summary>Adds a float32 array (as <see cref="Add(string, double[], int[])"/>).</summary>
    public NpzWriter Add(string name, float[] values, params int[] shape) => AddEntry(name, values, shape, (s, sh) => NpyFile.WriteTo(s, sh, values));

    /// <summary>Adds an int64 array (as <see cref="Add(string, double[], int[])"/>).</summary>
    public NpzWriter Add(string name, long[] values, params int[] shape) => AddEntry(name, values, shape, (s, sh) => NpyFile.WriteTo(s, sh, values));

    /// <summary>Adds an int32 array (as <see cref="Add(string, double[], int[])"/>).</summary>
    public NpzWriter Add(string name, int[] values, params int[] shape) => AddEntry(name, values, shape, (s, sh) => NpyFile.WriteTo(s, sh, values));

    /// <summary>Adds a float64 matrix (rows × columns).</summary>
    public NpzWriter Add(string name, double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var flat = new double[values.Length];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(double));
        return Add(name, flat, values.GetLength(0), values.GetLength(1));
    }

    /// <summary>Adds the float64 array (rows.Count, <paramref name="columns"/>) whose rows are <paramref name="rows"/>, written from them without a copy.</summary>
    /// <exception cref="ArgumentException">As <see cref="Add(string, double[], int[])"/>, or a row whose length is not <paramref name="columns"/>.</exception>
    public NpzWriter AddRows(string name, IReadOnlyList<double[]> rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (double[] row in rows)
        {
            if (row.Length != columns)
            {
                throw new ArgumentException($"'{name}': a row of {row.Length} values, expected {columns}", nameof(rows));
            }
        }

        return AddEntry(name, [rows.Count, columns], rows.Count * (long)columns, stream =>
        {
            NpyFile.WriteHeader<double>(stream, [rows.Count, columns]);
            foreach (double[] row in rows)
            {
                NpyFile.WriteValues<double>(stream, row);
            }
        });
    }

    /// <summary>Adds the float64 array (matrices.Count, rows, columns) of the stacked <paramref name="matrices"/>, written from them without a copy.</summary>
    /// <exception cref="ArgumentException">As <see cref="Add(string, double[], int[])"/>, or a matrix that is not <paramref name="rows"/> × <paramref name="columns"/>.</exception>
    public NpzWriter AddMatrices(string name, IReadOnlyList<double[,]> matrices, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        foreach (double[,] matrix in matrices)
        {
            if (matrix.GetLength(0) != rows || matrix.GetLength(1) != columns)
            {
                throw new ArgumentException($"'{name}': a {matrix.GetLength(0)} × {matrix.GetLength(1)} matrix, expected {rows} × {columns}", nameof(matrices));
            }
        }

        int[] shape = [matrices.Count, rows, columns];
        return AddEntry(name, shape, matrices.Count * (long)rows * columns, stream =>
        {
            NpyFile.WriteHeader<double>(stream, shape);
            foreach (double[,] matrix in matrices)
            {
                NpyFile.WriteValues<double>(stream, MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, double>(ref MemoryMarshal.GetArrayDataReference(matrix)), matrix.Length));
            }
        });
    }

    /// <summary>Writes the archive to <paramref name="path"/>, atomically (<see cref="AtomicFile"/>).</summary>
    /// <exception cref="OutputWriteException">The file could not be written.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.Write(path, WriteTo);
    }

    /// <summary>Writes the archive into <paramref name="stream"/> (left open).</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CompressionLevel level = Compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach ((string name, Action<Stream> write) in entries)
        {
            ZipArchiveEntry entry = zip.CreateEntry(name + ".npy", level);
            entry.LastWriteTime = EntryTime;
            using Stream data = entry.Open();
            write(data);
        }
    }

    private NpzWriter AddEntry(string name, Array values, int[] shape, Action<Stream, int[]> write)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        int[] extents = shape.Length == 0 ? [values.Length] : (int[])shape.Clone();
        return AddEntry(name, extents, values.LongLength, stream => write(stream, extents));
    }

    private NpzWriter AddEntry(string name, int[] shape, long length, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name.Any(char.IsControl))
        {
            throw new ArgumentException($"'{name}' is not an .npz entry name (non-empty, without '/', '\\' or control characters)", nameof(name));
        }

        if (names.Contains(name))
        {
            throw new ArgumentException($"the .npz archive already holds '{name}'", nameof(name));
        }

        try
        {
            NpyFile.CheckShape(shape, length);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{name}': {e.Message}", nameof(shape), e);
        }

        names.Add(name);
        entries.Add((name, write));
        return this;
    }
}

/// <summary>A reader of .npz archives (for tests and tools): every <c>&lt;name&gt;.npy</c> entry, by name.</summary>
public static class NpzFile
{
    /// <summary>
    /// Reads every entry of the archive at <paramref name="path"/>: float64, float32, int64 and int32 arrays, widened to
    /// double (<see cref="NpyFile.Read"/>), keyed by the entry's name without <c>.npy</c>; each array's
    /// <see cref="NpyArray.Path"/> is <c>&lt;archive&gt;:&lt;entry&gt;</c>.
    /// </summary>
    /// <exception cref="NpyFileException">The file is missing, not a zip archive, holds an entry that is not a <c>.npy</c> file or a malformed one, or an array of more than <paramref name="maxValues"/> values.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path, long maxValues = NpyFile.DefaultMaxValues)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        try
        {
            using var zip = ZipFile.OpenRead(full);
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                string where = $"{full}:{entry.FullName}";
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                {
                    throw new NpyFileException($"{where}: not a .npy entry");
                }

                long limit = NpyFile.MaxHeaderBytes + 16 + (maxValues * sizeof(double));
                if (entry.Length > limit)
                {
                    throw new NpyFileException($"{where}: {entry.Length:N0} bytes (more than {maxValues:N0} values are not read)");
                }

                using var buffer = new MemoryStream((int)Math.Min(entry.Length, Array.MaxLength));
                using (Stream data = entry.Open())
                {
                    data.CopyTo(buffer);
                }

                buffer.Position = 0;
                string name = entry.FullName[..^".npy".Length];
                if (!arrays.TryAdd(name, NpyFile.ReadStream(buffer, where, maxValues, integers: true)))
                {
                    throw new NpyFileException($"{where}: a second entry named '{name}'");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new NpyFileException($"{full}: not a readable .npz (zip) archive ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not NpyFileException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be read ({e.Message})";
            throw new NpyFileException($"{full}: {why}", e);
        }

        return arrays;
    }
}
