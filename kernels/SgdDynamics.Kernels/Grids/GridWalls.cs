using System.Runtime.CompilerServices;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// What the box walls of a grid do, as an int kernel argument (ILGPU kernel parameters take no enums or bools), and
/// where a virtual cell index outside the box lands: the one place the kernels of both grid solvers map indices.
/// </summary>
public static class GridWalls
{
    /// <summary>Mass that leaves the box is lost (master equation only).</summary>
    public const int Absorbing = 0;

    /// <summary>Mass is mirrored back across the faces (master equation), or no flux crosses them (Fokker–Planck).</summary>
    public const int Reflecting = 1;

    /// <summary>Opposite faces are identified: the box is a ring (a torus in 2-D).</summary>
    public const int Periodic = 2;

    /// <summary>Mirror image of virtual cell j in a box of n cells (period 2n): −1 − i ↦ i, n + i ↦ n − 1 − i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Mirror(long j, long n)
    {
        long period = 2 * n;
        long r = j % period;
        if (r < 0)
        {
            r += period;
        }

        return r < n ? r : period - 1 - r;
    }

    /// <summary>Periodic image of virtual cell j in a ring of n cells: j mod n in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Wrap(long j, long n)
    {
        if (j >= 0 && j < n)
        {
            return j;
        }

        long r = j % n;
        return r < 0 ? r + n : r;
    }

    /// <summary>Largest multiple of <paramref name="period"/> not above <paramref name="x"/> (floor division, any sign).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FloorMultiple(long x, long period) => x >= 0 ? x / period * period : -((-x + period - 1) / period) * period;

    /// <summary>
    /// The box cell a virtual cell i lands on: clamped onto the face cell (absorbing), mirrored (reflecting) or
    /// wrapped (periodic).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Map(long i, long n, int walls)
    {
        if (walls == Reflecting)
        {
            return Mirror(i, n);
        }

        if (walls == Periodic)
        {
            return Wrap(i, n);
        }

        return i < 0 ? 0 : (i >= n ? n - 1 : i);
    }

    /// <summary>
    /// Neighbour of cell i along an axis of n cells at offset ±1: wrapped on a ring, else clamped to the box (the
    /// mirror ghost of a central difference at a zero-flux wall).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Neighbour(long i, long offset, long n, int walls)
    {
        long k = i + offset;
        if (walls == Periodic)
        {
            return k < 0 ? k + n : (k >= n ? k - n : k);
        }

        return k < 0 ? 0 : (k >= n ? n - 1 : k);
    }
}
