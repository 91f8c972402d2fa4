using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// Throughput of SGD on finite-sum least squares (d = 16 features, n = 1024 generated samples, minibatches of B = 32,
/// η = 0.1): the engine's managed backend, with and without replacement, against a straightforward reference written here
/// in plain C# — one trajectory at a time per worker, scalar loops, SplitMix64 indices (with replacement: a 32-bit
/// multiply-high per index; without: a Fisher–Yates shuffle per epoch), the minibatch gradient from the d-dimensional dot
/// products, the same float arithmetic and order of operations — over the same trajectories × steps. A step reads B rows of
/// d + 1 floats; the engine gathers each row once into the gradient view's scratch coordinates, B·(d + 1) floats from a 68 KiB
/// table that stays in L2.
/// </summary>
public class LeastSquaresBenchmarks
{
    /// <summary>Trajectories of one operation.</summary>
    public const int Trajectories = 1 << 13;

    /// <summary>Steps of one operation (two epochs at n/B = 32 minibatches per epoch).</summary>
    public const int Steps = 64;

    /// <summary>d.</summary>
    public const int Features = 16;

    /// <summary>n.</summary>
    public const int Samples = 1024;

    /// <summary>B.</summary>
    public const int Batch = 32;

    /// <summary>η.</summary>
    public const float LearningRate = 0.1f;

    /// <summary>Standard deviation of every coordinate of the initial state (mean 0).</summary>
    public const float InitialStd = 0.5f;

    private ManagedBackend backend = null!;
    private Problem problem = null!;
    private EnsembleAlgorithm ensemble = null!;

    /// <summary>Minibatches from a permutation per epoch instead of independent uniform indices.</summary>
    [Params(false, true)]
    public bool WithoutReplacement { get; set; }

    /// <summary>Engine workers (0: all cores).</summary>
    public int EngineThreads { get; set; }

    /// <summary>Trajectory-steps of one operation.</summary>
    public static long TrajectorySteps => (long)Trajectories * Steps;

    /// <summary>
    /// The data: <paramref name="samples"/> samples a ~ N(0, Σ) in <paramref name="features"/> dimensions, Σ = I plus 0.05
    /// off the diagonal (identity-ish), y = aᵀw* + 0.1 ε with the teacher w*_f = (−1)^f/√d, seed 7.
    /// </summary>
    public static LeastSquaresData Data(int features = Features, int samples = Samples)
    {
        var covariance = Matrix<double>.Build.Dense(features, features, (i, j) => i == j ? 1.0 : 0.05);
        var teacher = Vector<double>.Build.Dense(features, f => (f % 2 == 0 ? 1.0 : -1.0) / Math.Sqrt(features));
        return LeastSquaresData.Generate(new LeastSquaresGenerated(samples, covariance, teacher, 0.1, 7));
    }

    /// <summary>The engine's problem: SGD at η on <see cref="Data"/>, x₀ ~ N(0, 0.5² I).</summary>
    public static Problem EngineProblem(LeastSquaresData data, int batch, bool withoutReplacement)
    {
        int d = data.Dimension;
        var covariance = new double[d, d];
        for (int f = 0; f < d; f++)
        {
            covariance[f, f] = (double)InitialStd * InitialStd;
        }

        return ProblemBuilder.Of(new LeastSquaresLandscapeSpec(data, batch, withoutReplacement), new SgdSpec(LearningRate), new double[d], covariance);
    }

    [GlobalSetup]
    public void Setup()
    {
        backend = new ManagedBackend(EngineThreads);
        problem = EngineProblem(Data(), Batch, WithoutReplacement);
        ensemble = new EnsembleAlgorithm(Trajectories, Steps, seed: 2024);
        rows = Data().Rows();
    }

    private float[] rows = null!;

    [GlobalCleanup]
    public void Cleanup() => backend.Dispose();

    /// <summary>The engine: managed SIMD lanes, indices from the counter-based sampler, per-lane gathers, exact statistics at the first and last step.</summary>
    [Benchmark(Baseline = true)]
    public EnsembleResult Engine() => EnsembleSolver.Solve(problem, ensemble, backend);

    /// <summary>The plain C# reference on every core (Parallel.For over trajectories); returns the mean of the final first coordinates.</summary>
    [Benchmark]
    public double Reference() => PlainReference(rows, Features, Batch, WithoutReplacement, Trajectories, Steps, LearningRate, Environment.ProcessorCount);

    /// <summary>The plain C# reference on one thread.</summary>
    [Benchmark]
    public double ReferenceSingleThread() => PlainReference(rows, Features, Batch, WithoutReplacement, Trajectories, Steps, LearningRate, 1);

