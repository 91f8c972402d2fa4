using System.Runtime.CompilerServices;
using ILGPU;

namespace SgdDynamics.Kernels.Grids;

/// <summary>Access to a buffer of doubles (an ILGPU view on the device, an array on the managed backend).</summary>
public interface IDoubleBuffer
{
    /// <summary>Element <paramref name="index"/>.</summary>
    double Get(long index);

    /// <summary>Sets element <paramref name="index"/> to <paramref name="value"/>.</summary>
    void Set(long index, double value);
}

/// <summary>Access to a buffer of ints (an ILGPU view on the device, an array on the managed backend).</summary>
public interface IIntBuffer
{
    /// <summary>Element <paramref name="index"/>.</summary>
    int Get(long index);

    /// <summary>Sets element <paramref name="index"/> to <paramref name="value"/>.</summary>
    void Set(long index, int value);
}

/// <summary>An ILGPU view of doubles as an <see cref="IDoubleBuffer"/>.</summary>
public readonly struct DoubleView : IDoubleBuffer
{
    private readonly ArrayView<double> view;

    /// <summary>Wraps <paramref name="view"/>.</summary>
    public DoubleView(ArrayView<double> view) => this.view = view;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Get(long index) => view[index];

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(long index, double value) => view[index] = value;
}

/// <summary>An ILGPU view of ints as an <see cref="IIntBuffer"/>.</summary>
public readonly struct IntView : IIntBuffer
{
    private readonly ArrayView<int> view;

    /// <summary>Wraps <paramref name="view"/>.</summary>
    public IntView(ArrayView<int> view) => this.view = view;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(long index) => view[index];

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(long index, int value) => view[index] = value;
}
