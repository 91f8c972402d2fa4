using System.Buffers.Binary;
using System.Text;
using SgdDynamics.Data;
using SgdDynamics.Tests.Cli;

namespace SgdDynamics.Tests.Data;

/// <summary>The .npy reader and writer: round trips, NumPy's own layout, and an error naming the file for each kind of bad file.</summary>
public sealed class NpyFileTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A .npy file as NumPy writes it: magic, version, header length, the header padded to 64 bytes, then the data.</summary>
    private string WriteRaw(string name, string dict, byte[] data, int major = 1, int? pad = null)
    {
        int lengthBytes = major == 1 ? 2 : 4;
        int unpadded = 6 + 2 + lengthBytes + dict.Length + 1;
        string header = dict + new string(' ', pad ?? ((64 - (unpadded % 64)) % 64)) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.Add((byte)major);
        bytes.Add(0);
        var length = new byte[lengthBytes];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        }

        bytes.AddRange(length);
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        string path = folder[name];
        File.WriteAllBytes(path, [.. bytes]);
        return path;
    }

    private static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    [Fact]
    public void MatricesAndVectorsRoundTripBitForBitInNumPysLayout()
    {
        var matrix = new double[,] { { 1.5, -0.0, double.Epsilon }, { Math.PI, -1e300, 7 } };
        string path = folder["m.npy"];
        NpyFile.Write(path, matrix);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        Assert.Equal((1, 0), (bytes[6], bytes[7]));
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(10 + headerLength + (6 * 8), bytes.Length);

        double[,] back = NpyFile.ReadMatrix(path);
        Assert.Equal(2, back.GetLength(0));
        Assert.Equal(3, back.GetLength(1));
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(matrix[i, j]), BitConverter.DoubleToInt64Bits(back[i, j]));
            }
        }

        double[] vector = [0.25, double.NaN, -3];
        string vectorPath = folder["v.npy"];
        NpyFile.Write(vectorPath, vector);
        Assert.Contains("'shape': (3,), }", File.ReadAllText(vectorPath));
        Assert.Equal(vector.Select(BitConverter.DoubleToInt64Bits), NpyFile.ReadVector(vectorPath).Select(BitConverter.DoubleToInt64Bits));
        NpyArray array = NpyFile.Read(vectorPath);
        Assert.Equal([3], array.Shape);
        Assert.Equal("<f8", array.DataType);
        Assert.Equal(Path.GetFullPath(vectorPath), array.Path);
    }

    [Fact]
    public void Float32AndLaterFormatVersionsAreRead()
    {
        string f4 = WriteRaw("f4.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", Floats(0.1f, -2f, 3.5f, 1e-3f));
        double[,] m = NpyFile.ReadMatrix(f4);
        Assert.Equal((double)0.1f, m[0, 0]);
        Assert.Equal((double)1e-3f, m[1, 1]);

        string v2 = WriteRaw("v2.npy", "{\"descr\": \"<f8\", \"shape\": (1, 2), \"fortran_order\": False}", Doubles(4, 5), major: 2);
        Assert.Equal(5.0, NpyFile.ReadMatrix(v2)[0, 1]);
        string v3 = WriteRaw("v3.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", Doubles(4, 5), major: 3);
        Assert.Equal([4.0, 5.0], NpyFile.ReadVector(v3));
        string scalar = WriteRaw("s.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Doubles(9));
        Assert.Equal([9.0], NpyFile.Read(scalar).Values);
    }

    [Fact]
    public void EachBadFileIsRefusedWithAMessageNamingTheFileAndTheFault()
    {
        string Error(Action read)
        {
            var e = Assert.Throws<NpyFileException>(read);
            return e.Message;
        }

        string missing = folder["missing.npy"];
        Assert.Contains($"{missing}: does not exist", Error(() => NpyFile.Read(missing)));

        string csv = folder.Write("data.npy", "1,2,3\n");
        Assert.Contains($"{csv}: not a NumPy .npy file (bad magic", Error(() => NpyFile.Read(csv)));
        string empty = folder.Write("empty.npy", "");
        Assert.Contains("bad magic", Error(() => NpyFile.Read(empty)));

        string version = WriteRaw("version.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", Doubles(1));
        byte[] bytes = File.ReadAllBytes(version);
        bytes[6] = 4;
        File.WriteAllBytes(version, bytes);
        Assert.Contains("unsupported .npy format version 4.0", Error(() => NpyFile.Read(version)));

        string integers = WriteRaw("int.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", Doubles(1));
        Assert.Contains($"{integers}: unsupported dtype '<i8'", Error(() => NpyFile.Read(integers)));
        string bigEndian = WriteRaw("big.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", Doubles(1));
        Assert.Contains("unsupported dtype '>f8'", Error(() => NpyFile.Read(bigEndian)));

        string fortran = WriteRaw("fortran.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", Doubles(1, 2, 3, 4));
        Assert.Contains($"{fortran}: the array is in Fortran order", Error(() => NpyFile.Read(fortran)));

        string truncated = WriteRaw("truncated.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", Doubles(1, 2, 3, 4, 5));
        Assert.Contains($"{truncated}: truncated: shape (2, 3) of '<f8' needs 48 bytes of data, the file holds 40", Error(() => NpyFile.Read(truncated)));
        string longer = WriteRaw("longer.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", Doubles(1, 2, 3));
        Assert.Contains("8 bytes after the data", Error(() => NpyFile.Read(longer)));
        string cut = folder["cut.npy"];
        File.WriteAllBytes(cut, File.ReadAllBytes(longer)[..20]);
        Assert.Contains("truncated in the header", Error(() => NpyFile.Read(cut)));

        string vector = WriteRaw("vector.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", Doubles(1, 2, 3));
        Assert.Contains($"{vector}: shape (3,), expected a 2-D array", Error(() => NpyFile.ReadMatrix(vector)));
        string noRows = WriteRaw("rows.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }", []);
        Assert.Contains("shape (0, 3), expected a 2-D array with at least one row", Error(() => NpyFile.ReadMatrix(noRows)));
        string matrix = WriteRaw("matrix.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", Doubles(1));
        Assert.Contains("shape (1, 1), expected a 1-D array", Error(() => NpyFile.ReadVector(matrix)));
        string large = WriteRaw("large.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }", Doubles(1));
        Assert.Contains("holds more than 1,000 values", Error(() => NpyFile.Read(large, maxValues: 1000)));

        foreach ((string dict, string fault) in new[]
        {
            ("{'descr': '<f8', 'shape': (1,), }", "lacks 'fortran_order'"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"),
            ("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", "'descr' appears twice"),
            ("{'descr': '<f8', 'fortran_order': false, 'shape': (1,)}", "expected True or False"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", "tuple of non-negative integers"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x", "text after the header's dict"),
            ("['descr', '<f8']", "expected '{'"),
        })
        {
            string bad = WriteRaw("header.npy", dict, Doubles(1));
            string message = Error(() => NpyFile.Read(bad));
            Assert.Contains($"{bad}: a malformed header", message);
            Assert.Contains(fault, message);
        }
    }
}