    /// <summary>
    /// SGD on least squares one trajectory at a time: x₀ ~ N(0, 0.5² I) by Box–Muller from SplitMix64, then per step B
    /// indices (with replacement: ⌊u·n/2³²⌋ of 32-bit halves of SplitMix64 words; without: the next B places of a
    /// Fisher–Yates shuffle of the trajectory's permutation, reshuffled every epoch), r = a·x − y and g += r a per sample,
    /// g /= B, x −= η g. <paramref name="rows"/> holds n rows of d + 1 floats (a then y). <paramref name="threads"/>
    /// workers each take every threads-th trajectory (1: the calling thread only).
    /// </summary>
    public static double PlainReference(float[] rows, int d, int batch, bool withoutReplacement, int trajectories, int steps, float eta, int threads)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int n = rows.Length / (d + 1);
        float inverseBatch = 1f / batch;
        double total = 0;
        object gate = new();
        Parallel.For(
            0,
            threads,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            worker =>
            {
                var x = new float[d];
                var g = new float[d];
                var permutation = new int[n];
                for (int i = 0; i < n; i++)
                {
                    permutation[i] = i;
                }

                double sum = 0;
                for (int t = worker; t < trajectories; t += threads)
                {
                    ulong state = 0x9E3779B97F4A7C15UL * (ulong)(t + 1);
                    for (int f = 0; f < d; f += 2)
                    {
                        float u1 = (Next(ref state) >> 40) * (1f / (1 << 24)) + 1f / (1 << 25);
                        float u2 = (Next(ref state) >> 40) * (1f / (1 << 24));
                        float radius = InitialStd * MathF.Sqrt(-2 * MathF.Log(u1));
                        x[f] = radius * MathF.Cos(2 * MathF.PI * u2);
                        if (f + 1 < d)
                        {
                            x[f + 1] = radius * MathF.Sin(2 * MathF.PI * u2);
                        }
                    }

                    int place = n;
                    ulong word = 0;
                    for (int k = 0; k < steps; k++)
                    {
                        Array.Clear(g);
                        for (int j = 0; j < batch; j++)
                        {
                            int index;
                            if (withoutReplacement)
                            {
                                if (place == n)
                                {
                                    // a fresh epoch: Fisher–Yates over the previous order
                                    for (int i = n - 1; i > 0; i--)
                                    {
                                        int swap = (int)(((ulong)(uint)Next(ref state) * (uint)(i + 1)) >> 32);
                                        (permutation[i], permutation[swap]) = (permutation[swap], permutation[i]);
                                    }

                                    place = 0;
                                }

                                index = permutation[place++];
                            }
                            else
                            {
                                if ((j & 1) == 0)
                                {
                                    word = Next(ref state);
                                }

                                index = (int)(((word >> (32 * (j & 1))) & 0xFFFFFFFFUL) * (uint)n >> 32);
                            }

                            int row = index * (d + 1);
                            float r = -rows[row + d];
                            for (int f = 0; f < d; f++)
                            {
                                r += rows[row + f] * x[f];
                            }

                            for (int f = 0; f < d; f++)
                            {
                                g[f] += rows[row + f] * r;
                            }
                        }

                        for (int f = 0; f < d; f++)
                        {
                            x[f] -= eta * (g[f] * inverseBatch);
                        }
                    }

                    sum += x[0];
                }

                lock (gate)
                {
                    total += sum;
                }
            });
        return total / trajectories;
    }

    /// <summary>
    /// A gather bound: <paramref name="threads"/> workers each run <paramref name="rounds"/> passes of AVX2
    /// <c>vgatherdps</c> (8 floats) over a table of n rows of d + 1 floats, the engine's pattern (an index vector, then the
    /// d + 1 columns of its rows), with pseudo-random indices fixed in advance and the gathered values summed into eight
    /// independent accumulators. Returns the floats gathered (0 without AVX2).
    /// </summary>
    public static unsafe long GatherLoop(float[] rows, int d, int rounds, int threads)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (!Avx2.IsSupported)
        {
            return 0;
        }

        int n = rows.Length / (d + 1);
        const int Vectors = 512;
        var offsets = new int[Vectors * 8];
        ulong state = 12345;
        for (int i = 0; i < offsets.Length; i++)
        {
            offsets[i] = (int)(((Next(ref state) & 0xFFFFFFFFUL) * (uint)n) >> 32) * (d + 1);
        }

        float checksum = 0;
        Parallel.For(
            0,
            threads,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            _ =>
            {
                fixed (float* table = rows)
                fixed (int* at = offsets)
                {
                    Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
                    for (int round = 0; round < rounds; round++)
                    {
                        for (int v = 0; v < Vectors; v += 8)
                        {
                            // eight index vectors side by side (a lane value of 64 trajectories), d + 1 columns each
                            Vector256<int> i0 = Avx.LoadVector256(at + (v * 8)), i1 = Avx.LoadVector256(at + (v * 8) + 8);
                            Vector256<int> i2 = Avx.LoadVector256(at + (v * 8) + 16), i3 = Avx.LoadVector256(at + (v * 8) + 24);
                            Vector256<int> i4 = Avx.LoadVector256(at + (v * 8) + 32), i5 = Avx.LoadVector256(at + (v * 8) + 40);
                            Vector256<int> i6 = Avx.LoadVector256(at + (v * 8) + 48), i7 = Avx.LoadVector256(at + (v * 8) + 56);
                            for (int f = 0; f <= d; f++)
                            {
                                float* column = table + f;
                                s0 += Avx2.GatherVector256(column, i0, 4);
                                s1 += Avx2.GatherVector256(column, i1, 4);
                                s2 += Avx2.GatherVector256(column, i2, 4);
                                s3 += Avx2.GatherVector256(column, i3, 4);
                                s4 += Avx2.GatherVector256(column, i4, 4);
                                s5 += Avx2.GatherVector256(column, i5, 4);
                                s6 += Avx2.GatherVector256(column, i6, 4);
                                s7 += Avx2.GatherVector256(column, i7, 4);
                            }
                        }
                    }

                    float s = Vector256.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
                    lock (offsets)
                    {
                        checksum += s;
                    }
                }
            });
        GC.KeepAlive(checksum);
        return (long)threads * rounds * Vectors * 8 * (d + 1);
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
