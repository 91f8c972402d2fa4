using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace SgdDynamics.Data;

/// <summary>An MNIST file that is missing, unreadable or not a valid idx file, or a request it cannot satisfy; the
/// message names the file.</summary>
public sealed class MnistDataException : IOException
{
    /// <summary>An exception with the given message.</summary>
    public MnistDataException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with the given message, caused by <paramref name="inner"/>.</summary>
    public MnistDataException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Where a pair of MNIST idx files lies.</summary>
/// <param name="ImagesPath">The images file (idx3).</param>
/// <param name="LabelsPath">The labels file (idx1).</param>
/// <param name="IsFullTestSet">True for the 10,000-image test set in <c>../shared/data/mnist</c>, false for the
/// subset shipped in <c>data/mnist-subset</c>.</param>
public sealed record MnistFiles(string ImagesPath, string LabelsPath, bool IsFullTestSet);

/// <summary>
/// Images and labels read from a pair of idx files (the format of MNIST: an images file with magic 2051, count, rows,
/// columns and then one byte per pixel, row-major, image after image; a labels file with magic 2049, count and one
/// byte 0–9 per label; big-endian 32-bit header fields). Each file is raw or gzip, told apart by its first two bytes
/// (1F 8B for gzip), not by its name.
/// </summary>
/// <remarks>
/// The reader never allocates from a header alone: the rows and columns are at most <see cref="MaxSide"/>, the pixel
/// bytes the header announces at most <see cref="MaxPixelBytes"/>, and a raw file must be as long as its header says
/// before anything is allocated; a gzip file is decompressed into a buffer that grows with the data actually found,
/// then read to the end its header states (a file shorter than its header says is refused even when only its first
/// images are asked for). Bytes after that end are not read.
/// </remarks>
public sealed class MnistData
{
    /// <summary>The magic number of an idx3 images file (unsigned bytes, three dimensions).</summary>
    public const int ImagesMagic = 2051;

    /// <summary>The magic number of an idx1 labels file (unsigned bytes, one dimension).</summary>
    public const int LabelsMagic = 2049;

    /// <summary>The most rows, and the most columns, an image may have.</summary>
    public const int MaxSide = 1024;

    /// <summary>The most pixel bytes (count × rows × columns) an images header may announce: 1 GiB.</summary>
    public const long MaxPixelBytes = 1L << 30;

    /// <summary>The file names of the MNIST test set in <c>../shared/data/mnist</c>.</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte.gz", TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>The file names of the shipped subset (the first 500 test images) in <c>data/mnist-subset</c>.</summary>
    public const string SubsetImagesFile = "t10k-images-500-idx3-ubyte.gz", SubsetLabelsFile = "t10k-labels-500-idx1-ubyte.gz";

    private const int ImagesHeaderBytes = 16, LabelsHeaderBytes = 8;

    private readonly byte[] pixels;
    private readonly byte[] labels;

    private MnistData(string imagesPath, string labelsPath, int rows, int columns, byte[] pixels, byte[] labels)
    {
        ImagesPath = imagesPath;
        LabelsPath = labelsPath;
        Rows = rows;
        Columns = columns;
        this.pixels = pixels;
        this.labels = labels;
    }

    /// <summary>The full path of the images file read.</summary>
    public string ImagesPath { get; }

    /// <summary>The full path of the labels file read.</summary>
    public string LabelsPath { get; }

    /// <summary>The number of images (and labels) held.</summary>
    public int Count => labels.Length;

    /// <summary>Rows of each image (28 for MNIST).</summary>
    public int Rows { get; }

    /// <summary>Columns of each image (28 for MNIST).</summary>
    public int Columns { get; }

    /// <summary>Pixels of each image, <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>Every pixel byte (0 … 255), image after image, each row-major: <see cref="Count"/> × <see cref="PixelsPerImage"/>.</summary>
    public ReadOnlySpan<byte> Pixels => pixels;

    /// <summary>Every label (0 … 9), in image order.</summary>
    public ReadOnlySpan<byte> Labels => labels;

    /// <summary>The pixel bytes of image <paramref name="image"/>, row-major.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="image"/> is not in 0 … <see cref="Count"/> − 1.</exception>
    public ReadOnlySpan<byte> Image(int image)
    {
        CheckImage(image);
        return pixels.AsSpan(image * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>The pixel (0 … 255) at <paramref name="row"/>, <paramref name="column"/> of image <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public byte Pixel(int image, int row, int column)
    {
        CheckImage(image);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Columns);
        return pixels[(image * Rows + row) * Columns + column];
    }

    /// <summary>The label (0 … 9) of image <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="image"/> is not in 0 … <see cref="Count"/> − 1.</exception>
    public int Label(int image)
    {
        CheckImage(image);
        return labels[image];
    }

    /// <summary>How many images carry each label: ten counts, index = label.</summary>
    public int[] LabelHistogram()
    {
        var histogram = new int[10];
        foreach (byte label in labels)
        {
            histogram[label]++;
        }

        return histogram;
    }

    /// <summary>The features without pooling: a <see cref="Count"/> × <see cref="PixelsPerImage"/> row-major table
    /// (one row per image, its pixels row-major) of pixel / 255 in float, with no other normalisation.</summary>
    public float[] Features()
    {
        var features = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            features[i] = pixels[i] / 255f;
        }

        return features;
    }

