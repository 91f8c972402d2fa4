using BenchmarkDotNet.Attributes;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;
using MathNet.Numerics.LinearAlgebra.Double.Solvers;
using MathNet.Numerics.LinearAlgebra.Solvers;
using SgdDynamics.Backends;
using SgdDynamics.Benchmarking;
using SgdDynamics.Grids;
using SgdDynamics.Kernels.Landscapes;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// The grid workloads of the kernel benchmarks. Master equation (one SGD step per operation):
/// <c>me-1d-8192</c>: quadratic λ = 1, σ² = 1, η = 0.01 on [−4, 4] (8192 cells, h ≈ 9.8e-4, window
/// 2·6·ησ/h ≈ 123 cells, reflecting); <c>me-2d-256</c>, <c>me-2d-1024</c>: ring valley λ = 1, σ² = 1 on [−2, 2]²
/// with η = 0.025 and η = 0.00625 (window 12η/h ≈ 19 cells per axis, reflecting). Fokker–Planck (Langevin,
/// one step per operation): <c>fp-*-explicit</c> an explicit Euler step of the flux-operator kernel at
/// 0.9·Δt_max, <c>fp-*-implicit</c> a backward Euler step (Thomas in 1-D, BiCGStab+ILU(0) in 2-D, host) at
/// Δt = η; FP 1-D: the quadratic (η = 0.01, [−4, 4], 8192 cells); FP 2-D: the ring valley (η = 0.1, [−2, 2]²).
/// A <c>-x10</c> suffix on a master-equation workload advances ten steps per operation in one call (a record interval:
/// on ILGPU the density stays on the device between the copies). Throughput = cells × steps / mean time.
/// </summary>
public static class GridWorkloads
{
    /// <summary>The 1-D quadratic ḡ = x, Σ = 1.</summary>
    public static GridLandscape Quadratic1D => GridLandscape.Wrap(new QuadraticField(1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0));

    /// <summary>Master-equation solver and start density of a workload.</summary>
    public static (MasterEquationSolver Solver, GridDensity Density) Master(string name, ComputeDevice device)
    {
        (UniformGrid grid, GridLandscape landscape, double eta) = name switch
        {
            "me-1d-8192" => (new UniformGrid([-4.0], [4.0], [8192]), Quadratic1D, 0.01),
            "me-2d-256" => (new UniformGrid([-2.0, -2.0], [2.0, 2.0], [256, 256]), GridLandscape.RingValley(1, 1), 0.025),
            "me-2d-1024" => (new UniformGrid([-2.0, -2.0], [2.0, 2.0], [1024, 1024]), GridLandscape.RingValley(1, 1), 0.00625),
            _ => throw new ArgumentException(name),
        };
        var solver = new MasterEquationSolver(grid, landscape, eta, GridBoundary.Reflecting, device: device);
        return (solver, Start(grid));
    }

    /// <summary>Fokker–Planck solver and start density of a workload (name without the -explicit/-implicit suffix).</summary>
    public static (FokkerPlanckSolver Solver, GridDensity Density) FokkerPlanck(string name, ComputeDevice device)
    {
        (UniformGrid grid, GridLandscape landscape, double eta) = name switch
        {
            "fp-1d-8192" => (new UniformGrid([-4.0], [4.0], [8192]), Quadratic1D, 0.01),
            "fp-2d-256" => (new UniformGrid([-2.0, -2.0], [2.0, 2.0], [256, 256]), GridLandscape.RingValley(1, 1), 0.1),
            "fp-2d-1024" => (new UniformGrid([-2.0, -2.0], [2.0, 2.0], [1024, 1024]), GridLandscape.RingValley(1, 1), 0.1),
            _ => throw new ArgumentException(name),
        };
        return (new FokkerPlanckSolver(grid, landscape, eta, FokkerPlanckVariant.Langevin, device, scheme: FokkerPlanckScheme.BackwardEuler), Start(grid));
    }

    /// <summary>A start density: N(0.3, 0.2) in 1-D, N((0.8, 0.1), 0.1 I) in 2-D.</summary>
    public static GridDensity Start(UniformGrid grid) => grid.Dimension == 1
        ? GridDensity.Gaussian(grid, [0.3], new[,] { { 0.2 } })
        : GridDensity.Gaussian(grid, [0.8, 0.1], new[,] { { 0.1, 0.0 }, { 0.0, 0.1 } });
}

