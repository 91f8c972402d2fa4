using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Data;
using SgdDynamics.Kernels.Dynamics;
using SgdDynamics.Kernels.Landscapes;
using SgdDynamics.Kernels.Random;
using SgdDynamics.Kernels.Statistics;
using Lane512 = SgdDynamics.Backends.Managed.VectorLane<
    SgdDynamics.Backends.Managed.Vector512Width, System.Runtime.Intrinsics.Vector512<float>, System.Runtime.Intrinsics.Vector512<int>, System.Runtime.Intrinsics.Vector512<ulong>>;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// Throughput of SGD on the MNIST multilayer perceptron (6×6 average-pooled inputs, Linear(36, 8), SiLU, Linear(8, 10),
/// softmax cross-entropy: P = 386 parameters; minibatches of B = 64 with replacement, η = 0.1): the engine's kernel
/// (<see cref="MlpLandscape{TP}"/> under <see cref="Sgd"/> on the managed backend's lanes, driven tile by tile as the
/// backend's tile workers drive it) against a straightforward per-network loop in plain C# (one network at a time per
/// worker, scalar float loops, the same minibatch indices from <see cref="IndexSampler"/>, the same forward and backward
/// passes; <c>MathF.Exp</c>), and both against the measured fp32 FMA peak (<see cref="FmaPeak"/>).
/// Work counted: per sample the forward products Σ_l out_l·in_l = 368, the weight gradients 368 and the hidden error
/// W₂ᵀδ₂ 80 multiply-adds, <see cref="MultiplyAddsPerSample"/> = 816 (the first layer's input error is not formed, so it is
/// less than 3P = 1158; bias additions, activations, softmax, the 1/B scaling and the update are not counted), 2 FLOP each:
/// <see cref="FlopPerNetworkStep"/> = 2·64·816 = 104,448 FLOP a network-step.
/// </summary>
public static unsafe class MlpBenchmarks
{
    /// <summary>Layer widths: inputs, hidden units, classes.</summary>
    public const int Inputs = 36, Hidden = 8, Classes = 10;

    /// <summary>P = 8·(36 + 1) + 10·(8 + 1).</summary>
    public const int Parameters = (Hidden * (Inputs + 1)) + (Classes * (Hidden + 1));

    /// <summary>B, drawn with replacement.</summary>
    public const int Batch = 64;

    /// <summary>n: the MNIST test set (or the shipped subset repeated to this size).</summary>
    public const int Samples = 10_000;

    /// <summary>η.</summary>
    public const float LearningRate = 0.1f;

    /// <summary>Philox key word 0 of every network.</summary>
    public const uint Seed = 2024;

    /// <summary>Multiply-adds of one sample's forward and backward passes (see the type).</summary>
    public const int MultiplyAddsPerSample = (2 * ((Inputs * Hidden) + (Hidden * Classes))) + (Hidden * Classes);

    /// <summary>FLOP of one network-step: 2 per multiply-add, B samples.</summary>
    public const long FlopPerNetworkStep = 2L * Batch * MultiplyAddsPerSample;

    private const int W0 = 0, B0 = Inputs * Hidden, W1 = B0 + Hidden, B1 = W1 + (Hidden * Classes);

    /// <summary>The data set in pinned memory: n rows of 36 features and n labels (as floats).</summary>
    public sealed class MlpData : IDisposable
    {
        private MlpData(float[] features, int[] labels, string source)
        {
            Count = labels.Length;
            Source = source;
            Features = (float*)NativeMemory.AlignedAlloc((nuint)(features.Length * sizeof(float)), 64);
            Labels = (float*)NativeMemory.AlignedAlloc((nuint)(labels.Length * sizeof(float)), 64);
            features.CopyTo(new Span<float>(Features, features.Length));
            for (int i = 0; i < labels.Length; i++)
            {
                Labels[i] = labels[i];
            }
        }

        /// <summary>n.</summary>
        public int Count { get; }

        /// <summary>Where the images come from.</summary>
        public string Source { get; }

        /// <summary>Row i at <c>Features + 36·i</c>.</summary>
        public float* Features { get; }

        /// <summary>Label i (an exact float 0 … 9).</summary>
        public float* Labels { get; }

