using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SgdDynamics.Output;

namespace SgdDynamics.Data;

/// <summary>A NumPy .npy file that is missing, unreadable, malformed or of a kind the reader does not take; the message names the file.</summary>
public sealed class NpyFileException : IOException
{
    /// <summary>An exception with the given message.</summary>
    public NpyFileException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with the given message, caused by <paramref name="inner"/>.</summary>
    public NpyFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>An array read from a .npy file: its shape and its values in C (row-major) order, widened to double.</summary>
/// <param name="Path">The full path of the file read.</param>
/// <param name="Shape">The shape (empty for a scalar).</param>
/// <param name="Values">The values, row-major.</param>
/// <param name="DataType">The file's dtype: <c>&lt;f8</c> or <c>&lt;f4</c>.</param>
public sealed record NpyArray(string Path, IReadOnlyList<int> Shape, double[] Values, string DataType);

/// <summary>
/// A small, strict reader and writer of NumPy's .npy format (format versions 1.0, 2.0 and 3.0): the magic
/// <c>\x93NUMPY</c>, the version, the header length (16 bits little-endian in 1.0, 32 bits after), the header — a Python
/// dict literal with exactly the keys <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, padded with spaces and ending in
/// a newline — then the data. The reader takes little-endian float64 (<c>&lt;f8</c>) and float32 (<c>&lt;f4</c>) arrays in
/// C order only, and refuses anything else with a message naming the file and what is wrong: a bad magic, an unknown
/// version, a malformed header, another dtype, Fortran order, a shape other than the one asked for, a file shorter than
/// its header says (truncated) or longer.
/// </summary>
/// <remarks>
/// Bounded: the header holds at most <see cref="MaxHeaderBytes"/> bytes, and nothing is allocated for the data before the
/// shape is checked against the caller's limit on values and the file's length against the shape.
/// </remarks>
public static class NpyFile
{
    /// <summary>The most bytes of a header read.</summary>
    public const int MaxHeaderBytes = 1 << 16;

    /// <summary>The most values read unless the caller says otherwise: 2²⁷ (1 GiB of float64).</summary>
    public const long DefaultMaxValues = 1L << 27;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// Reads an array of any shape. With <paramref name="integers"/> little-endian int64 (<c>&lt;i8</c>) and int32
    /// (<c>&lt;i4</c>) arrays are read as well, widened to double; an int64 value beyond ±2⁵³ (not exactly a double) is refused.
    /// </summary>
    /// <exception cref="NpyFileException">The file is missing, unreadable, malformed or not a C-order float64/float32 array (or, with <paramref name="integers"/>, int64/int32 array) of at most <paramref name="maxValues"/> values.</exception>
    public static NpyArray Read(string path, long maxValues = DefaultMaxValues, bool integers = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = System.IO.Path.GetFullPath(path);
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            return ReadStream(stream, full, maxValues, integers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not NpyFileException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be read ({e.Message})";
            throw new NpyFileException($"{full}: {why}", e);
        }
    }

    /// <summary>Reads a 2-D array (rows × columns, each at least 1) into a matrix.</summary>
    /// <exception cref="NpyFileException">As <see cref="Read"/>, or the array is not 2-D with rows and columns.</exception>
    public static double[,] ReadMatrix(string path, long maxValues = DefaultMaxValues)
    {
        NpyArray array = Read(path, maxValues);
        if (array.Shape.Count != 2 || array.Shape[0] < 1 || array.Shape[1] < 1)
        {
            throw new NpyFileException($"{array.Path}: shape {ShapeText(array.Shape)}, expected a 2-D array with at least one row and one column");
        }

        var matrix = new double[array.Shape[0], array.Shape[1]];
        Buffer.BlockCopy(array.Values, 0, matrix, 0, array.Values.Length * sizeof(double));
        return matrix;
    }

    /// <summary>Reads a 1-D array.</summary>
    /// <exception cref="NpyFileException">As <see cref="Read"/>, or the array is not 1-D.</exception>
    public static double[] ReadVector(string path, long maxValues = DefaultMaxValues)
    {
        NpyArray array = Read(path, maxValues);
        return array.Shape.Count == 1
            ? array.Values
            : throw new NpyFileException($"{array.Path}: shape {ShapeText(array.Shape)}, expected a 1-D array");
    }

    /// <summary>Writes a 1-D float64 array (format 1.0, C order) to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Write(path, [values.Length], values);
    }

