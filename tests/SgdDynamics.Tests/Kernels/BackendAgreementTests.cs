using SgdDynamics.Backends;
using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;

namespace SgdDynamics.Tests.Kernels;

/// <summary>ILGPU CPU-accelerator backends shared by the agreement tests (opening one compiles its kernels).</summary>
public sealed class IlgpuCpuBackends : IDisposable
{
    /// <summary>The whole ensemble on the device at once.</summary>
    public IlgpuBackend Whole { get; } = IlgpuBackend.Open("ilgpu-cpu");

    /// <summary>One tile of 256 slots at a time (the 300 trajectories run as two chunks).</summary>
    public IlgpuBackend Chunked { get; } = IlgpuBackend.Open("ilgpu-cpu", chunkSlots: 256);

    /// <summary>
    /// <paramref name="problem"/> run by every CPU backend configuration besides the default managed one: managed with
    /// Vector256 lanes, on 1 and 2 threads with one tile a batch, and ILGPU's CPU accelerator whole and in chunks of 256.
    /// </summary>
    public List<(string Label, EnsembleResult Result)> SolveOnTheOtherCpuBackends(Problem problem, EnsembleAlgorithm ensemble, bool keepFinalStates)
    {
        var results = new List<(string Label, EnsembleResult Result)>();
        foreach ((string label, Func<IEnsembleBackend> open) in new (string, Func<IEnsembleBackend>)[]
        {
            ("managed forceVector256", () => new ManagedBackend(forceVector256: true)),
            ("managed threads 1, tilesPerBatch 1", () => new ManagedBackend(threads: 1, tilesPerBatch: 1)),
            ("managed threads 2, tilesPerBatch 1", () => new ManagedBackend(threads: 2, tilesPerBatch: 1)),
        })
        {
            using IEnsembleBackend backend = open();
            results.Add((label, EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: keepFinalStates)));
        }

        results.Add(("ilgpu-cpu", EnsembleSolver.Solve(problem, ensemble, Whole, keepFinalStates: keepFinalStates)));
        results.Add(("ilgpu-cpu chunkSlots 256", EnsembleSolver.Solve(problem, ensemble, Chunked, keepFinalStates: keepFinalStates)));
        return results;
    }

    public void Dispose()
    {
        Whole.Dispose();
        Chunked.Dispose();
    }
}

/// <summary>
/// Every CPU backend configuration computes the same trajectories bit for bit (the physics is written once
/// and the random numbers are keyed by (seed, trajectory), counter (step, sub, stream)), and the same exact
/// statistics (tile sums in the canonical order of TileLayout, added in fixed point).
/// </summary>
public class BackendAgreementTests : IClassFixture<IlgpuCpuBackends>
{
    private readonly IlgpuCpuBackends ilgpu;

    public BackendAgreementTests(IlgpuCpuBackends ilgpu) => this.ilgpu = ilgpu;

    [Theory]
    [MemberData(nameof(AgreementProblems.Names), MemberType = typeof(AgreementProblems))]
    public void AllCpuBackendsGiveBitIdenticalStatesAndStatistics(string name)
    {
        Problem problem = AgreementProblems.Get(name);
        EnsembleAlgorithm ensemble = AgreementProblems.Ensemble(name);
        EnsembleResult reference;
        using (var managed = new ManagedBackend())
        {
            reference = EnsembleSolver.Solve(problem, ensemble, managed, keepFinalStates: true);
        }

        CheckShape(name, reference);

        var others = ilgpu.SolveOnTheOtherCpuBackends(problem, ensemble, keepFinalStates: true);

        foreach ((string label, EnsembleResult result) in others)
        {
            AssertSameStates(reference, result, $"{name}: managed vs {label}");
            AssertSameStatistics(reference, result, $"{name}: managed vs {label}");
        }
    }

