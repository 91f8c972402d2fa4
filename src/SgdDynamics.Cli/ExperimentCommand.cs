using System.CommandLine;
using SgdDynamics.Backends;
using SgdDynamics.ModeExperiments;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn experiment hessian-modes SCENARIO.json [--out DIR] [--backend B] [--threads N]</c>: the Hessian-mode
/// experiment on a network scenario (<see cref="HessianModeExperiment"/>), its report written by <see cref="HessianModeReport"/>.
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var scenario = RunCommand.ScenarioArgument();
        var backend = RunCommand.BackendOption();
        var output = RunCommand.OutOption("Output folder (default: runs/<scenario file name>-hessian-modes)");
        var threads = RunCommand.ThreadsOption();
        var hessianModes = new Command(
            "hessian-modes",
            "At the scenario's reference point (its initial point): the full-batch Hessian and its eigenmodes, the gradient-noise variance per mode, and ensembles of networks at several learning rates with and without replacement; per mode the regime, the stationary variance against the discrete and Langevin predictions, the diffusion coefficient and its exponent in η (settings: the scenario's \"hessianModes\" section)")
        {
            scenario, backend, output, threads,
        };
        hessianModes.SetAction(parse => CliRunner.Guard(() =>
        {
            FileInfo file = parse.GetValue(scenario)!;
            Scenario loaded = ScenarioLoader.LoadFile(file.FullName);
            if (HessianModeExperiment.Refusal(loaded) is { } refusal)
            {
                throw new ScenarioException(refusal.JsonPath, refusal.Message, file.FullName);
            }

            HessianModesSpec spec = loaded.HessianModes ?? HessianModesSpec.Default((EnsembleAlgorithm)loaded.Algorithm);
            string directory = parse.GetValue(output)?.FullName ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(file.Name) + "-hessian-modes");
            using StopSignals stop = StopSignals.Register();
            return OutputFolder.Run(directory, "experiment hessian-modes", null, () =>
            {
                using ComputeDevice device = ComputeDevice.Open(parse.GetValue(backend)!, parse.GetValue(threads));
                using IEnsembleBackend engine = BackendFactory.For(device);
                ScenarioWriter.WriteFile(loaded with { HessianModes = spec }, Path.Combine(directory, "scenario.json"));
                HessianModeResult result = HessianModeExperiment.Run(loaded, spec, engine, line => Console.Out.WriteLine(line), stop.Token);
                HessianModeReport.Write(result, directory);
                Console.Out.WriteLine($"wrote {Path.Combine(directory, "report.md")} and {HessianModeReport.Files.Count - 1} more files ({result.Seconds:F0} s)");
                return ExitCodes.Ok;
            });
        }));
        return new Command("experiment", "Experiments that combine several runs into one report") { hessianModes };
    }
}