        /// <summary>
        /// The 10,000-image MNIST test set pooled to 6×6 when <c>../shared/data/mnist</c> holds it, otherwise the shipped
        /// 500-image subset repeated to 10,000 rows (the same table size, so the same cache behaviour of the gathers).
        /// </summary>
        public static MlpData Load()
        {
            MnistFiles files = MnistData.DefaultPaths();
            MnistData mnist = MnistData.Load(files.ImagesPath, files.LabelsPath);
            float[] pooled = mnist.Features(6);
            var features = new float[Samples * Inputs];
            var labels = new int[Samples];
            for (int i = 0; i < Samples; i++)
            {
                int source = i % mnist.Count;
                pooled.AsSpan(source * Inputs, Inputs).CopyTo(features.AsSpan(i * Inputs));
                labels[i] = mnist.Label(source);
            }

            string what = files.IsFullTestSet ? "MNIST test set" : $"MNIST subset of {mnist.Count} images repeated";
            return new MlpData(features, labels, what);
        }

        /// <summary>
        /// The engine's landscape on this data (hidden activation <paramref name="activation"/>), on its first
        /// <paramref name="count"/> samples when given.
        /// </summary>
        internal MlpLandscape<HostParameters> Landscape(int activation = MlpLandscape<HostParameters>.Silu, int? count = null) =>
            new(
                new HostParameters(Features), new HostParameters(Labels), [Inputs, Hidden, Classes], [activation], MlpLandscape<HostParameters>.SoftmaxCrossEntropy,
                count ?? Count, Sampler(count ?? Count), 0.0);

        /// <summary>Frees the tables.</summary>
        public void Dispose()
        {
            NativeMemory.AlignedFree(Features);
            NativeMemory.AlignedFree(Labels);
        }
    }

    /// <summary>B indices a step, with replacement, from n samples.</summary>
    public static IndexSampler Sampler(int count) => new(IndexSampler.WithReplacement, (uint)count, Batch);

    /// <summary>Initial parameter f of network t: U(±1/√fan_in) of its layer (PyTorch's default law) from a hash of (t, f).</summary>
    public static float InitialParameter(int network, int f)
    {
        uint h = IndexSampler.Mix(IndexSampler.Mix(((uint)network * 0x9E3779B9u) ^ 0x85EBCA6Bu) + (uint)f);
        float u = ((h >> 8) * (2f / 16777216f)) - 1f;
        return u / MathF.Sqrt(f < W1 ? Inputs : Hidden);
    }

    /// <summary>
    /// The engine: <paramref name="networks"/> (a multiple of the tile size) networks × <paramref name="steps"/> SGD steps
    /// of <paramref name="landscape"/> on the Vector512 lanes, tiles of <see cref="TileLayout.TileSize"/> networks handed
    /// out by <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> to <paramref name="threads"/> workers, each
    /// tile run block by block as the managed backend's tile worker runs it (the minibatch indices of a run of steps into
    /// the buffer, then those steps of the update rule). The final parameters go to <paramref name="final"/> (network-major)
    /// when given.
    /// </summary>
    internal static void Engine<TL>(in TL landscape, int networks, int steps, int threads, float[]? final = null)
        where TL : struct, ILandscape
    {
        TL l = landscape;
        int tiles = networks / TileLayout.TileSize;
        Parallel.For(
            0,
            tiles,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new Worker<Lane512>(l.Dimension, l.ScratchCoordinates, l.Sampler),
            (tile, _, worker) =>
            {
                worker.Run(l, new Sgd(LearningRate), tile * TileLayout.TileSize, steps);
                if (final is not null)
                {
                    worker.CopyStates(final.AsSpan(tile * TileLayout.TileSize * l.Dimension, TileLayout.TileSize * l.Dimension));
                }

                return worker;
            },
            worker => worker.Dispose());
    }

    /// <summary>
    /// What the engine's input gathers cost alone: for <paramref name="networks"/> networks (a multiple of the tile size) ×
    /// <paramref name="steps"/> steps on one thread, block by block as <see cref="Engine"/> runs them, the minibatch
    /// indices of the steps (the same buffer fill) and each sample's row of 36 inputs per lane into a scratch block with
    /// <see cref="Kernels.Lanes.ILane{T}.GatherRow"/>, as the kernel does — nothing else.
    /// </summary>
    internal static void GathersOnly(MlpData data, int networks, int steps)
    {
        ArgumentNullException.ThrowIfNull(data);
        var worker = new Worker<Lane512>(Parameters, Inputs, Sampler(data.Count));
        try
        {
            for (int first = 0; first < networks; first += TileLayout.TileSize)
            {
                worker.Gathers(new HostParameters(data.Features), first, steps);
            }
        }
        finally
        {
            worker.Dispose();
        }
    }

