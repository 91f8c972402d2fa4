using System.Runtime.InteropServices;
using Simd = System.Numerics.Vector<double>;

namespace SgdDynamics.Theory;

/// <summary>
/// SIMD building blocks on zero-padded rows: every span passed in has a length that is a multiple of
/// <see cref="Width"/>, so no scalar tails are needed.
/// </summary>
internal static class DenseKernels
{
    /// <summary>Number of doubles in one SIMD register (<c>System.Numerics.Vector&lt;double&gt;.Count</c>).</summary>
    public static int Width => Simd.Count;

    /// <summary>Smallest multiple of <see cref="Width"/> that is ≥ <paramref name="length"/>.</summary>
    public static int PaddedLength(int length) => (length + Width - 1) / Width * Width;

    /// <summary>Reinterprets a padded span as SIMD registers.</summary>
    public static Span<Simd> Lanes(Span<double> values) => MemoryMarshal.Cast<double, Simd>(values);

    /// <summary>Reinterprets a padded read-only span as SIMD registers.</summary>
    public static ReadOnlySpan<Simd> Lanes(ReadOnlySpan<double> values) => MemoryMarshal.Cast<double, Simd>(values);

    /// <summary>Inner product <c>xᵀ y</c>.</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var vx = Lanes(x);
        var vy = Lanes(y);
        var sum = Simd.Zero;
        for (int k = 0; k < vx.Length; k++) sum = System.Numerics.Vector.FusedMultiplyAdd(vx[k], vy[k], sum);
        return System.Numerics.Vector.Sum(sum);
    }

    /// <summary>In-place update <c>y ← y + α x</c>.</summary>
    public static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        var vx = Lanes(x);
        var vy = Lanes(y);
        var va = new Simd(alpha);
        for (int k = 0; k < vx.Length; k++) vy[k] = System.Numerics.Vector.FusedMultiplyAdd(va, vx[k], vy[k]);
    }

    /// <summary>
    /// Matrix product with accumulation, <c>C ← C + A B</c>: A is n × m (row-major, dense), B is m × stride and
    /// C is n × stride (row-major, padded rows). Register-tiled over 4 rows of C and 2 SIMD registers.
    /// </summary>
    public static void MultiplyAdd(int n, int m, ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c)
    {
        if (n == 0) return;
        var bl = Lanes(b);
        var cl = Lanes(c);
        int lanes = cl.Length / n;
        int row = 0;
        for (; row + 4 <= n; row += 4)
        {
            var a0 = a.Slice(row * m, m);
            var a1 = a.Slice((row + 1) * m, m);
            var a2 = a.Slice((row + 2) * m, m);
            var a3 = a.Slice((row + 3) * m, m);
            int lane = 0;
            for (; lane + 2 <= lanes; lane += 2)
            {
                Simd c00 = Simd.Zero, c01 = Simd.Zero, c10 = Simd.Zero, c11 = Simd.Zero;
                Simd c20 = Simd.Zero, c21 = Simd.Zero, c30 = Simd.Zero, c31 = Simd.Zero;
                for (int k = 0; k < m; k++)
                {
                    var b0 = bl[k * lanes + lane];
                    var b1 = bl[k * lanes + lane + 1];
                    var s0 = new Simd(a0[k]);
                    var s1 = new Simd(a1[k]);
                    var s2 = new Simd(a2[k]);
                    var s3 = new Simd(a3[k]);
                    c00 = System.Numerics.Vector.FusedMultiplyAdd(s0, b0, c00);
                    c01 = System.Numerics.Vector.FusedMultiplyAdd(s0, b1, c01);
                    c10 = System.Numerics.Vector.FusedMultiplyAdd(s1, b0, c10);
                    c11 = System.Numerics.Vector.FusedMultiplyAdd(s1, b1, c11);
                    c20 = System.Numerics.Vector.FusedMultiplyAdd(s2, b0, c20);
                    c21 = System.Numerics.Vector.FusedMultiplyAdd(s2, b1, c21);
                    c30 = System.Numerics.Vector.FusedMultiplyAdd(s3, b0, c30);
                    c31 = System.Numerics.Vector.FusedMultiplyAdd(s3, b1, c31);
                }
                cl[row * lanes + lane] += c00;
                cl[row * lanes + lane + 1] += c01;
                cl[(row + 1) * lanes + lane] += c10;
                cl[(row + 1) * lanes + lane + 1] += c11;
                cl[(row + 2) * lanes + lane] += c20;
                cl[(row + 2) * lanes + lane + 1] += c21;
                cl[(row + 3) * lanes + lane] += c30;
                cl[(row + 3) * lanes + lane + 1] += c31;
            }
            for (; lane < lanes; lane++)
                for (int r = row; r < row + 4; r++) cl[r * lanes + lane] += RowTimesColumn(a.Slice(r * m, m), bl, lanes, lane);
        }
        for (; row < n; row++)
            for (int lane = 0; lane < lanes; lane++) cl[row * lanes + lane] += RowTimesColumn(a.Slice(row * m, m), bl, lanes, lane);
    }

    private static Simd RowTimesColumn(ReadOnlySpan<double> aRow, ReadOnlySpan<Simd> b, int lanes, int lane)
    {
        var sum = Simd.Zero;
        for (int k = 0; k < aRow.Length; k++) sum = System.Numerics.Vector.FusedMultiplyAdd(new Simd(aRow[k]), b[k * lanes + lane], sum);
        return sum;
    }

    /// <summary>
    /// Solves the 4 × 4 system <c>K y = r</c> (row-major <paramref name="matrix"/>, overwritten) by Gaussian
    /// elimination with partial pivoting; the solution replaces <paramref name="rhs"/>.
    /// </summary>
    public static void Solve4(Span<double> matrix, Span<double> rhs)
    {
        const int n = 4;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < n; row++)
                if (Math.Abs(matrix[row * n + col]) > Math.Abs(matrix[pivot * n + col])) pivot = row;
            if (pivot != col)
            {
                for (int k = 0; k < n; k++)
                    (matrix[col * n + k], matrix[pivot * n + k]) = (matrix[pivot * n + k], matrix[col * n + k]);
                (rhs[col], rhs[pivot]) = (rhs[pivot], rhs[col]);
            }
            double diagonal = matrix[col * n + col];
            for (int row = col + 1; row < n; row++)
            {
                double factor = matrix[row * n + col] / diagonal;
                if (factor == 0.0) continue;
                for (int k = col; k < n; k++) matrix[row * n + k] -= factor * matrix[col * n + k];
                rhs[row] -= factor * rhs[col];
            }
        }
        for (int row = n - 1; row >= 0; row--)
        {
            double sum = rhs[row];
            for (int k = row + 1; k < n; k++) sum -= matrix[row * n + k] * rhs[k];
            rhs[row] = sum / matrix[row * n + row];
        }
    }
}
