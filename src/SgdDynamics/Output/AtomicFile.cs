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

    /// <summary>
    /// Characters a text writer buffers: its char and byte buffers stay below the large-object heap (85,000 bytes), which
    /// a writer per file (a sweep writes hundreds of small files) would otherwise fill until each cell paid a full collection.
    /// </summary>
    private const int TextBufferChars = 1 << 14;

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
                stream.Flush(flushToDisk: Volatile.Read(ref deferred) == 0);
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

        if (Volatile.Read(ref deferred) > 0)
        {
            lock (Pending)
            {
                Pending.Add(full);
            }
        }

        RunFolder.Written(full);
    }

    private static int deferred;

    /// <summary>Whether flushes are deferred now (see <see cref="DeferFlush"/>).</summary>
    public static bool Deferred => Volatile.Read(ref deferred) > 0;

    private static readonly List<string> Pending = [];

    /// <summary>
    /// Until the returned scope is disposed, files are written and renamed as always (a reader still sees whole files only)
    /// but not flushed to disk one by one; disposing the scope flushes them all at once (on Linux one <c>sync()</c>, which
    /// costs about one flush instead of one per file; elsewhere each file in turn). A sweep writes its cells' many small
    /// files this way and its own manifest after the flush.
    /// </summary>
    public static IDisposable DeferFlush()
    {
        Interlocked.Increment(ref deferred);
        return new FlushScope();
    }

    private sealed class FlushScope : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1)
            {
                return;
            }

            string[] files;
            lock (Pending)
            {
                bool last = Interlocked.Decrement(ref deferred) == 0;
                files = last ? [.. Pending] : [];
                if (last)
                {
                    Pending.Clear();
                }
            }

            if (files.Length == 0)
            {
                return;
            }

            if (OperatingSystem.IsLinux())
            {
                NativeMethods.Sync();
                return;
            }

            foreach (string file in files)
            {
                try
                {
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                    stream.Flush(flushToDisk: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // a file deleted or replaced since (a later cell's rewrite) has nothing left to flush
                }
            }
        }
    }

    private static class NativeMethods
    {
        /// <summary>libc's sync(2): schedules and (on Linux) waits for the write-back of every file system's dirty data.</summary>
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync")]
        public static extern void Sync();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte order mark.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, TextBufferChars, leaveOpen: true);
            writer.Write(text);
        });
    }

    /// <summary>Writes text produced piece by piece into a UTF-8 writer (no byte order mark), without holding it all in memory.</summary>
    public static void WriteText(string path, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, TextBufferChars, leaveOpen: true);
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
