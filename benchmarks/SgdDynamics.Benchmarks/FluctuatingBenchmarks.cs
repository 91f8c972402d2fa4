using BenchmarkDotNet.Attributes;
using MathNet.Numerics.LinearAlgebra;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// Throughput on the randomly fluctuating landscape of the rough-landscape experiment (K = 20 cosine modes, 40 uniform
/// variates a step): the engine's managed backend against a straightforward reference written here in plain C# — one
/// trajectory at a time per worker, <see cref="MathF.Cos"/>, a SplitMix64 generator per trajectory, the same float
/// arithmetic otherwise — over the same trajectories × steps. Both are bound by the K cosines and 2K uniforms of every
/// step; the data they touch fits in L1.
/// </summary>
public class FluctuatingBenchmarks
{
    /// <summary>Trajectories of one operation.</summary>
    public const int Trajectories = 1 << 18;

    /// <summary>Steps of one operation.</summary>
    public const int Steps = 50;

    private ManagedBackend backend = null!;
    private Problem problem = null!;
    private EnsembleAlgorithm ensemble = null!;

    /// <summary>The landscape: m = 4x³ − 0.6x + 0.15, e = 1 + 0.1x², A_k = 0.5/k² (k = 1 … 20), P = 2.</summary>
    public static FluctuatingLandscapeSpec Landscape { get; } = new(
        Vector<double>.Build.DenseOfArray([0.15, -0.6, 0, 4]),
        Vector<double>.Build.DenseOfArray([1, 0, 0.1]),
        Vector<double>.Build.Dense(20, k => 0.5 / ((k + 1.0) * (k + 1.0))),
        2.0);

    /// <summary>Trajectory-steps of one operation.</summary>
    public static long TrajectorySteps => (long)Trajectories * Steps;

    [GlobalSetup]
    public void Setup()
    {
        backend = new ManagedBackend();
        problem = ProblemBuilder.Of(Landscape, new SgdSpec(0.1), [0.0], new[,] { { 0.0324 } });
        ensemble = new EnsembleAlgorithm(Trajectories, Steps, seed: 2024);
    }

    [GlobalCleanup]
    public void Cleanup() => backend.Dispose();

    /// <summary>The engine: managed SIMD lanes, Philox uniforms, polynomial cosines, exact statistics at the first and last step.</summary>
    [Benchmark(Baseline = true)]
    public EnsembleResult Engine() => EnsembleSolver.Solve(problem, ensemble, backend);

    /// <summary>The plain C# reference; returns the mean of the final states.</summary>
    [Benchmark]
    public double Reference() => PlainReference(Trajectories, Steps, 0.1f, Environment.ProcessorCount);

    /// <summary>
    /// SGD on the landscape one trajectory at a time: x₀ ~ N(0, 0.18²) by Box–Muller, then per step 20 (u, v) pairs from
    /// SplitMix64 and <c>g = m(x) + e(x) Σ A_k u_k cos(2πk x/P + π v_k)</c> with <see cref="MathF.Cos"/>.
    /// </summary>
    public static double PlainReference(int trajectories, int steps, float eta, int threads)
    {
        float[] amplitudes = [.. Landscape.Amplitudes.Select(a => (float)a)];
        float inversePeriod = (float)(1 / Landscape.Period);
        double total = 0;
        object gate = new();
        Parallel.For(
            0,
            threads,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            worker =>
            {
                double sum = 0;
                for (int t = worker; t < trajectories; t += threads)
                {
                    ulong state = 0x9E3779B97F4A7C15UL * (ulong)(t + 1);
                    float u1 = (Next(ref state) >> 40) * (1f / (1 << 24)) + 1f / (1 << 25);
                    float u2 = (Next(ref state) >> 40) * (1f / (1 << 24));
                    float x = 0.18f * MathF.Sqrt(-2 * MathF.Log(u1)) * MathF.Cos(2 * MathF.PI * u2);
                    for (int k = 0; k < steps; k++)
                    {
                        float noise = 0;
                        for (int mode = 0; mode < amplitudes.Length; mode++)
                        {
                            ulong word = Next(ref state);
                            float u = (int)(uint)word * (1f / 2147483648f);
                            float v = (int)(uint)(word >> 32) * (1f / 2147483648f);
                            noise += amplitudes[mode] * u * MathF.Cos(2 * MathF.PI * ((mode + 1) * x * inversePeriod) + MathF.PI * v);
                        }

                        float mean = ((4 * x * x) - 0.6f) * x + 0.15f;
                        float envelope = 1 + (0.1f * x * x);
                        x -= eta * (mean + (envelope * noise));
                    }

                    sum += x;
                }

                lock (gate)
                {
                    total += sum;
                }
            });
        return total / trajectories;
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
