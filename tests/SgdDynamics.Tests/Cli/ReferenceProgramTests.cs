using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Cli;
using SgdDynamics.Ensembles;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Cli;

/// <summary>
/// The reference programs of <c>sgdyn bench</c> (benchmarks/reference): the C++ program builds, passes its self-check
/// and computes the engine's W1 and W2; the NumPy program draws the same stream.
/// </summary>
public class ReferenceProgramTests
{
    private const long Trajectories = 1 << 12;
    private const int Steps = ReferenceWorkloads.Steps;

    [CppCompilerFact]
    public void CppReferenceBuildsPassesItsSelfCheckAndComputesTheEnginesW1()
    {
        ReferenceProgram cpp = ReferencePrograms.PrepareCpp(out string reason) ?? throw new Xunit.Sdk.XunitException(reason);

        (int exit, string output) = Start(cpp, "check", "8192", "200");
        Assert.True(exit == 0, output);
        Assert.Contains("self-check N=8192 K=200", output);

        foreach (uint seed in new[] { ReferenceWorkloads.ReferenceSeed, 7u })
        {
            ReferenceResult reference = ReferencePrograms.Run(cpp, "W1", Trajectories, Steps, threads: 2, seed);
            (double mean, double variance) = EngineW1(seed);

            // The program performs the engine's float operations on the same Philox words (its fmaf calls are the
            // engine's fused multiply-adds, nothing else fused), so every final state equals the engine's bit for bit
            // and the moments differ only by how the double sums round: ~1e-16 relative. A slip of one operation in
            // one trajectory and step already moves them by more than 1e-10 relative; the Monte-Carlo error of the
            // mean at this N is ~1e-3 in absolute terms (sd 0.07 over 64).
            Assert.Equal(Trajectories, reference.Trajectories);
            Assert.True(Math.Abs(reference.Means[0] - mean) <= 1e-12 * Math.Abs(mean), $"mean {reference.Means[0]:R} vs the engine's {mean:R} (seed {seed})");
            Assert.True(Math.Abs(reference.Variances[0] - variance) <= 1e-12 * variance, $"variance {reference.Variances[0]:R} vs the engine's {variance:R} (seed {seed})");
        }
    }

    [CppCompilerFact]
    public void CppReferenceComputesTheEnginesW2()
    {
        ReferenceProgram cpp = ReferencePrograms.PrepareCpp(out string reason) ?? throw new Xunit.Sdk.XunitException(reason);
        ReferenceResult reference = ReferencePrograms.Run(cpp, "W2", Trajectories, Steps, threads: 1, ReferenceWorkloads.ReferenceSeed);

        using IEnsembleBackend backend = BackendFactory.Open("managed", 2);
        Moments final = EnsembleSolver.Solve(ReferenceWorkloads.W2(), ReferenceWorkloads.Ensemble(Trajectories), backend).Final.Moments;

        // bit-identical states, as for W1: only the rounding of the sums differs
        int[] coordinates = [0, 15];
        for (int c = 0; c < coordinates.Length; c++)
        {
            int i = coordinates[c];
            double variance = final.Covariance[i, i] * (final.Count - 1) / final.Count;
            Assert.True(Math.Abs(reference.Means[c] - final.Mean[i]) <= 1e-12 * Math.Abs(final.Mean[i]), $"coordinate {i}: mean {reference.Means[c]:R} vs {final.Mean[i]:R}");
            Assert.True(Math.Abs(reference.Variances[c] - variance) <= 1e-12 * variance, $"coordinate {i}: variance {reference.Variances[c]:R} vs {variance:R}");
        }
    }