    /// <summary>Writes a 2-D float64 array (format 1.0, C order) to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var flat = new double[values.Length];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(double));
        Write(path, [values.GetLength(0), values.GetLength(1)], flat);
    }

    /// <summary>Writes a 1-D float32 array to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Write(path, [values.Length], values);
    }

    /// <summary>Writes a 1-D int64 array to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Write(path, [values.Length], values);
    }

    /// <summary>Writes a 1-D int32 array to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, int[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Write(path, [values.Length], values);
    }

    /// <summary>Writes a float64 array of any rank — <paramref name="values"/> in C (row-major) order, <paramref name="shape"/> its extents — to <paramref name="path"/>, atomically.</summary>
    /// <exception cref="ArgumentException">A negative extent, or the shape does not hold exactly <c>values.Length</c> values.</exception>
    public static void Write(string path, IReadOnlyList<int> shape, double[] values) => WriteFile(path, shape, values);

    /// <summary>Writes a float32 array of any rank (row-major values, as <see cref="Write(string, IReadOnlyList{int}, double[])"/>), atomically.</summary>
    public static void Write(string path, IReadOnlyList<int> shape, float[] values) => WriteFile(path, shape, values);

    /// <summary>Writes an int64 array of any rank (row-major values), atomically.</summary>
    public static void Write(string path, IReadOnlyList<int> shape, long[] values) => WriteFile(path, shape, values);

    /// <summary>Writes an int32 array of any rank (row-major values), atomically.</summary>
    public static void Write(string path, IReadOnlyList<int> shape, int[] values) => WriteFile(path, shape, values);

    /// <summary>Writes a whole .npy file (magic, format 1.0, header, data) of a float64 array into <paramref name="stream"/> at its position.</summary>
    /// <exception cref="ArgumentException">A negative extent, or the shape does not hold exactly <c>values.Length</c> values.</exception>
    public static void WriteTo(Stream stream, IReadOnlyList<int> shape, ReadOnlySpan<double> values) => WriteData(stream, shape, values);

    /// <summary>Writes a whole .npy file of a float32 array into <paramref name="stream"/>.</summary>
    public static void WriteTo(Stream stream, IReadOnlyList<int> shape, ReadOnlySpan<float> values) => WriteData(stream, shape, values);

    /// <summary>Writes a whole .npy file of an int64 array into <paramref name="stream"/>.</summary>
    public static void WriteTo(Stream stream, IReadOnlyList<int> shape, ReadOnlySpan<long> values) => WriteData(stream, shape, values);

    /// <summary>Writes a whole .npy file of an int32 array into <paramref name="stream"/>.</summary>
    public static void WriteTo(Stream stream, IReadOnlyList<int> shape, ReadOnlySpan<int> values) => WriteData(stream, shape, values);

    /// <summary>The header text of a float64 C-order array of <paramref name="shape"/>, padded so that the data starts at a multiple of 64 bytes.</summary>
    internal static string Header(IReadOnlyList<int> shape) => Header(shape, "<f8");

    /// <summary>The header text of a C-order array of <paramref name="shape"/> and dtype <paramref name="descr"/>, padded as NumPy pads it: the data starts at a multiple of 64 bytes.</summary>
    internal static string Header(IReadOnlyList<int> shape, string descr)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {ShapeText(shape)}, }}";
        int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        return dict + new string(' ', (64 - (unpadded % 64)) % 64) + "\n";
    }

    /// <summary>The little-endian dtype of a value type written here.</summary>
    private static string Descr<T>()
        where T : unmanaged => typeof(T) == typeof(double) ? "<f8"
        : typeof(T) == typeof(float) ? "<f4"
        : typeof(T) == typeof(long) ? "<i8"
        : typeof(T) == typeof(int) ? "<i4"
        : throw new NotSupportedException($"no .npy dtype for {typeof(T).Name}");

    /// <summary>The number of values of <paramref name="shape"/>; a negative extent is refused.</summary>
    private static long ValueCount(IReadOnlyList<int> shape)
    {
        long count = 1;
        foreach (int n in shape)
        {
            if (n < 0)
            {
                throw new ArgumentException($"shape {ShapeText(shape)} has a negative extent", nameof(shape));
            }

            count *= n;
        }

        return count;
    }

    private static void WriteFile<T>(string path, IReadOnlyList<int> shape, T[] values)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        CheckShape(shape, values.Length);
        AtomicFile.Write(path, stream => WriteData<T>(stream, shape, values));
    }

    /// <summary>Refuses a shape that does not hold exactly <paramref name="length"/> values.</summary>
    internal static void CheckShape(IReadOnlyList<int> shape, long length)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = ValueCount(shape);
        if (count != length)
        {
            throw new ArgumentException($"shape {ShapeText(shape)} holds {count:N0} values, the array {length:N0}", nameof(shape));
        }
    }

    private static void WriteData<T>(Stream stream, IReadOnlyList<int> shape, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckShape(shape, values.Length);
        WriteHeader<T>(stream, shape);
        WriteValues(stream, values);
    }

    /// <summary>Writes the magic, version and header of a C-order array of <typeparamref name="T"/> and <paramref name="shape"/>; its values are to follow (<see cref="WriteValues"/>).</summary>
    internal static void WriteHeader<T>(Stream stream, IReadOnlyList<int> shape)
        where T : unmanaged
    {
        ValueCount(shape);
        byte[] header = Encoding.ASCII.GetBytes(Header(shape, Descr<T>()));
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
        stream.Write(length);
        stream.Write(header);
    }

    /// <summary>Writes <paramref name="values"/> little-endian: a .npy file's data, or a piece of it.</summary>
    internal static void WriteValues<T>(Stream stream, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(values);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(bytes);
            return;
        }

        int itemSize = Unsafe.SizeOf<T>();
        var buffer = new byte[Math.Min(bytes.Length, 1 << 16)];
        for (int offset = 0; offset < bytes.Length; offset += buffer.Length)
        {
            int n = Math.Min(buffer.Length, bytes.Length - offset);
            bytes.Slice(offset, n).CopyTo(buffer);
            for (int i = 0; i < n; i += itemSize)
            {
                buffer.AsSpan(i, itemSize).Reverse();
            }

            stream.Write(buffer, 0, n);
        }
    }

    /// <summary>Reads a whole .npy file from a seekable <paramref name="stream"/> (from its start to its end); <paramref name="path"/> names it in messages.</summary>
    internal static NpyArray ReadStream(Stream stream, string path, long maxValues, bool integers)
    {
        if (!stream.CanSeek)
        {
            throw new NpyFileException($"{path}: not a regular file");
        }

        Span<byte> start = stackalloc byte[Magic.Length + 2];
        int got = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        if (got < Magic.Length || !start[..Magic.Length].SequenceEqual(Magic))
        {
            throw new NpyFileException($"{path}: not a NumPy .npy file (bad magic: it does not start with \\x93NUMPY)");
        }

        if (got < start.Length)
        {
            throw new NpyFileException($"{path}: truncated in the format version");
        }

        int major = start[Magic.Length], minor = start[Magic.Length + 1];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw new NpyFileException($"{path}: unsupported .npy format version {major}.{minor} (this reader takes 1.0, 2.0 and 3.0)");
        }

        Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
        if (stream.ReadAtLeast(lengthBytes, lengthBytes.Length, throwOnEndOfStream: false) < lengthBytes.Length)
        {
            throw new NpyFileException($"{path}: truncated in the header length");
        }

        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw new NpyFileException($"{path}: a header of {headerLength:N0} bytes (at most {MaxHeaderBytes:N0} are read)");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw new NpyFileException($"{path}: truncated in the header ({headerLength} bytes announced)");
        }

        string header;
        try
        {
            header = major == 3 ? new UTF8Encoding(false, true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new NpyFileException($"{path}: the header is not valid UTF-8", e);
        }

        (string descr, bool fortran, int[] shape) = HeaderParser.Parse(header, path);
        int itemSize = descr switch
        {
            "<f8" => sizeof(double),
            "<f4" => sizeof(float),
            "<i8" when integers => sizeof(long),
            "<i4" when integers => sizeof(int),
            _ when integers => throw new NpyFileException($"{path}: unsupported dtype '{descr}' (this reader takes little-endian float64 '<f8', float32 '<f4', int64 '<i8' and int32 '<i4')"),
            _ => throw new NpyFileException($"{path}: unsupported dtype '{descr}' (this reader takes little-endian float64 '<f8' and float32 '<f4')"),
        };
        if (fortran)
        {
            throw new NpyFileException($"{path}: the array is in Fortran order (fortran_order: True); save it in C order (numpy.ascontiguousarray)");
        }

        long count = 1;
        foreach (int n in shape)
        {
            count *= n;
            if (count > maxValues)
            {
                throw new NpyFileException($"{path}: shape {ShapeText(shape)} holds more than {maxValues:N0} values (the most read here)");
            }
        }

        long dataStart = Magic.Length + 2 + lengthBytes.Length + headerLength;
        long expected = count * itemSize;
        long actual = stream.Length - dataStart;
        if (actual < expected)
        {
            throw new NpyFileException($"{path}: truncated: shape {ShapeText(shape)} of '{descr}' needs {expected:N0} bytes of data, the file holds {actual:N0}");
        }

        if (actual > expected)
        {
            throw new NpyFileException($"{path}: {actual - expected:N0} bytes after the data of shape {ShapeText(shape)} of '{descr}'");
        }

        var bytes = new byte[expected];
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
        {
            throw new NpyFileException($"{path}: truncated while reading the data");
        }

        var values = new double[count];
        for (long i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> item = bytes.AsSpan((int)(i * itemSize));
            values[i] = descr switch
            {
                "<f8" => BinaryPrimitives.ReadDoubleLittleEndian(item),
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(item),
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(item),
                "<i8" => ExactInteger(BinaryPrimitives.ReadInt64LittleEndian(item), path, i),
                _ => throw new InvalidOperationException($"dtype {descr} was accepted but has no reader"),
            };
        }

        return new NpyArray(path, shape, values, descr);
    }

    private static double ExactInteger(long value, string path, long index) =>
        value is >= -(1L << 53) and <= 1L << 53
            ? value
            : throw new NpyFileException($"{path}: the int64 value {value} at index {index} is beyond ±2⁵³ and has no exact double");

    /// <summary>A shape as NumPy prints it: <c>()</c>, <c>(n,)</c>, <c>(a, b)</c>.</summary>
    internal static string ShapeText(IReadOnlyList<int> shape) => shape.Count switch
    {
        0 => "()",
        1 => string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)"),
        _ => "(" + string.Join(", ", shape.Select(n => n.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    /// <summary>The header's Python dict literal: string keys; string, True/False and tuple-of-integers values.</summary>
    private struct HeaderParser
    {
        private readonly string text;
        private readonly string path;
        private int position;

        private HeaderParser(string text, string path)
        {
            this.text = text;
            this.path = path;
        }

        public static (string Descr, bool Fortran, int[] Shape) Parse(string header, string path)
        {
            var parser = new HeaderParser(header, path);
            return parser.Dict();
        }

        private (string, bool, int[]) Dict()
        {
            string? descr = null;
            bool? fortran = null;
            int[]? shape = null;
            Skip();
            Expect('{');
            Skip();
            while (Peek() != '}')
            {
                string key = String();
                Skip();
                Expect(':');
                Skip();
                switch (key)
                {
                    case "descr" when descr is null:
                        descr = String();
                        break;
                    case "fortran_order" when fortran is null:
                        fortran = Boolean();
                        break;
                    case "shape" when shape is null:
                        shape = Tuple();
                        break;
                    case "descr" or "fortran_order" or "shape":
                        throw Error($"the key '{key}' appears twice");
                    default:
                        throw Error($"unexpected key '{key}' (expected descr, fortran_order and shape)");
                }

                Skip();
                if (Peek() == ',')
                {
                    position++;
                    Skip();
                }
                else if (Peek() != '}')
                {
                    throw Error("expected ',' or '}'");
                }
            }

            position++;
            while (position < text.Length && text[position] is ' ' or '\n' or '\t' or '\r')
            {
                position++;
            }

            if (position != text.Length)
            {
                throw Error("text after the header's dict");
            }

            if (descr is null || fortran is null || shape is null)
            {
                throw Error($"the header lacks '{(descr is null ? "descr" : fortran is null ? "fortran_order" : "shape")}'");
            }

            return (descr, fortran.Value, shape);
        }

        private string String()
        {
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error("expected a quoted string");
            }

            int end = text.IndexOf(quote, position + 1);
            if (end < 0)
            {
                throw Error("an unterminated string");
            }

            string value = text[(position + 1)..end];
            if (value.Contains('\\'))
            {
                throw Error("escapes in a string are not supported");
            }

            position = end + 1;
            return value;
        }

        private bool Boolean()
        {
            foreach ((string word, bool value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(text, position, word, 0, word.Length) == 0)
                {
                    position += word.Length;
                    return value;
                }
            }

            throw Error("expected True or False");
        }

        private int[] Tuple()
        {
            Expect('(');
            var values = new List<int>();
            Skip();
            while (Peek() != ')')
            {
                int begin = position;
                while (position < text.Length && char.IsAsciiDigit(text[position]))
                {
                    position++;
                }

                if (position == begin || !int.TryParse(text.AsSpan(begin, position - begin), NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                {
                    throw Error("the shape must be a tuple of non-negative integers below 2³¹");
                }

                values.Add(value);
                if (values.Count > 32)
                {
                    throw Error("the shape has more than 32 dimensions");
                }

                Skip();
                if (Peek() == ',')
                {
                    position++;
                    Skip();
                }
                else if (Peek() != ')')
                {
                    throw Error("expected ',' or ')' in the shape");
                }
            }

            position++;
            return [.. values];
        }

        private readonly char Peek() => position < text.Length ? text[position] : throw Error("the header ends early");

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Error($"expected '{c}'");
            }

            position++;
        }

        private void Skip()
        {
            while (position < text.Length && text[position] is ' ' or '\t')
            {
                position++;
            }
        }

        private readonly NpyFileException Error(string what)
        {
            string shown = text.TrimEnd();
            shown = shown.Length > 200 ? shown[..200] + "…" : shown;
            return new($"{path}: a malformed header ({what} at character {position + 1} of {text.Length}: {shown})");
        }
    }
}
