using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Statistics;

namespace SgdDynamics.Backends.Managed;

/// <summary>
/// The fast CPU backend: <see cref="Parallel.For(long, long, ParallelOptions, Action{long})"/> over tiles of
/// 256 trajectories, each tile run as blocks of 128 (AVX-512) or 64 SIMD lanes (<see cref="Lane512"/> where the CPU has
/// AVX-512, else <see cref="Lane256"/>) through the shared kernel physics. Bit-identical per trajectory to
/// the ILGPU CPU accelerator.
/// </summary>
public sealed class ManagedBackend : IEnsembleBackend
{
    private readonly ComputeDevice device;
    private readonly bool ownsDevice;
    private readonly int threads;
    private readonly int tilesPerBatch;
    private readonly bool wide;

    /// <summary>
    /// A managed backend with <paramref name="threads"/> workers (0: all cores) handing out
    /// <paramref name="tilesPerBatch"/> tiles at a time; <paramref name="forceVector256"/> uses the
    /// Vector256 lanes even where AVX-512 is present.
    /// </summary>
    public ManagedBackend(int threads = 0, int tilesPerBatch = 4, bool forceVector256 = false)
        : this(ComputeDevice.Managed(threads), tilesPerBatch, forceVector256, ownsDevice: true)
    {
    }

    /// <summary>The managed backend on <paramref name="device"/> (a managed device; the caller keeps ownership).</summary>
    public ManagedBackend(ComputeDevice device, int tilesPerBatch = 4, bool forceVector256 = false)
        : this(device, tilesPerBatch, forceVector256, ownsDevice: false)
    {
    }

