using System.Globalization;
using System.Text.RegularExpressions;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;

namespace SgdDynamics.Cli;

/// <summary>
/// The memory and disk a run will need, estimated from the scenario before any work starts: the records (steps ÷ every),
/// the ensemble's statistic buffers (one set per worker and one merged), the kept final states (trajectories × d
/// floats), the grid solvers' arrays (bytes a cell, measured: README, "Resource limits"), the density files and the
/// text outputs. A run whose estimate exceeds <c>--max-memory</c> or the free disk space is refused (exit 2) with the
/// numbers.
/// </summary>
internal sealed partial class ResourceEstimate
{
    /// <summary>The process itself: runtime, JIT, libraries, ScottPlot's renderer (peak RSS of a 16² grid run: 71 MiB; rounded up).</summary>
    public const long ProcessBytes = 128L << 20;

    /// <summary>The most density CSV files a grid run writes unless <c>--max-density-files</c> allows more.</summary>
    public const int DefaultMaxDensityFiles = 1000;

    /// <summary>Bytes of a PNG plot (the 1100 × 600 and 800 × 700 plots take 40–90 KiB), and of summary.json with scenario.json.</summary>
    private const long PlotBytes = 128 << 10;

    /// <summary>Characters a number takes in the text outputs (round-trip doubles).</summary>
    private const int CharactersPerNumber = 24;

    private readonly List<(string What, long Bytes)> memory = [];
    private readonly List<(string What, long Bytes)> disk = [];

    private ResourceEstimate(string what) => What = what;

    /// <summary>The run, in words.</summary>
    public string What { get; }

    /// <summary>Estimated peak memory in bytes.</summary>
    public long MemoryBytes => Saturate(ProcessBytes + memory.Sum(m => (double)m.Bytes));

    /// <summary>Estimated bytes of the outputs.</summary>
    public long DiskBytes => Saturate(disk.Sum(d => (double)d.Bytes));

    /// <summary>
    /// Bytes a grid cell costs at peak, by solver and dimension: peak RSS above a tiny run's, per cell, measured on
    /// 2-D Fokker–Planck with the ADI scheme at 1024² (77), 2048² (67) and 4096² (65), with backward Euler at 2048² (806),
    /// 1-D Fokker–Planck 2²² cells (ADI 267, backward Euler 344), master equation 1-D 2²⁰ cells (321) and 2-D 1024² (219, the general gather of a non-diagonal covariance),
    /// one step each with the density files and plots (README, "Resource limits"), rounded up; the master equation's separable
    /// windows (diagonal noise, <paramref name="separable"/>) in 2-D: 105 at 1024², 95 at 2048² and 93 at 4096², rounded up to 120
    /// (the density files are streamed and a heat map holds at most 512² values, so the outputs add no copy of the grid).
    /// </summary>
    public static long BytesPerCell(GridAlgorithm algorithm, int dimension, bool separable = false) => (algorithm, dimension) switch
    {
        (FokkerPlanckAlgorithm, 1) => 400,
        (FokkerPlanckAlgorithm { Scheme: FokkerPlanckScheme.Adi }, _) => 100,
        (FokkerPlanckAlgorithm, _) => 900,
        (MasterEquationAlgorithm, 1) => 400,
        (MasterEquationAlgorithm, _) => separable ? 120 : 280,
        _ => 900,
    };

    /// <summary>The records of a run: step 0, every <c>every</c> steps, and the last (computed, not listed).</summary>
    public static long Records(Algorithm algorithm) => (algorithm.Steps + (long)algorithm.Record.Every - 1) / algorithm.Record.Every + 1;

