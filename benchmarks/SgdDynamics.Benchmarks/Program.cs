using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(SgdDynamics.Benchmarks.EnsembleBenchmarks).Assembly).Run(args);
