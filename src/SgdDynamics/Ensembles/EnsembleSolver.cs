using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Kernels.Statistics;
using SgdDynamics.Problems;
using SgdDynamics.Statistics;

namespace SgdDynamics.Ensembles;

/// <summary>Moments of the ensemble at one recorded step (time t = step·η).</summary>
/// <param name="Step">The step.</param>
/// <param name="Time">t = step·η.</param>
/// <param name="Moments">Moments of the coordinates.</param>
/// <param name="Projected">
/// Moments of the projections y = V(x − c) (K coordinates; with their K × K covariance when <see cref="ProjectionSpec.Covariance"/>)
/// when the algorithm has a <see cref="ProjectionSpec"/>, else null.
/// </param>
public sealed record EnsembleRecord(int Step, double Time, Moments Moments, Moments? Projected = null);

/// <summary>The outcome of an ensemble run.</summary>
public sealed record EnsembleResult(
    Problem Problem,
    EnsembleAlgorithm Algorithm,
    string Backend,
    string Device,
    TrajectoryRange Range,
    IReadOnlyList<EnsembleRecord> Records,
    EnsembleStatistics Statistics,
    double Seconds,
    float[]? FinalStates = null)
{
    /// <summary>The last record.</summary>
    public EnsembleRecord Final => Records[^1];

    /// <summary>Trajectory-steps simulated per second of wall time (statistics included).</summary>
    public double TrajectoryStepsPerSecond => Range.Count * (double)Algorithm.Steps / Seconds;

    /// <summary>Last state of trajectory <paramref name="trajectory"/> (an index inside <see cref="Range"/>), when kept.</summary>
    public ReadOnlySpan<float> FinalState(long trajectory) =>
        FinalStates is null
            ? throw new InvalidOperationException("final states were not kept: solve with keepFinalStates")
            : FinalStates.AsSpan((int)((trajectory - Range.First) * Problem.Dimension), Problem.Dimension);

    /// <summary>The first recorded step with a diverged trajectory, or null.</summary>
    public int? FirstDivergedStep => Records.FirstOrDefault(r => r.Moments.Diverged > 0)?.Step;
}

/// <summary>
/// The state of an ensemble run done in segments (<see cref="EnsembleSolver.SolveInSegments"/>): trajectories
/// [0, <paramref name="Done"/>) are complete, their statistics in <paramref name="Statistics"/> and, when final states
/// are kept, their last states in the first Done·d entries of <paramref name="FinalStates"/>; <paramref name="Seconds"/>
/// is the wall time spent on them. Inside <c>afterSegment</c> the arrays are the live ones of the run (write them out
/// or copy them before returning).
/// </summary>
public sealed record EnsembleRunState(long Done, EnsembleStatistics Statistics, float[]? FinalStates, double Seconds);

/// <summary>
/// A segmented ensemble run stopped by its cancellation token: <see cref="State"/> is the state after the last complete
/// segment (the trajectories of the segment that was running are not in it).
/// </summary>
public sealed class EnsembleRunStoppedException(EnsembleRunState state, Exception inner)
    : OperationCanceledException($"stopped after {state.Done:N0} complete trajectories", inner)
{
    /// <summary>The state after the last complete segment.</summary>
    public EnsembleRunState State { get; } = state;
}

/// <summary>
/// Monte-Carlo solver: <c>Solve(problem, algorithm, backend)</c> runs the ensemble and streams its statistics
/// (docs/architecture.md, "Data flow": problem, algorithm and device are separate values).
/// </summary>
public static class EnsembleSolver
{
    /// <summary>
    /// Runs <paramref name="problem"/> with the ensemble <paramref name="algorithm"/> on <paramref name="backend"/>: all trajectories, or those of
    /// <paramref name="range"/> (whose first index must be a multiple of <see cref="TileLayout.TileSize"/>).
    /// <paramref name="progress"/> receives completed trajectory-steps, from any thread.
    /// <paramref name="keepFinalStates"/> keeps every trajectory's last state (Count·d floats) in the result.
    /// </summary>
    public static EnsembleResult Solve(
        Problem problem,
        EnsembleAlgorithm algorithm,
        IEnsembleBackend backend,
        TrajectoryRange? range = null,
        Action<long>? progress = null,
        CancellationToken cancellationToken = default,
        bool keepFinalStates = false)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        TrajectoryRange r = range ?? new TrajectoryRange(0, algorithm.Trajectories);
        if (r.First < 0 || r.Count < 1 || r.End > algorithm.Trajectories)
        {
            throw new ArgumentOutOfRangeException(nameof(range), $"range [{r.First}, {r.End}) is not inside the ensemble of {algorithm.Trajectories}");
        }

