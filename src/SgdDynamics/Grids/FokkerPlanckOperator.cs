using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Grids;
using F = SgdDynamics.Kernels.Grids.FokkerPlanckKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// The Fokker–Planck flux operator <c>m ↦ A m</c> on a <see cref="ComputeDevice"/> (<see cref="FokkerPlanckKernels"/>),
/// on the face rates the host computed (<see cref="FokkerPlanckRates"/>, the generator's own numbers): one gather per
/// cell for the operator and for explicit Euler steps. Managed: Parallel.For over fixed blocks of cells calling the
/// kernel's per-cell code; ILGPU: the rates uploaded once, one thread per cell, the density resident on the device
/// across the steps of one call. Built by the solver only when first used.
/// </summary>
internal sealed class FokkerPlanckOperator : IDisposable
{
    private const int CellBlock = 1024;

    private readonly FokkerPlanckRates rates;
    private readonly ComputeDevice device;
    private readonly int count;
    private readonly double[] scratch;
    private readonly Gpu? gpu;

    public FokkerPlanckOperator(FokkerPlanckRates rates, int count, ComputeDevice device)
    {
        this.rates = rates;
        this.device = device;
        this.count = count;
        scratch = new double[count];
        if (device.Accelerator is { } accelerator)
        {
            gpu = new Gpu(accelerator, rates, count);
        }
    }

    /// <summary>rate = A mass.</summary>
    public void Apply(ReadOnlySpan<double> mass, Span<double> rate)
    {
        if (gpu is not null)
        {
            var apply = device.Load(GridKernels.FokkerPlanckApply);
            mass.CopyTo(scratch);
            gpu.A.CopyFromCPU(scratch);
            apply(count, rates.Grid, gpu.Rates.Forward, gpu.Rates.Backward, gpu.Rates.Mixed, gpu.A.View, gpu.B.View);
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
            var step = device.Load(GridKernels.FokkerPlanckExplicit);
            gpu.A.CopyFromCPU(mass);
            var current = gpu.A;
            var other = gpu.B;
            for (int s = 0; s < steps; s++)
            {
                step(count, rates.Grid, dt, gpu.Rates.Forward, gpu.Rates.Backward, gpu.Rates.Mixed, current.View, other.View);
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
        var f = new ArrayDoubles(rates.Forward);
        var b = new ArrayDoubles(rates.Backward);
        var x = new ArrayDoubles(rates.Mixed);
        var m = new ArrayDoubles(input);
        FokkerPlanckGrid g = rates.Grid;
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

    private sealed class Gpu : IDisposable
    {
        public Gpu(Accelerator accelerator, FokkerPlanckRates rates, int count)
        {
            Accelerator = accelerator;
            Rates = new DeviceFaceRates(accelerator, rates);
            A = accelerator.Allocate1D<double>(count);
            B = accelerator.Allocate1D<double>(count);
        }

        public Accelerator Accelerator { get; }

        public DeviceFaceRates Rates { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> A { get; }

        public MemoryBuffer1D<double, Stride1D.Dense> B { get; }

        public void Dispose()
        {
            Rates.Dispose();
            A.Dispose();
            B.Dispose();
        }
    }
}
