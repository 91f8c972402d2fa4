using ILGPU;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Kernels;

/// <summary>
/// Device buffers of an ensemble: x (d rows), the dynamics' auxiliary state (<see cref="IDynamics.AuxiliaryVectors"/>·d
/// rows) and g (scratch, d rows), each row <see cref="Stride"/> floats.
/// </summary>
public readonly struct EnsembleBuffers
{
    /// <summary>Positions.</summary>
    public readonly ArrayView<float> X;

    /// <summary>Auxiliary state of the dynamics (velocities for heavy ball; unused by SGD).</summary>
    public readonly ArrayView<float> Auxiliary;

    /// <summary>Gradient scratch.</summary>
    public readonly ArrayView<float> G;

    /// <summary>Row length: trajectory slots (a multiple of <see cref="TileLayout.TileSize"/>).</summary>
    public readonly long Stride;

    /// <summary>Global index of slot 0 (the Philox key word 1 of slot s is FirstTrajectory + s).</summary>
    public readonly uint FirstTrajectory;

    /// <summary>Philox key word 0.</summary>
    public readonly uint Seed;

    /// <summary>Creates the buffer description.</summary>
    public EnsembleBuffers(ArrayView<float> x, ArrayView<float> auxiliary, ArrayView<float> g, long stride, uint firstTrajectory, uint seed)
    {
        X = x;
        Auxiliary = auxiliary;
        G = g;
        Stride = stride;
        FirstTrajectory = firstTrajectory;
        Seed = seed;
    }
}

/// <summary>
/// ILGPU entry points: one thread per trajectory, all steps between two records inside one launch
/// (docs/architecture.md, "Devices and kernels"). Generic over the lane (<see cref="FloatLane"/> on the CPU accelerator,
/// <see cref="DeviceFloatLane"/> on CUDA/OpenCL), the landscape and the update rule.
/// </summary>
public static class EnsembleKernels
{
    /// <summary>Draws the initial state of every slot, zeroes the dynamics' auxiliary state and applies the divergence check.</summary>
    public static void Start<TLane, TDynamics>(Index1D slot, GaussianStart<DeviceParameters> start, TDynamics dynamics, EnsembleBuffers buffers, float bound)
        where TLane : struct, IScalarLane<TLane>
        where TDynamics : struct, IDynamics
    {
        var x = new DeviceState<TLane>(buffers.X, slot, buffers.Stride);
        var auxiliary = new DeviceState<TLane>(buffers.Auxiliary, slot, buffers.Stride);
        var normals = new PhiloxNormals<TLane>(buffers.Seed, buffers.FirstTrajectory + (uint)slot.X);
        Trajectory.Start<TLane, DeviceState<TLane>, PhiloxNormals<TLane>, DeviceParameters>(start, x, auxiliary, dynamics.AuxiliaryVectors, normals);
        Trajectory.MarkDiverged<TLane, DeviceState<TLane>>(x, auxiliary, start.Dimension, dynamics.AuxiliaryVectors, bound);
    }

    /// <summary>Runs <paramref name="count"/> steps from <paramref name="firstStep"/> and applies the divergence check.</summary>
    public static void Advance<TLane, TLandscape, TDynamics>(
        Index1D slot, TLandscape landscape, TDynamics dynamics, EnsembleBuffers buffers, uint firstStep, uint count, float bound)
        where TLane : struct, IScalarLane<TLane>
        where TLandscape : struct, ILandscape
        where TDynamics : struct, IDynamics
    {
        var x = new DeviceState<TLane>(buffers.X, slot, buffers.Stride);
        var auxiliary = new DeviceState<TLane>(buffers.Auxiliary, slot, buffers.Stride);
        var g = new DeviceState<TLane>(buffers.G, slot, buffers.Stride);
        var normals = new PhiloxNormals<TLane>(buffers.Seed, buffers.FirstTrajectory + (uint)slot.X);
        Trajectory.Advance<TLane, TLandscape, TDynamics, DeviceState<TLane>, PhiloxNormals<TLane>>(landscape, dynamics, x, auxiliary, g, normals, firstStep, count);
        Trajectory.MarkDiverged<TLane, DeviceState<TLane>>(x, auxiliary, landscape.Dimension, dynamics.AuxiliaryVectors, bound);
    }

    /// <summary>
    /// Tile sums in the canonical order of <see cref="TileLayout"/>: thread (tile, statistic) writes
    /// <c>sums[tile · statistics.Length + statistic]</c>. Slots at or beyond <paramref name="validSlots"/>
    /// and diverged (NaN) trajectories contribute 0.
    /// </summary>
    public static void TileSums(Index1D index, ArrayView<float> x, long stride, ArrayView<int> statistics, long validSlots, ArrayView<double> sums)
    {
        int count = (int)statistics.Length;
        long tile = index / count;
        int code = statistics[index % count];
        int kind = TileLayout.KindOf(code);
        long rowI = TileLayout.FirstOf(code) * stride;
        long rowJ = TileLayout.SecondOf(code) * stride;
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (long block = tile * TileLayout.TileSize; block < (tile + 1) * TileLayout.TileSize; block += TileLayout.BlockSize)
        {
            a0 += Pair(x, validSlots, kind, rowI, rowJ, block);
            a1 += Pair(x, validSlots, kind, rowI, rowJ, block + 1);
            a2 += Pair(x, validSlots, kind, rowI, rowJ, block + 2);
            a3 += Pair(x, validSlots, kind, rowI, rowJ, block + 3);
            a4 += Pair(x, validSlots, kind, rowI, rowJ, block + 4);
            a5 += Pair(x, validSlots, kind, rowI, rowJ, block + 5);
            a6 += Pair(x, validSlots, kind, rowI, rowJ, block + 6);
            a7 += Pair(x, validSlots, kind, rowI, rowJ, block + 7);
        }

        sums[index] = TileLayout.Combine(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>Valid and diverged trajectories of each tile: <c>counts[2·tile]</c>, <c>counts[2·tile + 1]</c>.</summary>
    public static void TileCounts(Index1D tile, ArrayView<float> x, long validSlots, ArrayView<int> counts)
    {
        int valid = 0, diverged = 0;
        long end = (tile + 1L) * TileLayout.TileSize;
        for (long s = tile * (long)TileLayout.TileSize; s < end && s < validSlots; s++)
        {
            if (float.IsNaN(x[s]))
            {
                diverged++;
            }
            else
            {
                valid++;
            }
        }

        counts[2 * tile] = valid;
        counts[2 * tile + 1] = diverged;
    }

    private static double Pair(ArrayView<float> x, long validSlots, int kind, long rowI, long rowJ, long slot) =>
        Contribution(x, validSlots, kind, rowI, rowJ, slot) + Contribution(x, validSlots, kind, rowI, rowJ, slot + 8);

    private static double Contribution(ArrayView<float> x, long validSlots, int kind, long rowI, long rowJ, long slot)
    {
        if (slot >= validSlots || float.IsNaN(x[slot]))
        {
            return 0.0;
        }

        return TileLayout.Value(kind, x[rowI + slot], x[rowJ + slot]);
    }
}