    [NumPyReferenceFact]
    public void NumPyReferenceDrawsTheEnginesStreamAndPassesItsSelfCheck()
    {
        ReferenceProgram numpy = ReferencePrograms.PrepareNumPy(out string reason) ?? throw new Xunit.Sdk.XunitException(reason);

        (int exit, string output) = Start(numpy, "check", "4096", "100");
        Assert.True(exit == 0, output);

        ReferenceResult reference = ReferencePrograms.Run(numpy, "W1", Trajectories, Steps, threads: 1, ReferenceWorkloads.ReferenceSeed);
        (double mean, double variance) = EngineW1(ReferenceWorkloads.ReferenceSeed);

        // Same Philox words and Box–Muller mapping, but NumPy's float32 log/sin/cos (the engine's polynomials agree to
        // 2e-7 of the radius) and separately rounded products and sums. A step then moves a state by at most about
        // η·2e-7·|z| + 3 float ulps of |x| ≲ 1e-7 (|x| ≲ 0.5 after the first steps), so over K = 500 steps
        // |Δx| ≤ 5e-5 at worst and |Δmean| ≤ 5e-5, |Δvar| ≤ 2·E|x|·5e-5 ≤ 1e-5. Observed: ~1e-9. Another stream would
        // miss by the Monte-Carlo error, ~1e-3 for the mean at this N.
        Assert.True(Math.Abs(reference.Means[0] - mean) <= 5e-5, $"mean {reference.Means[0]:R} vs the engine's {mean:R}");
        Assert.True(Math.Abs(reference.Variances[0] - variance) <= 1e-5, $"variance {reference.Variances[0]:R} vs the engine's {variance:R}");
    }

    [Fact]
    public void ResultLinesAreRead()
    {
        ReferenceResult w1 = ReferencePrograms.Parse("W1 N=4096 K=500 seed=12345 threads=2 mean=0.0052125 var=0.00516 time_s=0.0207 steps_per_s=9.859013e+07");
        Assert.Equal((4096L, 500, 2, 0.0207, 9.859013e7), (w1.Trajectories, w1.Steps, w1.Threads, w1.Seconds, w1.StepsPerSecond));
        Assert.Equal([0.0052125], w1.Means);
        Assert.Equal([0.00516], w1.Variances);

        ReferenceResult w2 = ReferencePrograms.Parse("W2 N=16 K=5 seed=1 threads=1 mean0=1 var0=2 mean15=3 var15=4 time_s=1 steps_per_s=80");
        Assert.Equal([1.0, 3.0], w2.Means);
        Assert.Equal([2.0, 4.0], w2.Variances);

        Assert.Throws<IOException>(() => ReferencePrograms.Parse("W1 N=4096 K=500 threads=2 mean=0.1 time_s=1 steps_per_s=2"));
    }

    [Fact]
    public void BenchRejectsAMissingRefsFolder()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"sgdyn-no-refs-{Guid.NewGuid():N}");
        CliResult result = Sgdyn.Run(Path.GetTempPath(), "bench", "--refs", missing);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal([$"error: --refs: no folder {missing}"], result.MessageLines);
    }

    private static (double Mean, double Variance) EngineW1(uint seed)
    {
        using IEnsembleBackend backend = BackendFactory.Open("managed", 2);
        Moments final = EnsembleSolver.Solve(ReferenceWorkloads.W1(), ReferenceWorkloads.Ensemble(Trajectories, Steps, seed), backend).Final.Moments;
        return (final.Mean[0], final.Covariance[0, 0] * (final.Count - 1) / final.Count);
    }

    private static (int Exit, string Output) Start(ReferenceProgram program, params string[] args)
    {
        var info = new ProcessStartInfo(program.Command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in program.Command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, where no C++ compiler ($CXX, g++, clang++) is found.</summary>
public sealed class CppCompilerFactAttribute : FactAttribute
{
    /// <summary>A fact, skipped without a C++ compiler.</summary>
    public CppCompilerFactAttribute()
    {
        if (ReferencePrograms.FindCompiler(out string reason) is null)
        {
            Skip = $"the C++ reference cannot be built: {reason}";
        }
    }
}

/// <summary>A fact that is skipped, with the reason, where no python3 imports NumPy.</summary>
public sealed class NumPyReferenceFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Absent = new(() => ReferencePrograms.PrepareNumPy(out string reason) is null ? reason : null);

    /// <summary>A fact, skipped without NumPy.</summary>
    public NumPyReferenceFactAttribute()
    {
        if (Absent.Value is { } reason)
        {
            Skip = $"the NumPy reference cannot run: {reason}";
        }
    }
}
