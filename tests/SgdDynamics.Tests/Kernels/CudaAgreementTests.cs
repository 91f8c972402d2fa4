using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Kernels.Lanes;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;

namespace SgdDynamics.Tests.Kernels;

/// <summary>
/// The CUDA backend against the managed CPU backend on the agreement problems. The device lane leaves
/// <c>a·b + c</c> to the device compiler, which contracts it into fma where it chooses, so the GPU agrees
/// with the CPU to float rounding, not bitwise. Stated tolerances:
/// <list type="bullet">
/// <item>non-diverging problems: every final coordinate |x_gpu − x_cpu| ≤ 1e-4·(|x_cpu| + σ_i) after 40
/// steps (σ_i the CPU ensemble standard deviation of coordinate i, so coordinates near 0 are not judged
/// relatively), no divergence, and at every record |Δ mean_i| ≤ SE(mean_i) + 1e-4·|mean_i| and
/// |Δ var_i| ≤ SE(var_i) + 1e-4·var_i (the same trajectories, so far inside the Monte-Carlo error), each
/// plus 1e-12·(1 + mean_i²) for the rounding of the double tile sums;</item>
/// <item>diverging problems (multiplicative noise amplifies a rounding difference wherever a step's
/// multiplier nearly cancels, and trajectories near the bound may land on either side): the diverged counts
/// differ by at most max(3, 3 % of N) at every record, and at least 90 % of the trajectories finite on both
/// agree to a relative 1e-3;</item>
/// <item>the device is deterministic: a run in chunks of 256 slots is bit-identical to the whole run.</item>
/// </list>
/// </summary>
public class CudaAgreementTests
{
    /// <summary>Final-state tolerance: |x_gpu − x_cpu| ≤ StateTolerance·(|x_cpu| + σ_i).</summary>
    private const double StateTolerance = 1e-4;

    [CudaFact]
    public void CudaAgreesWithManagedToFloatRounding()
    {
        using var cuda = IlgpuBackend.Open("cuda");
        using var chunked = IlgpuBackend.Open("cuda", chunkSlots: 256);
        using var managed = new ManagedBackend();
        foreach (string name in AgreementProblems.NameList)
        {
            Problem problem = AgreementProblems.Get(name);
            EnsembleResult cpu = EnsembleSolver.Solve(problem, managed, keepFinalStates: true);
            EnsembleResult gpu = EnsembleSolver.Solve(problem, cuda, keepFinalStates: true);
            EnsembleResult gpuChunked = EnsembleSolver.Solve(problem, chunked, keepFinalStates: true);

            BackendAgreementTests.AssertSameStates(gpu, gpuChunked, $"{name}: cuda vs cuda chunkSlots 256");
            for (int r = 0; r < gpu.Records.Count; r++)
            {
                Assert.True(gpu.Statistics[r].Equals(gpuChunked.Statistics[r]), $"{name}: cuda chunked statistics differ at record {r}");
            }

            if (AgreementProblems.Diverges(name))
            {
                CheckDiverging(name, cpu, gpu);
            }
            else
            {
                CheckConverging(name, cpu, gpu);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AgreementProblems.ConvergingNames), MemberType = typeof(AgreementProblems))]
    public void UnfusedDeviceLaneStaysWithinTheCudaStateTolerance(string name)
    {
        // Runs without a GPU: the device lane's arithmetic with no contraction at all (DeviceFloatLane on the
        // host: every a·b + c rounded twice) is the far end of what the CUDA compiler may produce. Its final
        // states must meet the tolerance stated above against the fused CPU lanes, so the CUDA test's
        // tolerance is not tighter than float rounding allows.
        Problem problem = AgreementProblems.Get(name);
        EnsembleResult cpu;
        using (var managed = new ManagedBackend())
        {
            cpu = EnsembleSolver.Solve(problem, managed, keepFinalStates: true);
        }

        var model = EnsembleModel.From(problem);
        int d = problem.Dimension;
        double worst = 0;
        for (uint t = 0; t < AgreementProblems.Trajectories; t++)
        {
            float[] unfused = ScalarReference.FinalState<DeviceFloatLane>(model, t);
            ReadOnlySpan<float> c = cpu.FinalState(t);
            for (int i = 0; i < d; i++)
            {
                double scale = Math.Abs(c[i]) + Math.Sqrt(cpu.Final.Moments.Covariance[i, i]);
                worst = Math.Max(worst, Math.Abs(unfused[i] - c[i]) / scale);
            }
        }

        Assert.True(worst <= StateTolerance, $"{name}: unfused vs fused scaled difference {worst:E2} > {StateTolerance:E0}");
    }

