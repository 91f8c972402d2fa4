using SgdDynamics.Backends;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Problems;
using static SgdDynamics.Tests.Ensembles.ProjectionTestData;

namespace SgdDynamics.Tests.Ensembles;

/// <summary>
/// The paths of the first trajectories (<see cref="TrajectoryPaths"/>): each row is the full run's state at that record,
/// bit for bit — the last row its final states, an earlier row the final states of the same run stopped there — and with
/// every trajectory the rows have the records' means; diverged trajectories turn NaN at the same record in both.
/// </summary>
public sealed class TrajectoryPathsTests
{
    private static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);

    private static void AssertRowIsStates(float[] paths, int count, int records, int d, int record, float[] states)
    {
        for (int k = 0; k < count; k++)
        {
            for (int i = 0; i < d; i++)
            {
                Assert.True(
                    Bits(states[(k * d) + i]) == Bits(paths[(((k * records) + record) * d) + i]),
                    $"trajectory {k}, record {record}, coordinate {i}: path {paths[(((k * records) + record) * d) + i]:R}, states {states[(k * d) + i]:R}");
            }
        }
    }

    private static void AssertPathsAreTheRunsStates(Problem problem, EnsembleAlgorithm ensemble, IEnsembleBackend backend, int count)
    {
        int d = problem.Dimension;
        IReadOnlyList<int> steps = ensemble.RecordSteps;
        float[] paths = TrajectoryPaths.Record(problem, ensemble, backend, count);
        Assert.Equal(count * steps.Count * d, paths.Length);

        EnsembleResult full = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        AssertRowIsStates(paths, count, steps.Count, d, steps.Count - 1, full.FinalStates!);
        for (int r = 1; r < steps.Count - 1; r++)
        {
            // the same ensemble stopped at the record's step, solved on its own (another schedule of normal-buffer fills)
            EnsembleResult stopped = EnsembleSolver.Solve(problem, ensemble with { Steps = steps[r] }, backend, keepFinalStates: true);
            AssertRowIsStates(paths, count, steps.Count, d, r, stopped.FinalStates!);
        }
    }

    [Fact]
    public void RowsAreTheStatesOfTheRunAtEachRecordBitForBit()
    {
        using var backend = new ManagedBackend();
        AssertPathsAreTheRunsStates(Problem3(), new EnsembleAlgorithm(300, 30, 5, new RecordSpec(7)), backend, 13);
    }

    [Fact]
    public void DivergedTrajectoriesTurnNaNAtTheSameRecordAsInTheRun()
    {
        // 1-D random walk with |x| ≤ 3: many walks leave within 40 steps, and stay NaN from the record that finds them out
        Problem walk = ProblemBuilder.Quadratic(new double[,] { { 0 } }, new double[,] { { 1 } }, learningRate: 1, initialMean: [0.0]);
        var ensemble = new EnsembleAlgorithm(200, 40, 3, new RecordSpec(5), divergenceThreshold: 3);
        using var backend = new ManagedBackend();
        float[] paths = TrajectoryPaths.Record(walk, ensemble, backend, 200);
        int records = ensemble.RecordSteps.Count;
        int diverged = Enumerable.Range(0, 200).Count(k => float.IsNaN(paths[(k * records) + records - 1]));
        Assert.InRange(diverged, 20, 199);
        for (int k = 0; k < 200; k++)
        {
            int first = Enumerable.Range(0, records).FirstOrDefault(r => float.IsNaN(paths[(k * records) + r]), records);
            Assert.All(Enumerable.Range(first, records - first), r => Assert.True(float.IsNaN(paths[(k * records) + r])));
        }

        AssertPathsAreTheRunsStates(walk, ensemble, backend, 200);
    }

    [Fact]
    public void WithEveryTrajectoryTheRowsHaveTheRecordsMeans()
    {
        Problem problem = Problem3();
        var ensemble = new EnsembleAlgorithm(256, 20, 9, new RecordSpec(5));
        using var backend = new ManagedBackend();
        float[] paths = TrajectoryPaths.Record(problem, ensemble, backend, 256);
        EnsembleResult result = EnsembleSolver.Solve(problem, ensemble, backend);
        int records = result.Records.Count, d = 3;
        for (int r = 0; r < records; r++)
        {
            for (int i = 0; i < d; i++)
            {
                double sum = 0;
                for (int k = 0; k < 256; k++)
                {
                    sum += paths[(((k * records) + r) * d) + i];
                }

                // the engine's mean is the exact sum of the same float32 states over n, correctly rounded; a double sum of
                // 256 floats of size ~1 is within 256·2⁻⁵³ relative of it
                Assert.Equal(result.Records[r].Moments.Mean[i], sum / 256, 1e-12);
            }
        }
    }

    [Fact]
    public void TheIlgpuCpuBackendGivesItsOwnRunsStates()
    {
        using IEnsembleBackend backend = BackendFactory.Open("ilgpu-cpu");
        AssertPathsAreTheRunsStates(Problem3(), new EnsembleAlgorithm(64, 12, 2, new RecordSpec(4)), backend, 5);
    }

    [Fact]
    public void ImpossibleCountsAreRefused()
    {
        using var backend = new ManagedBackend();
        var ensemble = new EnsembleAlgorithm(10, 5, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => TrajectoryPaths.Record(Problem3(), ensemble, backend, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrajectoryPaths.Record(Problem3(), ensemble, backend, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => EnsembleModel.From(Problem3(), ensemble).Through(3));
    }
}