    /// <summary>
    /// The features after average pooling to <paramref name="pooledSize"/> × <paramref name="pooledSize"/>, as PyTorch's
    /// <c>AdaptiveAvgPool2d(pooledSize)</c> applied to pixel / 255: output cell (i, j) is the mean over input rows
    /// <see cref="PoolingWindow"/>(i, <see cref="Rows"/>, pooledSize) and columns
    /// <see cref="PoolingWindow"/>(j, <see cref="Columns"/>, pooledSize); neighbouring windows overlap where the sizes
    /// do not divide (28 → 6). A <see cref="Count"/> × pooledSize² row-major table, one row per image, cells row-major.
    /// Each mean is the exact integer sum over 255 · window size, rounded once to float.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pooledSize"/> is below 1 or above
    /// <see cref="Rows"/> or <see cref="Columns"/>.</exception>
    public float[] Features(int pooledSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pooledSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pooledSize, Math.Min(Rows, Columns));
        var rowWindows = new (int Start, int End)[pooledSize];
        var columnWindows = new (int Start, int End)[pooledSize];
        for (int i = 0; i < pooledSize; i++)
        {
            rowWindows[i] = PoolingWindow(i, Rows, pooledSize);
            columnWindows[i] = PoolingWindow(i, Columns, pooledSize);
        }

        int cells = pooledSize * pooledSize;
        var features = new float[(long)Count * cells];
        for (int n = 0; n < Count; n++)
        {
            ReadOnlySpan<byte> image = pixels.AsSpan(n * PixelsPerImage, PixelsPerImage);
            for (int i = 0; i < pooledSize; i++)
            {
                var (r0, r1) = rowWindows[i];
                for (int j = 0; j < pooledSize; j++)
                {
                    var (c0, c1) = columnWindows[j];
                    int sum = 0;
                    for (int r = r0; r < r1; r++)
                    {
                        foreach (byte p in image.Slice(r * Columns + c0, c1 - c0))
                        {
                            sum += p;
                        }
                    }

                    features[n * cells + i * pooledSize + j] = (float)(sum / (255.0 * (r1 - r0) * (c1 - c0)));
                }
            }
        }

        return features;
    }