    private static void CheckConverging(string name, EnsembleResult cpu, EnsembleResult gpu)
    {
        int d = cpu.Problem.Dimension;
        Moments final = cpu.Final.Moments;
        for (long t = 0; t < AgreementProblems.Trajectories; t++)
        {
            ReadOnlySpan<float> c = cpu.FinalState(t);
            ReadOnlySpan<float> g = gpu.FinalState(t);
            for (int i = 0; i < d; i++)
            {
                double sigma = Math.Sqrt(final.Covariance[i, i]);
                double bound = StateTolerance * (Math.Abs(c[i]) + sigma);
                Assert.True(Math.Abs(g[i] - c[i]) <= bound, $"{name}: trajectory {t}, coordinate {i}: cpu {c[i]:R}, cuda {g[i]:R} (bound {bound:E2})");
            }
        }

        for (int r = 0; r < cpu.Records.Count; r++)
        {
            Moments mc = cpu.Records[r].Moments;
            Moments mg = gpu.Records[r].Moments;
            Assert.Equal(0, mg.Diverged);
            Assert.Equal(mc.Count, mg.Count);
            for (int i = 0; i < d; i++)
            {
                // + 1e-12·(1 + mean²): the double tile sums of x² round (a noiseless problem has variance ~0)
                double floor = 1e-12 * (1 + mc.Mean[i] * mc.Mean[i]);
                Assert.True(
                    Math.Abs(mg.Mean[i] - mc.Mean[i]) <= mc.MeanStandardError[i] + 1e-4 * Math.Abs(mc.Mean[i]) + floor,
                    $"{name}, record {r}, mean {i}: cpu {mc.Mean[i]:R} ± {mc.MeanStandardError[i]:E2}, cuda {mg.Mean[i]:R}");
                Assert.True(
                    Math.Abs(mg.Covariance[i, i] - mc.Covariance[i, i]) <= mc.VarianceStandardError[i] + 1e-4 * mc.Covariance[i, i] + floor,
                    $"{name}, record {r}, variance {i}: cpu {mc.Covariance[i, i]:R} ± {mc.VarianceStandardError[i]:E2}, cuda {mg.Covariance[i, i]:R}");
            }
        }
    }

    private static void CheckDiverging(string name, EnsembleResult cpu, EnsembleResult gpu)
    {
        long n = AgreementProblems.Trajectories;
        long slack = Math.Max(3, 3 * n / 100);
        for (int r = 0; r < cpu.Records.Count; r++)
        {
            Moments mc = cpu.Records[r].Moments;
            Moments mg = gpu.Records[r].Moments;
            Assert.Equal(n, mg.Count + mg.Diverged);
            Assert.True(Math.Abs(mg.Diverged - mc.Diverged) <= slack, $"{name}, record {r}: diverged cpu {mc.Diverged}, cuda {mg.Diverged}");
        }

        int d = cpu.Problem.Dimension;
        long finite = 0, close = 0;
        for (long t = 0; t < n; t++)
        {
            ReadOnlySpan<float> c = cpu.FinalState(t);
            ReadOnlySpan<float> g = gpu.FinalState(t);
            if (float.IsNaN(c[0]) || float.IsNaN(g[0]))
            {
                continue;
            }

            finite++;
            bool agrees = true;
            for (int i = 0; i < d; i++)
            {
                agrees &= Math.Abs(g[i] - c[i]) <= 1e-3 * Math.Max(Math.Abs(c[i]), 1e-3);
            }

            close += agrees ? 1 : 0;
        }

        Assert.True(finite > 0, $"{name}: no trajectory finite on both backends");
        Assert.True(close >= 0.9 * finite, $"{name}: only {close} of {finite} finite trajectories agree to 1e-3");
    }
}
