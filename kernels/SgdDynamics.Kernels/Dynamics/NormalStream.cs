using System.Runtime.CompilerServices;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>Receives the normals of one step in order (normal n, value z).</summary>
public interface INormalConsumer<T> where T : struct, ILane<T>
{
    /// <summary>Normal number <paramref name="n"/> of the step.</summary>
    void Accept(int n, T z);
}

/// <summary>Draws the first <c>count</c> normals of a step, four per Philox counter, in order.</summary>
public static class NormalStream
{
    /// <summary>Feeds normals 0 … count−1 of counter (step, ·, stream) to <paramref name="consumer"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Draw<T, TN, TC>(TN normals, uint step, uint stream, int count, ref TC consumer)
        where T : struct, ILane<T>
        where TN : struct, INormalSource<T>
        where TC : struct, INormalConsumer<T>
    {
        for (int n = 0; n < count; n += 4)
        {
            uint sub = (uint)(n >> 2);
            if (count - n > 2)
            {
                normals.Four(step, sub, stream, out T z0, out T z1, out T z2, out T z3);
                consumer.Accept(n, z0);
                consumer.Accept(n + 1, z1);
                consumer.Accept(n + 2, z2);
                if (n + 3 < count)
                {
                    consumer.Accept(n + 3, z3);
                }
            }
            else
            {
                normals.Two(step, sub, stream, out T z0, out T z1);
                consumer.Accept(n, z0);
                if (n + 1 < count)
                {
                    consumer.Accept(n + 1, z1);
                }
            }
        }
    }

    /// <summary>
    /// <c>target += z · M[:, j]</c> for a d × d row-major matrix M of the given <see cref="MatrixShape"/>
    /// (rows i ≥ j only when lower triangular, row j only when diagonal).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddColumn<T, TS, TP>(TS target, TP matrix, int d, int shape, int j, T z)
        where T : struct, ILane<T>
        where TS : struct, IStateView<T>
        where TP : struct, IParameters
    {
        if (shape == MatrixShape.Diagonal)
        {
            target.Set(j, T.MulAdd(T.Splat(matrix.Get(j * d + j)), z, target.Get(j)));
            return;
        }

        int first = shape == MatrixShape.LowerTriangular ? j : 0;
        for (int i = first; i < d; i++)
        {
            target.Set(i, T.MulAdd(T.Splat(matrix.Get(i * d + j)), z, target.Get(i)));
        }
    }
}
