using System.Buffers.Binary;
using System.IO.Compression;
using SgdDynamics.Data;

namespace SgdDynamics.Tests.Data;

public sealed class MnistDataTests : IDisposable
{
    /// <summary>Label counts 0 … 9 of the first 500 test images (counted once from t10k-labels-idx1-ubyte.gz).</summary>
    private static readonly int[] SubsetHistogram = [42, 67, 55, 45, 55, 50, 43, 49, 40, 54];

    /// <summary>Label counts of the whole 10,000-image test set.</summary>
    private static readonly int[] TestSetHistogram = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

    private readonly string folder = Directory.CreateTempSubdirectory("sgdyn-mnist-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static MnistData LoadSubset(int? count = null)
    {
        var files = MnistData.SubsetPaths(AppContext.BaseDirectory);
        return MnistData.Load(files.ImagesPath, files.LabelsPath, count);
    }

    [Fact]
    public void ShippedSubsetHoldsTheFirst500TestImages()
    {
        var data = LoadSubset();
        Assert.Equal(500, data.Count);
        Assert.Equal(28, data.Rows);
        Assert.Equal(28, data.Columns);
        Assert.Equal(500 * 784, data.Pixels.Length);
        Assert.Equal(SubsetHistogram, data.LabelHistogram());
        Assert.Equal([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], data.Labels[..10].ToArray().Select(l => (int)l));
        long sum = 0;
        foreach (byte p in data.Pixels)
        {
            sum += p;
        }

        Assert.Equal(12_054_721, sum);
        Assert.Equal(668, data.Image(0).Count((byte)0));
        Assert.Equal([59, 249, 254, 62], Enumerable.Range(16, 4).Select(c => (int)data.Pixel(0, 14, c)));
        Assert.Equal(7, data.Label(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Label(500));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Pixel(0, 28, 0));
    }

    [Fact]
    public void CountReadsTheFirstImages()
    {
        var all = LoadSubset();
        var first = LoadSubset(37);
        Assert.Equal(37, first.Count);
        Assert.True(all.Pixels[..(37 * 784)].SequenceEqual(first.Pixels));
        Assert.True(all.Labels[..37].SequenceEqual(first.Labels));
        Assert.Equal(500, LoadSubset(500).Count);
    }

    [Fact]
    public void RawAndGzipGiveTheSameData()
    {
        var files = MnistData.SubsetPaths(AppContext.BaseDirectory);
        // decompressed copies named *.gz: the format is told by the bytes, not the name
        string rawImages = Path.Combine(folder, "images-raw.gz"), rawLabels = Path.Combine(folder, "labels-raw.gz");
        File.WriteAllBytes(rawImages, Gunzip(files.ImagesPath));
        File.WriteAllBytes(rawLabels, Gunzip(files.LabelsPath));
        Assert.Equal(16 + 500 * 784, new FileInfo(rawImages).Length);

        var gzip = MnistData.Load(files.ImagesPath, files.LabelsPath);
        foreach (var (images, labels) in new[] { (rawImages, rawLabels), (rawImages, files.LabelsPath), (files.ImagesPath, rawLabels) })
        {
            var data = MnistData.Load(images, labels);
            Assert.Equal(gzip.Count, data.Count);
            Assert.True(gzip.Pixels.SequenceEqual(data.Pixels));
            Assert.True(gzip.Labels.SequenceEqual(data.Labels));
        }

        Assert.True(LoadSubset(20).Pixels.SequenceEqual(MnistData.Load(rawImages, rawLabels, 20).Pixels));
    }

    [MnistTestSetFact]
    public void ShippedSubsetEqualsTheFirst500OfTheTestSet()
    {
        var files = MnistData.FullTestSetPaths(AppContext.BaseDirectory)!;
        var full = MnistData.Load(files.ImagesPath, files.LabelsPath);
        Assert.Equal(10_000, full.Count);
        Assert.Equal(TestSetHistogram, full.LabelHistogram());

        var subset = LoadSubset();
        var first = MnistData.Load(files.ImagesPath, files.LabelsPath, 500);
        Assert.True(subset.Pixels.SequenceEqual(first.Pixels));
        Assert.True(subset.Labels.SequenceEqual(first.Labels));
        Assert.True(subset.Pixels.SequenceEqual(full.Pixels[..(500 * 784)]));

        // the shipped files are the test set's bytes with only the count in the header changed
        byte[] shipped = Gunzip(MnistData.SubsetPaths(AppContext.BaseDirectory).ImagesPath);
        byte[] original = Gunzip(files.ImagesPath);
        Assert.Equal(original.AsSpan(16, 500 * 784).ToArray(), shipped.AsSpan(16).ToArray());
        Assert.Equal(500, BinaryPrimitives.ReadInt32BigEndian(shipped.AsSpan(4)));
        Assert.Equal(10_000, BinaryPrimitives.ReadInt32BigEndian(original.AsSpan(4)));
    }

    [Fact]
    public void DefaultPathsPreferTheTestSetAndFallBackToTheSubset()
    {
        var files = MnistData.DefaultPaths(AppContext.BaseDirectory);
        var full = MnistData.FullTestSetPaths(AppContext.BaseDirectory);
        Assert.Equal(full ?? MnistData.SubsetPaths(AppContext.BaseDirectory), files);
        Assert.Equal(full is not null, files.IsFullTestSet);
        Assert.True(File.Exists(files.ImagesPath) && File.Exists(files.LabelsPath));
        Assert.Equal(Path.Combine(MnistData.RepositoryRoot(AppContext.BaseDirectory), "data", "mnist-subset", MnistData.SubsetImagesFile),
            MnistData.SubsetPaths(AppContext.BaseDirectory).ImagesPath);

        var error = Assert.Throws<MnistDataException>(() => MnistData.DefaultPaths(folder));
        Assert.Contains(folder, error.Message);
        Assert.Contains("Engine.sln", error.Message);
    }

    [Fact]
    public void DefaultPathsUseSharedDataOnlyWhereBothFilesAreThere()
    {
        // a fake checkout: <folder>/repo/Engine.sln with the shipped subset, and later <folder>/shared/data/mnist
        string root = Path.Combine(folder, "repo"), nested = Path.Combine(root, "src", "deep");
        Directory.CreateDirectory(nested);
        File.WriteAllText(Path.Combine(root, "Engine.sln"), "");
        Assert.Null(MnistData.FullTestSetPaths(nested));
        Assert.Throws<MnistDataException>(() => MnistData.DefaultPaths(nested)); // no subset either

        var shipped = MnistData.SubsetPaths(AppContext.BaseDirectory);
        string subset = Directory.CreateDirectory(Path.Combine(root, "data", "mnist-subset")).FullName;
        File.Copy(shipped.ImagesPath, Path.Combine(subset, MnistData.SubsetImagesFile));
        File.Copy(shipped.LabelsPath, Path.Combine(subset, MnistData.SubsetLabelsFile));
        Assert.Equal(new MnistFiles(Path.Combine(subset, MnistData.SubsetImagesFile), Path.Combine(subset, MnistData.SubsetLabelsFile), false),
            MnistData.DefaultPaths(nested));

        string shared = Directory.CreateDirectory(Path.Combine(folder, "shared", "data", "mnist")).FullName;
        File.Copy(shipped.ImagesPath, Path.Combine(shared, MnistData.TestImagesFile));
        Assert.False(MnistData.DefaultPaths(nested).IsFullTestSet); // the labels are still missing
        File.Copy(shipped.LabelsPath, Path.Combine(shared, MnistData.TestLabelsFile));
        var files = MnistData.DefaultPaths(nested);
        Assert.Equal(new MnistFiles(Path.Combine(shared, MnistData.TestImagesFile), Path.Combine(shared, MnistData.TestLabelsFile), true), files);
        Assert.Equal(500, MnistData.Load(files.ImagesPath, files.LabelsPath).Count);
    }

    // ---- errors, on synthetic files ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SyntheticFilesRoundTrip(bool gzip)
    {
        var (images, labels) = WritePair(3, 2, 4, gzip, label: i => i + 7);
        var data = MnistData.Load(images, labels);
        Assert.Equal((3, 2, 4), (data.Count, data.Rows, data.Columns));
        Assert.Equal([7, 8, 9], data.Labels.ToArray().Select(l => (int)l));
        Assert.Equal(PixelValue(2, 1, 3), data.Pixel(2, 1, 3));
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var (images, labels) = WritePair(2, 28, 28, gzip: false);
        string missing = Path.Combine(folder, "nothing.gz");
        Assert.Contains($"{missing}: no such file", Assert.Throws<MnistDataException>(() => MnistData.Load(missing, labels)).Message);
        Assert.Contains($"{missing}: no such file", Assert.Throws<MnistDataException>(() => MnistData.Load(images, missing)).Message);
        Assert.Contains("no such file", Assert.Throws<MnistDataException>(() => MnistData.Load(folder, labels)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongMagicSaysWhatWasFoundAndExpected(bool gzip)
    {
        var (images, labels) = WritePair(2, 28, 28, gzip);
        var swapped = Assert.Throws<MnistDataException>(() => MnistData.Load(labels, images));
        Assert.Contains(labels, swapped.Message);
        Assert.Contains("magic number 0x00000801 (2049), expected 0x00000803 (2051", swapped.Message);

        string other = Write("other", gzip, Header(2049 + 1, 2, 28, 28), new byte[2 * 784]);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, other));
        Assert.Contains(other, error.Message);
        Assert.Contains("magic number 0x00000802 (2050), expected 0x00000801 (2049", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedHeaderIsRefused(bool gzip)
    {
        var (images, labels) = WritePair(2, 28, 28, gzip);
        string shortImages = Write("short-images", gzip, Header(2051, 2, 28, 28)[..10]);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(shortImages, labels));
        Assert.Contains($"{shortImages}: truncated header: 10", error.Message);

        string shortLabels = Write("short-labels", gzip, LabelHeader(2)[..6]);
        Assert.Contains($"{shortLabels}: truncated header: 6", Assert.Throws<MnistDataException>(() => MnistData.Load(images, shortLabels)).Message);

        string empty = Write("empty", gzip: false);
        Assert.Contains($"{empty}: truncated header: 0", Assert.Throws<MnistDataException>(() => MnistData.Load(empty, labels)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataIsRefusedEvenWhenOnlyTheFirstImagesAreAskedFor(bool gzip)
    {
        var (_, labels) = WritePair(3, 28, 28, gzip);
        string images = Write("images", gzip, Header(2051, 3, 28, 28), Pixels(3, 28, 28)[..(3 * 784 - 1)]);
        foreach (int? count in new int?[] { null, 1 })
        {
            var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels, count));
            Assert.Contains($"{images}: truncated data", error.Message);
            Assert.Contains("3 images of 28 × 28, 2,352", error.Message);
            Assert.Contains("holds only 2,351", error.Message);
        }

        var (goodImages, _) = WritePair(3, 28, 28, gzip);
        string shortLabels = Write("short-labels", gzip, LabelHeader(3), [1, 2]);
        var labelError = Assert.Throws<MnistDataException>(() => MnistData.Load(goodImages, shortLabels));
        Assert.Contains($"{shortLabels}: truncated data", labelError.Message);
        Assert.Contains("holds only 2", labelError.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HeaderCountBeyondTheFileIsRefusedWithoutAllocatingIt(bool gzip)
    {
        // a header announcing 1,000,000 images (784 MB) over two images of data
        string images = Write("huge", gzip, Header(2051, 1_000_000, 28, 28), Pixels(2, 28, 28));
        string labels = Write("huge-labels", gzip, LabelHeader(1_000_000), new byte[2]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels, 1));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a corrupt header made the reader allocate what it announced");
        Assert.Contains($"{images}: truncated data", error.Message);
        Assert.Contains("1,000,000 images of 28 × 28, 784,000,000", error.Message);
        Assert.Contains("holds only 1,568", error.Message);
    }

    [Fact]
    public void CountMismatchNamesBothFiles()
    {
        string images = Write("images", gzip: true, Header(2051, 3, 28, 28), Pixels(3, 28, 28));
        string labels = Write("labels", gzip: true, LabelHeader(4), [0, 1, 2, 3]);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels));
        Assert.Contains($"{labels}: the header says 4 labels, but the images file {images} holds 3 images", error.Message);
    }

    [Fact]
    public void RequestedCountMustBeAvailableAndPositive()
    {
        var (images, labels) = WritePair(3, 28, 28, gzip: true);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels, 4));
        Assert.Contains($"{images}: 4 images were asked for, but the file holds 3", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistData.Load(images, labels, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistData.Load(images, labels, -1));
        Assert.Equal(3, MnistData.Load(images, labels, 3).Count);
    }

    [Fact]
    public void LabelsOutside0To9AreRefused()
    {
        var (images, _) = WritePair(3, 28, 28, gzip: false);
        string labels = Write("labels", gzip: false, LabelHeader(3), [9, 0, 10]);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels));
        Assert.Contains($"{labels}: label 2 is 10 (labels must be 0 … 9)", error.Message);
        Assert.Equal(2, MnistData.Load(images, labels, 2).Count); // only the labels read are checked
    }

