using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using K = SgdDynamics.Kernels.Grids.MasterEquationKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Runs master-equation steps on one backend. Per step: the gather of every target, and from the density before the
/// step the weighted block sums of the lost mass (absorbing walls only: elsewhere ℓ = 0) and, when a gradient table
/// is given, of each drift component; the block sums are accumulated step by step by the same kernel functions
/// (<see cref="MasterEquationKernels.Accumulate"/>), <c>lost += 1·Σ</c>, <c>displacement_k += −η·Σ</c>.
/// </summary>
internal interface IMasterEquationStepper : IDisposable
{
    /// <summary>
    /// <paramref name="steps"/> steps of <paramref name="density"/> in place, its lost mass accumulated; with
    /// <paramref name="gradient"/> (ḡ at the cell centres, d per cell) also <c>−η Σ_c m_c ḡ(x_c)</c> per step into
    /// <paramref name="displacement"/>.
    /// </summary>
    void Advance(GridDensity density, int steps, double[]? gradient, double[]? displacement);
}

/// <summary>The managed backend: Parallel.For over fixed blocks of targets and of sums (the split is machine-independent).</summary>
internal sealed class ManagedMasterStepper : IMasterEquationStepper
{
    /// <summary>Target cells per work item.</summary>
    private const int TargetBlock = 256;

    private readonly MasterGrid geometry;
    private readonly double[] table;
    private readonly int[] ranges;
    private readonly ManagedGather gather;
    private readonly ParallelOptions options;
    private readonly double[] next;
    private readonly int sumBlocks;
    private readonly double[] lostSums;
    private readonly double[][] driftSums;

    public ManagedMasterStepper(MasterGrid geometry, double[] table, int[] ranges, int threads)
    {
        this.geometry = geometry;
        this.table = table;
        this.ranges = ranges;
        gather = new ManagedGather(table, geometry);
        options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        int count = (int)geometry.Count;
        next = new double[count];
        sumBlocks = (count + K.SumBlock - 1) / K.SumBlock;
        lostSums = new double[sumBlocks];
        driftSums = [new double[sumBlocks], new double[sumBlocks]];
    }

    /// <summary>The prepare pass on the host (Parallel.For over cells, the kernel's own per-cell code).</summary>
    public static double[] Prepare(GridLandscape landscape, MasterGrid geometry, int threads)
    {
        var table = new double[geometry.Count * K.Stride];
        landscape.Accept(new PrepareVisitor(geometry, table, new ParallelOptions { MaxDegreeOfParallelism = threads }));
        return table;
    }

    public void Advance(GridDensity density, int steps, double[]? gradient, double[]? displacement)
    {
        for (int s = 0; s < steps; s++)
        {
            Step(density, gradient, displacement);
        }
    }

    public void Dispose()
    {
    }

    private void Step(GridDensity density, double[]? gradient, double[]? displacement)
    {
        double[] mass = density.Mass;
        var tableBuffer = new ArrayDoubles(table);
        var massBuffer = new ArrayDoubles(mass);
        double[] output = next;
        MasterGrid g = geometry;
        int count = (int)g.Count;
        int d = g.Dimension;
        int targets = (count + TargetBlock - 1) / TargetBlock;
        int lostBlocks = g.Walls == GridWalls.Absorbing ? sumBlocks : 0;
        int driftBlocks = gradient is null ? 0 : d * sumBlocks;
        Parallel.For(0, targets + lostBlocks + driftBlocks, options, b =>
        {
            if (b < targets)
            {
                int end = Math.Min(count, (b + 1) * TargetBlock);
                if (g.Dimension == 1)
                {
                    gather.Gather1(b * TargetBlock, end, g, table, ranges, mass, output);
                }
                else
                {
                    gather.Gather2(b * TargetBlock, end, g, table, ranges, mass, output);
                }

                return;
            }

            int k = b - targets;
            if (k < lostBlocks)
            {
                lostSums[k] = K.WeightedBlockSum(k, count, tableBuffer, K.Stride, K.Lost, massBuffer);
                return;
            }

            k -= lostBlocks;
            int axis = k / sumBlocks, block = k - axis * sumBlocks;
            driftSums[axis][block] = K.WeightedBlockSum(block, count, new ArrayDoubles(gradient!), d, axis, massBuffer);
        });

        Array.Copy(output, mass, count);
        AddBlockTotals(density, displacement, lostBlocks > 0 ? lostSums : null, gradient is null ? null : driftSums, d, sumBlocks, g.Eta);
    }

