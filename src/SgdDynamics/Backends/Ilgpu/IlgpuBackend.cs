using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Backends.Ilgpu;

/// <summary>
/// ILGPU backends: <c>cuda</c>, <c>opencl</c> and <c>ilgpu-cpu</c> (ILGPU's CPU accelerator, which runs the
/// very kernels the GPU runs and is how the tests exercise them). One thread per trajectory; all steps
/// between two records in one launch; tile sums reduced on the device in the canonical order and added
/// exactly on the host. Kernel loading and launch configuration live here (DESIGN principle 7).
/// </summary>
public sealed class IlgpuBackend : IEnsembleBackend
{
    /// <summary>Largest number of trajectory slots held on the device at once (the ensemble runs in chunks).</summary>
    public const long DefaultChunkSlots = 1L << 22;

    private readonly Context context;
    private readonly Accelerator accelerator;
    private readonly long chunkSlots;

    private IlgpuBackend(string name, Context context, Accelerator accelerator, long chunkSlots)
    {
        Name = name;
        this.context = context;
        this.accelerator = accelerator;
        this.chunkSlots = chunkSlots;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Device => accelerator.AcceleratorType == AcceleratorType.CPU
        ? $"ILGPU CPU accelerator ({accelerator.MaxNumThreads} threads) on {HostInfo.ProcessorName}"
        : $"{accelerator.Name} ({accelerator.AcceleratorType}, {accelerator.MemorySize / (1L << 20)} MiB)";

    /// <summary>The lane type the kernels are specialised for on <paramref name="type"/> (fused FMA on CPU).</summary>
    public static Type LaneFor(AcceleratorType type) => type == AcceleratorType.CPU ? typeof(FloatLane) : typeof(DeviceFloatLane);

    /// <summary>Every kernel specialisation the backend launches for a lane type (also compiled to PTX by the tests).</summary>
    public static IReadOnlyList<MethodInfo> KernelMethods(Type lane) =>
    [
        Kernel(nameof(EnsembleKernels.Start), lane),
        Kernel(nameof(EnsembleKernels.Advance), lane, typeof(QuadraticLandscape<DeviceParameters>)),
        Kernel(nameof(EnsembleKernels.TileSums)),
        Kernel(nameof(EnsembleKernels.TileCounts)),
        Kernel(nameof(EnsembleKernels.Advance), lane, typeof(DoubleWellLandscape)),
        Kernel(nameof(EnsembleKernels.Advance), lane, typeof(RingValleyLandscape)),
    ];

    /// <summary>
    /// Opens backend <paramref name="name"/> (<c>ilgpu-cpu</c>, <c>cuda</c> or <c>opencl</c>), or throws
    /// <see cref="BackendUnavailableException"/> when this machine has no such device.
    /// </summary>
    public static IlgpuBackend Open(string name, long chunkSlots = DefaultChunkSlots)
    {
        if (chunkSlots < TileLayout.TileSize || chunkSlots % TileLayout.TileSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSlots), $"chunk must be a positive multiple of {TileLayout.TileSize} slots");
        }

