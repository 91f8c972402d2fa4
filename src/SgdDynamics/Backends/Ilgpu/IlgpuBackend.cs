using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;

namespace SgdDynamics.Backends.Ilgpu;

/// <summary>
/// The ensemble kernels of one (lane, landscape, update rule) specialisation, written once: the backend loads these
/// delegates on its device and <see cref="IlgpuBackend.KernelMethods{TLane}"/> lists their methods for the compilation
/// tests, so the two cannot drift apart.
/// </summary>
internal static class EnsembleKernelSet<TLane, TL, TD>
    where TLane : struct, IScalarLane<TLane>
    where TL : struct, ILandscape
    where TD : struct, IDynamics
{
    public static readonly Action<Index1D, GaussianStart<DeviceParameters>, TD, EnsembleBuffers, float> Start = EnsembleKernels.Start<TLane, TD>;

    public static readonly Action<Index1D, TL, TD, EnsembleBuffers, uint, uint, float> Advance = EnsembleKernels.Advance<TLane, TL, TD>;
}

/// <summary>The reduction kernels, the same for every specialisation.</summary>
internal static class ReductionKernels
{
    public static readonly Action<Index1D, ArrayView<float>, long, ArrayView<int>, long, ArrayView<double>> TileSums = EnsembleKernels.TileSums;

    public static readonly Action<Index1D, ArrayView<float>, long, ArrayView<int>> TileCounts = EnsembleKernels.TileCounts;
}

/// <summary>
/// ILGPU backends: <c>cuda</c>, <c>opencl</c> and <c>ilgpu-cpu</c> (ILGPU's CPU accelerator, which runs the
/// very kernels the GPU runs and is how the tests exercise them). One thread per trajectory; all steps
/// between two records in one launch; tile sums reduced on the device in the canonical order and added
/// exactly on the host (docs/architecture.md, "Devices and kernels"). Kernels are loaded once per
/// <see cref="ComputeDevice"/>.
/// </summary>
public sealed class IlgpuBackend : IEnsembleBackend
{
    /// <summary>Largest number of trajectory slots held on the device at once (the ensemble runs in chunks).</summary>
    public const long DefaultChunkSlots = 1L << 22;

    private readonly ComputeDevice device;
    private readonly bool ownsDevice;
    private readonly Accelerator accelerator;
    private readonly long chunkSlots;

    /// <summary>The ILGPU backend on <paramref name="device"/> (an ILGPU device; the caller keeps ownership).</summary>
    public IlgpuBackend(ComputeDevice device, long chunkSlots = DefaultChunkSlots)
        : this(device, chunkSlots, ownsDevice: false)
    {
    }

