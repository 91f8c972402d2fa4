using System.Text;

namespace SgdDynamics.Output;

/// <summary>
/// The one way outputs are written: into a temporary file in the target's folder (<c>.&lt;name&gt;.&lt;id&gt;.sgdyn-tmp</c>),
/// flushed to disk, then renamed over the final name. A reader sees either the previous file or the whole new one, never
/// a part; when writing fails the temporary file is deleted and the final name is left as it was. A file written into
/// an open <see cref="RunFolder"/> is recorded for its manifest.
/// </summary>
public static class AtomicFile
{
    /// <summary>The suffix of temporary files (a folder's leftovers from a killed run end with it).</summary>
    public const string TemporarySuffix = ".sgdyn-tmp";

    private const int BufferSize = 1 << 16;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>, which fills the stream it is given.
    /// </summary>
    /// <exception cref="OutputWriteException">Writing or renaming failed (disk full, no permission); nothing is left under <paramref name="path"/> that was not there before.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no folder", nameof(path));
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temporary);
            if (e is IOException or UnauthorizedAccessException)
            {
                throw new OutputWriteException(full, e);
            }

            throw;
        }

        RunFolder.Written(full);
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, BufferSize, leaveOpen: true);
            writer.Write(text);
        });
    }

    /// <summary>Writes text produced piece by piece into a UTF-8 writer (no byte order mark), without holding it all in memory.</summary>
    public static void WriteText(string path, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, BufferSize, leaveOpen: true);
            write(writer);
        });
    }

    /// <summary>Writes <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder itself refuses writes; there is then no temporary file to remove either.
        }
    }
}

/// <summary>An output file could not be written; the message names the file and the cause in one line.</summary>
public sealed class OutputWriteException(string path, Exception inner)
    : IOException($"cannot write {path}: {inner.Message.ReplaceLineEndings(" ")}", inner)
{
    /// <summary>The file that was not written.</summary>
    public string Path { get; } = path;
}