    /// <summary>A tile's memory, as the managed backend's tile worker holds it: states, gradient view, keys, index buffer.</summary>
    private sealed class Worker<T> : IDisposable where T : unmanaged, IBlockLane<T>
    {
        private const int NormalBufferBytes = 16 * 1024;

        private readonly int d;
        private readonly IndexSampler sampler;
        private readonly T* x;
        private readonly T* g;
        private readonly byte* keys;
        private readonly T* normals;
        private readonly int stepsPerFill;

        public Worker(int d, int scratch, IndexSampler sampler)
        {
            this.d = d;
            this.sampler = sampler;
            x = (T*)Allocate(TileLayout.TileSize / T.Width * d * sizeof(T));
            g = (T*)Allocate((d + scratch) * sizeof(T));
            keys = (byte*)Allocate(TileLayout.TileSize / T.Width * T.KeyBytes);
            int perStep = BufferedNormals<T>.ValuesPerStep(d, 0, sampler.IndicesPerStep);
            stepsPerFill = Math.Max(1, NormalBufferBytes / (perStep * sizeof(T)));
            normals = (T*)Allocate(stepsPerFill * perStep * sizeof(T));
        }

        /// <summary>Steps 0 … <paramref name="steps"/> − 1 of the tile's networks from their initial parameters.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run<TL, TD>(in TL landscape, in TD dynamics, int firstNetwork, int steps)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            int blocks = TileLayout.TileSize / T.Width;
            for (int b = 0; b < blocks; b++)
            {
                T.Schedule(keys + b * T.KeyBytes, Seed, (uint)(firstNetwork + b * T.Width));
                for (int f = 0; f < d; f++)
                {
                    var lanes = (float*)(x + b * d + f);
                    for (int k = 0; k < T.Width; k++)
                    {
                        lanes[k] = InitialParameter(firstNetwork + b * T.Width + k, f);
                    }
                }
            }

            for (int b = 0; b < blocks; b++)
            {
                var xs = new BlockState<T>(x + b * d);
                Advance(landscape, dynamics, xs, xs, new BlockState<T>(g), normals, keys + b * T.KeyBytes, Seed, sampler.IndicesPerStep, sampler, stepsPerFill, 0, (uint)steps);
            }
        }

