using System.CommandLine;
using System.Globalization;
using SgdDynamics.Backends;
using SgdDynamics.Benchmarking;
using SgdDynamics.Problems;

namespace SgdDynamics.Cli;

/// <summary>The options of <c>sgdyn bench --grid</c>, and their checks (each bad value: one line naming the option, exit 2).</summary>
internal sealed class GridOptions
{
    public Option<bool> Grid { get; } = new("--grid") { Description = "Benchmark the grid solvers instead: cell-updates/s per solver and grid size on 1 and N threads beside the measured memory bandwidth, and the Fokker–Planck schemes' error against compute time" };

    private readonly Option<string> sizes = new("--grid-sizes") { Description = "With --grid: cells per axis of the 2-D workloads, comma-separated", DefaultValueFactory = _ => "256,1024" };

    private readonly Option<int> size1D = new("--grid-1d") { Description = "With --grid: cells of the 1-D workloads (0: none)", DefaultValueFactory = _ => 8192 };

    private readonly Option<string?> solvers = new("--solvers") { Description = $"With --grid: the solvers, comma-separated (default all: {string.Join(", ", GridSolverCases.All.Select(c => c.Name))})" };

    private readonly Option<double> minSeconds = new("--min-seconds") { Description = "With --grid: least duration of a timed run (its step count is calibrated to it)", DefaultValueFactory = _ => 0.2 };

    private readonly Option<int> accuracySize = new("--accuracy-size") { Description = "With --grid: cells per axis of the accuracy study (2-D Ornstein–Uhlenbeck)", DefaultValueFactory = _ => 256 };

    private readonly Option<double> accuracyTime = new("--accuracy-time") { Description = "With --grid: the accuracy study's end time T (a multiple of η = 0.1)", DefaultValueFactory = _ => 5.0 };

    private readonly Option<string> accuracySubsteps = new("--accuracy-substeps") { Description = "With --grid: sub-steps per SGD step of the accuracy study, comma-separated", DefaultValueFactory = _ => "1,2,4,8,16,32" };

    private readonly Option<bool> noAccuracy = new("--no-accuracy") { Description = "With --grid: skip the accuracy study" };

    private readonly Option<bool> json = new("--json") { Description = "With --grid: print the result as JSON on stdout instead of the tables" };

    private readonly Option<string?> output = new("--out") { Description = "With --grid: write bench-grid.json, bench-grid.png and bench-grid-accuracy.png to this folder" };

    private IEnumerable<Option> GridOnly => [sizes, size1D, solvers, minSeconds, accuracySize, accuracyTime, accuracySubsteps, noAccuracy, json, output];

    public static GridOptions Create() => new();

    public void AddTo(Command command)
    {
        command.Options.Add(Grid);
        foreach (Option option in GridOnly)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Refuses a grid option given without <c>--grid</c>.</summary>
    public void RefuseWithoutGrid(ParseResult parse)
    {
        foreach (Option option in GridOnly)
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw new CliInputException($"{option.Name} applies only with --grid");
            }
        }
    }

    /// <summary>The checked options.</summary>
    public GridBenchOptions Read(ParseResult parse, string[]? backends, int repeat, int threads, bool threadsGiven)
    {
        int[] twoD = Integers(parse.GetValue(sizes) ?? "", "--grid-sizes", 2, (int)Math.Sqrt(Limits.MaxGridCells));
        int oneD = parse.GetValue(size1D);
        if (oneD != 0 && (oneD < 2 || oneD > Limits.MaxGridCells))
        {
            throw new CliInputException($"--grid-1d must be 0 (none) or a cell count from 2 to {Limits.MaxGridCells} (got {oneD})");
        }

        IReadOnlyList<GridSolverCase> chosen = GridSolverCases.All;
        if (parse.GetValue(solvers) is { } names)
        {
            var list = new List<GridSolverCase>();
            foreach (string name in names.Split(',', StringSplitOptions.TrimEntries))
            {
                GridSolverCase? found = GridSolverCases.All.FirstOrDefault(c => c.Name == name);
                if (found is null)
                {
                    throw new CliInputException($"--solvers: no grid solver '{name}' (known: {string.Join(", ", GridSolverCases.All.Select(c => c.Name))})");
                }

                if (!list.Contains(found))
                {
                    list.Add(found);
                }
            }

            chosen = list;
        }

        double least = parse.GetValue(minSeconds);
        if (!(least > 0) || least > 60)
        {
            throw new CliInputException($"--min-seconds must be > 0 and at most 60 (got {least.ToString(CultureInfo.InvariantCulture)})");
        }

        if (backends is { Length: > 1 })
        {
            throw new CliInputException($"--backend: --grid measures one backend at a time (got {string.Join(", ", backends)})");
        }

        string backend = backends is { Length: 1 } ? backends[0] : "managed";
        using (ComputeDevice.Open(backend))
        {
            // throws BackendUnavailableException (exit 2, naming the backend) when it cannot run here
        }

        int most = threads == 0 ? Environment.ProcessorCount : threads;
        int[] threadCounts = most == 1 ? [1] : [1, most];
        if (backend != "managed" && threadsGiven)
        {
            throw new CliInputException($"--threads: thread counts apply to the managed backend, not to {backend}");
        }

        GridAccuracyOptions? accuracy = null;
        if (!parse.GetValue(noAccuracy))
        {
            int cells = parse.GetValue(accuracySize);
            if (cells < 8 || cells > (int)Math.Sqrt(Limits.MaxGridCells))
            {
                throw new CliInputException($"--accuracy-size must be from 8 to {(int)Math.Sqrt(Limits.MaxGridCells)} cells per axis (got {cells})");
            }

            double time = parse.GetValue(accuracyTime);
            double steps = time / GridBench.AccuracyLearningRate;
            if (!(time > 0) || !double.IsFinite(time) || Math.Abs(steps - Math.Round(steps)) > 1e-9 * steps || steps > 100_000)
            {
                throw new CliInputException($"--accuracy-time must be a positive multiple of η = {GridBench.AccuracyLearningRate} (at most 10⁵ SGD steps; got {time.ToString(CultureInfo.InvariantCulture)})");
            }

            accuracy = new GridAccuracyOptions(cells, time, Integers(parse.GetValue(accuracySubsteps) ?? "", "--accuracy-substeps", 1, 1 << 16));
        }
        else
        {
            foreach (Option option in new Option[] { accuracySize, accuracyTime, accuracySubsteps })
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    throw new CliInputException($"{option.Name} does not apply with --no-accuracy");
                }
            }
        }

        string? folder = parse.GetValue(output);
        if (folder is not null && File.Exists(folder))
        {
            throw new CliInputException($"--out: {folder} is a file, not a folder");
        }

        return new GridBenchOptions(twoD, oneD, chosen, repeat, threadCounts, backend, least, accuracy, parse.GetValue(json), folder is null ? null : Path.GetFullPath(folder));
    }

    /// <summary>A comma-separated list of integers in [<paramref name="low"/>, <paramref name="high"/>], each once, in order.</summary>
    private static int[] Integers(string text, string option, int low, int high)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < low || value > high)
            {
                throw new CliInputException($"{option}: '{part}' is not an integer from {low} to {high} (a comma-separated list such as 256,1024)");
            }

            if (!values.Contains(value))
            {
                values.Add(value);
            }
        }

        return [.. values];
    }
}