    /// <summary>
    /// Adds a step's block sums, each total in block order (the same bits for any thread count): the lost mass
    /// (<paramref name="lostSums"/>, null when nothing can leave) and, on periodic walls, the displacement −η Σ p ḡ
    /// (<paramref name="driftSums"/>, the first <paramref name="dimension"/> axes, null when not tracked).
    /// </summary>
    internal static void AddBlockTotals(GridDensity density, double[]? displacement, double[]? lostSums, double[][]? driftSums, int dimension, int sumBlocks, double eta)
    {
        if (lostSums is not null)
        {
            density.LostMass = K.Accumulate(density.LostMass, 1.0, K.BlockTotal(new ArrayDoubles(lostSums), sumBlocks));
        }

        if (driftSums is not null)
        {
            for (int axis = 0; axis < dimension; axis++)
            {
                displacement![axis] = K.Accumulate(displacement[axis], -eta, K.BlockTotal(new ArrayDoubles(driftSums[axis]), sumBlocks));
            }
        }
    }

    private sealed class PrepareVisitor(MasterGrid geometry, double[] table, ParallelOptions options) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            Parallel.For(0, (int)geometry.Count, options, c =>
            {
                K.ComputeSource(c, field, geometry, out double kind, out double mu0, out double mu1, out double sd0, out double slope, out double sdc,
                    out double invNorm, out double lost, out double first, out double last);
                int o = c * K.Stride;
                table[o + K.Kind] = kind;
                table[o + K.Mean0] = mu0;
                table[o + K.Mean1] = mu1;
                table[o + K.Sd0] = sd0;
                table[o + K.Slope] = slope;
                table[o + K.SdCond] = sdc;
                table[o + K.InvNorm] = invNorm;
                table[o + K.Lost] = lost;
                table[o + K.First] = first;
                table[o + K.Last] = last;
            });
            return true;
        }
    }
}