    [Theory]
    [MemberData(nameof(AgreementProblems.Names), MemberType = typeof(AgreementProblems))]
    public void FinalStatisticsFollowTheDocumentedTileReductionOrder(string name)
    {
        // Rebuild the last record's tile sums from the final states with the order documented on TileLayout
        // (written out independently here) and deposit them: the exact accumulators must be equal, so each
        // backend's double tile sums are rounded exactly as documented.
        Problem problem = AgreementProblems.Get(name);
        EnsembleAlgorithm ensemble = AgreementProblems.Ensemble(name);
        EnsembleResult managed;
        using (var backend = new ManagedBackend())
        {
            managed = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        EnsembleResult device = EnsembleSolver.Solve(problem, ensemble, ilgpu.Whole, keepFinalStates: true);
        foreach ((string label, EnsembleResult result) in new[] { ("managed", managed), ("ilgpu-cpu", device) })
        {
            EnsembleStatistics rebuilt = DocumentedOrder.FromStates(result);
            int last = result.Statistics.RecordSteps.Count - 1;
            Assert.True(
                rebuilt[0].Equals(result.Statistics[last]),
                $"{name} on {label}: final-record statistics differ from the documented tile order " +
                $"(count {result.Statistics[last].Count} vs {rebuilt[0].Count}, diverged {result.Statistics[last].Diverged} vs {rebuilt[0].Diverged})");
        }
    }

    [Theory]
    [MemberData(nameof(AgreementProblems.Names), MemberType = typeof(AgreementProblems))]
    public void EnsembleTrajectoriesEqualTheScalarReference(string name)
    {
        // trajectory t of the ensemble is the host scalar run keyed (seed, t): first and last of each tile,
        // SIMD-block edges, and the partial tile
        Problem problem = AgreementProblems.Get(name);
        EnsembleAlgorithm ensemble = AgreementProblems.Ensemble(name);
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        var model = EnsembleModel.From(problem, ensemble);
        foreach (uint t in new uint[] { 0, 1, 15, 16, 31, 32, 100, 255, 256, 271, 287, 288, 298, 299 })
        {
            AssertSameState(ScalarReference.FinalState(model, t), result.FinalState(t), $"{name}: scalar reference vs managed, trajectory {t}");
        }
    }

    [Fact]
    public void TheReductionOrderIsObservableInTheExactStatistics()
    {
        // The check above is not vacuous: summing the same tile values left to right instead of in the
        // documented order changes some double tile sum, and the exact accumulators then differ.
        Problem problem = AgreementProblems.Get("dense-3d");
        EnsembleAlgorithm ensemble = AgreementProblems.Ensemble("dense-3d");
        EnsembleResult result;
        using (var backend = new ManagedBackend())
        {
            result = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        }

        EnsembleStatistics sequential = DocumentedOrder.FromStates(result, leftToRight: true);
        Assert.False(sequential[0].Equals(result.Statistics[result.Statistics.RecordSteps.Count - 1]));
        Assert.True(DocumentedOrder.FromStates(result)[0].Equals(result.Statistics[result.Statistics.RecordSteps.Count - 1]));
    }

    [Theory]
    [InlineData("dense-3d")]
    [InlineData("diverging-momentum-2d")]
    public void ShardsReproduceTheWholeRunOnEveryBackend(string name)
    {
        // Trajectory i has key (seed, i) whatever range it runs in: the shard [256, 300) has the same final
        // states as the whole run, and the statistics of [0, 256) and [256, 300) merge exactly into the whole.
        Problem problem = AgreementProblems.Get(name);
        EnsembleAlgorithm ensemble = AgreementProblems.Ensemble(name);
        using var managed = new ManagedBackend();
        foreach ((string label, IEnsembleBackend backend) in new (string, IEnsembleBackend)[] { ("managed", managed), ("ilgpu-cpu", ilgpu.Whole) })
        {
            EnsembleResult whole = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
            EnsembleResult head = EnsembleSolver.Solve(problem, ensemble, backend, new TrajectoryRange(0, 256), keepFinalStates: true);
            EnsembleResult tail = EnsembleSolver.Solve(problem, ensemble, backend, new TrajectoryRange(256, 44), keepFinalStates: true);

            for (long t = 0; t < AgreementProblems.Trajectories; t++)
            {
                EnsembleResult shard = t < 256 ? head : tail;
                AssertSameState(whole.FinalState(t), shard.FinalState(t), $"{name} on {label}, trajectory {t} in its shard");
            }

            var merged = head.Statistics.CreateEmpty();
            merged.Merge(tail.Statistics);
            merged.Merge(head.Statistics);
            for (int r = 0; r < whole.Statistics.RecordSteps.Count; r++)
            {
                Assert.True(merged[r].Equals(whole.Statistics[r]), $"{name} on {label}: merged shard statistics differ at record {r}");
            }
        }
    }

    /// <summary>Checks that each problem has the character it was built for (so the agreement covers NaNs).</summary>
    private static void CheckShape(string name, EnsembleResult result)
    {
        int d = result.Problem.Dimension;
        long n = AgreementProblems.Trajectories;
        Assert.Equal([0, 7, 14, 21, 28, 35, 40], result.Records.Select(r => r.Step));
        Assert.Equal(n * d, result.FinalStates!.Length);
        long nanTrajectories = 0;
        for (long t = 0; t < n; t++)
        {
            ReadOnlySpan<float> x = result.FinalState(t);
            bool anyNan = false, allNan = true;
            foreach (float v in x)
            {
                anyNan |= float.IsNaN(v);
                allNan &= float.IsNaN(v);
                Assert.True(float.IsNaN(v) || Math.Abs(v) <= result.Algorithm.DivergenceThreshold, $"{name}: trajectory {t} beyond the bound but not marked");
            }

            Assert.True(anyNan == allNan, $"{name}: trajectory {t} is only partly NaN");
            nanTrajectories += anyNan ? 1 : 0;
        }

        var final = result.Final.Moments;
        Assert.Equal(nanTrajectories, final.Diverged);
        Assert.Equal(n, final.Count + final.Diverged);
        Assert.All(result.Records, r => Assert.Equal(n, r.Moments.Count + r.Moments.Diverged));
        if (AgreementProblems.Diverges(name))
        {
            Assert.InRange(final.Diverged, n / 20, n - n / 20);
            Assert.True(result.FirstDivergedStep < AgreementProblems.Steps, $"{name}: no divergence before the last record");

            // once diverged, always diverged
            for (int r = 1; r < result.Records.Count; r++)
            {
                Assert.True(result.Records[r].Moments.Diverged >= result.Records[r - 1].Moments.Diverged);
            }
        }
        else
        {
            Assert.All(result.Records, r => Assert.Equal(0, r.Moments.Diverged));
        }

        if (name.StartsWith("noiseless", StringComparison.Ordinal))
        {
            for (long t = 1; t < n; t++)
            {
                AssertSameState(result.FinalState(0), result.FinalState(t), $"{name}: trajectory {t} differs from trajectory 0");
            }
        }
    }

    internal static void AssertSameStates(EnsembleResult expected, EnsembleResult actual, string label)
    {
        Assert.Equal(expected.Range, actual.Range);
        for (long t = expected.Range.First; t < expected.Range.End; t++)
        {
            AssertSameState(expected.FinalState(t), actual.FinalState(t), $"{label}, trajectory {t}");
        }
    }

    private static void AssertSameState(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string label)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = float.IsNaN(expected[i])
                ? float.IsNaN(actual[i])
                : BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]);
            Assert.True(same, $"{label}, coordinate {i}: {expected[i]:R} vs {actual[i]:R}");
        }
    }

    private static void AssertSameStatistics(EnsembleResult expected, EnsembleResult actual, string label)
    {
        Assert.Equal(expected.Statistics.RecordSteps, actual.Statistics.RecordSteps);
        for (int r = 0; r < expected.Statistics.RecordSteps.Count; r++)
        {
            var e = expected.Statistics[r];
            var a = actual.Statistics[r];
            Assert.True(e.Equals(a), $"{label}: statistics of record {r} (step {expected.Statistics.RecordSteps[r]}) differ: count {e.Count} vs {a.Count}, diverged {e.Diverged} vs {a.Diverged}");
            Assert.Equal(e.GetHashCode(), a.GetHashCode());
        }
    }
}

