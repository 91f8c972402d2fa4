using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "--quick")
{
    SgdDynamics.Benchmarks.QuickRun.Run(args.Skip(1).ToArray());
    return;
}

if (args.Length > 0 && args[0] == "--stationary")
{
    SgdDynamics.Benchmarks.StationaryBenchmarks.Run(args.Skip(1).ToArray());
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(SgdDynamics.Benchmarks.EnsembleBenchmarks).Assembly).Run(args);
