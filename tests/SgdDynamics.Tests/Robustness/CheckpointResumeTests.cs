using SgdDynamics.Backends;
using SgdDynamics.Backends.Ilgpu;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Ensembles;
using SgdDynamics.Grids;
using SgdDynamics.Output;
using SgdDynamics.Problems;
using SgdDynamics.Scenarios;
using SgdDynamics.Tests.Cli;
using SgdDynamics.Tests.Ensembles;

namespace SgdDynamics.Tests.Robustness;

/// <summary>
/// Stop, checkpoint, resume: an ensemble run in segments, stopped after some of them, written to a checkpoint
/// (<see cref="RunCheckpoint"/>), read back and resumed gives the statistics and final states of one uninterrupted
/// <see cref="EnsembleSolver.Solve"/>, bit for bit; a grid run stopped part-way and resumed from its checkpoint gives the
/// records and final density of one that ran through, bit for bit. Exact checks, not statistical ones. A damaged
/// checkpoint is refused, naming the file.
/// </summary>
[Collection(EnsembleCollection.Name)]
public sealed class CheckpointResumeTests
{
    /// <summary>21 full tiles and a partial one.</summary>
    private const long Trajectories = 21 * 256 + 77;

    public static TheoryData<string, long> EnsembleCases => new()
    {
        { "heavy-ball", 256 },
        { "heavy-ball", 1000 },
        { "diverging", 512 },
        { "diverging", 2048 },
        { "coordinates-100d", 1000 },
        { "covariance-projections-100d", 512 },
        { "covariance-projections-100d", 1000 },
    };

