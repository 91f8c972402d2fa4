using System.Diagnostics;
using SgdDynamics.Problems;

namespace SgdDynamics.Cli;

/// <summary>
/// When a run writes periodic checkpoints (<c>--checkpoint-every N</c> steps, <c>--checkpoint-seconds S</c>); a stop by a
/// signal always writes one. A grid run checks after every stretch of steps (about 0.1 s) and writes once N steps or S
/// seconds have passed since the last checkpoint. An ensemble runs as segments of trajectories, each through every step,
/// and checks after each segment: N steps stand for the work of N steps of the whole ensemble (N × trajectories
/// trajectory-steps), so a segment holds at most ⌈N × trajectories / steps⌉ trajectories (whole tiles of 256), and
/// segments last at most S seconds (2 s by default).
/// </summary>
internal sealed class CheckpointPolicy
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long lastStep;

    /// <summary>A policy; null for either means not by that measure.</summary>
    public CheckpointPolicy(int? everySteps, double? everySeconds)
    {
        if (everySteps is < 1)
        {
            throw new CliInputException($"--checkpoint-every must be a whole number of steps ≥ 1 (got {everySteps})");
        }

        if (everySeconds is { } seconds && !(seconds > 0 && double.IsFinite(seconds)))
        {
            throw new CliInputException($"--checkpoint-seconds must be a positive number of seconds (got {seconds})");
        }

        EverySteps = everySteps;
        EverySeconds = everySeconds;
    }

    /// <summary>Checkpoint every this many steps, or null.</summary>
    public int? EverySteps { get; }

    /// <summary>Checkpoint every this many seconds, or null.</summary>
    public double? EverySeconds { get; }

    /// <summary>Whether periodic checkpoints are asked for.</summary>
    public bool Periodic => EverySteps is not null || EverySeconds is not null;

    /// <summary>The most trajectories an ensemble segment holds so that a checkpoint falls every <see cref="EverySteps"/> (null: no limit).</summary>
    public long? SegmentLimit(EnsembleAlgorithm ensemble) =>
        EverySteps is { } every ? Math.Max(1, (long)Math.Ceiling(every * (double)ensemble.Trajectories / ensemble.Steps)) : null;

    /// <summary>How long an ensemble segment should last.</summary>
    public double SegmentSeconds => Math.Min(Ensembles.EnsembleSolver.DefaultSegmentSeconds, EverySeconds ?? double.PositiveInfinity);

    /// <summary>Whether a checkpoint is due at <paramref name="step"/> (a grid step, or for an ensemble any value: then by segment).</summary>
    public bool Due(long step) =>
        (EverySteps is { } every && step - lastStep >= every) || (EverySeconds is { } seconds && clock.Elapsed.TotalSeconds >= seconds);

    /// <summary>Notes that a checkpoint was written at <paramref name="step"/>.</summary>
    public void Written(long step)
    {
        lastStep = step;
        clock.Restart();
    }

    /// <summary>Starts counting when the run starts: from <paramref name="step"/> (0, or where a resumed run continues) and from now.</summary>
    public void StartAt(long step)
    {
        lastStep = step;
        clock.Restart();
    }
}
