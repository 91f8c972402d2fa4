using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using SgdDynamics.Kernels.Landscapes;
using F = SgdDynamics.Kernels.Grids.FokkerPlanckKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The Fokker–Planck flux operator <c>m ↦ A m</c> on a <see cref="GridDevice"/> (<see cref="FokkerPlanckKernels"/>):
/// face rates computed once by the kernel specialised for the landscape struct, then one gather per cell for the
/// operator and for explicit Euler steps. Managed: Parallel.For over fixed blocks of cells calling the kernel's
/// per-cell code; ILGPU: one thread per cell, the density resident on the device across steps.
/// </summary>
internal sealed class FokkerPlanckOperator : IDisposable
{
    private const int CellBlock = 1024;

    private readonly FokkerPlanckGrid grid;
    private readonly GridDevice device;
    private readonly int count;
    private readonly double[] forward;
    private readonly double[] backward;
    private readonly double[] mixed;
    private readonly double[] scratch;
    private readonly Gpu? gpu;

    public FokkerPlanckOperator(UniformGrid uniform, GridLandscape landscape, double eta, FokkerPlanckVariant variant, GridDevice device)
    {
        int d = uniform.Dimension;
        grid = new FokkerPlanckGrid(
            d, uniform.Cells[0], d == 2 ? uniform.Cells[1] : 1, variant == FokkerPlanckVariant.Discrete ? 1 : 0,
            uniform.Lower[0], d == 2 ? uniform.Lower[1] : 0, uniform.Spacing[0], d == 2 ? uniform.Spacing[1] : 1, eta);
        this.device = device;
        count = uniform.Count;
        long faces = grid.Faces;
        forward = new double[Math.Max(1, faces)];
        backward = new double[Math.Max(1, faces)];
        mixed = new double[d == 2 ? count : 1];
        scratch = new double[count];
        if (device.Accelerator is null)
        {
            landscape.Accept(new ManagedRates(this));
        }
        else
        {
            gpu = new Gpu(device.Accelerator, forward.Length, mixed.Length, count);
            landscape.Accept(new DeviceRates(this));
        }
    }

    /// <summary>rate = A mass.</summary>
    public void Apply(ReadOnlySpan<double> mass, Span<double> rate)
    {
        if (gpu is not null)
        {
            mass.CopyTo(scratch);
            gpu.A.CopyFromCPU(scratch);
            gpu.Apply(count, grid, gpu.Forward.View, gpu.Backward.View, gpu.Mixed.View, gpu.A.View, gpu.B.View);
            gpu.Accelerator.Synchronize();
            gpu.B.CopyToCPU(scratch);
            scratch.AsSpan(0, count).CopyTo(rate);
            return;
        }

        double[] input = mass.ToArray();
        ManagedCells(input, scratch, double.NaN);
        scratch.AsSpan(0, count).CopyTo(rate);
    }

    /// <summary><paramref name="steps"/> explicit Euler steps <c>m ← m + Δt A m</c> in place.</summary>
    public void Explicit(double[] mass, double dt, int steps)
    {
        if (gpu is not null)
        {
            gpu.A.CopyFromCPU(mass);
            var current = gpu.A;
            var other = gpu.B;
            for (int s = 0; s < steps; s++)
            {
                gpu.Step(count, grid, dt, gpu.Forward.View, gpu.Backward.View, gpu.Mixed.View, current.View, other.View);
                (current, other) = (other, current);
            }

            gpu.Accelerator.Synchronize();
            current.CopyToCPU(mass);
            return;
        }

        for (int s = 0; s < steps; s++)
        {
            ManagedCells(mass, scratch, dt);
            Array.Copy(scratch, mass, count);
        }
    }

    public void Dispose() => gpu?.Dispose();

    /// <summary>output = A input (dt NaN) or input + dt A input.</summary>
    private void ManagedCells(double[] input, double[] output, double dt)
    {
        var f = new ArrayDoubles(forward);
        var b = new ArrayDoubles(backward);
        var x = new ArrayDoubles(mixed);
        var m = new ArrayDoubles(input);
        FokkerPlanckGrid g = grid;
        int n = count;
        int blocks = (n + CellBlock - 1) / CellBlock;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = device.Threads }, k =>
        {
            int end = Math.Min(n, (k + 1) * CellBlock);
            for (int c = k * CellBlock; c < end; c++)
            {
                double rate = F.Rate(c, g, f, b, x, m);
                output[c] = double.IsNaN(dt) ? rate : input[c] + dt * rate;
            }
        });
    }

    private sealed class ManagedRates(FokkerPlanckOperator op) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            FokkerPlanckGrid g = op.grid;
            Parallel.For(0L, Math.Max(g.Faces, g.Dimension == 2 ? op.count : 0), new ParallelOptions { MaxDegreeOfParallelism = op.device.Threads }, f =>
            {
                if (g.Dimension == 2 && f < op.count)
                {
                    op.mixed[f] = F.MixedCoefficient(f, field, g);
                }

                if (f < g.Faces)
                {
                    F.FaceRateValues(f, field, g, out op.forward[f], out op.backward[f]);
                }
            });
            return true;
        }
    }

    private sealed class DeviceRates(FokkerPlanckOperator op) : IGridFieldVisitor<bool>
    {
        public bool Visit<TField>(TField field) where TField : struct, IGridField
        {
            Gpu gpu = op.gpu!;
            var rates = gpu.Accelerator.LoadAutoGroupedStreamKernel<Index1D, TField, FokkerPlanckGrid, ArrayView<double>, ArrayView<double>, ArrayView<double>>(F.FaceRates);
            long threads = Math.Max(op.grid.Faces, op.grid.Dimension == 2 ? op.count : 0);
            rates((int)threads, field, op.grid, gpu.Forward.View, gpu.Backward.View, gpu.Mixed.View);
            gpu.Accelerator.Synchronize();
            gpu.Forward.CopyToCPU(op.forward);
            gpu.Backward.CopyToCPU(op.backward);
            gpu.Mixed.CopyToCPU(op.mixed);
            return true;
        }
    }

    private sealed class Gpu : IDisposable
    {
        public Gpu(Accelerator accelerator, int faces, int mixed, int count)
        {
            Accelerator = accelerator;
            Forward = accelerator.Allocate1D<double>(faces);
            Backward = accelerator.Allocate1D<double>(faces);
            Mixed = accelerator.Allocate1D<double>(mixed);
            A = accelerator.Allocate1D<double>(count);
            B = accelerator.Allocate1D<double>(count);
            Apply = accelerator.LoadAutoGroupedStreamKernel<Index1D, FokkerPlanckGrid, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(F.Apply);
            Step = accelerator.LoadAutoGroupedStreamKernel<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(F.ExplicitStep);
        }

        public Accelerator Accelerator { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> Forward { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> Backward { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> Mixed { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> A { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> B { get; }

        public Action<Index1D, FokkerPlanckGrid, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> Apply { get; }

        public Action<Index1D, FokkerPlanckGrid, double, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> Step { get; }

        public void Dispose()
        {
            Forward.Dispose();
            Backward.Dispose();
            Mixed.Dispose();
            A.Dispose();
            B.Dispose();
        }
    }
}