/// <summary>The reduction order documented on <c>TileLayout</c>, written out independently of the product code.</summary>
internal static class DocumentedOrder
{
    private const int Tile = 256;

    /// <summary>Statistics codes in output order: S1 (i), S2 (i ≤ j, row-major upper triangle), S3 (i), S4 (i).</summary>
    public static (int Kind, int I, int J)[] Statistics(int d)
    {
        var list = new List<(int, int, int)>();
        for (int i = 0; i < d; i++)
        {
            list.Add((1, i, i));
        }

        for (int i = 0; i < d; i++)
        {
            for (int j = i; j < d; j++)
            {
                list.Add((2, i, j));
            }
        }

        for (int i = 0; i < d; i++)
        {
            list.Add((3, i, i));
        }

        for (int i = 0; i < d; i++)
        {
            list.Add((4, i, i));
        }

        return list.ToArray();
    }

    /// <summary>Per-trajectory value in double: x_i, x_i x_j, x_i²·x_i, x_i²·x_i².</summary>
    public static double Value(int kind, float xi, float xj)
    {
        double a = xi;
        return kind switch
        {
            1 => a,
            2 => a * xj,
            3 => a * a * a,
            _ => (a * a) * (a * a),
        };
    }

    /// <summary>acc_k = Σ_b (p[16b + k] + p[16b + k + 8]), then ((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7)).</summary>
    public static double TileSum(ReadOnlySpan<double> p)
    {
        Span<double> acc = stackalloc double[8];
        acc.Clear();
        for (int b = 0; b < Tile / 16; b++)
        {
            for (int k = 0; k < 8; k++)
            {
                acc[k] += p[16 * b + k] + p[16 * b + k + 8];
            }
        }

        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }

