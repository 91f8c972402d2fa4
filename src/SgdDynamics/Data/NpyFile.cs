using System.Globalization;
using System.Text;
using SgdDynamics.Output;

namespace SgdDynamics.Data;

/// <summary>NumPy <c>.npy</c> files (format version 1.0, little-endian float64, C order).</summary>
public static class NpyFile
{
    /// <summary>Writes a 1-D float64 array.</summary>
    public static void Write(string path, double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Write(path, values, [values.Length]);
    }

    /// <summary>Writes a 2-D float64 array in C order.</summary>
    public static void Write(string path, double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new double[rows * columns];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(double));
        Write(path, flat, [rows, columns]);
    }

    private static void Write(string path, double[] flat, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(path);
        string shapeText = shape.Length == 1
            ? string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)")
            : "(" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";
        string header = $"{{'descr': '<f8', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', ((total + 63) / 64 * 64) - total) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']);
        stream.WriteByte(1);
        stream.WriteByte(0);
        byte[] headerBytes = Encoding.ASCII.GetBytes(header);
        stream.WriteByte((byte)(headerBytes.Length & 0xff));
        stream.WriteByte((byte)(headerBytes.Length >> 8));
        stream.Write(headerBytes);
        var data = new byte[flat.Length * sizeof(double)];
        Buffer.BlockCopy(flat, 0, data, 0, data.Length);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the .npy writer writes little-endian data on little-endian machines only");
        }

        stream.Write(data);
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }
}