/// <summary>
/// Grid kernels per backend (managed SIMD CPU as the baseline, ILGPU's CPU accelerator, CUDA where present): one
/// master-equation step or one Fokker–Planck step per operation on the <see cref="GridWorkloads"/>; cell updates
/// per second = cells / mean. ILGPU on the CPU runs the smaller workloads only (it exists to test the kernels).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class GridBenchmarks
{
    private ComputeDevice device = null!;
    private MasterEquationSolver? master;
    private FokkerPlanckSolver? fokker;
    private GridDensity density = null!;
    private double dt;
    private bool implicitStep;
    private int steps = 1;

    /// <summary>Cell updates per operation: cells × steps.</summary>
    public long Cells => (long)density.Grid.Count * steps;

    /// <summary>Weight evaluations (source–target pairs) per operation of the master equation; 0 for Fokker–Planck.</summary>
    public long Pairs => (master?.PairsPerStep ?? 0) * steps;

    /// <summary>backend/workload.</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "managed/me-1d-8192";

    /// <summary>Every backend/workload pair measured.</summary>
    public static IEnumerable<string> Cases()
    {
        string[] all = ["me-1d-8192", "me-1d-8192-x10", "me-2d-256", "me-2d-1024", "fp-1d-8192-explicit", "fp-1d-8192-implicit", "fp-2d-256-explicit", "fp-2d-256-implicit", "fp-2d-1024-explicit", "fp-2d-1024-implicit"];
        foreach (string w in all)
        {
            yield return "managed/" + w;
        }

        foreach (string w in new[] { "me-1d-8192", "me-1d-8192-x10", "me-2d-256", "fp-1d-8192-explicit", "fp-2d-256-explicit" })
        {
            yield return "ilgpu-cpu/" + w;
        }

        if (Backends.ComputeDevice.CountDevices("cuda") > 0)
        {
            foreach (string w in new[] { "me-1d-8192", "me-2d-256", "me-2d-1024", "fp-1d-8192-explicit", "fp-2d-256-explicit", "fp-2d-1024-explicit" })
            {
                yield return "cuda/" + w;
            }
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Case.Split('/');
        device = ComputeDevice.Open(parts[0]);
        string workload = parts[1];
        if (workload.StartsWith("me-", StringComparison.Ordinal))
        {
            if (workload.EndsWith("-x10", StringComparison.Ordinal))
            {
                steps = 10;
                workload = workload[..^4];
            }

            (master, density) = GridWorkloads.Master(workload, device);
            return;
        }

        implicitStep = workload.EndsWith("-implicit", StringComparison.Ordinal);
        (fokker, density) = GridWorkloads.FokkerPlanck(workload[..workload.LastIndexOf('-')], device);
        dt = implicitStep ? fokker.LearningRate : 0.9 * fokker.MaxExplicitStep;
        if (implicitStep)
        {
            fokker.Advance(density, 0, dt);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        master?.Dispose();
        fokker?.Dispose();
        device.Dispose();
    }

    /// <summary>One step (ten for the -x10 workloads).</summary>
    [Benchmark]
    public void Step()
    {
        if (master is not null)
        {
            master.Advance(density, steps);
        }
        else if (implicitStep)
        {
            fokker!.Advance(density, 0, dt);
        }
        else
        {
            fokker!.AdvanceExplicit(density, dt, 1);
        }
    }
}

/// <summary>
/// STREAM-like triad <c>a[i] = b[i] + s·c[i]</c> over three arrays of 2²⁴ doubles (128 MiB each), on all
/// processors in fixed chunks: bandwidth = 3 · 8 · 2²⁴ bytes / mean (24 B per element counted; a write-allocate
/// cache adds a fourth 8 B read, as in STREAM's convention it is not counted).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class MemoryBandwidthBenchmarks
{
    private const int Length = 1 << 24;
    private readonly MemoryTriad triad = new(Length);

    /// <summary>Bytes counted per operation.</summary>
    public const long Bytes = 3L * 8 * Length;

    /// <summary>One triad over the arrays (<see cref="MemoryTriad"/>, the one <c>sgdyn bench --grid</c> measures).</summary>
    [Benchmark]
    public void Triad() => triad.Run(Environment.ProcessorCount);
}

/// <summary>
/// The 2-D Fokker–Planck backward Euler system <c>(I − η A) m = b</c> (ring valley, Langevin, η = 0.1, on
/// <see cref="Cells"/>² cells): the
/// hand-written BiCGStab + ILU(0) of <c>SparseRowMatrix</c> against MathNet.Numerics 5.0.0's
/// <see cref="BiCgStab"/> with <see cref="ILU0Preconditioner"/> on a <see cref="SparseMatrix"/>, both to a relative
/// residual of 1e-12 (hand-written: L1 norm of the true residual; MathNet: <see cref="ResidualStopCriterion{T}"/>),
/// from the same start (the right-hand side). Preconditioner set-up included in each operation, as in a first step.
/// MathNet's solve grows much faster than n (0.8 s at 32², 150 s at 128²; at 256² it did not finish in 5 minutes),
/// so the grid sizes here stay small; <c>--quick mathnet</c> prints the scaling.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class SparseSolverBenchmarks
{
    /// <summary>Cells per axis.</summary>
    [Params(32, 64)]
    public int Cells { get; set; } = 256;

    private SparseRowMatrix matrix = null!;
    private SparseMatrix mathNet = null!;
    private double[] rhs = null!;

    [GlobalSetup]
    public void Setup()
    {
        var grid = new UniformGrid([-2.0, -2.0], [2.0, 2.0], [Cells, Cells]);
        var solver = new FokkerPlanckSolver(grid, GridLandscape.RingValley(1, 1), 0.1, FokkerPlanckVariant.Langevin);
        var density = GridWorkloads.Start(grid);
        matrix = solver.Generator.ScaledPlusIdentity(1.0, -solver.LearningRate);
        rhs = (double[])density.Mass.Clone();
        mathNet = (SparseMatrix)Matrix<double>.Build.SparseFromCompressedSparseRowFormat(
            matrix.Size, matrix.Size, matrix.Value.Length, matrix.RowStart, matrix.Column, matrix.Value);
    }

    /// <summary>Hand-written ILU(0) + BiCGStab.</summary>
    [Benchmark(Baseline = true)]
    public double HandWritten()
    {
        double[] lu = matrix.IncompleteLu();
        var x = (double[])rhs.Clone();
        return matrix.SolveBiCgStab(lu, rhs, x, 1e-12, 10_000).RelativeResidual;
    }

    /// <summary>The system in MathNet form.</summary>
    public SparseMatrix MathNetMatrix => mathNet;

    /// <summary>The right-hand side.</summary>
    public double[] Rhs => rhs;

    /// <summary>MathNet ILU(0) + BiCGStab (at most 2000 iterations).</summary>
    [Benchmark]
    public double MathNetBiCgStab() => SolveMathNet(mathNet, rhs, 1e-12, 2000, out _);

    /// <summary>Solves with MathNet; returns the L1 relative residual and the iterator's final status.</summary>
    public static double SolveMathNet(SparseMatrix a, double[] b, double tolerance, int maxIterations, out IterationStatus status)
    {
        var preconditioner = new ILU0Preconditioner();
        preconditioner.Initialize(a);
        var residual = new ResidualStopCriterion<double>(tolerance);
        var iterator = new Iterator<double>(residual, new IterationCountStopCriterion<double>(maxIterations));
        var input = DenseVector.OfArray(b);
        var result = DenseVector.OfArray((double[])b.Clone());
        new BiCgStab().Solve(a, input, result, iterator, preconditioner);
        status = iterator.Status;
        return (input - a * result).L1Norm() / input.L1Norm();
    }
}

/// <summary>
/// Every grid solver of <see cref="GridSolverCases"/> — the registry <c>sgdyn bench --grid</c> measures, so a scheme
/// added there is measured here too — on its <see cref="GridWorkload"/> of 8192 cells (1-D), 256² and 1024² (2-D), on one
/// thread and on all processors (<see cref="Threads"/> = 0), managed backend: one SGD step per operation (the
/// explicit operator's sub-steps included). Cell updates per SGD step: <see cref="Cells"/>.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class GridSolverCaseBenchmarks
{
    private ComputeDevice device = null!;
    private IGridStepper stepper = null!;
    private GridDensity density = null!;

    /// <summary>solver/workload, e.g. <c>fp-be/2d-256</c>.</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "me/1d-8192";

    /// <summary>Worker threads (0: all processors).</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    /// <summary>Cell updates per operation.</summary>
    public long Cells => density.Grid.Count;

    /// <summary>Every registered solver on every size.</summary>
    public static IEnumerable<string> Cases() =>
        from solver in GridSolverCases.All from size in new[] { "1d-8192", "2d-256", "2d-1024" } select $"{solver.Name}/{size}";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Case.Split('/');
        string[] size = parts[1].Split('-');
        GridSolverCase solver = GridSolverCases.Find(parts[0]);
        GridWorkload workload = GridWorkload.For(solver.Family, size[0] == "1d" ? 1 : 2, int.Parse(size[1], System.Globalization.CultureInfo.InvariantCulture));
        device = ComputeDevice.Managed(Threads);
        stepper = solver.Open(workload, device, 0);
        density = workload.Start();
        stepper.Step(density, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        stepper.Dispose();
        device.Dispose();
    }

    /// <summary>One SGD step.</summary>
    [Benchmark]
    public void SgdStep() => stepper.Step(density, stepper.Substeps);
}