    private static double LeftToRight(double[] p)
    {
        double sum = 0;
        foreach (double v in p)
        {
            sum += v;
        }

        return sum;
    }

    /// <summary>
    /// One-record statistics of the final states of <paramref name="result"/>, tile by tile (in the documented
    /// order, or summed left to right when <paramref name="leftToRight"/>).
    /// </summary>
    public static EnsembleStatistics FromStates(EnsembleResult result, bool leftToRight = false)
    {
        int d = result.Problem.Dimension;
        var codes = Statistics(d);
        var statistics = new EnsembleStatistics(d, [result.Statistics.RecordSteps[^1]]);
        var p = new double[Tile];
        var sums = new double[codes.Length];
        for (long first = result.Range.First; first < result.Range.End; first += Tile)
        {
            long valid = 0, diverged = 0;
            for (long t = first; t < Math.Min(first + Tile, result.Range.End); t++)
            {
                if (float.IsNaN(result.FinalState(t)[0]))
                {
                    diverged++;
                }
                else
                {
                    valid++;
                }
            }

            for (int s = 0; s < codes.Length; s++)
            {
                (int kind, int i, int j) = codes[s];
                for (int slot = 0; slot < Tile; slot++)
                {
                    long t = first + slot;
                    bool ok = t < result.Range.End && !float.IsNaN(result.FinalState(t)[0]);
                    p[slot] = ok ? Value(kind, result.FinalState(t)[i], result.FinalState(t)[j]) : 0.0;
                }

                sums[s] = leftToRight ? LeftToRight(p) : TileSum(p);
            }

            statistics.Deposit(0, valid, diverged, sums);
        }

        return statistics;
    }
}