    private ManagedBackend(ComputeDevice device, int tilesPerBatch, bool forceVector256, bool ownsDevice)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsManaged)
        {
            throw new ArgumentException($"the managed ensemble backend runs on the managed device, not on '{device.Name}'", nameof(device));
        }

        if (tilesPerBatch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tilesPerBatch), "tiles per batch must be ≥ 1");
        }

        this.device = device;
        this.ownsDevice = ownsDevice;
        threads = device.Threads;
        this.tilesPerBatch = tilesPerBatch;
        wide = Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported && !forceVector256;
    }

    /// <inheritdoc/>
    public string Name => "managed";

    /// <inheritdoc/>
    public ComputeDevice ComputeDevice => device;

    /// <inheritdoc/>
    /// <remarks>Four batches of tiles per worker, so that the last batches of a segment leave few workers idle.</remarks>
    public long MinimumSegment => 4L * threads * tilesPerBatch * TileLayout.TileSize;

    /// <inheritdoc/>
    public string Device => $"{device.Description}, {(wide ? "AVX-512 (Vector512)" : "Vector256")} lanes";

    /// <inheritdoc/>
    public void Run(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates = null)
    {
        if (wide)
        {
            Run<Lane512>(model, range, statistics, progress, cancellationToken, finalStates);
        }
        else
        {
            Run<Lane256>(model, range, statistics, progress, cancellationToken, finalStates);
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

    private void Run<T>(EnsembleModel model, TrajectoryRange range, EnsembleStatistics statistics, Action<long>? progress, CancellationToken cancellationToken, float[]? finalStates)
        where T : unmanaged, IBlockLane<T>
    {
        using var parameters = new PinnedParameters();
        var run = new TileRun<T>(this, model, model.Start(parameters), range, statistics, progress, cancellationToken, finalStates);
        model.Bind(parameters, run);
    }

    /// <summary>Float parameters in pinned memory, shared read-only by the workers; freed when the run ends.</summary>
    private sealed unsafe class PinnedParameters : IParameterStore<HostParameters>, IDisposable
    {
        private readonly List<GCHandle> handles = [];

        public HostParameters Store(float[] values)
        {
            float[] data = values.Length == 0 ? [0f] : values;
            GCHandle handle = GCHandle.Alloc(data, GCHandleType.Pinned);
            handles.Add(handle);
            return new HostParameters((float*)handle.AddrOfPinnedObject());
        }

        public void Dispose()
        {
            foreach (GCHandle handle in handles)
            {
                handle.Free();
            }
        }
    }

    /// <summary>The tile loop of one run, specialised by <see cref="Visit{TL, TD}"/> for the landscape and update rule.</summary>
    private sealed class TileRun<T>(
        ManagedBackend backend,
        EnsembleModel model,
        GaussianStart<HostParameters> start,
        TrajectoryRange range,
        EnsembleStatistics statistics,
        Action<long>? progress,
        CancellationToken cancellationToken,
        float[]? finalStates) : IEnsembleKernelVisitor<bool>
        where T : unmanaged, IBlockLane<T>
    {
        public bool Visit<TL, TD>(in TL landscape, in TD dynamics)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            TL l = landscape;
            TD r = dynamics;
            int tilesPerBatch = backend.tilesPerBatch;
            long tiles = (range.Count + TileLayout.TileSize - 1) / TileLayout.TileSize;
            long batches = (tiles + tilesPerBatch - 1) / tilesPerBatch;
            var options = new ParallelOptions { MaxDegreeOfParallelism = backend.threads, CancellationToken = cancellationToken };
            object gate = new();
            Parallel.For(
                0,
                batches,
                options,
                () => new TileWorker<T>(model, start, r.NormalsPerStep(l), r.UniformsPerStep(l), r.IndicesPerStep(l), l.Sampler, l.ScratchCoordinates, r.AuxiliaryVectors, statistics.CreateEmpty()),
                (batch, _, worker) =>
                {
                    long end = Math.Min(tiles, (batch + 1) * tilesPerBatch);
                    for (long tile = batch * tilesPerBatch; tile < end; tile++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        long first = range.First + tile * TileLayout.TileSize;
                        int valid = (int)Math.Min(TileLayout.TileSize, range.End - first);
                        worker.Run(l, r, first, valid);
                        if (finalStates is not null)
                        {
                            worker.CopyStates(finalStates.AsSpan((int)(tile * TileLayout.TileSize * model.Dimension), valid * model.Dimension), valid);
                        }

                        progress?.Invoke((long)valid * model.RecordSteps[^1]);
                    }

                    return worker;
                },
                worker =>
                {
                    lock (gate)
                    {
                        statistics.Merge(worker.Statistics);
                    }

                    worker.Dispose();
                });
            return true;
        }
    }

    /// <summary>One worker's memory: a tile's states, key schedules, the tile-sum buffers and its statistics.</summary>
    private sealed unsafe class TileWorker<T> : IDisposable where T : unmanaged, IBlockLane<T>
    {
        private const int NormalBufferBytes = 16 * 1024;

        private readonly EnsembleModel model;
        private readonly GaussianStart<HostParameters> start;
        private readonly int d;
        private readonly int auxiliaryVectors;
        private readonly int normalsPerStep;
        private readonly int uniformsPerStep;
        private readonly int indicesPerStep;
        private readonly IndexSampler sampler;
        private readonly int[] statistics;
        private readonly T* x;
        private readonly T* auxiliary;
        private readonly T* g;
        private readonly byte* keys;
        private readonly double* coordinates;
        private readonly double[] sums;
        private readonly ProjectionSpec? projection;
        private readonly bool[] included = new bool[TileLayout.TileSize];
        private readonly double[] projected;
        private readonly double[] centred;
        private readonly double[] projectionSums;
        private readonly T* normals;
        private readonly int stepsPerFill;

        public TileWorker(
            EnsembleModel model, GaussianStart<HostParameters> start, int normalsPerStep, int uniformsPerStep, int indicesPerStep, IndexSampler sampler, int scratchCoordinates, int auxiliaryVectors,
            EnsembleStatistics local)
        {
            this.indicesPerStep = indicesPerStep;
            this.sampler = sampler;
            this.model = model;
            this.start = start;
            this.normalsPerStep = normalsPerStep;
            this.uniformsPerStep = uniformsPerStep;
            this.auxiliaryVectors = auxiliaryVectors;
            Statistics = local;
            d = model.Dimension;
            statistics = model.HostStateSums ? [] : TileLayout.Statistics(d, model.Plan);
            sums = new double[model.StatisticCount];
            projection = model.Projection;
            projected = projection is null ? [] : new double[projection.ScratchLength];
            centred = projection is null ? [] : new double[d * TileLayout.TileSize];
            projectionSums = projection is null ? [] : new double[projection.StatisticCount];
            x = (T*)Allocate(TileLayout.TileSize / T.Width * d * sizeof(T));
            auxiliary = (T*)Allocate(TileLayout.TileSize / T.Width * auxiliaryVectors * d * sizeof(T));
            g = (T*)Allocate((d + scratchCoordinates) * sizeof(T));
            keys = (byte*)Allocate(TileLayout.TileSize / T.Width * T.KeyBytes);
            // whole groups of rows for the host routine's pair sums (the rows past d stay zero)
            coordinates = (double*)Allocate(TileMoments.ScratchLength(d) * sizeof(double));

            // normals and uniforms of a run of steps, about 16 KiB so they stay in L1 (at least one step, and the d initial normals)
            int perStep = BufferedNormals<T>.ValuesPerStep(Math.Max(normalsPerStep, d), uniformsPerStep, indicesPerStep);
            stepsPerFill = Math.Max(1, NormalBufferBytes / (perStep * sizeof(T)));
            normals = (T*)Allocate(stepsPerFill * perStep * sizeof(T));
        }

        public EnsembleStatistics Statistics { get; }

        /// <summary>
        /// Runs the tile's trajectories through the landscape and update-rule structs (one specialisation per pair).
        /// Fully optimised from the first call, with the JIT inlining budget of this method (it grows with the root's
        /// size), so the update rule is inlined here down to the lane arithmetic; a small root (Trajectory.Advance
        /// compiled on its own) runs out of budget and leaves lane operations as calls.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TL, TD>(in TL landscape, in TD dynamics, long firstTrajectory, int valid)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            float bound = model.DivergenceBound;
            int blocks = (valid + T.Width - 1) / T.Width;
            int auxiliaryPerBlock = auxiliaryVectors * d;
            for (int b = 0; b < blocks; b++)
            {
                T.Schedule(Keys(b), model.Seed, (uint)(firstTrajectory + b * T.Width));
                var xs = new BlockState<T>(x + b * d);
                var aux = new BlockState<T>(auxiliary + b * auxiliaryPerBlock);
                int initialNormals = model.InitialShape == MatrixShape.Zero ? 0 : d;
                var initial = BufferedNormals<T>.Fill(normals, Keys(b), model.Seed, 0, 1, initialNormals, Kernels.Random.Philox4x32.InitialStream);
                Trajectory.Start<T, BlockState<T>, BufferedNormals<T>, HostParameters>(start, xs, aux, auxiliaryVectors, initial);
                Trajectory.MarkDiverged<T, BlockState<T>>(xs, aux, d, auxiliaryVectors, bound);
            }

            Reduce(0, valid);
            int[] steps = model.RecordSteps;
            for (int r = 1; r < steps.Length; r++)
            {
                uint count = (uint)(steps[r] - steps[r - 1]);
                for (int b = 0; b < blocks; b++)
                {
                    var xs = new BlockState<T>(x + b * d);
                    var aux = new BlockState<T>(auxiliary + b * auxiliaryPerBlock);
                    Advance(landscape, dynamics, xs, aux, new BlockState<T>(g), normals, Keys(b), model.Seed, normalsPerStep, uniformsPerStep, indicesPerStep, sampler, stepsPerFill, (uint)steps[r - 1], count);
                    Trajectory.MarkDiverged<T, BlockState<T>>(xs, aux, d, auxiliaryVectors, bound);
                }

                Reduce(r, valid);
            }
        }

        /// <summary>
        /// Steps <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 of one block: the
        /// normals of a run of steps into the buffer, then those steps of the update rule.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Advance<TL, TD>(
            in TL landscape, in TD dynamics, BlockState<T> xs, BlockState<T> aux, BlockState<T> gradient, T* normals, byte* keys, uint seed,
            int normalsPerStep, int uniformsPerStep, int indicesPerStep, IndexSampler sampler, int stepsPerFill, uint first, uint count)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            for (uint done = 0; done < count; done += (uint)stepsPerFill)
            {
                uint step = first + done;
                uint run = Math.Min((uint)stepsPerFill, count - done);
                var noise = BufferedNormals<T>.Fill(normals, keys, seed, step, (int)run, normalsPerStep, Kernels.Random.Philox4x32.DynamicsStream, uniformsPerStep, indicesPerStep, sampler);
                Trajectory.Advance<T, TL, TD, BlockState<T>, BufferedNormals<T>>(landscape, dynamics, xs, aux, gradient, noise, step, run);
            }
        }

        /// <summary>Copies the current states of the tile's first <paramref name="valid"/> trajectories, trajectory-major.</summary>
        public void CopyStates(Span<float> target, int valid)
        {
            for (int slot = 0; slot < valid; slot++)
            {
                var lanes = (float*)(x + slot / T.Width * d);
                for (int i = 0; i < d; i++)
                {
                    target[slot * d + i] = lanes[i * T.Width + slot % T.Width];
                }
            }
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(auxiliary);
            NativeMemory.AlignedFree(g);
            NativeMemory.AlignedFree(keys);
            NativeMemory.AlignedFree(coordinates);
            NativeMemory.AlignedFree(normals);
        }

        private static void* Allocate(int bytes)
        {
            void* p = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
            NativeMemory.Clear(p, (nuint)Math.Max(bytes, 64));
            return p;
        }

        private byte* Keys(int block) => keys + block * T.KeyBytes;

        /// <summary>
        /// Tile sums of record <paramref name="record"/> in the canonical order of <see cref="TileLayout"/>. Fully optimised
        /// from the first call, as <see cref="Run"/>: its vector code is not precompiled (ReadyToRun), and a short run
        /// (a sweep's cells) would otherwise spend its tiles in the unoptimised first compilation.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Reduce(int record, int valid)
        {
            // coordinates[i·TileSize + slot]: coordinate i of the slot's trajectory widened to double (exact), 0 for
            // diverged (NaN) and padding slots (blocks past the tile's last hold stale states); eight slots at a time
            long validCount = 0, diverged = 0;
            Vector256<int> slotOffsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            for (int slot = 0; slot < TileLayout.TileSize; slot += Vector256<float>.Count)
            {
                var lanes = (float*)(x + slot / T.Width * d) + slot % T.Width;
                Vector256<float> first = Vector256.Load(lanes);
                Vector256<int> inRange = Vector256.LessThan(slotOffsets + Vector256.Create(slot), Vector256.Create(valid));
                Vector256<int> ok = inRange & Vector256.Equals(first, first).AsInt32();
                validCount += BitOperations.PopCount(ok.ExtractMostSignificantBits());
                diverged += BitOperations.PopCount(Vector256.AndNot(inRange, ok).ExtractMostSignificantBits());
                (Vector256<long> okLow, Vector256<long> okHigh) = Vector256.Widen(ok);
                for (int i = 0; i < d; i++)
                {
                    (Vector256<double> low, Vector256<double> high) = Vector256.Widen(Vector256.Load(lanes + i * T.Width));
                    double* target = coordinates + i * TileLayout.TileSize + slot;
                    (low & okLow.AsDouble()).Store(target);
                    (high & okHigh.AsDouble()).Store(target + 4);
                }
            }

            if (model.HostStateSums)
            {
                // the full covariance above 64 coordinates: the host routine, as for projections
                TileMoments.Sums(new ReadOnlySpan<double>(coordinates, TileMoments.ScratchLength(d)), d, model.Plan, sums);
            }

            for (int s = 0; s < statistics.Length; s++)
            {
                int code = statistics[s];
                double* a = coordinates + TileLayout.FirstOf(code) * TileLayout.TileSize;
                double* b = coordinates + TileLayout.SecondOf(code) * TileLayout.TileSize;
                sums[s] = TileLayout.KindOf(code) switch
                {
                    TileLayout.Sum => TileSum<SumTerm>(a, b),
                    TileLayout.Product => TileSum<ProductTerm>(a, b),
                    TileLayout.Cube => TileSum<CubeTerm>(a, b),
                    _ => TileSum<FourthTerm>(a, b),
                };
            }

            Statistics.Deposit(record, validCount, diverged, sums);
            if (projection is not null)
            {
                for (int slot = 0; slot < TileLayout.TileSize; slot++)
                {
                    included[slot] = slot < valid && !float.IsNaN(((float*)(x + slot / T.Width * d))[slot % T.Width]);
                }

                projection.TileSums(new ReadOnlySpan<double>(coordinates, d * TileLayout.TileSize), included, centred, projected, projectionSums);
                Statistics.DepositProjections(record, validCount, diverged, projectionSums);
            }
        }

        /// <summary>
        /// The tile sum of <typeparamref name="TK"/> in the order of <see cref="TileLayout"/>: low accumulates slots
        /// 16b + 0…3 and 16b + 8…11, high 16b + 4…7 and 16b + 12…15.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static double TileSum<TK>(double* a, double* b)
            where TK : struct, ITileTerm
        {
            Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
            for (int block = 0; block < TileLayout.TileSize; block += TileLayout.BlockSize)
            {
                low += TK.Of(a + block, b + block) + TK.Of(a + block + 8, b + block + 8);
                high += TK.Of(a + block + 4, b + block + 4) + TK.Of(a + block + 12, b + block + 12);
            }

            Vector256<double> h = low + high;
            return (h[0] + h[2]) + (h[1] + h[3]);
        }
    }

    /// <summary>The per-trajectory quantity of one kind of tile statistic, four slots at a time.</summary>
    private interface ITileTerm
    {
        static abstract unsafe Vector256<double> Of(double* a, double* b);
    }

    private readonly struct SumTerm : ITileTerm
    {
        public static unsafe Vector256<double> Of(double* a, double* b) => Vector256.Load(a);
    }

    private readonly struct ProductTerm : ITileTerm
    {
        public static unsafe Vector256<double> Of(double* a, double* b) => Vector256.Load(a) * Vector256.Load(b);
    }

    private readonly struct CubeTerm : ITileTerm
    {
        public static unsafe Vector256<double> Of(double* a, double* b)
        {
            Vector256<double> v = Vector256.Load(a);
            return v * v * v;
        }
    }

    private readonly struct FourthTerm : ITileTerm
    {
        public static unsafe Vector256<double> Of(double* a, double* b)
        {
            Vector256<double> v = Vector256.Load(a);
            Vector256<double> square = v * v;
            return square * square;
        }
    }
}