    /// <summary>An ensemble run with <paramref name="workers"/> statistic buffers besides the merged one.</summary>
    public static ResourceEstimate ForEnsemble(Problem problem, EnsembleAlgorithm algorithm, int workers)
    {
        int d = problem.Dimension;
        long n = algorithm.Trajectories;
        long records = Records(algorithm);
        var estimate = new ResourceEstimate($"{n:N0} trajectories × {algorithm.Steps:N0} steps, {records:N0} records, d = {d}");
        estimate.disk.Add(("summary.json and scenario.json", PlotBytes));
        // the state's statistics (full pairs up to d = 64 or with record.covariance, else coordinates) and the projections'
        var model = EnsembleModel.From(problem, algorithm);
        long accumulator = AccumulatorBytes(d, model.Plan);
        if (algorithm.Projection is { } projection)
        {
            accumulator += AccumulatorBytes(projection.Count, projection.Plan);
        }

        // per segment: one buffer per worker, the segment's own and the run's (SolveInSegments merges them)
        estimate.memory.Add(($"statistics {records:N0} records × {Size(accumulator)} × {workers + 2} buffers", Multiply(records, accumulator, workers + 2)));

        // a checkpoint: the exact sums as hexadecimal text (about as many characters as the accumulator has bytes), built in memory
        estimate.disk.Add(("checkpoint statistics", Multiply(records, accumulator)));
        estimate.memory.Add(("checkpoint text", Multiply(records, accumulator, 4)));

        // each record's moments (mean, covariance, standard errors, third and fourth moments) and its time-series text;
        // above d = 64 the time series holds means and variances, and a recorded covariance goes to covariance.npy
        bool pairs = model.Plan == Kernels.Statistics.StatisticsPlan.FullPairs;
        long columns = 4 + d + (pairs && d <= Limits.MaxDimension ? d * (d + 1L) / 2 : d);
        estimate.memory.Add(($"moments of {records:N0} records", Multiply(records, 8L * ((pairs ? (long)d * d : d) + (6L * d)) + 256)));
        estimate.memory.Add(("time-series text", Multiply(records, columns * CharactersPerNumber * 4)));
        estimate.disk.Add(("timeseries.csv", Multiply(records, columns * CharactersPerNumber)));
        estimate.disk.Add(("timeseries.npz", Multiply(records, 8L * (4 + (6L * d) + (pairs ? (long)d * d : 0) + (algorithm.Projection is { } p ? (6L * p.Count) + (p.Covariance ? (long)p.Count * p.Count : 0) : 0)))));
        if (pairs && d > Limits.MaxDimension)
        {
            estimate.disk.Add(("covariance.npy", Multiply(d, d, 8)));
        }

        if (algorithm.Projection is { } projected)
        {
            long k = projected.Count;
            estimate.memory.Add(($"projected moments of {records:N0} records", Multiply(records, 8L * ((projected.Covariance ? k * k : k) + (6L * k)) + 256)));
            estimate.disk.Add(("projections.csv", Multiply(records, (4 + (4 * k)) * CharactersPerNumber)));
            estimate.memory.Add(("projections text", Multiply(records, (4 + (4 * k)) * CharactersPerNumber * 4)));
            if (projected.Covariance)
            {
                estimate.disk.Add(("projection_covariance.npy", Multiply(k, k, 8)));
            }
        }
        if (problem.IsQuadratic)
        {
            estimate.disk.Add(("modes.csv", Multiply(records, (2 + (2L * d)) * CharactersPerNumber)));
        }

        bool tails = algorithm.Record.Tails;
        if (tails || algorithm.Histogram is not null)
        {
            long floats = Multiply(n, d);
            if (floats > Array.MaxLength)
            {
                throw new CliInputException(
                    $"the final states of {n:N0} trajectories × d = {d} are {floats:N0} floats, more than the largest array ({Array.MaxLength:N0}); " +
                    $"record.tails and histograms need at most {Array.MaxLength / d:N0} trajectories");
            }

            estimate.memory.Add(($"final states {n:N0} × {d} floats", Multiply(floats, 4)));
            estimate.memory.Add(("a segment's final states", Math.Min(Multiply(floats, 4), EnsembleSolver.MaxSegmentStateBytes)));
            estimate.disk.Add(("checkpoint final states", Multiply(floats, 4)));
            if (tails)
            {
                // one coordinate at a time: a float column, the estimators' sorted copies and prefix sums in double
                estimate.memory.Add(("tail estimates", Multiply(n, 40)));
            }
        }

        if (algorithm.Histogram is { } grid)
        {
            estimate.memory.Add(($"histogram {grid.Count:N0} cells", Multiply(grid.Count, 64)));
            estimate.disk.Add(("histogram and its plot", DensityCsv.EstimatedBytes(grid.ToGrid()) + PlotBytes));
        }

        return estimate;
    }

