using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra.Double;

namespace SgdDynamics.Benchmarks;

/// <summary>
/// <c>--quick [filter]</c>: a Stopwatch pass over the grid cases (best of a few repetitions, no BenchmarkDotNet
/// statistics) printing cells per second, the triad bandwidth and the two sparse solvers side by side; named entries
/// (<c>fluctuating</c>, <c>fmapeak</c>, <c>leastsquares</c>, <c>projections</c>, …) time one workload each.
/// </summary>
public static class QuickRun
{
    /// <summary>Runs the cases whose name contains the filter (all when absent).</summary>
    public static void Run(string[] args)
    {
        string filter = args.Length > 0 ? args[0] : "";
        if ("triad".Contains(filter, StringComparison.Ordinal) || filter.Length == 0)
        {
            var triad = new MemoryBandwidthBenchmarks();
            triad.Triad();
            double best = Best(10, triad.Triad);
            Console.WriteLine($"triad: {best * 1e3:F2} ms, {MemoryBandwidthBenchmarks.Bytes / best / 1e9:F1} GB/s");
        }

        foreach (string name in GridBenchmarks.Cases().Where(c => c.Contains(filter, StringComparison.Ordinal)))
        {
            var bench = new GridBenchmarks { Case = name };
            var setup = Stopwatch.StartNew();
            bench.Setup();
            double setupTime = setup.Elapsed.TotalSeconds;
            Warm(bench.Step);
            double t = Best(name.Contains("1024", StringComparison.Ordinal) || name.StartsWith("ilgpu", StringComparison.Ordinal) ? 2 : 5, bench.Step);
            Console.WriteLine($"{name}: setup {setupTime:F2} s, step {t * 1e3:F2} ms, {bench.Cells / t:E3} cell-updates/s" + (bench.Pairs > 0 ? $", {bench.Pairs} pairs/step, {bench.Pairs / t:E3} pairs/s" : ""));
            bench.Cleanup();
        }

        if (filter == "mathnet")
        {
            // MathNet's ILU0Preconditioner.Initialize scans every (i, k < i) pair: its cost grows as n², so it is timed
            // on smaller grids of the same system and compared with the hand-written solve there
            foreach (int cells in new[] { 32, 64, 96, 128 })
            {
                var grid = new SgdDynamics.Grids.UniformGrid([-2.0, -2.0], [2.0, 2.0], [cells, cells]);
                using var solver = new SgdDynamics.Grids.FokkerPlanckSolver(grid, SgdDynamics.Grids.GridLandscape.RingValley(1, 1), 0.1, SgdDynamics.Grids.FokkerPlanckVariant.Langevin);
                var m = solver.Generator.ScaledPlusIdentity(1.0, -0.1);
                var b = GridWorkloads.Start(grid).Mass;
                var a = (SparseMatrix)MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.SparseFromCompressedSparseRowFormat(m.Size, m.Size, m.Value.Length, m.RowStart, m.Column, m.Value);
                var sw = Stopwatch.StartNew();
                var pre = new MathNet.Numerics.LinearAlgebra.Double.Solvers.ILU0Preconditioner();
                pre.Initialize(a);
                double init = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                double r = SparseSolverBenchmarks.SolveMathNet(a, b, 1e-12, 2000, out var status);
                double solve = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                var x = (double[])b.Clone();
                var (iterations, handResidual) = m.SolveBiCgStab(m.IncompleteLu(), b, x, 1e-12, 10_000);
                double hand = sw.Elapsed.TotalMilliseconds;
                Console.WriteLine($"{cells}²: MathNet ILU0 init {init:F1} ms, MathNet init+solve {solve:F1} ms ({status}, L1 residual {r:G3}); hand-written {hand:F2} ms ({iterations} iterations, {handResidual:G3})");
            }

            return;
        }

        if (filter == "fluctuating")
        {
            var bench = new FluctuatingBenchmarks();
            bench.Setup();
            Warm(() => bench.Engine());
            Warm(() => bench.Reference());
            double engine = double.PositiveInfinity, reference = double.PositiveInfinity;
            for (int round = 0; round < 5; round++)
            {
                // interleaved, best of five each: the machine's noise hits both alike
                engine = Math.Min(engine, Best(1, () => bench.Engine()));
                reference = Math.Min(reference, Best(1, () => bench.Reference()));
            }

            long work = FluctuatingBenchmarks.TrajectorySteps;
            Console.WriteLine(
                $"fluctuating (K = 20), {FluctuatingBenchmarks.Trajectories:N0} × {FluctuatingBenchmarks.Steps} on {Environment.ProcessorCount} cores: engine {work / engine / 1e6:F1} M trajectory-steps/s, " +
                $"plain C# reference {work / reference / 1e6:F1} M/s, ratio {reference / engine:F2}");
            bench.Cleanup();
            return;
        }

        if (filter == "fmapeak")
        {
            int cores = Environment.ProcessorCount;
            Console.WriteLine(
                $"fp32 FMA peak ({FmaPeak.Width} floats a vector, {FmaPeak.Chains} chains a thread, best of 5): " +
                $"{FmaPeak.Measure(1):F1} GFLOP/s on 1 thread, {FmaPeak.Measure(cores):F1} on {cores}");
            return;
        }

        if (filter == "projections")
        {
            ProjectionBenchmarks.Run();
            return;
        }

        if (filter == "mlp")
        {
            Mlp();
            return;
        }

        if (filter == "mlp-profile")
        {
            MlpProfile();
            return;
        }

        if (filter == "mlp-engine")
        {
            // the engine alone on one thread for about 10 s (for a sampling profiler): the best of many short runs
            using var data = MlpBenchmarks.MlpData.Load();
            var landscape = data.Landscape();
            MlpBenchmarks.Engine(landscape, SgdDynamics.Kernels.Statistics.TileLayout.TileSize, 64, 1);
            var clock = Stopwatch.StartNew();
            double best = 0;
            while (clock.Elapsed.TotalSeconds < 10)
            {
                double t = Best(1, () => MlpBenchmarks.Engine(landscape, SgdDynamics.Kernels.Statistics.TileLayout.TileSize, 32, 1));
                best = Math.Max(best, SgdDynamics.Kernels.Statistics.TileLayout.TileSize * 32 / t);
            }

            Console.WriteLine($"{best:N0} network-steps/s (best of short runs), {best * MlpBenchmarks.FlopPerNetworkStep / 1e9:F1} GFLOP/s");
            return;
        }

        if (filter == "leastsquares")
        {
            LeastSquares();
            return;
        }

        if (filter == "leastsquares-profile")
        {
            LeastSquaresProfile();
            return;
        }

        if ("solver".Contains(filter, StringComparison.Ordinal) || filter.Length == 0)
        {
            var solvers = new SparseSolverBenchmarks { Cells = 256 };
            solvers.Setup();
            double residual = 0;
            double hand = Best(3, () => residual = solvers.HandWritten());
            Console.WriteLine($"hand-written BiCGStab+ILU(0), 256²: {hand * 1e3:F1} ms, L1 relative residual {residual:G3}");
        }
    }

