using System.Runtime.ExceptionServices;
using System.Text;

namespace SgdDynamics;

/// <summary>A file too long or too slow to read within the stated limits, or not UTF-8 text; the message completes "the file …".</summary>
public sealed class BoundedReadException(string message) : IOException(message);

/// <summary>
/// Reads a text file as <see cref="File.ReadAllText(string)"/> does (UTF-8 unless a byte order mark says otherwise), but at
/// most a given number of bytes and within a given time, so that an endless device (<c>/dev/zero</c>) or a pipe nobody
/// writes to is refused instead of read forever, and strictly: bytes that are not UTF-8 are refused, not replaced.
/// </summary>
public static class BoundedFile
{
    /// <summary>The text of <paramref name="path"/>.</summary>
    /// <exception cref="BoundedReadException">The file holds more than <paramref name="maxBytes"/> bytes, reading it
    /// (opening included: a pipe blocks there until a writer comes) takes longer than <paramref name="timeout"/>, or its
    /// bytes are not valid UTF-8 (without a UTF-16/32 byte order mark).</exception>
    /// <exception cref="IOException">The file cannot be read (missing, a directory, no permission: the exceptions of <see cref="FileStream"/>).</exception>
    public static string ReadAllText(string path, long maxBytes, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(path);
        var read = Task.Run(() =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int got;
            while ((got = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + got > maxBytes)
                {
                    throw new BoundedReadException($"is larger than {Describe(maxBytes)} (the most that is read)");
                }

                buffer.Write(chunk, 0, got);
            }

            return Decode(buffer.ToArray());
        });
        try
        {
            if (!read.Wait(timeout))
            {
                throw new BoundedReadException(
                    FormattableString.Invariant($"was not read within {timeout.TotalSeconds:0.#} s (a pipe or device with no end of file?)"));
            }
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(e.InnerException!);
        }

        return read.Result;
    }

    /// <summary>UTF-8 (an optional byte order mark skipped), strictly; UTF-16 and UTF-32 when their byte order mark says so.</summary>
    private static string Decode(byte[] bytes)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || span.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        int start = span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            throw new BoundedReadException(
                $"is not UTF-8 text (invalid bytes {Convert.ToHexString(e.BytesUnknown ?? [])} at byte {start + Math.Max(e.Index, 0)})");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string Describe(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB" : bytes % (1L << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";
}