    [Theory]
    [InlineData(3, 0, 28, "images of 0 × 28 pixels")]
    [InlineData(3, 28, 0, "images of 28 × 0 pixels")]
    [InlineData(3, 28, 5000, "images of 28 × 5000 pixels (rows and columns must be 1 … 1024)")]
    [InlineData(0, 28, 28, "holds no images")]
    [InlineData(int.MaxValue, 28, 28, "2,147,483,647 images of 28 × 28 = 1,683,627,179,248 pixel bytes, more than the 1,073,741,824")]
    [InlineData(-1, 28, 28, "image count is 4294967295")]
    public void AbsurdHeadersAreRefused(int count, int rows, int columns, string message)
    {
        string images = Write("images", gzip: false, Header(2051, count, rows, columns), new byte[64]);
        string labels = Write("labels", gzip: false, LabelHeader(3), [0, 1, 2]);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels));
        Assert.Contains(images, error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void CorruptGzipIsRefused()
    {
        var (_, labels) = WritePair(2, 28, 28, gzip: false);
        byte[] gz = Gzip([.. Header(2051, 2, 28, 28), .. Pixels(2, 28, 28)]);
        for (int i = 10; i < gz.Length - 8; i++)
        {
            gz[i] ^= 0x5A;
        }

        string images = Path.Combine(folder, "corrupt");
        File.WriteAllBytes(images, gz);
        var error = Assert.Throws<MnistDataException>(() => MnistData.Load(images, labels));
        Assert.Contains(images, error.Message);
    }

    // ---- features and pooling ----

    [Fact]
    public void FeaturesArePixelsOver255()
    {
        var data = LoadSubset(3);
        float[] features = data.Features();
        Assert.Equal(3 * 784, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            Assert.Equal(data.Pixels[i] / 255f, features[i]);
        }

        Assert.Equal(254 / 255f, features[14 * 28 + 18]);
        Assert.Equal(features, data.Features(28)); // pooling to the input size is the identity
    }

    [Fact]
    public void PoolingWindowsFollowAdaptiveAvgPool2d()
    {
        // 28 → 6: starts ⌊28i/6⌋, ends ⌈28(i+1)/6⌉ (exclusive): inclusive rows 0–4, 4–9, 9–13, 14–18, 18–23, 23–27
        (int, int)[] six = [(0, 5), (4, 10), (9, 14), (14, 19), (18, 24), (23, 28)];
        Assert.Equal(six, Enumerable.Range(0, 6).Select(i => MnistData.PoolingWindow(i, 28, 6)));
        // 28 → 7 divides: windows of 4, no overlap
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (4 * i, 4 * i + 4)), Enumerable.Range(0, 7).Select(i => MnistData.PoolingWindow(i, 28, 7)));
        for (int input = 1; input <= 40; input++)
        {
            for (int output = 1; output <= 40; output++)
            {
                for (int i = 0; i < output; i++)
                {
                    var expected = ((int)Math.Floor((double)i * input / output), (int)Math.Ceiling((double)(i + 1) * input / output));
                    Assert.Equal(expected, MnistData.PoolingWindow(i, input, output));
                }
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => MnistData.PoolingWindow(6, 28, 6));
    }

    [Fact]
    public void PoolingMatchesAHandComputation()
    {
        // image 0: pixel (r, c) = 5r + 3c, so a window's mean is 5·(mean row) + 3·(mean column);
        // image 1: a single 255 at row 4, column 9, which lies in two overlapping windows each way for 28 → 6
        byte[] pixels = new byte[2 * 784];
        for (int r = 0; r < 28; r++)
        {
            for (int c = 0; c < 28; c++)
            {
                pixels[r * 28 + c] = (byte)(5 * r + 3 * c);
            }
        }

        pixels[784 + 4 * 28 + 9] = 255;
        string images = Write("images", gzip: false, Header(2051, 2, 28, 28), pixels);
        string labels = Write("labels", gzip: false, LabelHeader(2), [0, 1]);
        var data = MnistData.Load(images, labels);

        float[] six = data.Features(6);
        Assert.Equal(2 * 36, six.Length);
        Assert.Equal(16 / 255f, six[0 * 6 + 0], 1e-6f);             // rows 0–4 (mean 2), columns 0–4 (mean 2): 10 + 6
        Assert.Equal(29.5f / 255f, six[0 * 6 + 1], 1e-6f);          // rows 0–4 (2), columns 4–9 (6.5): 10 + 19.5
        Assert.Equal(103 / 255f, six[2 * 6 + 3], 1e-6f);            // rows 9–13 (11), columns 14–18 (16): 55 + 48
        Assert.Equal(200 / 255f, six[5 * 6 + 5], 1e-6f);            // rows 23–27 (25), columns 23–27 (25): 125 + 75
        Assert.Equal((5 * 20.5f + 3 * 11) / 255f, six[4 * 6 + 2], 1e-6f); // rows 18–23 (20.5), columns 9–13 (11)

        float[] spike = six[36..];
        var expected = new float[36];
        expected[0 * 6 + 1] = 1f / 30; // rows 0–4 (5) × columns 4–9 (6)
        expected[0 * 6 + 2] = 1f / 25; // rows 0–4 (5) × columns 9–13 (5)
        expected[1 * 6 + 1] = 1f / 36; // rows 4–9 (6) × columns 4–9 (6)
        expected[1 * 6 + 2] = 1f / 30; // rows 4–9 (6) × columns 9–13 (5)
        Assert.Equal(expected, spike, (a, b) => Math.Abs(a - b) <= 1e-7f);

        float[] seven = data.Features(7);
        Assert.Equal((5 * 5.5f + 3 * 9.5f) / 255f, seven[1 * 7 + 2], 1e-6f); // rows 4–7, columns 8–11
        Assert.Equal(1f / 16, seven[49 + 1 * 7 + 2]);                         // the spike's only window

        float[] one = data.Features(1);
        Assert.Equal((5 * 13.5f + 3 * 13.5f) / 255f, one[0], 1e-6f);
        Assert.Equal(1f / 784, one[1], 1e-9f);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Features(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Features(29));
    }

    [Fact]
    public void PoolingOfARealImageFollowsTheFormula()
    {
        var data = LoadSubset(10);
        float[] six = data.Features(6);
        // test image 0, rows 9–13, columns 14–18 (computed separately from the idx bytes)
        Assert.Equal(0.35184313725490196, six[2 * 6 + 3], 1e-7);
        for (int n = 0; n < data.Count; n++)
        {
            for (int i = 0; i < 6; i++)
            {
                for (int j = 0; j < 6; j++)
                {
                    var (r0, r1) = MnistData.PoolingWindow(i, 28, 6);
                    var (c0, c1) = MnistData.PoolingWindow(j, 28, 6);
                    double sum = 0;
                    for (int r = r0; r < r1; r++)
                    {
                        for (int c = c0; c < c1; c++)
                        {
                            sum += data.Pixel(n, r, c) / 255.0;
                        }
                    }

                    Assert.Equal(sum / ((r1 - r0) * (c1 - c0)), six[n * 36 + i * 6 + j], 1e-6);
                }
            }
        }
    }

    // ---- synthetic idx files ----

    private static byte PixelValue(int image, int row, int column) => (byte)(31 * image + 7 * row + column);

    private static byte[] Pixels(int count, int rows, int columns)
    {
        var pixels = new byte[count * rows * columns];
        for (int n = 0; n < count; n++)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    pixels[(n * rows + r) * columns + c] = PixelValue(n, r, c);
                }
            }
        }

        return pixels;
    }

    private static byte[] Header(int magic, int count, int rows, int columns)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        return header;
    }

    private static byte[] LabelHeader(int count)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, 2049);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        return header;
    }

    private (string Images, string Labels) WritePair(int count, int rows, int columns, bool gzip, Func<int, int>? label = null) =>
        (Write($"images-{count}", gzip, Header(2051, count, rows, columns), Pixels(count, rows, columns)),
         Write($"labels-{count}", gzip, LabelHeader(count), Enumerable.Range(0, count).Select(i => (byte)(label?.Invoke(i) ?? i % 10)).ToArray()));

    private string Write(string name, bool gzip, params byte[][] parts)
    {
        byte[] bytes = parts.SelectMany(p => p).ToArray();
        string path = Path.Combine(folder, name + (gzip ? "-gz" : "-raw"));
        File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        return path;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gz.Write(bytes);
        }

        return buffer.ToArray();
    }

    private static byte[] Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gz.CopyTo(buffer);
        return buffer.ToArray();
    }
}
