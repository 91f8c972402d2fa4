using SgdDynamics.Kernels.Grids;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Managed backend of the master-equation gather (<see cref="MasterEquationKernels"/>): the same weight formula and
/// the same summation order (sources in increasing order per target) as the ILGPU kernel.
/// </summary>
internal static class ManagedGather
{
    /// <summary>Targets [start, end) of a 1-D step into <paramref name="output"/>.</summary>
    public static void Gather1(int start, int end, MasterGrid grid, double[] table, int[] ranges, double[] mass, double[] output)
    {
        var t = new ArrayDoubles(table);
        var r = new ArrayInts(ranges);
        var m = new ArrayDoubles(mass);
        for (int j = start; j < end; j++)
        {
            output[j] = K.Gather1(j, grid, t, r, m);
        }
    }
}
