using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using SgdDynamics.Data;
using SgdDynamics.Tests.Cli;
using SgdDynamics.Tests.Output;

namespace SgdDynamics.Tests.Data;

/// <summary>The .npz writer and reader, and the .npy writer's dtypes and ranks: round trips, zip layout, refusals, and NumPy reading both.</summary>
public sealed class NpzFileTests : IDisposable
{
    private static readonly double[] Doubles = [1.5, -2.25, double.Epsilon, 1e300, -0.0, Math.PI, double.NaN, double.PositiveInfinity, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
    private static readonly float[] Floats = [0.1f, -3f, float.MaxValue, 1e-40f, 5f, 6f];
    private static readonly long[] Longs = [0, -1, long.MaxValue, long.MinValue, 1L << 53, -(1L << 53)];
    private static readonly int[] Ints = [0, -1, int.MaxValue, int.MinValue];

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static NpzWriter Sample(bool compressed) => new NpzWriter(compressed)
        .Add("cube", Doubles, 2, 3, 4)
        .Add("single", Floats, 3, 2)
        .Add("steps", [0L, 10, 20, 1L << 53])
        .Add("counts", Ints)
        .Add("empty", Array.Empty<double>(), 0, 3)
        .Add("matrix", new double[,] { { 1, 2 }, { 3, 4 } });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ArraysRoundTripBitForBitStoredOrDeflated(bool compressed)
    {
        string path = folder[$"a{compressed}.npz"];
        NpzWriter npz = Sample(compressed);
        Assert.Equal(["cube", "single", "steps", "counts", "empty", "matrix"], npz.Names);
        npz.Save(path);

        IReadOnlyDictionary<string, NpyArray> read = NpzFile.Read(path);
        Assert.Equal(npz.Names.Order(), read.Keys.Order());
        Assert.Equal([2, 3, 4], read["cube"].Shape);
        Assert.Equal("<f8", read["cube"].DataType);
        Assert.Equal(Doubles.Select(BitConverter.DoubleToInt64Bits), read["cube"].Values.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal([3, 2], read["single"].Shape);
        Assert.Equal("<f4", read["single"].DataType);
        Assert.Equal(Floats.Select(f => (double)f), read["single"].Values);
        Assert.Equal("<i8", read["steps"].DataType);
        Assert.Equal([0, 10, 20, 1L << 53], read["steps"].Values);
        Assert.Equal("<i4", read["counts"].DataType);
        Assert.Equal([4], read["counts"].Shape);
        Assert.Equal(Ints.Select(i => (double)i), read["counts"].Values);
        Assert.Equal([0, 3], read["empty"].Shape);
        Assert.Empty(read["empty"].Values);
        Assert.Equal([2, 2], read["matrix"].Shape);
        Assert.Equal([1, 2, 3, 4], read["matrix"].Values);
        Assert.EndsWith(".npz:cube.npy", read["cube"].Path, StringComparison.Ordinal);

        // Zip layout as numpy.savez / savez_compressed write it: entries <name>.npy, compression method 0 (stored) or 8 (deflated).
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0x04034b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(compressed ? 8 : 0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        using ZipArchive zip = ZipFile.OpenRead(path);
        Assert.Equal(npz.Names.Select(n => n + ".npy"), zip.Entries.Select(e => e.FullName));
        Assert.All(zip.Entries, e => Assert.True(compressed ? e.CompressedLength < e.Length || e.Length == 0 : e.CompressedLength == e.Length, e.FullName));

        // The same arrays give the same bytes (fixed entry times).
        string again = folder[$"b{compressed}.npz"];
        Sample(compressed).Save(again);
        Assert.Equal(bytes, File.ReadAllBytes(again));
    }

    [Fact]
    public void NpyFilesOfEachDtypeAndRankRoundTrip()
    {
        NpyFile.Write(folder["f4.npy"], [3, 1, 2], Floats);
        NpyArray f4 = NpyFile.Read(folder["f4.npy"]);
        Assert.Equal("<f4", f4.DataType);
        Assert.Equal([3, 1, 2], f4.Shape);
        Assert.Equal(Floats.Select(f => (double)f), f4.Values);

        NpyFile.Write(folder["f8.npy"], [2, 3, 2, 2], Doubles);
        Assert.Equal([2, 3, 2, 2], NpyFile.Read(folder["f8.npy"]).Shape);

        NpyFile.Write(folder["i8.npy"], [1L, 2, -(1L << 53)]);
        NpyFile.Write(folder["i4.npy"], Ints);
        Assert.Equal([1, 2, -(double)(1L << 53)], NpyFile.Read(folder["i8.npy"], integers: true).Values);
        Assert.Equal(Ints.Select(i => (double)i), NpyFile.Read(folder["i4.npy"], integers: true).Values);

        // Scenario inputs keep taking floats only.
        Assert.Contains("unsupported dtype '<i8'", Assert.Throws<NpyFileException>(() => NpyFile.Read(folder["i8.npy"])).Message);

        // An int64 that no double holds exactly is refused rather than rounded.
        NpyFile.Write(folder["big.npy"], Longs);
        string message = Assert.Throws<NpyFileException>(() => NpyFile.Read(folder["big.npy"], integers: true)).Message;
        Assert.Contains($"{folder["big.npy"]}: the int64 value {long.MaxValue} at index 2 is beyond ±2⁵³", message);
    }

    [Fact]
    public void BadArraysAndArchivesAreRefused()
    {
        var npz = new NpzWriter().Add("a", [1.0, 2.0]);
        Assert.Contains("already holds 'a'", Assert.Throws<ArgumentException>(() => npz.Add("a", [1.0])).Message);
        Assert.Contains("'b': shape (2, 2) holds 4 values, the array 3", Assert.Throws<ArgumentException>(() => npz.Add("b", [1.0, 2, 3], 2, 2)).Message);
        Assert.Contains("negative extent", Assert.Throws<ArgumentException>(() => npz.Add("c", Array.Empty<float>(), -1, 0)).Message);
        Assert.Contains("not an .npz entry name", Assert.Throws<ArgumentException>(() => npz.Add("x/y", [1.0])).Message);
        Assert.Contains("not an .npz entry name", Assert.Throws<ArgumentException>(() => npz.Add(string.Empty, [1.0])).Message);
        Assert.Equal(["a"], npz.Names);
        Assert.Throws<ArgumentException>(() => NpyFile.Write(folder["x.npy"], [2, 2], new float[3]));
        Assert.False(File.Exists(folder["x.npy"]));

        string notZip = folder.Write("not.npz", "plain text");
        Assert.Contains($"{notZip}: not a readable .npz (zip) archive", Assert.Throws<NpyFileException>(() => NpzFile.Read(notZip)).Message);
        Assert.Contains("does not exist", Assert.Throws<NpyFileException>(() => NpzFile.Read(folder["missing.npz"])).Message);

        string other = folder["other.npz"];
        using (ZipArchive zip = ZipFile.Open(other, ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("notes.txt").Open());
            writer.Write("hello");
        }

        Assert.Contains($"{other}:notes.txt: not a .npy entry", Assert.Throws<NpyFileException>(() => NpzFile.Read(other)).Message);

        npz.Save(folder["big.npz"]);
        Assert.Contains("more than 1 values", Assert.Throws<NpyFileException>(() => NpzFile.Read(folder["big.npz"], maxValues: 1)).Message);
    }

    [NumPyFact]
    public void NumPyLoadsTheArchivesAndFilesAsWritten()
    {
        foreach (bool compressed in new[] { false, true })
        {
            string path = folder[$"n{compressed}.npz"];
            Sample(compressed).Save(path);
            JsonObject loaded = NumPy.Load(path);
            Assert.Equal(["counts", "cube", "empty", "matrix", "single", "steps"], loaded.Select(p => p.Key).Order());
            AssertArray(loaded["cube"]!, "<f8", [2, 3, 4], Bits(Doubles));
            AssertArray(loaded["single"]!, "<f4", [3, 2], Bits(Floats));
            AssertArray(loaded["steps"]!, "<i8", [4], new long[] { 0, 10, 20, 1L << 53 }.Select(v => v.ToString(CultureInfo.InvariantCulture)));
            AssertArray(loaded["counts"]!, "<i4", [4], Ints.Select(v => v.ToString(CultureInfo.InvariantCulture)));
            AssertArray(loaded["empty"]!, "<f8", [0, 3], []);
            AssertArray(loaded["matrix"]!, "<f8", [2, 2], Bits([1.0, 2, 3, 4]));
        }

        NpyFile.Write(folder["paths.npy"], [1, 2, 3], Floats);
        AssertArray(NumPy.Load(folder["paths.npy"])[string.Empty]!, "<f4", [1, 2, 3], Bits(Floats));
        NpyFile.Write(folder["longs.npy"], Longs);
        AssertArray(NumPy.Load(folder["longs.npy"])[string.Empty]!, "<i8", [6], Longs.Select(v => v.ToString(CultureInfo.InvariantCulture)));
    }

    private static IEnumerable<string> Bits(double[] values) => values.Select(v => BitConverter.DoubleToUInt64Bits(v).ToString(CultureInfo.InvariantCulture));

    private static IEnumerable<string> Bits(float[] values) => values.Select(v => BitConverter.SingleToUInt32Bits(v).ToString(CultureInfo.InvariantCulture));

    /// <summary>Compares NumPy's view of one array (dtype, shape, values or their bits: <see cref="NumPy.Load"/>) with the expected one.</summary>
    private static void AssertArray(JsonNode loaded, string dtype, int[] shape, IEnumerable<string> values)
    {
        Assert.Equal(dtype, (string?)loaded["dtype"]);
        Assert.Equal(shape, loaded["shape"]!.AsArray().Select(n => (int)n!));
        Assert.Equal(values, loaded["values"]!.AsArray().Select(n => n!.ToJsonString()));
    }
}
