using System.Runtime.CompilerServices;
using ILGPU;
using SgdDynamics.Kernels.Lanes;

namespace SgdDynamics.Kernels.Dynamics;

/// <summary>Read/write access to the d coordinates of one lane of trajectories (a state vector x, v or g).</summary>
public interface IStateView<T> where T : struct, ILane<T>
{
    /// <summary>Coordinate i.</summary>
    T Get(int i);

    /// <summary>Sets coordinate i.</summary>
    void Set(int i, T value);
}

/// <summary>Read-only float parameters of a landscape or initial law (vectors, row-major matrices).</summary>
public interface IParameters
{
    /// <summary>Entry i.</summary>
    float Get(int i);
}

/// <summary>Shape of a matrix as the kernels use it (which entries can be nonzero).</summary>
public static class MatrixShape
{
    /// <summary>All entries zero: nothing to apply, no normals drawn.</summary>
    public const int Zero = 0;

    /// <summary>Only the diagonal is nonzero.</summary>
    public const int Diagonal = 1;

    /// <summary>Lower triangular (a Cholesky factor).</summary>
    public const int LowerTriangular = 2;

    /// <summary>Dense.</summary>
    public const int Dense = 3;
}

/// <summary>One trajectory's state in device memory, structure-of-arrays: coordinate i at <c>data[offset + i·stride]</c>.</summary>
public readonly struct DeviceState<T> : IStateView<T> where T : struct, IScalarLane<T>
{
    private readonly ArrayView<float> data;
    private readonly long offset;
    private readonly long stride;

    /// <summary>The view of trajectory slot <paramref name="offset"/> in <paramref name="data"/> (d rows of <paramref name="stride"/> floats).</summary>
    public DeviceState(ArrayView<float> data, long offset, long stride)
    {
        this.data = data;
        this.offset = offset;
        this.stride = stride;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get(int i) => T.Splat(data[offset + i * stride]);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int i, T value) => data[offset + i * stride] = T.ToFloat(value);
}

/// <summary>Parameters in device memory.</summary>
public readonly struct DeviceParameters : IParameters
{
    private readonly ArrayView<float> data;

    /// <summary>Wraps a device view.</summary>
    public DeviceParameters(ArrayView<float> data) => this.data = data;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Get(int i) => data[i];
}