        if (r.End > 1L << 32)
        {
            throw new ArgumentOutOfRangeException(nameof(range), "trajectory indices are 32-bit Philox key words: at most 2^32 trajectories");
        }

        if (r.First % TileLayout.TileSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(range), $"range must start at a multiple of {TileLayout.TileSize}");
        }

        var model = EnsembleModel.From(problem, algorithm);
        var statistics = new EnsembleStatistics(model.Dimension, model.RecordSteps, model.Plan, model.ProjectionCount, model.ProjectionPlan);
        float[]? finalStates = keepFinalStates ? new float[checked((int)(r.Count * model.Dimension))] : null;
        var clock = Stopwatch.StartNew();
        backend.Run(model, r, statistics, progress, cancellationToken, finalStates);
        return ResultOf(problem, algorithm, backend.Name, backend.Device, r, statistics, clock.Elapsed.TotalSeconds, finalStates);
    }

    /// <summary>
    /// The result of trajectories <paramref name="range"/> whose exact <paramref name="statistics"/> are complete (a run's,
    /// or shards' merged): the moments of every record (and of the projections), computed from the exact sums, so the
    /// same statistics give the same result bit for bit however they were gathered.
    /// </summary>
    public static EnsembleResult ResultOf(
        Problem problem, EnsembleAlgorithm algorithm, string backend, string device, TrajectoryRange range, EnsembleStatistics statistics, double seconds, float[]? finalStates)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(statistics);
        var records = statistics.RecordSteps
            .Select((step, i) => new EnsembleRecord(step, step * problem.Dynamics.LearningRate, statistics[i].ToMoments(), ProjectedMoments(statistics, i)))
            .ToArray();
        return new EnsembleResult(problem, algorithm, backend, device, range, records, statistics, seconds, finalStates);
    }

    /// <summary>The most bytes of final states a segment of <see cref="SolveInSegments"/> holds besides the run's (64 MiB).</summary>
    public const long MaxSegmentStateBytes = 64L << 20;

    /// <summary>How long a segment of <see cref="SolveInSegments"/> should last, in seconds (after the first).</summary>
    public const double DefaultSegmentSeconds = 2.0;

    /// <summary>
    /// Runs the whole ensemble as consecutive segments of trajectories [0, a), [a, b), …, each through every step, and calls
    /// <paramref name="afterSegment"/> after each with the state so far (<see cref="EnsembleRunState"/>), so that a caller
    /// can checkpoint it; <paramref name="resume"/> continues from such a state. The statistics are merged exactly, so
    /// the result is bit-identical to <see cref="Solve"/>'s however the run is segmented, stopped and resumed.
    /// </summary>
    /// <param name="problem">The problem.</param>
    /// <param name="algorithm">The ensemble algorithm.</param>
    /// <param name="backend">The backend.</param>
    /// <param name="resume">The state to continue from (its statistics are copied), or null to start.</param>
    /// <param name="afterSegment">Called after each segment (on the calling thread).</param>
    /// <param name="segmentLimit">The most trajectories a segment holds (rounded up to whole tiles), or null.</param>
    /// <param name="progress">Receives completed trajectory-steps, from any thread.</param>
    /// <param name="cancellationToken">Stops the run: it throws <see cref="EnsembleRunStoppedException"/> with the state after the last complete segment.</param>
    /// <param name="keepFinalStates">Keeps every trajectory's last state.</param>
    /// <param name="segmentSeconds">
    /// How long a segment should last: the first holds <see cref="IEnsembleBackend.MinimumSegment"/> trajectories, the
    /// next ones as many as the measured rate runs in this time (at least the minimum).
    /// </param>
    public static EnsembleResult SolveInSegments(
        Problem problem,
        EnsembleAlgorithm algorithm,
        IEnsembleBackend backend,
        EnsembleRunState? resume = null,
        Action<EnsembleRunState>? afterSegment = null,
        long? segmentLimit = null,
        Action<long>? progress = null,
        CancellationToken cancellationToken = default,
        bool keepFinalStates = false,
        double segmentSeconds = DefaultSegmentSeconds)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(backend);
        if (!(segmentSeconds > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(segmentSeconds), "a segment must last a positive time");
        }

        if (segmentLimit is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(segmentLimit), "a segment holds at least one trajectory");
        }

        var model = EnsembleModel.From(problem, algorithm);
        long total = algorithm.Trajectories;
        int d = model.Dimension;
        var statistics = new EnsembleStatistics(d, model.RecordSteps, model.Plan, model.ProjectionCount, model.ProjectionPlan);
        float[]? states = keepFinalStates ? new float[checked((int)(total * d))] : null;
        long done = 0;
        double before = 0;
        if (resume is not null)
        {
            CheckResume(resume, model, total, keepFinalStates);
            statistics.Merge(resume.Statistics);
            if (states is not null && resume.Done > 0)
            {
                resume.FinalStates.AsSpan(0, (int)(resume.Done * d)).CopyTo(states);
            }

            done = resume.Done;
            before = resume.Seconds;
        }

        long tile = TileLayout.TileSize;
        long limit = segmentLimit is { } l ? RoundUp(l, tile) : long.MaxValue;
        if (states is not null)
        {
            // a segment's final states are copied into the run's: at most MaxSegmentStateBytes of them at a time
            limit = Math.Min(limit, RoundUp(MaxSegmentStateBytes / (sizeof(float) * d), tile));
        }

        long minimum = Math.Min(RoundUp(Math.Max(backend.MinimumSegment, tile), tile), limit);
        long segment = minimum;
        var clock = Stopwatch.StartNew();
        while (done < total)
        {
            long count = Math.Min(segment, total - done);
            var part = statistics.CreateEmpty();
            float[]? partStates = states is null ? null : new float[count * d];
            var segmentClock = Stopwatch.StartNew();
            try
            {
                backend.Run(model, new TrajectoryRange(done, count), part, progress, cancellationToken, partStates);
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && IsCancellation(e))
            {
                throw new EnsembleRunStoppedException(new EnsembleRunState(done, statistics, states, before + clock.Elapsed.TotalSeconds), e);
            }

            double seconds = segmentClock.Elapsed.TotalSeconds;
            statistics.Merge(part);
            partStates?.CopyTo(states!, done * d);
            done += count;
            afterSegment?.Invoke(new EnsembleRunState(done, statistics, states, before + clock.Elapsed.TotalSeconds));
            double perSecond = count / Math.Max(seconds, 1e-6);
            double target = Math.Min(perSecond * segmentSeconds, 1L << 40);
            segment = Math.Clamp(RoundUp((long)target, tile), minimum, limit);
        }

        return ResultOf(problem, algorithm, backend.Name, backend.Device, new TrajectoryRange(0, total), statistics, before + clock.Elapsed.TotalSeconds, states);
    }

    private static Moments? ProjectedMoments(EnsembleStatistics statistics, int record) =>
        statistics.ProjectionCount == 0 ? null : statistics.Projections(record).ToMoments();

    private static void CheckResume(EnsembleRunState resume, EnsembleModel model, long total, bool keepFinalStates)
    {
        if (resume.Done < 0 || resume.Done > total || (resume.Done % TileLayout.TileSize != 0 && resume.Done != total))
        {
            throw new ArgumentException($"cannot resume after {resume.Done} of {total} trajectories (a multiple of {TileLayout.TileSize}, or all of them)", nameof(resume));
        }

        if (resume.Statistics.ProjectionCount != model.ProjectionCount || resume.Statistics.ProjectionPlan != model.ProjectionPlan)
        {
            throw new ArgumentException("the statistics to resume from have another number of projections or record their covariance differently", nameof(resume));
        }

        if (resume.Statistics.Plan != model.Plan)
        {
            throw new ArgumentException($"the statistics to resume from hold {resume.Statistics.Plan} moments, the run records {model.Plan}", nameof(resume));
        }

        if (resume.Statistics.Dimension != model.Dimension || !resume.Statistics.RecordSteps.SequenceEqual(model.RecordSteps))
        {
            throw new ArgumentException("the statistics to resume from have another dimension or other recorded steps", nameof(resume));
        }

        if (keepFinalStates && resume.Done > 0 && (resume.FinalStates is null || resume.FinalStates.Length < resume.Done * model.Dimension))
        {
            throw new ArgumentException($"final states are kept: the state to resume from needs those of its {resume.Done} trajectories", nameof(resume));
        }

        if (!double.IsFinite(resume.Seconds) || resume.Seconds < 0)
        {
            throw new ArgumentException("the seconds of the state to resume from must be finite and non-negative", nameof(resume));
        }
    }

    private static long RoundUp(long value, long multiple) => (Math.Max(value, 1) + multiple - 1) / multiple * multiple;

    /// <summary>True for a cancellation: an <see cref="OperationCanceledException"/>, or an aggregate (Parallel.For's) of them only.</summary>
    public static bool IsCancellation(Exception e) =>
        e is OperationCanceledException || (e is AggregateException all && all.Flatten().InnerExceptions.All(i => i is OperationCanceledException));
}