    /// <summary>
    /// Least squares (d = 16, n = 1024, B = 32): the engine with and without replacement on all cores and on one, the plain
    /// C# reference alike, interleaved best of five; then the gathered floats per second against an AVX2 gather loop over
    /// the same L2-resident table.
    /// </summary>
    private static void LeastSquares()
    {
        int cores = Environment.ProcessorCount;
        float[] rows = LeastSquaresBenchmarks.Data().Rows();
        var ensemble = new SgdDynamics.Problems.EnsembleAlgorithm(LeastSquaresBenchmarks.Trajectories, LeastSquaresBenchmarks.Steps, seed: 2024);
        using var all = new SgdDynamics.Backends.Managed.ManagedBackend(cores);
        using var one = new SgdDynamics.Backends.Managed.ManagedBackend(1);
        var cases = new List<(string Program, bool Without, int Threads, Action Run)>();
        foreach (bool without in new[] { false, true })
        {
            var problem = LeastSquaresBenchmarks.EngineProblem(LeastSquaresBenchmarks.Data(), LeastSquaresBenchmarks.Batch, without);
            cases.Add(("engine", without, cores, () => SgdDynamics.Ensembles.EnsembleSolver.Solve(problem, ensemble, all)));
            cases.Add(("engine", without, 1, () => SgdDynamics.Ensembles.EnsembleSolver.Solve(problem, ensemble, one)));
            foreach (int threads in new[] { cores, 1 })
            {
                cases.Add(("plain C#", without, threads, () => LeastSquaresBenchmarks.PlainReference(
                    rows, LeastSquaresBenchmarks.Features, LeastSquaresBenchmarks.Batch, without, LeastSquaresBenchmarks.Trajectories, LeastSquaresBenchmarks.Steps, LeastSquaresBenchmarks.LearningRate, threads)));
            }
        }

        foreach (var c in cases)
        {
            Warm(c.Run);
        }

        const int GatherRounds = 200;
        var gather = new Dictionary<int, double>();
        var best = new double[cases.Count];
        Array.Fill(best, double.PositiveInfinity);
        for (int round = 0; round < 5; round++)
        {
            // interleaved, best of five each: the machine's noise hits all alike
            for (int i = 0; i < cases.Count; i++)
            {
                best[i] = Math.Min(best[i], Best(1, cases[i].Run));
            }

            foreach (int threads in new[] { cores, 1 })
            {
                long floats = 0;
                double t = Best(1, () => floats = LeastSquaresBenchmarks.GatherLoop(rows, LeastSquaresBenchmarks.Features, GatherRounds, threads));
                gather[threads] = Math.Max(gather.GetValueOrDefault(threads), floats / t);
            }
        }

        long work = LeastSquaresBenchmarks.TrajectorySteps;
        int b = LeastSquaresBenchmarks.Batch, d = LeastSquaresBenchmarks.Features;
        double gathered = b * (d + 1.0);
        Console.WriteLine(
            $"least squares d = {d}, n = {LeastSquaresBenchmarks.Samples}, B = {b}, SGD η = {LeastSquaresBenchmarks.LearningRate}, " +
            $"{LeastSquaresBenchmarks.Trajectories:N0} × {LeastSquaresBenchmarks.Steps} on {cores} cores; engine gathers B(d + 1) = {gathered} floats a trajectory-step");
        Console.WriteLine($"AVX2 gather loop over the {rows.Length * 4 / 1024} KiB table: {gather[1] / 1e9:F2} G floats/s on 1 thread, {gather[cores] / 1e9:F2} on {cores}");
        Console.WriteLine("| program | sampling | threads | M trajectory-steps/s | engine / plain C# | G floats gathered/s | of the gather loop |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            double rate = work / best[i];
            int reference = cases.FindIndex(r => r.Program == "plain C#" && r.Without == c.Without && r.Threads == c.Threads);
            string ratio = c.Program == "engine" ? $"{best[reference] / best[i]:F2}" : "";
            string floats = c.Program == "engine" ? $"{rate * gathered / 1e9:F2}" : "";
            string share = c.Program == "engine" ? $"{rate * gathered / gather[c.Threads]:P0}" : "";
            Console.WriteLine($"| {c.Program} | {(c.Without ? "without" : "with")} | {c.Threads} | {rate / 1e6:F2} | {ratio} | {floats} | {share} |");
        }
    }