    /// <summary>
    /// The heavy-ball problem of <see cref="EnsembleReproducibilityTests"/> (a velocity beside the position: the update
    /// rule's own state; Gaussian start, curvature noise) with final states kept, and its SGD problem with a low divergence
    /// threshold that removes trajectories as they go. 40 steps, a record every 9.
    /// </summary>
    private static (Problem Problem, EnsembleAlgorithm Ensemble) Make(string name) => name switch
    {
        "heavy-ball" => (
            EnsembleReproducibilityTests.Make("heavy-ball-2d", 11).Problem,
            new EnsembleAlgorithm(Trajectories, steps: 40, seed: 11, new RecordSpec(9, tails: true))),
        "diverging" => (
            EnsembleReproducibilityTests.Make("sgd-diverging", 5).Problem,
            new EnsembleAlgorithm(Trajectories, steps: 40, seed: 5, new RecordSpec(9), divergenceThreshold: 2.5)),
        "coordinates-100d" => (
            CoordinateStatisticsTests.Problem100(),
            new EnsembleAlgorithm(Trajectories, steps: 12, seed: 7, new RecordSpec(4))),
        "covariance-projections-100d" => (
            CoordinateStatisticsTests.Problem100(),
            new EnsembleAlgorithm(Trajectories, steps: 12, seed: 7, new RecordSpec(4)) { FullCovariance = true, Projection = Directions100() }),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>Five directions in 100-D about a centre, with their covariance.</summary>
    private static ProjectionSpec Directions100()
    {
        var random = new Random(21);
        var v = new double[5, 100];
        for (int a = 0; a < 5; a++)
        {
            for (int i = 0; i < 100; i++)
            {
                v[a, i] = random.NextDouble() - 0.5;
            }
        }

        return new ProjectionSpec([.. Enumerable.Range(0, 100).Select(i => 0.01 * i)], v, covariance: true);
    }

    [Theory]
    [MemberData(nameof(EnsembleCases))]
    public void SegmentedEnsembleStoppedCheckpointedAndResumedIsBitIdenticalToOneRun(string name, long segment)
    {
        var (problem, ensemble) = Make(name);
        using var backend = new ManagedBackend(threads: 2, tilesPerBatch: 1);
        EnsembleResult single = EnsembleSolver.Solve(problem, ensemble, backend, keepFinalStates: true);
        if (name == "diverging")
        {
            Assert.InRange(single.Final.Moments.Diverged, 1, Trajectories - 1);
        }

        // In segments, straight through.
        int segments = 0;
        EnsembleResult straight = EnsembleSolver.SolveInSegments(problem, ensemble, backend, afterSegment: _ => segments++, segmentLimit: segment, keepFinalStates: true);
        Assert.Equal((Trajectories + segment - 1) / segment, segments);
        Bitwise.AssertSameStatistics(single.Statistics, straight.Statistics, "segments");
        Bitwise.AssertSame(single.FinalStates!, straight.FinalStates!, "segments' final states");

        // Stopped after two segments, checkpointed, read back and resumed on another thread count or backend.
        using var temp = new TempFolder();
        var header = new RunCheckpoint.Header("ensemble", "scenario-hash", backend.Name);
        var writer = new RunCheckpoint.EnsembleWriter(temp.Path, header);
        using var stop = new CancellationTokenSource();
        int seen = 0;
        var stopped = Assert.Throws<EnsembleRunStoppedException>(() => EnsembleSolver.SolveInSegments(
            problem,
            ensemble,
            backend,
            afterSegment: state =>
            {
                writer.Write(state);
                if (++seen == 2)
                {
                    stop.Cancel();
                }
            },
            segmentLimit: segment,
            cancellationToken: stop.Token,
            keepFinalStates: true));
        long done = Math.Min(2 * ((segment + 255) / 256 * 256), Trajectories);
        Assert.Equal(done, stopped.State.Done);
        writer.Write(stopped.State);

        RunCheckpoint.Loaded loaded = RunCheckpoint.Read(temp.Path, problem, ensemble);
        Assert.Equal(header, loaded.Header);
        Assert.Equal(done, loaded.Ensemble!.Done);
        for (int r = 0; r < ensemble.RecordSteps.Count; r++)
        {
            Assert.Equal(stopped.State.Statistics[r], loaded.Ensemble.Statistics[r]);
            if (ensemble.Projection is not null)
            {
                Assert.Equal(stopped.State.Statistics.Projections(r), loaded.Ensemble.Statistics.Projections(r));
            }
        }

        if (ensemble.Projection is not null)
        {
            // the checkpoint fits only the run it belongs to: without the projections, or without their covariance, it is refused
            var without = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, problem, ensemble with { Projection = null }));
            Assert.Contains("projections: the checkpoint holds projections, the scenario records none", without.Message, StringComparison.Ordinal);
            var plain = ensemble with { Projection = new ProjectionSpec(ensemble.Projection.Centre, ensemble.Projection.Directions) };
            var withoutCovariance = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, problem, plain));
            Assert.Contains("projections[0]: holds FullPairs moments; the directions record Coordinates", withoutCovariance.Message, StringComparison.Ordinal);
            var coordinates = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, problem, ensemble with { FullCovariance = false }));
            Assert.Contains("statistics[0]: holds FullPairs moments; the run records Coordinates", coordinates.Message, StringComparison.Ordinal);
        }

        // resumed on one thread, or (one case) on ILGPU's CPU accelerator, which runs the same trajectories bit for bit
        using IEnsembleBackend other = segment == 1000 ? IlgpuBackend.Open("ilgpu-cpu") : new ManagedBackend(threads: 1, tilesPerBatch: 3);
        EnsembleResult resumed = EnsembleSolver.SolveInSegments(problem, ensemble, other, loaded.Ensemble, keepFinalStates: true);
        Bitwise.AssertSameStatistics(single.Statistics, resumed.Statistics, "stopped and resumed");
        Bitwise.AssertSame(single.FinalStates!, resumed.FinalStates!, "stopped and resumed final states");
        for (int r = 0; r < single.Records.Count; r++)
        {
            Bitwise.AssertSameMoments(single.Records[r].Moments, resumed.Records[r].Moments, $"record {r}");
            if (ensemble.Projection is not null)
            {
                Assert.True(single.Statistics.Projections(r).Equals(resumed.Statistics.Projections(r)), $"record {r}: projections");
                Bitwise.AssertSameMoments(single.Records[r].Projected!, resumed.Records[r].Projected!, $"record {r} projections");
            }
        }
    }

    [Fact]
    public void ResumingAnEnsembleFromAnInconsistentStateIsRefused()
    {
        var (problem, ensemble) = Make("diverging");
        using var backend = new ManagedBackend(threads: 1);
        var statistics = new EnsembleStatistics(problem.Dimension, ensemble.RecordSteps);
        Assert.Throws<ArgumentException>(() => EnsembleSolver.SolveInSegments(problem, ensemble, backend, new EnsembleRunState(100, statistics, null, 0)));
        Assert.Throws<ArgumentException>(() => EnsembleSolver.SolveInSegments(problem, ensemble, backend, new EnsembleRunState(Trajectories + 256, statistics, null, 0)));
        var otherSteps = new EnsembleStatistics(problem.Dimension, [0, 40]);
        Assert.Throws<ArgumentException>(() => EnsembleSolver.SolveInSegments(problem, ensemble, backend, new EnsembleRunState(256, otherSteps, null, 0)));
        Assert.Throws<ArgumentException>(() => EnsembleSolver.SolveInSegments(problem, ensemble, backend, new EnsembleRunState(256, statistics, null, 0), keepFinalStates: true));
    }

    public static TheoryData<string> GridCases => ["master-absorbing", "master-periodic", "fokker-planck-2d", "fokker-planck-periodic"];

    /// <summary>Grid scenarios: the master equation with absorbing and with periodic walls (displacement), Fokker–Planck in 2-D and on a ring.</summary>
    private static Scenario GridScenario(string name)
    {
        string solver = name switch
        {
            "master-absorbing" => """{"type": "masterEquation", "boundary": "absorbing", "grid": {"lower": [-3], "upper": [3], "cells": [240]}}""",
            "master-periodic" => """{"type": "masterEquation", "boundary": "periodic", "grid": {"lower": [-2], "upper": [2], "cells": [160]}}""",
            "fokker-planck-2d" => """{"type": "fokkerPlanck", "variant": "discrete", "grid": {"lower": [-3, -3], "upper": [3, 3], "cells": [24, 20]}}""",
            "fokker-planck-periodic" => """{"type": "fokkerPlanck", "variant": "langevin", "boundary": "periodic", "grid": {"lower": [-2], "upper": [2], "cells": [100]}}""",
            _ => throw new ArgumentException(name, nameof(name)),
        };
        bool twoD = name == "fokker-planck-2d";
        string landscape = twoD
            ? """{"type": "quadratic", "hessian": [[1, 0.3], [0.3, 0.5]], "gradientNoiseCovariance": [[1, 0], [0, 1]]}"""
            : """{"type": "quadratic", "hessian": [[1]], "linearTerm": [0.4], "gradientNoiseCovariance": [[1]]}""";
        string initial = twoD ? """{"mean": [1, -0.5], "covariance": [[0.2, 0], [0, 0.2]]}""" : """{"point": [1.5]}""";
        return ScenarioLoader.Parse($$"""
            {"landscape": {{landscape}},
             "optimizer": {"type": "sgd", "learningRate": 0.3},
             "initial": {{initial}},
             "ensemble": {"steps": 60},
             "record": {"every": 7},
             "solver": {{solver}}}
            """);
    }

    [Theory]
    [MemberData(nameof(GridCases))]
    public void GridRunStoppedCheckpointedAndResumedIsBitIdenticalToOneRun(string name)
    {
        Scenario scenario = GridScenario(name);
        var algorithm = (GridAlgorithm)scenario.Algorithm;
        GridResult single = GridRunner.Run(scenario.Problem, algorithm);
        Assert.Null(single.Failure);

        // Stop once a stretch ends at step 17 or later (between records 14 and 21, or later), checkpoint, read back.
        using var stop = new CancellationTokenSource();
        GridRunState? seen = null;
        GridResult stopped = GridRunner.Run(
            scenario.Problem,
            algorithm,
            cancellationToken: stop.Token,
            stopOnCancel: true,
            afterStretch: state =>
            {
                if (state.Step >= 17 && !stop.IsCancellationRequested)
                {
                    seen = state;
                    stop.Cancel();
                }
            });
        Assert.NotNull(stopped.Stopped);
        Assert.NotNull(seen);
        Assert.InRange(stopped.StepsDone, 17, 59);
        Assert.Equal(algorithm.RecordSteps.TakeWhile(s => s <= stopped.StepsDone).Count(), stopped.Records.Count);

        using var temp = new TempFolder();
        var header = new RunCheckpoint.Header(algorithm.TypeName, "scenario-hash", "managed");
        var writer = new RunCheckpoint.GridWriter(temp.Path, header);
        var state = new GridRunState(stopped.StepsDone, stopped.FinalDensity, stopped.Displacement, stopped.Records, stopped.Seconds);
        writer.Write(state, new RunCheckpoint.Snapshots([], [], 1000, []));
        RunCheckpoint.Loaded loaded = RunCheckpoint.Read(temp.Path, scenario.Problem.Dimension, algorithm.RecordSteps, algorithm.Grid.ToGrid());
        Assert.Equal(header, loaded.Header);
        Assert.Equal(stopped.StepsDone, loaded.Grid!.Step);

        GridResult resumed = GridRunner.Run(scenario.Problem, algorithm, resume: loaded.Grid);
        Assert.Null(resumed.Failure);
        Assert.Equal(single.Records.Count, resumed.Records.Count);
        for (int r = 0; r < single.Records.Count; r++)
        {
            AssertSameRecord(single.Records[r], resumed.Records[r], $"{name} record {r}");
        }

        Bitwise.AssertSame(single.FinalDensity.Mass, resumed.FinalDensity.Mass, $"{name} final density");
        Assert.True(Bitwise.Same(single.FinalDensity.LostMass, resumed.FinalDensity.LostMass), "lost mass");
        if (single.Displacement is not null)
        {
            Bitwise.AssertSame(single.Displacement, resumed.Displacement!, "displacement");
        }
    }

    [Fact]
    public void ADamagedOrMissingCheckpointIsRefusedNamingTheFile()
    {
        Scenario scenario = GridScenario("master-absorbing");
        var algorithm = (GridAlgorithm)scenario.Algorithm;
        UniformGrid grid = algorithm.Grid.ToGrid();
        using var temp = new TempFolder();
        var missing = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, grid));
        Assert.Contains("no checkpoint", missing.Message);

        GridResult result = GridRunner.Run(scenario.Problem, algorithm);
        var writer = new RunCheckpoint.GridWriter(temp.Path, new RunCheckpoint.Header(algorithm.TypeName, "h", "managed"));
        writer.Write(new GridRunState(result.StepsDone, result.FinalDensity, null, result.Records, 1.0), new RunCheckpoint.Snapshots([], [], 1000, []));
        Assert.NotNull(RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, grid).Grid);
        var otherRecords = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60], grid));
        Assert.Contains("records[1].step: 7, the scenario records step 5 there", otherRecords.Message);
        var asEnsemble = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, grid: null, 1000));
        Assert.Contains("kind: the checkpoint is of a masterEquation run, the scenario runs an ensemble", asEnsemble.Message);

        string density = Directory.GetFiles(RunCheckpoint.PathOf(temp.Path), "density_*.f64").Single();
        byte[] bytes = File.ReadAllBytes(density);
        bytes[100] ^= 1;
        File.WriteAllBytes(density, bytes);
        var damaged = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, grid));
        Assert.Contains(Path.GetFileName(density), damaged.Message);
        Assert.Contains("SHA-256", damaged.Message);

        File.WriteAllBytes(density, bytes[..^8]);
        var truncated = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, grid));
        Assert.Contains(Path.GetFileName(density), truncated.Message);

        var otherGrid = new UniformGrid([-3], [3], [200]);
        var mismatch = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, otherGrid));
        Assert.Contains("density.cells", mismatch.Message);

        string index = Path.Combine(RunCheckpoint.PathOf(temp.Path), RunCheckpoint.IndexFile);
        File.WriteAllText(index, "{\"sgdyn-checkpoint\": 1, \"kind\": \"masterEquation\"");
        var malformed = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, 1, algorithm.RecordSteps, grid));
        Assert.Contains(RunCheckpoint.IndexFile, malformed.Message);
    }

    [Fact]
    public void AVersion1EnsembleCheckpointIsStillReadAndALaterVersionIsRefused()
    {
        var (problem, ensemble) = Make("diverging");
        using var backend = new ManagedBackend(threads: 2, tilesPerBatch: 1);
        using var temp = new TempFolder();
        var writer = new RunCheckpoint.EnsembleWriter(temp.Path, new RunCheckpoint.Header("ensemble", "h", backend.Name));
        EnsembleSolver.SolveInSegments(problem, ensemble, backend, afterSegment: state => writer.Write(state), segmentLimit: 1024);
        string index = Path.Combine(RunCheckpoint.PathOf(temp.Path), RunCheckpoint.IndexFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(index))!.AsObject();
        Assert.Equal(RunCheckpoint.Version, json["sgdyn-checkpoint"]!.GetValue<int>());
        Assert.Null(json["projections"]);

        // the format before projections: no "projections" entry
        json["sgdyn-checkpoint"] = 1;
        json.Remove("projections");
        File.WriteAllText(index, json.ToJsonString());
        Assert.Equal(Trajectories, RunCheckpoint.Read(temp.Path, problem, ensemble).Ensemble!.Done);
        var withProjections = ensemble with { Projection = Directions100Like(problem.Dimension) };
        var refused = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, problem, withProjections));
        Assert.Contains("the checkpoint holds no projections, the scenario records 1 directions", refused.Message, StringComparison.Ordinal);

        json["sgdyn-checkpoint"] = RunCheckpoint.Version + 1;
        File.WriteAllText(index, json.ToJsonString());
        var later = Assert.Throws<InvalidDataException>(() => RunCheckpoint.Read(temp.Path, problem, ensemble));
        Assert.Contains($"sgdyn-checkpoint: checkpoint format {RunCheckpoint.Version + 1}, this engine reads 1 to {RunCheckpoint.Version}", later.Message, StringComparison.Ordinal);

        static ProjectionSpec Directions100Like(int d) => new(new double[d], new double[1, d]);
    }

    private static void AssertSameRecord(GridRecord expected, GridRecord actual, string where)
    {
        Assert.Equal(expected.Step, actual.Step);
        Assert.True(Bitwise.Same(expected.Time, actual.Time), $"{where}: time");
        Assert.True(Bitwise.Same(expected.Mass, actual.Mass), $"{where}: mass {expected.Mass:R} vs {actual.Mass:R}");
        Assert.True(Bitwise.Same(expected.LostMass, actual.LostMass), $"{where}: lost mass");
        Bitwise.AssertSame(expected.Mean, actual.Mean, $"{where}: mean");
        Bitwise.AssertSame(expected.Covariance.Cast<double>().ToArray(), actual.Covariance.Cast<double>().ToArray(), $"{where}: covariance");
        if (expected.Displacement is not null)
        {
            Bitwise.AssertSame(expected.Displacement, actual.Displacement!, $"{where}: displacement");
        }
    }
}