        Accelerator accelerator = OpenAccelerator(name, out Context context);
        return new IlgpuBackend(name, context, accelerator, chunkSlots);
    }

    /// <summary>
    /// A fresh ILGPU context and accelerator for <paramref name="name"/> (<c>ilgpu-cpu</c>, <c>cuda</c> or
    /// <c>opencl</c>); the caller disposes both. Throws <see cref="BackendUnavailableException"/> when this machine
    /// has no such device. Grid solvers open their accelerators here too.
    /// </summary>
    public static Accelerator OpenAccelerator(string name, out Context context)
    {
        context = name switch
        {
            "ilgpu-cpu" => Context.Create(b => b.CPU().Math(MathMode.Default)),
            "cuda" => Context.Create(b => b.Cuda().Math(MathMode.Default)),
            "opencl" => Context.Create(b => b.OpenCL().Math(MathMode.Default)),
            _ => throw new ArgumentException($"unknown ILGPU backend '{name}'", nameof(name)),
        };
        try
        {
            return name switch
            {
                "ilgpu-cpu" => context.CreateCPUAccelerator(0),
                "cuda" when context.GetCudaDevices().Count > 0 => context.CreateCudaAccelerator(0),
                "opencl" when context.GetCLDevices().Count > 0 => context.CreateCLAccelerator(0),
                _ => throw new BackendUnavailableException(name, $"no {(name == "cuda" ? "CUDA" : "OpenCL")} device found"),
            };
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Number of devices ILGPU sees for <paramref name="name"/> (<c>cuda</c> or <c>opencl</c>; 0 where there is no driver).</summary>
    public static int CountDevices(string name)
    {
        try
        {
            using Context context = name == "cuda" ? Context.Create(b => b.Cuda()) : Context.Create(b => b.OpenCL());
            return name == "cuda" ? context.GetCudaDevices().Count : context.GetCLDevices().Count;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return 0;
        }
    }

    /// <inheritdoc/>
    public void Run(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates = null)
    {
        Type lane = LaneFor(accelerator.AcceleratorType);
        MethodInfo run = typeof(IlgpuBackend).GetMethod(nameof(RunWith), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(lane);
        try
        {
            run.Invoke(this, [model, range, statistics, progress, cancellationToken, finalStates]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        accelerator.Dispose();
        context.Dispose();
    }

    private static MethodInfo Kernel(string name, params Type[] arguments)
    {
        MethodInfo method = typeof(EnsembleKernels).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
        return arguments.Length == 0 ? method : method.MakeGenericMethod(arguments);
    }

    private void RunWith<TLane>(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates)
        where TLane : struct, IScalarLane<TLane>
    {
        if (model.LandscapeKind == EnsembleLandscapeKind.Quadratic)
        {
            using var hessian = Upload(model.Hessian);
            using var linear = Upload(model.LinearTerm);
            using var noise = Upload(model.NoiseFactor);
            using var curvature = Upload(model.CurvatureStd);
            var quadratic = new QuadraticLandscape<DeviceParameters>(
                model.Dimension, model.DiagonalHessian, new(hessian.View), model.HasLinearTerm, new(linear.View),
                model.NoiseShape, new(noise.View), model.HasCurvatureNoise, new(curvature.View));
            RunLandscape<TLane, QuadraticLandscape<DeviceParameters>>(quadratic, model, range, statistics, progress, cancellationToken, finalStates);
        }
        else if (model.LandscapeKind == EnsembleLandscapeKind.DoubleWell)
        {
            RunLandscape<TLane, DoubleWellLandscape>(model.DoubleWell, model, range, statistics, progress, cancellationToken, finalStates);
        }
        else
        {
            RunLandscape<TLane, RingValleyLandscape>(model.RingValley, model, range, statistics, progress, cancellationToken, finalStates);
        }
    }

    private void RunLandscape<TLane, TLandscape>(
        TLandscape landscape, EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates)
        where TLane : struct, IScalarLane<TLane>
        where TLandscape : struct, ILandscape
    {
        IReadOnlyList<MethodInfo> methods = KernelMethods(typeof(TLane));
        var start = accelerator.LoadAutoGroupedStreamKernel(
            methods[0].CreateDelegate<Action<Index1D, GaussianStart<DeviceParameters>, int, EnsembleBuffers, float>>());
        var advance = accelerator.LoadAutoGroupedStreamKernel(
            Kernel(nameof(EnsembleKernels.Advance), typeof(TLane), typeof(TLandscape))
                .CreateDelegate<Action<Index1D, TLandscape, OptimizerParameters, EnsembleBuffers, uint, uint, float>>());
        var tileSums = accelerator.LoadAutoGroupedStreamKernel(
            methods[2].CreateDelegate<Action<Index1D, ArrayView<float>, long, ArrayView<int>, long, ArrayView<double>>>());
        var tileCounts = accelerator.LoadAutoGroupedStreamKernel(
            methods[3].CreateDelegate<Action<Index1D, ArrayView<float>, long, ArrayView<int>>>());

        int d = model.Dimension;
        long padded = (range.Count + TileLayout.TileSize - 1) / TileLayout.TileSize * TileLayout.TileSize;
        long slots = Math.Min(padded, chunkSlots);
        long tiles = slots / TileLayout.TileSize;
        int[] codes = TileLayout.Statistics(d);

        using var mean = Upload(model.InitialMean);
        using var factor = Upload(model.InitialFactor);
        using var statisticCodes = accelerator.Allocate1D(codes);
        using var x = accelerator.Allocate1D<float>(d * slots);
        using var v = accelerator.Allocate1D<float>(model.Optimizer.UsesMomentum ? d * slots : 1);
        using var g = accelerator.Allocate1D<float>(d * slots);
        using var sums = accelerator.Allocate1D<double>(tiles * codes.Length);
        using var counts = accelerator.Allocate1D<int>(2 * tiles);
        var hostSums = new double[tiles * codes.Length];
        var hostCounts = new int[2 * tiles];

        var initial = new GaussianStart<DeviceParameters>(d, model.InitialShape, new(mean.View), new(factor.View));
        int[] steps = model.RecordSteps;

        for (long offset = 0; offset < range.Count; offset += slots)
        {
            long valid = Math.Min(slots, range.Count - offset);
            long chunkTiles = (valid + TileLayout.TileSize - 1) / TileLayout.TileSize;
            long launch = chunkTiles * TileLayout.TileSize;
            var buffers = new EnsembleBuffers(x.View, v.View, g.View, slots, (uint)(range.First + offset), model.Seed);

            start((int)launch, initial, model.Optimizer.UsesMomentum ? 1 : 0, buffers, model.DivergenceBound);
            Reduce(0);
            for (int r = 1; r < steps.Length; r++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                advance((int)launch, landscape, model.Optimizer, buffers, (uint)steps[r - 1], (uint)(steps[r] - steps[r - 1]), model.DivergenceBound);
                Reduce(r);
                progress?.Invoke(valid * (steps[r] - steps[r - 1]));
            }

            if (finalStates is not null)
            {
                accelerator.Synchronize();
                float[] rows = x.GetAsArray1D();
                for (long t = 0; t < valid; t++)
                {
                    for (int i = 0; i < d; i++)
                    {
                        finalStates[(offset + t) * d + i] = rows[i * slots + t];
                    }
                }
            }

            void Reduce(int record)
            {
                tileCounts((int)chunkTiles, x.View, valid, counts.View);
                tileSums((int)(chunkTiles * codes.Length), x.View, slots, statisticCodes.View, valid, sums.View);
                accelerator.Synchronize();
                ((ArrayView<int>)counts.View).SubView(0, 2 * chunkTiles).CopyToCPU(hostCounts.AsSpan(0, (int)(2 * chunkTiles)));
                ((ArrayView<double>)sums.View).SubView(0, chunkTiles * codes.Length).CopyToCPU(hostSums.AsSpan(0, (int)(chunkTiles * codes.Length)));
                for (long t = 0; t < chunkTiles; t++)
                {
                    statistics.Deposit(record, hostCounts[2 * t], hostCounts[2 * t + 1], hostSums.AsSpan((int)(t * codes.Length), codes.Length));
                }
            }
        }
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values) => accelerator.Allocate1D(values.Length == 0 ? [0f] : values);
}