    /// <summary>
    /// The input indices that output cell <paramref name="index"/> of an adaptive average pooling from
    /// <paramref name="inputSize"/> to <paramref name="outputSize"/> averages over, as in PyTorch:
    /// <c>Start</c> = ⌊index · inputSize / outputSize⌋ (inclusive) to <c>End</c> = ⌈(index + 1) · inputSize / outputSize⌉
    /// (exclusive).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or <paramref name="index"/> is not in
    /// 0 … <paramref name="outputSize"/> − 1.</exception>
    public static (int Start, int End) PoolingWindow(int index, int inputSize, int outputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, outputSize);
        long start = (long)index * inputSize / outputSize;
        long end = ((long)(index + 1) * inputSize + outputSize - 1) / outputSize;
        return ((int)start, (int)end);
    }

    /// <summary>
    /// Reads the first <paramref name="count"/> images and labels (all of them when null) of a pair of idx files,
    /// each raw or gzip.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    /// <exception cref="MnistDataException">A file is missing or unreadable; its magic number is not 2051 (images) or
    /// 2049 (labels); it is shorter than its header, or than the data its header announces; its rows or columns are 0
    /// or above <see cref="MaxSide"/>, or it announces more than <see cref="MaxPixelBytes"/> pixel bytes or no image;
    /// the two files hold different counts; <paramref name="count"/> is more than they hold; a label read is above 9.
    /// </exception>
    public static MnistData Load(string imagesPath, string labelsPath, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        if (count is { } requested)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requested, 1, nameof(count));
        }

        using var images = IdxFile.Open(imagesPath);
        using var labelFile = IdxFile.Open(labelsPath);

        Span<byte> header = stackalloc byte[ImagesHeaderBytes];
        images.ReadHeader(header, ImagesMagic, "an idx3 images file");
        long imageCount = images.Field(header, 4, "image count");
        long rows = images.Field(header, 8, "row count");
        long columns = images.Field(header, 12, "column count");
        if (rows is < 1 or > MaxSide || columns is < 1 or > MaxSide)
        {
            throw images.Error($"the header gives images of {rows} × {columns} pixels (rows and columns must be 1 … {MaxSide})");
        }

        if (imageCount == 0)
        {
            throw images.Error("the header says it holds no images");
        }

        long pixelBytes = imageCount * rows * columns;
        if (pixelBytes > MaxPixelBytes)
        {
            throw images.Error($"the header announces {Number(imageCount)} images of {rows} × {columns} = {Number(pixelBytes)} pixel bytes, more than the {Number(MaxPixelBytes)} this reader accepts");
        }

        images.CheckLength(ImagesHeaderBytes, pixelBytes, $"{Number(imageCount)} images of {rows} × {columns}");

        Span<byte> labelHeader = stackalloc byte[LabelsHeaderBytes];
        labelFile.ReadHeader(labelHeader, LabelsMagic, "an idx1 labels file");
        long labelCount = labelFile.Field(labelHeader, 4, "label count");
        if (labelCount != imageCount)
        {
            throw new MnistDataException(
                $"{labelFile.Path}: the header says {Number(labelCount)} labels, but the images file {images.Path} holds {Number(imageCount)} images");
        }

        labelFile.CheckLength(LabelsHeaderBytes, labelCount, $"{Number(labelCount)} labels");

        int take = count ?? (int)imageCount;
        if (take > imageCount)
        {
            throw images.Error($"{Number(take)} images were asked for, but the file holds {Number(imageCount)}");
        }

        long takeBytes = take * rows * columns;
        byte[] pixelData = images.ReadData(takeBytes, pixelBytes, $"{Number(imageCount)} images of {rows} × {columns}");
        byte[] labelData = labelFile.ReadData(take, labelCount, $"{Number(labelCount)} labels");
        int bad = Array.FindIndex(labelData, l => l > 9);
        if (bad >= 0)
        {
            throw labelFile.Error($"label {bad} is {labelData[bad]} (labels must be 0 … 9)");
        }

        return new MnistData(images.Path, labelFile.Path, (int)rows, (int)columns, pixelData, labelData);
    }

    /// <summary>
    /// The MNIST files to use: the 10,000-image test set in <c>../shared/data/mnist</c> beside the repository root when
    /// both its files are there, otherwise the 500-image subset shipped in the repository's <c>data/mnist-subset</c>.
    /// The repository root is the first folder holding <c>Engine.sln</c> at or above <paramref name="startDirectory"/>
    /// (when null: the current folder, then the folder of the running program).
    /// </summary>
    /// <exception cref="MnistDataException">No repository root is found, or neither pair of files exists.</exception>
    public static MnistFiles DefaultPaths(string? startDirectory = null)
    {
        string root = RepositoryRoot(startDirectory);
        return FullTestSetPaths(root) ?? SubsetPaths(root);
    }

    /// <summary>The 10,000-image test set in <c>../shared/data/mnist</c> beside the repository root found from
    /// <paramref name="startDirectory"/> (as in <see cref="DefaultPaths"/>), or null when either file is missing.</summary>
    /// <exception cref="MnistDataException">No repository root is found.</exception>
    public static MnistFiles? FullTestSetPaths(string? startDirectory = null)
    {
        string folder = Path.GetFullPath(Path.Combine(RepositoryRoot(startDirectory), "..", "shared", "data", "mnist"));
        var files = new MnistFiles(Path.Combine(folder, TestImagesFile), Path.Combine(folder, TestLabelsFile), IsFullTestSet: true);
        return File.Exists(files.ImagesPath) && File.Exists(files.LabelsPath) ? files : null;
    }

    /// <summary>The subset shipped in <c>data/mnist-subset</c> of the repository root found from
    /// <paramref name="startDirectory"/> (as in <see cref="DefaultPaths"/>).</summary>
    /// <exception cref="MnistDataException">No repository root is found, or a subset file is missing.</exception>
    public static MnistFiles SubsetPaths(string? startDirectory = null)
    {
        string folder = Path.Combine(RepositoryRoot(startDirectory), "data", "mnist-subset");
        var files = new MnistFiles(Path.Combine(folder, SubsetImagesFile), Path.Combine(folder, SubsetLabelsFile), IsFullTestSet: false);
        foreach (string path in new[] { files.ImagesPath, files.LabelsPath })
        {
            if (!File.Exists(path))
            {
                throw new MnistDataException($"{path}: the shipped MNIST subset file is missing");
            }
        }

        return files;
    }

    /// <summary>The first folder holding <c>Engine.sln</c> at or above <paramref name="startDirectory"/> (when null:
    /// the current folder, then the folder of the running program).</summary>
    /// <exception cref="MnistDataException">There is none.</exception>
    public static string RepositoryRoot(string? startDirectory = null)
    {
        string[] starts = startDirectory is null ? [Directory.GetCurrentDirectory(), AppContext.BaseDirectory] : [startDirectory];
        foreach (string start in starts)
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new MnistDataException($"{string.Join(", ", starts)}: no repository root (a folder holding Engine.sln) at or above it");
    }

    private void CheckImage(int image)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(image);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(image, Count);
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>One open idx file: its bytes after gzip decompression where it is gzip.</summary>
    private sealed class IdxFile : IDisposable
    {
        private const int FirstChunk = 1 << 16;

        private readonly FileStream file;
        private readonly Stream stream;
        private readonly bool gzip;
        private long position;

        private IdxFile(string path, FileStream file, Stream stream, bool gzip)
        {
            Path = path;
            this.file = file;
            this.stream = stream;
            this.gzip = gzip;
        }

        public string Path { get; }

        private string Bytes => gzip ? "decompressed bytes" : "bytes";

        public static IdxFile Open(string path)
        {
            string full = System.IO.Path.GetFullPath(path);
            FileStream? file = null;
            try
            {
                if (!File.Exists(full))
                {
                    throw new MnistDataException($"{full}: no such file");
                }

                file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
                if (!file.CanSeek)
                {
                    throw new MnistDataException($"{full}: not a regular file");
                }

                Span<byte> magic = stackalloc byte[2];
                int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
                file.Position = 0;
                bool gzip = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
                Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
                return new IdxFile(full, file, stream, gzip);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not MnistDataException)
            {
                file?.Dispose();
                throw new MnistDataException($"{full}: cannot be read ({e.Message})", e);
            }
            catch
            {
                file?.Dispose();
                throw;
            }
        }

        public MnistDataException Error(string what) => new($"{Path}: {what}");

        /// <summary>Fills <paramref name="header"/> from the start of the file, checking its magic number first (so
        /// that a file of the other kind is named as such even where it is shorter than this header).</summary>
        public void ReadHeader(Span<byte> header, int magic, string kind)
        {
            int got = Read(header);
            if (got >= 4)
            {
                int found = BinaryPrimitives.ReadInt32BigEndian(header);
                if (found != magic)
                {
                    throw Error($"magic number 0x{found:X8} ({found}), expected 0x{magic:X8} ({magic}, {kind})");
                }
            }

            if (got < header.Length)
            {
                throw Error($"truncated header: {got} {Bytes} where an idx header takes {header.Length}");
            }
        }

        /// <summary>The big-endian 32-bit header field at <paramref name="offset"/>, refused above int.MaxValue.</summary>
        public long Field(ReadOnlySpan<byte> header, int offset, string name)
        {
            uint value = BinaryPrimitives.ReadUInt32BigEndian(header[offset..]);
            if (value > int.MaxValue)
            {
                throw Error($"the header's {name} is {value}, beyond any valid file");
            }

            return value;
        }

        /// <summary>A raw file must hold <paramref name="headerBytes"/> + <paramref name="dataBytes"/> bytes (a gzip
        /// file's decompressed length is checked as it is read).</summary>
        public void CheckLength(int headerBytes, long dataBytes, string what)
        {
            if (!gzip && file.Length < headerBytes + dataBytes)
            {
                throw Truncated(dataBytes, file.Length - headerBytes, what);
            }
        }

        /// <summary>The next <paramref name="length"/> bytes, then the rest of the <paramref name="total"/> data bytes
        /// the header announced read and dropped (so that a short file is refused however much of it is used).</summary>
        public byte[] ReadData(long length, long total, string what)
        {
            long dataStart = position;
            byte[] buffer = new byte[gzip ? Math.Min(length, FirstChunk) : length];
            int filled = 0;
            while (filled < length)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
                }

                int got = Read(buffer.AsSpan(filled));
                if (got == 0)
                {
                    throw Truncated(total, filled, what);
                }

                filled += got;
            }

            byte[] scratch = new byte[FirstChunk];
            long remaining = total - length;
            while (remaining > 0)
            {
                int got = Read(scratch.AsSpan(0, (int)Math.Min(remaining, scratch.Length)));
                if (got == 0)
                {
                    throw Truncated(total, position - dataStart, what);
                }

                remaining -= got;
            }

            return buffer;
        }

        public void Dispose()
        {
            if (gzip)
            {
                stream.Dispose();
            }

            file.Dispose();
        }

        private MnistDataException Truncated(long expected, long found, string what) =>
            Error($"truncated data: the header announces {what}, {Number(expected)} {Bytes} after the header, but the file holds only {Number(Math.Max(found, 0))}");

        private int Read(Span<byte> buffer)
        {
            try
            {
                int got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                position += got;
                return got;
            }
            catch (InvalidDataException e)
            {
                throw Error($"corrupt gzip data ({e.Message})");
            }
            catch (IOException e)
            {
                throw new MnistDataException($"{Path}: cannot be read ({e.Message})", e);
            }
        }
    }
}