    /// <summary>
    /// Where the engine's least-squares time goes: time per index (per trajectory, one core's worth) over B and d with and
    /// without replacement, best of three. The index work is independent of d, the gathers grow as d + 1.
    /// </summary>
    private static void LeastSquaresProfile()
    {
        int cores = Environment.ProcessorCount;
        using var backend = new SgdDynamics.Backends.Managed.ManagedBackend(cores);
        Console.WriteLine("| d | B | sampling | M trajectory-steps/s | ns per index per core | ns per gathered float per core |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach ((int d, int b) in new[] { (4, 32), (16, 8), (16, 32), (16, 128), (32, 32) })
        {
            var data = LeastSquaresBenchmarks.Data(d);
            foreach (bool without in new[] { false, true })
            {
                var problem = LeastSquaresBenchmarks.EngineProblem(data, b, without);
                int steps = Math.Max(8, 2048 / b);
                var ensemble = new SgdDynamics.Problems.EnsembleAlgorithm(LeastSquaresBenchmarks.Trajectories, steps, seed: 2024);
                void Run() => SgdDynamics.Ensembles.EnsembleSolver.Solve(problem, ensemble, backend);
                Warm(Run);
                double t = Best(3, Run);
                double work = (double)LeastSquaresBenchmarks.Trajectories * steps;
                double perIndex = t * cores / (work * b) * 1e9;
                Console.WriteLine($"| {d} | {b} | {(without ? "without" : "with")} | {work / t / 1e6:F2} | {perIndex:F2} | {perIndex / ((2 * d) + 1):F3} |");
            }
        }
    }

    /// <summary>
    /// The MNIST MLP (<see cref="MlpBenchmarks"/>): the engine kernel on Vector512 lanes and the per-network loop, each on 1
    /// thread and on all cores, and the fp32 FMA peak, interleaved best of five; effective GFLOP/s from the forward and
    /// backward multiply-adds, as a share of the peak at the same thread count. Checks first that the engine and the loop
    /// end at the same parameters (to the rounding of their different exponentials and fused multiply-adds).
    /// </summary>
    private static void Mlp()
    {
        int cores = Environment.ProcessorCount;
        using var data = MlpBenchmarks.MlpData.Load();
        var landscape = data.Landscape();
        const int EngineNetworks = 8 * SgdDynamics.Kernels.Statistics.TileLayout.TileSize, PlainNetworks = 8, Steps = 64;

        // agreement: the first networks after the same steps
        var engineFinal = new float[SgdDynamics.Kernels.Statistics.TileLayout.TileSize * MlpBenchmarks.Parameters];
        var plainFinal = new float[PlainNetworks * MlpBenchmarks.Parameters];
        MlpBenchmarks.Engine(landscape, SgdDynamics.Kernels.Statistics.TileLayout.TileSize, Steps, cores, engineFinal);
        MlpBenchmarks.PlainReference(data, PlainNetworks, Steps, cores, plainFinal);
        double difference = 0, largest = 0;
        for (int k = 0; k < plainFinal.Length; k++)
        {
            difference = Math.Max(difference, Math.Abs(engineFinal[k] - plainFinal[k]));
            largest = Math.Max(largest, Math.Abs(plainFinal[k]));
        }

        var cases = new List<(string Program, int Threads, long Work, Action Run)>();
        foreach (int threads in new[] { 1, cores })
        {
            cases.Add(("engine", threads, (long)EngineNetworks * Steps, () => MlpBenchmarks.Engine(landscape, EngineNetworks, Steps, threads)));
            cases.Add(("per-network loop", threads, (long)PlainNetworks * threads * Steps, () => MlpBenchmarks.PlainReference(data, PlainNetworks * threads, Steps, threads)));
        }

        foreach (var c in cases)
        {
            Warm(c.Run);
        }

        var best = new double[cases.Count];
        Array.Fill(best, double.PositiveInfinity);
        var peak = new Dictionary<int, double>();
        for (int round = 0; round < 5; round++)
        {
            // interleaved, best of five each: the machine's noise hits all alike
            for (int i = 0; i < cases.Count; i++)
            {
                best[i] = Math.Min(best[i], Best(1, cases[i].Run));
            }

            foreach (int threads in new[] { 1, cores })
            {
                peak[threads] = Math.Max(peak.GetValueOrDefault(threads), FmaPeak.Measure(threads, 1));
            }
        }

        Console.WriteLine(
            $"MLP 36-8(SiLU)-10, softmax cross-entropy, P = {MlpBenchmarks.Parameters}, B = {MlpBenchmarks.Batch} with replacement, η = {MlpBenchmarks.LearningRate}, " +
            $"n = {data.Count:N0} ({data.Source}); {MlpBenchmarks.MultiplyAddsPerSample} multiply-adds a sample, {MlpBenchmarks.FlopPerNetworkStep:N0} FLOP a network-step");
        Console.WriteLine(
            $"engine {EngineNetworks} networks × {Steps} steps, per-network loop {PlainNetworks} per thread × {Steps} steps; final parameters of networks 0 … {PlainNetworks - 1} " +
            $"agree to {difference:E1} (largest |θ| {largest:F2})");
        Console.WriteLine($"fp32 FMA peak: {peak[1]:F1} GFLOP/s on 1 thread, {peak[cores]:F1} on {cores}");
        Console.WriteLine("| program | threads | network-steps/s | GFLOP/s | of the FMA peak | engine / per-network loop |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            double rate = c.Work / best[i];
            double gflops = rate * MlpBenchmarks.FlopPerNetworkStep / 1e9;
            int reference = cases.FindIndex(r => r.Program != "engine" && r.Threads == c.Threads);
            string ratio = c.Program == "engine" ? $"{(cases[i].Work / best[i]) / (cases[reference].Work / best[reference]):F1}" : "";
            Console.WriteLine($"| {c.Program} | {c.Threads} | {rate:N0} | {gflops:F1} | {gflops / peak[c.Threads]:P1} | {ratio} |");
        }
    }

    /// <summary>
    /// Where the MLP engine's time goes, on one thread, interleaved best of five: the engine as in <c>--quick mlp</c>; with
    /// ReLU hidden units (no exponential or division in the hidden layer: the difference is SiLU's share); on the first 64
    /// samples only (a 9 KiB table in the first-level cache: the difference is what the row reads lose to cache misses);
    /// and the minibatch indices with the input-row gathers alone. Each as ns per network-step and as a share of the
    /// engine's time, beside the time the multiply-adds would take at the measured FMA peak.
    /// </summary>
    private static void MlpProfile()
    {
        using var data = MlpBenchmarks.MlpData.Load();
        const int Networks = 4 * SgdDynamics.Kernels.Statistics.TileLayout.TileSize, Steps = 64;
        var silu = data.Landscape();
        var relu = data.Landscape(SgdDynamics.Kernels.Landscapes.MlpLandscape<SgdDynamics.Backends.Managed.HostParameters>.Relu);
        var small = data.Landscape(count: 64);
        var cases = new (string Name, Action Run)[]
        {
            ("engine (SiLU, softmax cross-entropy; n = 10,000)", () => MlpBenchmarks.Engine(silu, Networks, Steps, 1)),
            ("engine with ReLU hidden units", () => MlpBenchmarks.Engine(relu, Networks, Steps, 1)),
            ("engine on 64 samples (table in L1)", () => MlpBenchmarks.Engine(small, Networks, Steps, 1)),
            ("minibatch indices and input-row gathers alone", () => MlpBenchmarks.GathersOnly(data, Networks, Steps)),
        };
        foreach (var c in cases)
        {
            Warm(c.Run);
        }

        var best = new double[cases.Length];
        Array.Fill(best, double.PositiveInfinity);
        double peak = 0;
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < cases.Length; i++)
            {
                best[i] = Math.Min(best[i], Best(1, cases[i].Run));
            }

            peak = Math.Max(peak, FmaPeak.Measure(1, 1));
        }