    /// <summary>
    /// True when <paramref name="algorithm"/> is a master equation that runs separable windows on
    /// <paramref name="problem"/>'s landscape (<see cref="MasterEquationSolver.RunsSeparable"/>); false otherwise, and
    /// when the landscape has no grid form (the run reports that itself).
    /// </summary>
    public static bool Separable(GridAlgorithm algorithm, Problem problem)
    {
        if (algorithm is not MasterEquationAlgorithm master)
        {
            return false;
        }

        try
        {
            return MasterEquationSolver.RunsSeparable(GridRunner.Landscape(problem), algorithm.Grid.ToGrid(), master.TruncationSigmas);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// A grid run writing <paramref name="densityFiles"/> density CSV files; <paramref name="separable"/>: a master
    /// equation that runs separable windows (<see cref="MasterEquationSolver.RunsSeparable"/>).
    /// </summary>
    public static ResourceEstimate ForGrid(GridAlgorithm algorithm, int densityFiles, bool separable = false)
    {
        GridSpec spec = algorithm.Grid;
        long cells = spec.Count;
        long records = Records(algorithm);
        var estimate = new ResourceEstimate($"{algorithm.TypeName} on {cells:N0} cells × {algorithm.Steps:N0} steps, {records:N0} records");
        long perCell = BytesPerCell(algorithm, spec.Dimension, separable);
        estimate.memory.Add(($"grid {cells:N0} cells × {perCell} bytes", Multiply(cells, perCell)));
        if (algorithm is MasterEquationAlgorithm)
        {
            // the managed backend's window cache, within its budget; a 1-D grid builds its block table from it (the two side by side while it is built)
            estimate.memory.Add((
                spec.Dimension == 1 ? "cached windows and their block table, at most" : "cached windows, at most",
                MasterEquationSolver.DefaultWindowCacheBytes * (spec.Dimension == 1 ? 2 : 1)));
        }

        if (algorithm is MasterEquationAlgorithm && spec.Dimension == 2 && !separable)
        {
            estimate.memory.Add(("the row windows of a non-diagonal covariance, at most", MasterEquationSolver.RowTableBytes));
        }

        if (algorithm.Stationary)
        {
            estimate.memory.Add(("stationary solve and spectral gap (Krylov basis, work vectors)", StationarySolve.WorkspaceBytes(algorithm)));
        }

        int d = spec.Dimension;
        estimate.memory.Add(($"moments of {records:N0} records", Multiply(records, 8L * ((2L * d * d) + (4L * d)) + 256)));
        estimate.disk.Add(($"{densityFiles:N0} density files", Multiply(densityFiles, DensityCsv.EstimatedBytes(spec.ToGrid()))));
        estimate.disk.Add(("checkpoint densities (the new one beside the last)", Multiply(cells, 16)));
        estimate.disk.Add(("plots, summary.json and scenario.json", Multiply(Math.Min(densityFiles, DensityPlots.MaxPlotted) + 1, PlotBytes)));
        estimate.disk.Add(("timeseries.csv", Multiply(records, (4L + (2 * d) + (d * (d + 1L) / 2)) * CharactersPerNumber)));
        return estimate;
    }

    /// <summary>Adds <paramref name="bytes"/> of memory for <paramref name="what"/>.</summary>
    public void AddMemory(string what, long bytes) => memory.Add((what, bytes));

    /// <summary>Adds <paramref name="bytes"/> of disk for <paramref name="what"/>.</summary>
    public void AddDisk(string what, long bytes) => disk.Add((what, bytes));

    /// <summary>Refuses (exit 2) when the estimated memory exceeds <paramref name="limit"/>.</summary>
    public void CheckMemory(long limit, string limitSource)
    {
        if (MemoryBytes > limit)
        {
            throw new CliInputException(
                $"the run ({What}) needs an estimated {Size(MemoryBytes)} of memory ({Breakdown(memory)}), more than {limitSource} {Size(limit)}; " +
                "shrink the run or raise --max-memory");
        }
    }

    /// <summary>Refuses (exit 2) when the outputs need more than the free space of <paramref name="directory"/>'s drive plus <paramref name="reclaimable"/>.</summary>
    public void CheckDisk(string directory, long reclaimable)
    {
        long free;
        try
        {
            free = new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return;
        }

        if (DiskBytes > free + reclaimable)
        {
            throw new CliInputException(
                $"the outputs ({Breakdown(disk)}) need an estimated {Size(DiskBytes)} of disk, more than the {Size(free + reclaimable)} free for --out {directory}");
        }
    }

    /// <summary>The default memory limit: what the runtime reports as available to this process.</summary>
    public static long AvailableMemory() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Reads a size: a number with an optional unit B, KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T alike) or kB, MB, GB,
    /// TB (powers of 1000). Null when the text is not a size.
    /// </summary>
    public static long? ParseSize(string text)
    {
        Match m = SizeText().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            return null;
        }

        string unit = m.Groups[2].Value.ToUpperInvariant();
        double scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KIB" => 1L << 10,
            "M" or "MIB" => 1L << 20,
            "G" or "GIB" => 1L << 30,
            "T" or "TIB" => 1L << 40,
            "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "TB" => 1e12,
            _ => double.NaN,
        };
        double bytes = value * scale;
        return double.IsFinite(bytes) && bytes > 0 && bytes < long.MaxValue ? (long)bytes : null;
    }

    /// <summary>A byte count in GiB, MiB or KiB.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
    };

    /// <summary>The bytes of one record's exact sums: 3d + d(d+1)/2 (full pairs) or 4d (coordinates) sums of 17 limbs, and the object.</summary>
    private static long AccumulatorBytes(int dimension, Kernels.Statistics.StatisticsPlan plan)
    {
        long sums = (3L * dimension) + Kernels.Statistics.TileLayout.ProductCount(dimension, plan);
        return (sums * MomentAccumulator.BytesPerSum) + 256;
    }

    private static string Breakdown(List<(string What, long Bytes)> parts) =>
        string.Join(", ", parts.Where(p => p.Bytes > 0).OrderByDescending(p => p.Bytes).Take(3).Select(p => $"{p.What}: {Size(p.Bytes)}"));

    /// <summary>A product of byte counts, saturating at <see cref="long.MaxValue"/>.</summary>
    private static long Multiply(params long[] factors)
    {
        double product = 1;
        foreach (long f in factors)
        {
            product *= f;
        }

        return Saturate(product);
    }

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)bytes;

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)$")]
    private static partial Regex SizeText();
}
