using BenchmarkDotNet.Attributes;
using SgdDynamics.Backends;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// Throughput of the ensemble engine on the reference workloads W1 (1-D multiplicative noise) and W2
/// (16-D diagonal with a flat direction) of shared/refs, per backend, managed CPU as the baseline.
/// One operation is one full run (initial draw, all steps, statistics at start and end); divide
/// trajectories × steps by the mean time for trajectory-steps per second. ILGPU's CPU accelerator, which
/// exists to test the GPU kernels, runs a 64× smaller ensemble. <c>sgdyn bench</c> runs the same
/// workloads side by side with the C++ reference.
/// </summary>
[MemoryDiagnoser]
public class EnsembleBenchmarks
{
    private IEnsembleBackend backend = null!;
    private Problem problem = null!;
    private EnsembleAlgorithm ensemble = null!;

    /// <summary>Backend under test.</summary>
    [Params("managed", "ilgpu-cpu")]
    public string Backend { get; set; } = "managed";

    /// <summary>Reference workload.</summary>
    [Params("W1", "W2")]
    public string Workload { get; set; } = "W1";

    /// <summary>Trajectory-steps of one operation.</summary>
    public long TrajectorySteps => ensemble.Trajectories * ensemble.Steps;

    [GlobalSetup]
    public void Setup()
    {
        backend = BackendFactory.Open(Backend);
        long scale = Backend == "ilgpu-cpu" ? 64 : 1;
        problem = Workload == "W1" ? ReferenceWorkloads.W1() : ReferenceWorkloads.W2();
        ensemble = ReferenceWorkloads.Ensemble((Workload == "W1" ? ReferenceWorkloads.W1Trajectories : ReferenceWorkloads.W2Trajectories) / scale);
    }

    [GlobalCleanup]
    public void Cleanup() => backend.Dispose();

    [Benchmark(Baseline = true)]
    public EnsembleResult Run() => EnsembleSolver.Solve(problem, ensemble, backend);
}

/// <summary>Cost of the exact fixed-point statistics: depositing one tile's sums (d = 16, as in W2).</summary>
[MemoryDiagnoser]
public class StatisticsBenchmarks
{
    private readonly EnsembleStatistics statistics = new(16, [0]);
    private readonly double[] sums = Enumerable.Range(0, Kernels.Statistics.TileLayout.StatisticCount(16)).Select(i => 1.0 + i * 1e-3).ToArray();

    [Benchmark]
    public void DepositTile() => statistics.Deposit(0, 256, 0, sums);
}