        double work = (double)Networks * Steps;
        double engine = best[0] / work * 1e9;
        Console.WriteLine(
            $"MLP profile, 1 thread, {Networks} networks × {Steps} steps; fp32 FMA peak {peak:F1} GFLOP/s: the {MlpBenchmarks.FlopPerNetworkStep:N0} FLOP of a " +
            $"network-step take {MlpBenchmarks.FlopPerNetworkStep / peak:F0} ns at the peak");
        Console.WriteLine("| variant | ns per network-step | of the engine's time |");
        Console.WriteLine("|---|---|---|");
        for (int i = 0; i < cases.Length; i++)
        {
            double ns = best[i] / work * 1e9;
            Console.WriteLine($"| {cases[i].Name} | {ns:F0} | {ns / engine:P0} |");
        }
    }

    /// <summary>Calls the action until tiered JIT has settled: at least 40 calls or 1.5 s.</summary>
    private static void Warm(Action action)
    {
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < 40 && stopwatch.Elapsed.TotalSeconds < 1.5; i++)
        {
            action();
        }
    }

    private static double Best(int repetitions, Action action)
    {
        double best = double.PositiveInfinity;
        for (int i = 0; i < repetitions; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            action();
            best = Math.Min(best, stopwatch.Elapsed.TotalSeconds);
        }

        return best;
    }
}
