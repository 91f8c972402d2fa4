using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Kernels.Dynamics;

namespace SgdDynamics.Problems;

/// <summary>Double-precision matrices in the form the kernels take them: float32, row-major, with their <see cref="MatrixShape"/>.</summary>
public static class KernelMatrix
{
    /// <summary>The entries as float32, row-major.</summary>
    public static float[] RowMajor(Matrix<double> m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var a = new float[m.RowCount * m.ColumnCount];
        for (int i = 0; i < m.RowCount; i++)
        {
            for (int j = 0; j < m.ColumnCount; j++)
            {
                a[i * m.ColumnCount + j] = (float)m[i, j];
            }
        }

        return a;
    }

    /// <summary>The entries as float32.</summary>
    public static float[] Floats(Vector<double> v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return v.Select(x => (float)x).ToArray();
    }

    /// <summary>The cheapest <see cref="MatrixShape"/> that holds every nonzero entry (as float).</summary>
    public static int ShapeOf(Matrix<double> m)
    {
        ArgumentNullException.ThrowIfNull(m);
        bool offDiagonal = false, upper = false, any = false;
        for (int i = 0; i < m.RowCount; i++)
        {
            for (int j = 0; j < m.ColumnCount; j++)
            {
                if ((float)m[i, j] == 0f)
                {
                    continue;
                }

                any = true;
                offDiagonal |= i != j;
                upper |= j > i;
            }
        }

        if (!any)
        {
            return MatrixShape.Zero;
        }

        if (!offDiagonal)
        {
            return MatrixShape.Diagonal;
        }

        return upper ? MatrixShape.Dense : MatrixShape.LowerTriangular;
    }
}
