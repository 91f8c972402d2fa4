using System.CommandLine;
using System.Globalization;
using SgdDynamics.Backends;
using SgdDynamics.Data;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn run … --save-states</c> and <c>--save-paths K</c>: the ensemble's final states as <c>final_states.npy</c>
/// (M × d float32, in trajectory order) and the first K trajectories' states at every recorded step as <c>paths.npy</c>
/// (K × R × d float32; <see cref="TrajectoryPaths"/>). Ensemble runs only; refused with <c>--resume</c>, whose checkpoint
/// does not keep these options.
/// </summary>
/// <param name="FinalStates">Write final_states.npy.</param>
/// <param name="Paths">The number K of paths to write to paths.npy, or null.</param>
internal sealed record StateOutputs(bool FinalStates, int? Paths)
{
    /// <summary>The final states' file name.</summary>
    public const string FinalStatesFile = "final_states.npy";

    /// <summary>The paths' file name.</summary>
    public const string PathsFile = "paths.npy";

    /// <summary>No state outputs.</summary>
    public static StateOutputs None { get; } = new(false, null);

    /// <summary>Whether any state output is asked for.</summary>
    public bool Any => FinalStates || Paths is not null;

    /// <summary>The <c>--save-states</c> option.</summary>
    public static Option<bool> SaveStatesOption() => new("--save-states")
    {
        Description = $"Also write the final states of all trajectories to {FinalStatesFile} (M × d float32, trajectory order; ensemble runs)",
    };

    /// <summary>The <c>--save-paths</c> option.</summary>
    public static Option<int?> SavePathsOption() => new("--save-paths")
    {
        Description = $"Also write the states of the first K trajectories at every recorded step to {PathsFile} (K × R × d float32; ensemble runs; costs about K·R·steps/2 extra trajectory-steps)",
        CustomParser = r =>
        {
            string text = r.Tokens.Count == 1 ? r.Tokens[0].Value : string.Join(' ', r.Tokens.Select(t => t.Value));
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int count))
            {
                return count;
            }

            r.AddError($"--save-paths takes a whole number of trajectories K ≥ 1; got '{text}'");
            return null;
        },
    };

    /// <summary>The options as given; refuses K &lt; 1 and either option with <c>--resume</c>.</summary>
    public static StateOutputs From(ParseResult parse, Option<bool> saveStates, Option<int?> savePaths, bool resuming)
    {
        var outputs = new StateOutputs(parse.GetValue(saveStates), parse.GetValue(savePaths));
        if (outputs.Paths is < 1)
        {
            throw new CliInputException($"--save-paths must be at least 1 (the number of trajectories whose paths are written; got {outputs.Paths})");
        }

        if (resuming && outputs.Any)
        {
            throw new CliInputException("--save-states and --save-paths cannot be used with --resume: a checkpoint does not keep them; run the scenario again with them");
        }

        return outputs;
    }

    /// <summary>Refuses the options for a grid run.</summary>
    public void RefuseForGrid(GridAlgorithm grid)
    {
        if (Any)
        {
            throw new CliInputException($"{(FinalStates ? "--save-states" : "--save-paths")} applies to ensemble runs only (this scenario's solver is {grid.TypeName}, which has no trajectories)");
        }
    }

    /// <summary>Refuses impossible sizes (K above the trajectories, arrays past the largest) and adds the outputs' memory and disk to <paramref name="estimate"/>.</summary>
    public void AddTo(ResourceEstimate estimate, Problem problem, EnsembleAlgorithm ensemble)
    {
        long d = problem.Dimension;
        long n = ensemble.Trajectories;
        if (FinalStates)
        {
            long floats = n * d;
            if (floats > Array.MaxLength)
            {
                throw new CliInputException(
                    $"--save-states: the final states of {n:N0} trajectories × d = {d} are {floats:N0} floats, more than the largest array ({Array.MaxLength:N0}); " +
                    $"at most {Array.MaxLength / d:N0} trajectories can be saved");
            }

            if (!ensemble.Record.Tails && ensemble.Histogram is null)
            {
                estimate.AddMemory($"final states {n:N0} × {d} floats", floats * 4);
                estimate.AddMemory("a segment's final states", Math.Min(floats * 4, EnsembleSolver.MaxSegmentStateBytes));
                estimate.AddDisk("checkpoint final states", floats * 4);
            }

            estimate.AddDisk(FinalStatesFile, floats * 4);
        }

        if (Paths is int k)
        {
            if (k > n)
            {
                throw new CliInputException($"--save-paths {k}: the ensemble has {n:N0} trajectories (ensemble.trajectories), so at most {n:N0} paths can be saved");
            }

            long records = ResourceEstimate.Records(ensemble);
            long floats = k * records * d;
            if (floats > Array.MaxLength)
            {
                throw new CliInputException(
                    $"--save-paths {k}: {k:N0} paths × {records:N0} records × d = {d} are {floats:N0} floats, more than the largest array ({Array.MaxLength:N0}); " +
                    $"at most {Array.MaxLength / (records * d):N0} paths of this run can be saved");
            }

            estimate.AddMemory($"paths {k:N0} × {records:N0} records × {d} floats", (floats + (k * d)) * 4);
            estimate.AddDisk(PathsFile, floats * 4);
        }
    }

    /// <summary>
    /// Writes the asked-for files into <paramref name="directory"/> and returns their names; the paths are run on
    /// <paramref name="backend"/>, stopped by <paramref name="stop"/>.
    /// </summary>
    public IReadOnlyList<string> Write(string directory, EnsembleResult result, IEnsembleBackend backend, StopSignals stop)
    {
        var written = new List<string>();
        int d = result.Problem.Dimension;
        if (FinalStates)
        {
            float[] states = result.FinalStates ?? throw new InvalidOperationException("the final states were not kept: solve with keepFinalStates");
            NpyFile.Write(Path.Combine(directory, FinalStatesFile), [checked((int)result.Range.Count), d], states);
            written.Add(FinalStatesFile);
        }

        if (Paths is int k)
        {
            float[] paths;
            try
            {
                paths = TrajectoryPaths.Record(result.Problem, result.Algorithm, backend, k, stop.Token);
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                throw new RunInterruptedException(
                    stop.ExitCode,
                    $"interrupted by {stop.Signal} while recording the paths: the run's outputs are written in {directory}, {PathsFile} is not");
            }

            NpyFile.Write(Path.Combine(directory, PathsFile), [k, result.Records.Count, d], paths);
            written.Add(PathsFile);
        }

        return written;
    }

    /// <summary>Prints the files written (not in <c>--json</c> mode, whose stdout is the summary).</summary>
    public static void Print(IReadOnlyList<string> written)
    {
        if (written.Count > 0)
        {
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"states for NumPy: {string.Join(", ", written)}")));
        }
    }
}