        /// <summary>The tile's minibatch indices of steps 0 … <paramref name="steps"/> − 1 and the rows they pick, into g.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Gathers(HostParameters inputs, int firstNetwork, int steps)
        {
            int blocks = TileLayout.TileSize / T.Width;
            for (int b = 0; b < blocks; b++)
            {
                byte* blockKeys = keys + b * T.KeyBytes;
                T.Schedule(blockKeys, Seed, (uint)(firstNetwork + b * T.Width));
                for (int step = 0; step < steps; step++)
                {
                    var noise = BufferedNormals<T>.Fill(normals, blockKeys, Seed, (uint)step, 1, 0, Philox4x32.DynamicsStream, 0, sampler.IndicesPerStep, sampler);
                    for (int j = 0; j < sampler.PerStep; j++)
                    {
                        T.GatherRow(inputs, noise.Index(sampler, (uint)step, j), Inputs, 0, Inputs, new BlockState<T>(g), d);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Advance<TL, TD>(
            in TL landscape, in TD dynamics, BlockState<T> xs, BlockState<T> aux, BlockState<T> gradient, T* normals, byte* keys, uint seed,
            int indicesPerStep, IndexSampler sampler, int stepsPerFill, uint first, uint count)
            where TL : struct, ILandscape
            where TD : struct, IDynamics
        {
            for (uint done = 0; done < count; done += (uint)stepsPerFill)
            {
                uint step = first + done;
                uint run = Math.Min((uint)stepsPerFill, count - done);
                var noise = BufferedNormals<T>.Fill(normals, keys, seed, step, (int)run, 0, Philox4x32.DynamicsStream, 0, indicesPerStep, sampler);
                Trajectory.Advance<T, TL, TD, BlockState<T>, BufferedNormals<T>>(landscape, dynamics, xs, aux, gradient, noise, step, run);
            }
        }

        /// <summary>The tile's parameters, network-major.</summary>
        public void CopyStates(Span<float> target)
        {
            for (int slot = 0; slot < TileLayout.TileSize; slot++)
            {
                var lanes = (float*)(x + slot / T.Width * d);
                for (int f = 0; f < d; f++)
                {
                    target[slot * d + f] = lanes[f * T.Width + slot % T.Width];
                }
            }
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(g);
            NativeMemory.AlignedFree(keys);
            NativeMemory.AlignedFree(normals);
        }

        private static void* Allocate(int bytes)
        {
            void* p = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
            NativeMemory.Clear(p, (nuint)Math.Max(bytes, 64));
            return p;
        }
    }

    /// <summary>
    /// The per-network loop: networks 0 … <paramref name="networks"/> − 1, each on its own for <paramref name="steps"/>
    /// steps (<see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> over networks on
    /// <paramref name="threads"/> workers): per step g = 0, then per sample of the step's minibatch (the engine's indices)
    /// the forward pass, softmax cross-entropy and backpropagation adding ∇ℓ into g, then x ← x − η·(g/B). Float
    /// arithmetic, products and sums as written (not fused), σ(z) = 1/(1 + e^{−z}) with <c>MathF.Exp</c>.
    /// </summary>
    public static void PlainReference(MlpData data, int networks, int steps, int threads, float[]? final = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        IndexSampler sampler = Sampler(data.Count);
        float* features = data.Features, labels = data.Labels;
        Parallel.For(
            0,
            networks,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new float[Parameters],
            (t, _, x) =>
            {
                PlainNetwork(features, labels, sampler, t, steps, x);
                if (final is not null)
                {
                    x.CopyTo(final.AsSpan(t * Parameters));
                }

                return x;
            },
            _ => { });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlainNetwork(float* features, float* labels, IndexSampler sampler, int network, int steps, float[] x)
    {
        Span<float> g = stackalloc float[Parameters];
        Span<float> z1 = stackalloc float[Hidden];
        Span<float> a1 = stackalloc float[Hidden];
        Span<float> slope = stackalloc float[Hidden];
        Span<float> z2 = stackalloc float[Classes];
        for (int f = 0; f < Parameters; f++)
        {
            x[f] = InitialParameter(network, f);
        }

        const float inverseBatch = 1f / Batch;
        for (int step = 0; step < steps; step++)
        {
            g.Clear();
            for (int j = 0; j < Batch; j++)
            {
                int sample = (int)sampler.Index(Seed, (uint)network, (uint)step, j);
                float* a0 = features + (sample * Inputs);
                int label = (int)labels[sample];

                // forward
                for (int o = 0; o < Hidden; o++)
                {
                    float z = x[B0 + o];
                    for (int i = 0; i < Inputs; i++)
                    {
                        z += x[W0 + (o * Inputs) + i] * a0[i];
                    }

                    float s = 1f / (1f + MathF.Exp(-z));
                    z1[o] = z;
                    a1[o] = z * s;
                    slope[o] = s * (1f + (z * (1f - s)));
                }

                float maximum = float.NegativeInfinity;
                for (int c = 0; c < Classes; c++)
                {
                    float z = x[B1 + c];
                    for (int i = 0; i < Hidden; i++)
                    {
                        z += x[W1 + (c * Hidden) + i] * a1[i];
                    }

                    z2[c] = z;
                    maximum = MathF.Max(maximum, z);
                }

                // softmax cross-entropy: δ₂ = p − onehot(y)
                float sum = 0;
                for (int c = 0; c < Classes; c++)
                {
                    z2[c] = MathF.Exp(z2[c] - maximum);
                    sum += z2[c];
                }

                for (int c = 0; c < Classes; c++)
                {
                    z2[c] = (z2[c] / sum) - (c == label ? 1f : 0f);
                }

                // backward
                for (int c = 0; c < Classes; c++)
                {
                    float delta = z2[c];
                    g[B1 + c] += delta;
                    for (int i = 0; i < Hidden; i++)
                    {
                        g[W1 + (c * Hidden) + i] += delta * a1[i];
                    }
                }

                for (int i = 0; i < Hidden; i++)
                {
                    float s = 0;
                    for (int c = 0; c < Classes; c++)
                    {
                        s += x[W1 + (c * Hidden) + i] * z2[c];
                    }

                    z1[i] = s * slope[i];
                }

                for (int o = 0; o < Hidden; o++)
                {
                    float delta = z1[o];
                    g[B0 + o] += delta;
                    for (int i = 0; i < Inputs; i++)
                    {
                        g[W0 + (o * Inputs) + i] += delta * a0[i];
                    }
                }
            }

            for (int f = 0; f < Parameters; f++)
            {
                x[f] -= LearningRate * (g[f] * inverseBatch);
            }
        }
    }
}