    private IlgpuBackend(ComputeDevice device, long chunkSlots, bool ownsDevice)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (chunkSlots < TileLayout.TileSize || chunkSlots % TileLayout.TileSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSlots), $"chunk must be a positive multiple of {TileLayout.TileSize} slots");
        }

        this.device = device;
        this.ownsDevice = ownsDevice;
        accelerator = device.RequireAccelerator();
        this.chunkSlots = chunkSlots;
    }

    /// <inheritdoc/>
    public string Name => device.Name;

    /// <inheritdoc/>
    public ComputeDevice ComputeDevice => device;

    /// <inheritdoc/>
    public string Device => device.Description;

    /// <inheritdoc/>
    /// <remarks>
    /// A GPU: 2^20 trajectories (a few per core of the largest GPUs) or the chunk if smaller; the CPU accelerator: four
    /// tiles per core.
    /// </remarks>
    public long MinimumSegment => accelerator.AcceleratorType == AcceleratorType.CPU
        ? 4L * Environment.ProcessorCount * TileLayout.TileSize
        : Math.Min(chunkSlots, 1L << 20);

    /// <summary>True when the kernels run on <see cref="FloatLane"/> (fused multiply-add, the CPU accelerator), false for <see cref="DeviceFloatLane"/>.</summary>
    public static bool UsesFusedLane(AcceleratorType type) => type == AcceleratorType.CPU;

    /// <summary>
    /// Every kernel specialisation the backend may launch for lane <typeparamref name="TLane"/> (also compiled to PTX by
    /// the tests): the reductions, then start and advance for every registered (landscape, update rule) pair, derived
    /// from <see cref="ModelRegistry"/>.
    /// </summary>
    public static IReadOnlyList<MethodInfo> KernelMethods<TLane>() where TLane : struct, IScalarLane<TLane>
    {
        var methods = new List<MethodInfo> { ReductionKernels.TileSums.Method, ReductionKernels.TileCounts.Method };
        foreach (MethodInfo[] pair in ModelRegistry.EveryPair(new NoParameters(), new MethodList<TLane>()))
        {
            methods.AddRange(pair.Where(m => !methods.Contains(m)));
        }

        return methods;
    }

    /// <summary>The <c>Advance</c> kernel of one (lane, landscape, update rule) specialisation.</summary>
    public static MethodInfo AdvanceMethod<TLane>(LandscapeSpec landscape, DynamicsSpec dynamics) where TLane : struct, IScalarLane<TLane> =>
        ModelRegistry.Bind(landscape, dynamics, new NoParameters(), new MethodList<TLane>())[1];

    /// <summary>
    /// Opens backend <paramref name="name"/> (<c>ilgpu-cpu</c>, <c>cuda</c> or <c>opencl</c>) on a device of its own, or
    /// throws <see cref="BackendUnavailableException"/> when this machine has no such device.
    /// </summary>
    public static IlgpuBackend Open(string name, long chunkSlots = DefaultChunkSlots)
    {
        if (name is not ("ilgpu-cpu" or "cuda" or "opencl"))
        {
            throw new ArgumentException($"unknown ILGPU backend '{name}'", nameof(name));
        }

        ComputeDevice device = ComputeDevice.Open(name);
        try
        {
            return new IlgpuBackend(device, chunkSlots, ownsDevice: true);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Run(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (UsesFusedLane(accelerator.AcceleratorType))
        {
            RunWith<FloatLane>(model, range, statistics, progress, cancellationToken, finalStates);
        }
        else
        {
            RunWith<DeviceFloatLane>(model, range, statistics, progress, cancellationToken, finalStates);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (ownsDevice)
        {
            device.Dispose();
        }
    }

    private void RunWith<TLane>(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates)
        where TLane : struct, IScalarLane<TLane>
    {
        using var parameters = new DeviceParameterStore(accelerator);
        var run = new ChunkRun<TLane>(this, model, model.Start(parameters), range, statistics, progress, cancellationToken, finalStates);
        model.Bind(parameters, run);
    }

    /// <summary>Parameter arrays in device memory, freed when the run ends.</summary>
    private sealed class DeviceParameterStore(Accelerator accelerator) : IParameterStore<DeviceParameters>, IDisposable
    {
        private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> buffers = [];

        public DeviceParameters Store(float[] values)
        {
            var buffer = accelerator.Allocate1D(values.Length == 0 ? [0f] : values);
            buffers.Add(buffer);
            return new DeviceParameters(buffer.View);
        }

        public void Dispose()
        {
            foreach (var buffer in buffers)
            {
                buffer.Dispose();
            }
        }
    }

    /// <summary>Default device views: builds kernel structs for their static types only (nothing is launched with them).</summary>
    private sealed class NoParameters : IParameterStore<DeviceParameters>
    {
        public DeviceParameters Store(float[] values) => default;
    }

    private sealed class MethodList<TLane> : IEnsembleKernelVisitor<MethodInfo[]> where TLane : struct, IScalarLane<TLane>
    {
        public MethodInfo[] Visit<TL, TD>(in TL landscape, in TD dynamics)
            where TL : struct, ILandscape
            where TD : struct, IDynamics =>
            [EnsembleKernelSet<TLane, TL, TD>.Start.Method, EnsembleKernelSet<TLane, TL, TD>.Advance.Method];
    }

    /// <summary>One run in chunks of at most <see cref="chunkSlots"/> slots, specialised by <see cref="Visit{TL, TD}"/>.</summary>
    private sealed class ChunkRun<TLane>(
        IlgpuBackend backend,
        EnsembleModel model,
        GaussianStart<DeviceParameters> initial,
        TrajectoryRange range,
        EnsembleStatistics statistics,
        Action<long>? progress,
        CancellationToken cancellationToken,
        float[]? finalStates) : IEnsembleKernelVisitor<bool>
        where TLane : struct, IScalarLane<TLane>
    {
        public bool Visit<TL, TD>(in TL landscape, in TD dynamics)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            ComputeDevice device = backend.device;
            Accelerator accelerator = backend.accelerator;
            var start = device.Load(EnsembleKernelSet<TLane, TL, TD>.Start);
            var advance = device.Load(EnsembleKernelSet<TLane, TL, TD>.Advance);
            var tileSums = device.Load(ReductionKernels.TileSums);
            var tileCounts = device.Load(ReductionKernels.TileCounts);

            int d = model.Dimension;
            long padded = (range.Count + TileLayout.TileSize - 1) / TileLayout.TileSize * TileLayout.TileSize;
            long slots = Math.Min(padded, backend.chunkSlots);
            long tiles = slots / TileLayout.TileSize;
            // the full covariance above 64 coordinates is summed on the host (model.HostStateSums): the device computes the counts only
            bool stateOnHost = model.HostStateSums;
            int[] codes = stateOnHost ? [TileLayout.Encode(TileLayout.Sum, 0, 0)] : TileLayout.Statistics(d, model.Plan);
            int auxiliaryRows = dynamics.AuxiliaryVectors * d;

            using var statisticCodes = accelerator.Allocate1D(codes);
            using var x = accelerator.Allocate1D<float>(d * slots);
            using var auxiliary = accelerator.Allocate1D<float>(Math.Max(1, auxiliaryRows * slots));
            using var g = accelerator.Allocate1D<float>((d + landscape.ScratchCoordinates) * slots);
            using var sums = accelerator.Allocate1D<double>(tiles * codes.Length);
            using var counts = accelerator.Allocate1D<int>(2 * tiles);
            var hostSums = new double[tiles * codes.Length];
            var hostCounts = new int[2 * tiles];
            int[] steps = model.RecordSteps;
            ProjectionSpec? projection = model.Projection;
            bool statesToHost = projection is not null || stateOnHost;
            float[] hostStates = statesToHost ? new float[d * slots] : [];
            double[] tileStates = statesToHost ? new double[TileMoments.ScratchLength(d)] : [];
            var included = new bool[TileLayout.TileSize];
            double[] projected = projection is null ? [] : new double[projection.ScratchLength];
            double[] centred = projection is null ? [] : new double[d * TileLayout.TileSize];
            double[] projectionSums = projection is null ? [] : new double[projection.StatisticCount];
            double[] stateSums = stateOnHost ? new double[model.StatisticCount] : [];

            for (long offset = 0; offset < range.Count; offset += slots)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long valid = Math.Min(slots, range.Count - offset);
                long chunkTiles = (valid + TileLayout.TileSize - 1) / TileLayout.TileSize;
                long launch = chunkTiles * TileLayout.TileSize;
                var buffers = new EnsembleBuffers(x.View, auxiliary.View, g.View, slots, (uint)(range.First + offset), model.Seed);

                start((int)launch, initial, dynamics, buffers, model.DivergenceBound);
                Reduce(0);
                for (int r = 1; r < steps.Length; r++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    advance((int)launch, landscape, dynamics, buffers, (uint)steps[r - 1], (uint)(steps[r] - steps[r - 1]), model.DivergenceBound);
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
                    if (!stateOnHost)
                    {
                        tileSums((int)(chunkTiles * codes.Length), x.View, slots, statisticCodes.View, valid, sums.View);
                    }

                    accelerator.Synchronize();
                    ((ArrayView<int>)counts.View).SubView(0, 2 * chunkTiles).CopyToCPU(hostCounts.AsSpan(0, (int)(2 * chunkTiles)));
                    if (!stateOnHost)
                    {
                        ((ArrayView<double>)sums.View).SubView(0, chunkTiles * codes.Length).CopyToCPU(hostSums.AsSpan(0, (int)(chunkTiles * codes.Length)));
                        for (long t = 0; t < chunkTiles; t++)
                        {
                            statistics.Deposit(record, hostCounts[2 * t], hostCounts[2 * t + 1], hostSums.AsSpan((int)(t * codes.Length), codes.Length));
                        }
                    }

                    if (statesToHost)
                    {
                        // the projections (and the full covariance above 64 coordinates) are computed on the host from the
                        // float states, by the same code as the managed backend's
                        ((ArrayView<float>)x.View).CopyToCPU(hostStates.AsSpan());
                        for (long t = 0; t < chunkTiles; t++)
                        {
                            for (int slot = 0; slot < TileLayout.TileSize; slot++)
                            {
                                long s = t * TileLayout.TileSize + slot;
                                included[slot] = s < valid && !float.IsNaN(hostStates[s]);
                                for (int i = 0; i < d; i++)
                                {
                                    tileStates[i * TileLayout.TileSize + slot] = included[slot] ? hostStates[i * slots + s] : 0.0;
                                }
                            }

                            if (stateOnHost)
                            {
                                TileMoments.Sums(tileStates, d, model.Plan, stateSums);
                                statistics.Deposit(record, hostCounts[2 * t], hostCounts[2 * t + 1], stateSums);
                            }

                            if (projection is not null)
                            {
                                projection.TileSums(tileStates, included, centred, projected, projectionSums);
                                statistics.DepositProjections(record, hostCounts[2 * t], hostCounts[2 * t + 1], projectionSums);
                            }
                        }
                    }
                }
            }

            return true;
        }
    }
}
