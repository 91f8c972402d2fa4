using ILGPU;

namespace SgdDynamics.Kernels.Grids;

/// <summary>
/// Weighted block sums <c>Σ_{c ∈ block} m_c u_c</c> (the lost mass with u = ℓ, a drift component with u = ḡ_k) and
/// their accumulation: block sums in increasing c, added in block order, then <c>total + scale · Σ</c>. The managed
/// backend runs the same functions on the host, so every backend accumulates the same numbers step by step.
/// </summary>
public static partial class MasterEquationKernels
{
    /// <summary>Cells per block of the weighted sums.</summary>
    public const int SumBlock = 4096;

    /// <summary>
    /// Block b of <c>Σ_c m_c u_c</c> in increasing c (blocks of <see cref="SumBlock"/> cells), u_c =
    /// <c>weights[c·stride + offset]</c>; cells without mass are skipped.
    /// </summary>
    public static double WeightedBlockSum<TWeights, TMass>(long block, long count, TWeights weights, int stride, int offset, TMass mass)
        where TWeights : struct, IDoubleBuffer
        where TMass : struct, IDoubleBuffer
    {
        long end = (block + 1) * SumBlock;
        if (end > count)
        {
            end = count;
        }

        double sum = 0;
        for (long c = block * SumBlock; c < end; c++)
        {
            double m = mass.Get(c);
            if (m != 0)
            {
                sum += m * weights.Get(c * stride + offset);
            }
        }

        return sum;
    }

    /// <summary>The block sums added in block order.</summary>
    public static double BlockTotal<TSums>(TSums sums, long blocks)
        where TSums : struct, IDoubleBuffer
    {
        double total = 0;
        for (long k = 0; k < blocks; k++)
        {
            total += sums.Get(k);
        }

        return total;
    }

    /// <summary>One step's accumulation: <c>total + scale · blockTotal</c>.</summary>
    public static double Accumulate(double total, double scale, double blockTotal) => total + scale * blockTotal;

    /// <summary>Weighted block sums, one thread per block.</summary>
    public static void BlockSums(Index1D block, long count, ArrayView<double> weights, int stride, int offset, ArrayView<double> mass, ArrayView<double> sums)
    {
        sums[block] = WeightedBlockSum(block, count, new DoubleView(weights), stride, offset, new DoubleView(mass));
    }

    /// <summary>
    /// Adds the block sums to <c>totals[slot]</c> on the device (<see cref="Accumulate"/>), so that a run keeps its
    /// accumulators next to the density; one thread does the sum (index 0), in block order.
    /// </summary>
    public static void AddBlockTotal(Index1D index, int blocks, double scale, ArrayView<double> sums, ArrayView<double> totals, int slot)
    {
        if (index == 0)
        {
            totals[slot] = Accumulate(totals[slot], scale, BlockTotal(new DoubleView(sums), blocks));
        }
    }
}
