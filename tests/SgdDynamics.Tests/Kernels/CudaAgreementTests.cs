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
/// relatively), no divergence, and at every record mean and variance within the differences that this
/// state tolerance, applied to that record's states and σ_i, permits (<see cref="MomentBounds"/>: at most
/// about 1e-4·(|mean_i| + 2σ_i) and 2e-4·σ_i·(|mean_i| + 2σ_i), far inside the Monte-Carlo error of 300
/// trajectories, so a device reduction or an unchecked intermediate state off by more than rounding fails);</item>
/// <item>diverging problems (multiplicative noise amplifies a rounding difference wherever a step's
/// multiplier nearly cancels, and trajectories near the bound may land on either side): the diverged counts
/// differ by at most max(3, 3 % of N) at every record, and at least 90 % of the trajectories finite on both
/// agree to a relative 1e-3;</item>
/// <item>rounding-sensitive problems (a fluctuating landscape, <see cref="AgreementProblems.Sensitive"/>): as the diverging ones;</item>
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
            EnsembleAlgorithm ensemble = AgreementProblems.Ensemble(name);
            EnsembleResult cpu = EnsembleSolver.Solve(problem, ensemble, managed, keepFinalStates: true);
            EnsembleResult gpu = EnsembleSolver.Solve(problem, ensemble, cuda, keepFinalStates: true);
            EnsembleResult gpuChunked = EnsembleSolver.Solve(problem, ensemble, chunked, keepFinalStates: true);

            BackendAgreementTests.AssertSameStates(gpu, gpuChunked, $"{name}: cuda vs cuda chunkSlots 256");
            for (int r = 0; r < gpu.Records.Count; r++)
            {
                Assert.True(gpu.Statistics[r].Equals(gpuChunked.Statistics[r]), $"{name}: cuda chunked statistics differ at record {r}");
            }

            if (AgreementProblems.Diverges(name) || AgreementProblems.Sensitive(name))
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
        (Problem problem, EnsembleModel model, EnsembleResult cpu) = Fused(name);
        int d = problem.Dimension;
        double worst = 0;
        var unfused = new float[AgreementProblems.Trajectories][];
        for (uint t = 0; t < unfused.Length; t++)
        {
            unfused[t] = ScalarReference.FinalState<DeviceFloatLane>(model, t);
            ReadOnlySpan<float> c = cpu.FinalState(t);
            for (int i = 0; i < d; i++)
            {
                double scale = Math.Abs(c[i]) + Math.Sqrt(cpu.Final.Moments.Covariance[i, i]);
                worst = Math.Max(worst, Math.Abs(unfused[t][i] - c[i]) / scale);
            }
        }

        Assert.True(worst <= StateTolerance, $"{name}: unfused vs fused scaled difference {worst:E2} > {StateTolerance:E0}");

        // The moments of the unfused states meet the moment bounds the CUDA test applies at every record.
        Moments final = cpu.Final.Moments;
        for (int i = 0; i < d; i++)
        {
            double[] x = unfused.Select(u => (double)u[i]).ToArray();
            double mean = x.Average();
            double variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
            var (meanBound, varianceBound) = MomentBounds(final, i);
            Assert.True(
                Math.Abs(mean - final.Mean[i]) <= meanBound,
                $"{name}, mean {i}: fused {final.Mean[i]:R}, unfused {mean:R} (bound {meanBound:E2})");
            Assert.True(
                Math.Abs(variance - final.Covariance[i, i]) <= varianceBound,
                $"{name}, variance {i}: fused {final.Covariance[i, i]:R}, unfused {variance:R} (bound {varianceBound:E2})");
        }
    }

    [Theory]
    [MemberData(nameof(AgreementProblems.SensitiveNames), MemberType = typeof(AgreementProblems))]
    public void UnfusedDeviceLaneMeetsTheLooseToleranceOnSensitiveProblems(string name)
    {
        // The rounding-sensitive problems (a fluctuating landscape) are judged as the CUDA test judges them: at least
        // 90 % of the trajectories agree to a relative 1e-3, here for the unfused device lane against the fused CPU lanes.
        (Problem problem, EnsembleModel model, EnsembleResult cpu) = Fused(name);
        float[][] unfused = [.. Enumerable.Range(0, (int)AgreementProblems.Trajectories).Select(t => ScalarReference.FinalState<DeviceFloatLane>(model, (uint)t))];
        (long finite, long close) = Agreeing(problem.Dimension, AgreementProblems.Trajectories, t => cpu.FinalState(t).ToArray(), t => unfused[t]);
        Assert.True(finite > 0.97 * AgreementProblems.Trajectories, $"{name}: only {finite} trajectories finite on both lanes");
        Assert.True(close >= 0.9 * finite, $"{name}: only {close} of {finite} finite trajectories agree to 1e-3");
    }

    /// <summary>The agreement problem called <paramref name="name"/>, its model, and its run on the fused managed lanes with final states.</summary>
    private static (Problem Problem, EnsembleModel Model, EnsembleResult Cpu) Fused(string name)
    {
        Problem problem = AgreementProblems.Get(name);
        EnsembleAlgorithm ensemble = AgreementProblems.Ensemble(name);
        using var managed = new ManagedBackend();
        EnsembleResult cpu = EnsembleSolver.Solve(problem, ensemble, managed, keepFinalStates: true);
        return (problem, EnsembleModel.From(problem, ensemble), cpu);
    }

    /// <summary>
    /// Of <paramref name="n"/> trajectories, those finite on both sides and those of them whose every coordinate agrees to
    /// a relative 1e-3 (absolute 1e-6 near 0).
    /// </summary>
    private static (long Finite, long Close) Agreeing(int d, long n, Func<long, float[]> expected, Func<long, float[]> actual)
    {
        long finite = 0, close = 0;
        for (long t = 0; t < n; t++)
        {
            float[] c = expected(t), g = actual(t);
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

        return (finite, close);
    }

    /// <summary>
    /// The largest mean and variance differences of coordinate i that per-trajectory differences within the
    /// state tolerance permit, from the CPU moments m (mean), v (unbiased variance) and count N of one record.
    /// With e_t = x_gpu,t − x_cpu,t and |e_t| ≤ δ_t = ε(|x_cpu,t| + σ), ε = <see cref="StateTolerance"/>,
    /// σ = √v: ‖e‖ ≤ ‖δ‖ ≤ √N·D with D = ε(√(m² + v) + σ) (Minkowski, and Σx² / N ≤ m² + v), hence
    /// |Δmean| = |ē| ≤ ‖e‖/√N ≤ D and, by Cauchy–Schwarz with ‖e − ē‖ ≤ ‖e‖ and ‖x − x̄‖² = (N − 1)v,
    /// (N − 1)|Δvar| = |Σ (e_t − ē)(2(x_t − x̄) + e_t − ē)| ≤ √N·D (2√((N − 1)v) + √N·D). Each bound gets
    /// 1e-12·(1 + m²) more for the rounding of the double tile sums (a noiseless problem has variance ~0).
    /// </summary>
    private static (double Mean, double Variance) MomentBounds(Moments moments, int i)
    {
        double n = moments.Count, m = moments.Mean[i], v = Math.Max(moments.Covariance[i, i], 0);
        double d = StateTolerance * (Math.Sqrt(m * m + v) + Math.Sqrt(v));
        double floor = 1e-12 * (1 + m * m);
        return (d + floor, d * (2 * Math.Sqrt(n * v / (n - 1)) + n * d / (n - 1)) + floor);
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
                var (meanBound, varianceBound) = MomentBounds(mc, i);
                Assert.True(
                    Math.Abs(mg.Mean[i] - mc.Mean[i]) <= meanBound,
                    $"{name}, record {r}, mean {i}: cpu {mc.Mean[i]:R}, cuda {mg.Mean[i]:R} (bound {meanBound:E2})");
                Assert.True(
                    Math.Abs(mg.Covariance[i, i] - mc.Covariance[i, i]) <= varianceBound,
                    $"{name}, record {r}, variance {i}: cpu {mc.Covariance[i, i]:R}, cuda {mg.Covariance[i, i]:R} (bound {varianceBound:E2})");
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

        (long finite, long close) = Agreeing(cpu.Problem.Dimension, n, t => cpu.FinalState(t).ToArray(), t => gpu.FinalState(t).ToArray());
        Assert.True(finite > 0, $"{name}: no trajectory finite on both backends");
        Assert.True(close >= 0.9 * finite, $"{name}: only {close} of {finite} finite trajectories agree to 1e-3");
    }
}
