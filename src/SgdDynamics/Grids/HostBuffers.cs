using SgdDynamics.Kernels.Grids;

namespace SgdDynamics.Grids;

/// <summary>A managed array as a kernel <see cref="IDoubleBuffer"/>.</summary>
internal readonly struct ArrayDoubles(double[] array) : IDoubleBuffer
{
    /// <inheritdoc/>
    public double Get(long index) => array[index];

    /// <inheritdoc/>
    public void Set(long index, double value) => array[index] = value;
}

/// <summary>A managed array as a kernel <see cref="IIntBuffer"/>.</summary>
internal readonly struct ArrayInts(int[] array) : IIntBuffer
{
    /// <inheritdoc/>
    public int Get(long index) => array[index];

    /// <inheritdoc/>
    public void Set(long index, int value) => array[index] = value;
}