/// <summary>
/// A master-equation stepper on an ILGPU accelerator: the density, the lost mass and the displacement stay on the device
/// for all the steps of one <see cref="Advance"/> (one copy each way per call); kernels come from the device's cache.
/// Per step, from the density before it: the block sums of the lost mass (<see cref="LostWeights"/>, when walls absorb)
/// and of each drift component (a gradient table), then the gather (<see cref="LoadStep"/>) into the other buffer.
/// </summary>
internal abstract class DeviceMasterStepperBase : IMasterEquationStepper
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> a;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> b;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> sums;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> totals;
    private readonly int blocks;
    private MemoryBuffer1D<double, Stride1D.Dense>? gradientBuffer;
    private double[]? uploadedGradient;

    protected DeviceMasterStepperBase(ComputeDevice device, MasterGrid geometry)
    {
        Device = device;
        Accelerator = device.Accelerator!;
        Geometry = geometry;
        Count = (int)geometry.Count;
        blocks = (Count + K.SumBlock - 1) / K.SumBlock;
        a = Accelerator.Allocate1D<double>(Count);
        b = Accelerator.Allocate1D<double>(Count);
        sums = Accelerator.Allocate1D<double>(blocks);
        totals = Accelerator.Allocate1D<double>(3);
    }

    protected ComputeDevice Device { get; }

    protected Accelerator Accelerator { get; }

    protected MasterGrid Geometry { get; }

    /// <summary>Cells of the grid.</summary>
    protected int Count { get; }

    /// <summary>The lost fraction ℓ per source as a strided view (ℓ of cell c at <c>c·Stride + Offset</c>); null when nothing is lost.</summary>
    protected abstract (ArrayView<double> Weights, int Stride, int Offset)? LostWeights { get; }

    public void Advance(GridDensity density, int steps, double[]? gradient, double[]? displacement)
    {
        Action<ArrayView<double>, ArrayView<double>> step = LoadStep();
        var blockSums = Device.Load(GridKernels.BlockSums);
        var addTotal = Device.Load(GridKernels.AddBlockTotal);
        int d = Geometry.Dimension;
        if (gradient is not null && !ReferenceEquals(gradient, uploadedGradient))
        {
            gradientBuffer?.Dispose();
            gradientBuffer = Accelerator.Allocate1D(gradient);
            uploadedGradient = gradient;
        }

        a.CopyFromCPU(density.Mass);
        totals.CopyFromCPU([density.LostMass, displacement?[0] ?? 0, d == 2 ? displacement?[1] ?? 0 : 0]);
        var current = a;
        var other = b;
        var lost = LostWeights;
        for (int s = 0; s < steps; s++)
        {
            if (lost is { } l)
            {
                blockSums(blocks, Count, l.Weights, l.Stride, l.Offset, current.View, sums.View);
                addTotal(1, blocks, 1.0, sums.View, totals.View, 0);
            }

            if (gradient is not null)
            {
                for (int axis = 0; axis < d; axis++)
                {
                    blockSums(blocks, Count, gradientBuffer!.View, d, axis, current.View, sums.View);
                    addTotal(1, blocks, -Geometry.Eta, sums.View, totals.View, 1 + axis);
                }
            }

            step(current.View, other.View);
            (current, other) = (other, current);
        }

        Accelerator.Synchronize();
        current.CopyToCPU(density.Mass);
        var result = new double[3];
        totals.CopyToCPU(result);
        density.LostMass = result[0];
        if (displacement is not null)
        {
            for (int axis = 0; axis < displacement.Length; axis++)
            {
                displacement[axis] = result[1 + axis];
            }
        }
    }

    public void Dispose()
    {
        DisposeTables();
        a.Dispose();
        b.Dispose();
        sums.Dispose();
        totals.Dispose();
        gradientBuffer?.Dispose();
    }

    /// <summary>The gather of one step from the first view into the second, its kernel loaded once per <see cref="Advance"/>.</summary>
    protected abstract Action<ArrayView<double>, ArrayView<double>> LoadStep();

    /// <summary>Frees the tables the step reads.</summary>
    protected abstract void DisposeTables();
}

/// <summary>The general gather (<see cref="MasterEquationKernels.Step"/>) on an ILGPU accelerator, from the source table.</summary>
internal sealed class DeviceMasterStepper : DeviceMasterStepperBase
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> table;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ranges;

    public DeviceMasterStepper(ComputeDevice device, MasterGrid geometry, double[] table, int[] ranges)
        : base(device, geometry)
    {
        this.table = Accelerator.Allocate1D(table);
        this.ranges = Accelerator.Allocate1D(ranges);
    }

    protected override (ArrayView<double> Weights, int Stride, int Offset)? LostWeights =>
        Geometry.Walls == GridWalls.Absorbing ? (table.View, K.Stride, K.Lost) : null;

    /// <summary>The prepare kernel, specialised for the landscape struct, on the device; the table copied back.</summary>
    public static double[] Prepare(ComputeDevice device, GridLandscape landscape, MasterGrid geometry)
    {
        var table = new double[geometry.Count * K.Stride];
        landscape.Accept(new PrepareVisitor(device, geometry, table));
        return table;
    }

    protected override Action<ArrayView<double>, ArrayView<double>> LoadStep()
    {
        var step = Device.Load(GridKernels.MasterStep);
        return (current, next) => step(Count, Geometry, table.View, ranges.View, current, next);
    }

    protected override void DisposeTables()
    {
        table.Dispose();
        ranges.Dispose();
    }

    private sealed class PrepareVisitor(ComputeDevice device, MasterGrid geometry, double[] table) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            var prepare = device.Load(GridKernels.Prepare<TField>());
            Accelerator accelerator = device.Accelerator!;
            using var buffer = accelerator.Allocate1D<double>(table.Length);
            prepare((int)geometry.Count, field, geometry, buffer.View);
            accelerator.Synchronize();
            buffer.CopyToCPU(table);
            return true;
        }
    }
}
